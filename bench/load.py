"""Load on a real server: `python -m bench load [--clients 50] [--seconds 20] [--database-url]`.

1. Setup (in this process, before the server starts): a fresh SQLite file (or the given
   PostgreSQL database, which must be empty), the migrations, the demo (`articula demo`'s
   `load_demo`) taken to a published schedule as `bench pages` does (so every agenda
   exists), a second edition open for topic submissions, and API keys: one per delegation,
   one per sector, and SD keys for the event streams.
2. `articula serve` as a separate process on a free port (uvicorn, one worker).
3. Phase 1, `--seconds`: `--clients` concurrent clients (httpx, asyncio), each looping over
   a mix: /health, a delegation's topic list submission, a ministry's agenda PDF, the list
   of editions.
4. Phase 2: a run of the published edition held `running` (`running_run`); the clients
   ask /health and a delegation's /api/me for `--stream-seconds` without event streams,
   then again with `--streams` streams of the run open (from as many SD keys as the
   per-key limit needs), each stream polling the run as long as the phase lasts.
Each endpoint's latency is reported with its ratio to /health's p95 in the same phase, so
the machine's load affects both sides. The targets (issue 24): topic submission p95 <= 3x
health, agenda PDF and edition list <= 2x, /api/me with the streams open <= 2x without.
Exit 1 on a 5xx, a transport error, or an unexpected status; `--gate` also fails a missed
target.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, select

from app.access.models import Role
from app.access.service import create_key
from app.core import clock
from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrations import upgrade
from app.demo_data import DELEGATIONS
from app.editions.models import (
    Delegation,
    Edition,
    EditionCreate,
    EditionSector,
    EditionStatus,
    ParticipantsIn,
    Sector,
)
from app.editions.service import add_participants, create_edition, transition
from app.scheduling.models import RunStatus, SolveRun

from .harness import Echo, header
from .pages import LIMA, _topic_list, build_gore

ARTICULA = Path(sys.executable).with_name("articula")
TARGETS = {"topics": 3.0, "agenda_pdf": 2.0, "editions": 2.0}
ME_TARGET = 2.0  # /api/me p95 with the streams open / without
STREAMS_PER_KEY = Settings().run_streams_per_key


@dataclass
class World:
    edition_id: int  # the published edition (agendas, runs)
    open_edition_id: int  # the edition open for submissions
    delegation_keys: list[tuple[str, str]]  # (code, token)
    sector_keys: list[tuple[str, str]]
    sd_keys: list[str]
    topic_lists: dict[str, dict[str, Any]]  # delegation code -> JSON body


@dataclass
class Samples:
    """Latencies (ms) and statuses of one endpoint in one phase."""

    times_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)

    def pct(self, q: float) -> float:
        if not self.times_ms:
            return float("nan")
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# --------------------------------------------------------------------------- setup


def _open_edition(session: Session, sectors: list[str]) -> Edition:
    """A second edition of the demo's delegations and sectors, open for submissions now."""
    now = clock.now()
    first_day = now.astimezone(LIMA).date() + dt.timedelta(days=40)
    edition = create_edition(
        session=session,
        edition_in=EditionCreate.model_validate(
            {
                "name": "13.º GORE Ejecutivo (carga)",
                "kind": "GORE",
                "submissions_open_at": now - dt.timedelta(hours=1),
                "submissions_close_at": now + dt.timedelta(days=10),
                "days": [
                    {
                        "date": first_day,
                        "blocks": [
                            {
                                "kind": "bilateral",
                                "label": "Reuniones bilaterales",
                                "start_time": "10:00",
                                "end_time": "13:00",
                            }
                        ],
                    }
                ],
            }
        ),
    )
    add_participants(
        session=session,
        edition=edition,
        participants_in=ParticipantsIn(
            delegation_codes=[code for code, *_ in DELEGATIONS], sector_codes=sectors
        ),
    )
    transition(session=session, edition=edition, to_status=EditionStatus.open_for_submissions)
    return edition


def build_world(url: str, streams: int, time_limit: float, echo: Echo) -> World:
    """The published demo edition, an open one and the keys (see the module docstring)."""
    upgrade(url)
    engine = make_engine(url)
    settings = Settings(database_url=url)
    with Session(engine) as session:
        start = time.perf_counter()
        built = build_gore(session, settings, time_limit)
        echo(
            f"setup: demo edition published ({built['meetings']} meetings) in "
            f"{time.perf_counter() - start:.1f} s"
        )
        edition = session.get(Edition, built["edition"])
        assert edition is not None
        sector_ids = session.exec(
            select(EditionSector.sector_id).where(EditionSector.edition_id == edition.id)
        ).all()
        sectors = sorted(
            s.code
            for s in session.exec(select(Sector).where(Sector.id.in_(sector_ids))).all()  # type: ignore[union-attr]
        )
        opened = _open_edition(session, sectors)
        codes = [code for code, *_ in DELEGATIONS]
        delegations = {
            d.code: d
            for d in session.exec(select(Delegation).where(Delegation.code.in_(codes))).all()  # type: ignore[attr-defined]
        }
        by_code = {s.code: s for s in session.exec(select(Sector)).all()}
        delegation_keys = [
            (
                code,
                create_key(
                    session=session,
                    role=Role.delegation,
                    name=f"Carga {code}",
                    delegation_id=delegations[code].id,
                )[1],
            )
            for code in codes
        ]
        sector_keys = [
            (
                code,
                create_key(
                    session=session,
                    role=Role.sector,
                    name=f"Carga {code}",
                    sector_id=by_code[code].id,
                )[1],
            )
            for code in sectors
        ]
        sd_keys = [
            create_key(session=session, role=Role.sd_admin, name=f"Carga SD {i + 1}")[1]
            for i in range(-(-streams // STREAMS_PER_KEY))
        ]
        topic_lists = {
            code: _topic_list(delegations[code], sectors, i).model_dump(mode="json")
            for i, code in enumerate(codes)
        }
        session.commit()
        world = World(
            edition_id=edition.id or 0,
            open_edition_id=opened.id or 0,
            delegation_keys=delegation_keys,
            sector_keys=sector_keys,
            sd_keys=sd_keys,
            topic_lists=topic_lists,
        )
    engine.dispose()
    return world


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(url: str, workdir: Path, settings: dict[str, str] | None = None) -> Iterator[str]:
    """`articula serve` on a free port, with `settings` added to its environment: its base
    URL until the block ends."""
    port = _free_port()
    env = os.environ | {
        "ARTICULA_DATABASE_URL": url,
        "ARTICULA_SECRET_KEY": "b" * 40,
        "ARTICULA_OUTBOX_DIR": str(workdir / "outbox"),
        **(settings or {}),
    }
    log = workdir / "server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(ARTICULA), "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


# --------------------------------------------------------------------------- clients

Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def _measure(
    client: httpx.AsyncClient, name: str, call: Call, ok: set[int], out: dict[str, Samples]
) -> None:
    samples = out.setdefault(name, Samples())
    start = time.perf_counter()
    try:
        r = await call(client)
    except httpx.HTTPError as exc:
        samples.errors.append(f"{type(exc).__name__}: {exc}")
        return
    samples.times_ms.append((time.perf_counter() - start) * 1000)
    samples.statuses[r.status_code] += 1
    if r.status_code not in ok:
        samples.errors.append(f"{r.status_code}: {r.text[:200]}")


async def _clients(
    base: str,
    n: int,
    seconds: float,
    mix: Callable[[int, random.Random], tuple[str, Call, set[int]]],
) -> tuple[dict[str, Samples], float]:
    """`n` clients calling `mix(client number, rng)`'s request in a loop for `seconds`."""
    out: dict[str, Samples] = {}
    # idle connections are dropped before uvicorn closes them (5 s), so no request races
    # a server-side close
    limits = httpx.Limits(
        max_connections=n + 10, max_keepalive_connections=n + 10, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(base_url=base, timeout=120.0, limits=limits) as client:
        stop = time.monotonic() + seconds

        async def one(i: int) -> None:
            rng = random.Random(i)
            while time.monotonic() < stop:
                name, call, ok = mix(i, rng)
                await _measure(client, name, call, ok, out)

        start = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(n)))
        return out, time.monotonic() - start


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def phase1_mix(world: World) -> Callable[[int, random.Random], tuple[str, Call, set[int]]]:
    """/health, topic submission, agenda PDF, edition list, in equal shares; a client
    submits for its own delegation (clients beyond the delegations share them)."""
    e, o = world.edition_id, world.open_edition_id

    def mix(i: int, rng: random.Random) -> tuple[str, Call, set[int]]:
        code, dtoken = world.delegation_keys[i % len(world.delegation_keys)]
        scode, stoken = world.sector_keys[rng.randrange(len(world.sector_keys))]
        pick = rng.randrange(4)
        if pick == 0:
            return "health", lambda c: c.get("/health"), {200}
        if pick == 1:
            body = world.topic_lists[code]
            return (
                "topics",
                lambda c: c.post(
                    f"/api/editions/{o}/delegations/{code}/topic-lists",
                    json=body,
                    headers=_headers(dtoken),
                ),
                {201},
            )
        if pick == 2:
            return (
                "agenda_pdf",
                lambda c: c.get(
                    f"/api/editions/{e}/agendas/sectors/{scode}",
                    params={"format": "pdf"},
                    headers=_headers(stoken),
                ),
                {200},
            )
        return "editions", lambda c: c.get("/api/editions", headers=_headers(dtoken)), {200}

    return mix


def phase2_mix(world: World) -> Callable[[int, random.Random], tuple[str, Call, set[int]]]:
    def mix(i: int, rng: random.Random) -> tuple[str, Call, set[int]]:
        _, dtoken = world.delegation_keys[i % len(world.delegation_keys)]
        if rng.randrange(2):
            return "health", lambda c: c.get("/health"), {200}
        return "me", lambda c: c.get("/api/me", headers=_headers(dtoken)), {200}

    return mix


@contextlib.contextmanager
def running_run(url: str, edition_id: int) -> Iterator[int]:
    """A run of the edition held `running` (its heartbeat fresh) while the block lasts, as a
    solve's job keeps it; then failed. A real solve of the demo edition ends (proven) within
    seconds, before the streams' phase would."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            run = SolveRun(
                edition_id=edition_id,
                status=RunStatus.running,
                options={"bench": "load"},
                created_by="bench load",
                created_at=clock.now(),
                started_at=clock.now(),
                heartbeat_at=clock.now(),
            )
            session.add(run)
            session.commit()
            run_id = run.id or 0
        yield run_id
    finally:
        with Session(engine) as session:
            row = session.get(SolveRun, run_id)
            if row is not None:
                row.status, row.error = RunStatus.failed, "bench load: end of the phase"
                row.finished_at = clock.now()
                session.commit()
        engine.dispose()


async def _phase2(
    base: str, world: World, run_id: int, clients: int, seconds: float, streams: int
) -> tuple[dict[str, Samples], float, dict[str, Samples], float, dict[str, float]]:
    """/health and /api/me without, then with `streams` event streams of a running run."""
    events = f"/api/editions/{world.edition_id}/runs/{run_id}/events"
    stream_stats: dict[str, int] = defaultdict(int)
    without, t1 = await _clients(base, clients, seconds, phase2_mix(world))
    limits = httpx.Limits(max_connections=streams + 10)
    async with httpx.AsyncClient(base_url=base, timeout=120.0, limits=limits) as sc:
        async with contextlib.AsyncExitStack() as stack:
            keys = itertools.cycle(world.sd_keys)
            opened = []
            start = time.monotonic()
            for _ in range(streams):
                resp = await stack.enter_async_context(
                    sc.stream("GET", events, headers=_headers(next(keys)))
                )
                stream_stats[f"status {resp.status_code}"] += 1
                opened.append(resp)

            async def drain(resp: httpx.Response) -> None:
                with contextlib.suppress(httpx.HTTPError):
                    event = ""
                    async for line in resp.aiter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                            stream_stats[event] += 1
                        elif line.startswith("data: ") and event == "done":
                            stream_stats[f"done: {line[6:][:80]}"] += 1

            opening_s = time.monotonic() - start
            readers = [asyncio.create_task(drain(resp)) for resp in opened]
            with_streams, t2 = await _clients(base, clients, seconds, phase2_mix(world))
            stream_stats["open at the end of the phase"] = sum(1 for t in readers if not t.done())
            for t in readers:
                t.cancel()
    return (
        without,
        t1,
        with_streams,
        t2,
        dict(stream_stats) | {"seconds to open": round(opening_s, 1)},
    )


# --------------------------------------------------------------------------- report


def _table(echo: Echo, phase: str, samples: dict[str, Samples], elapsed: float) -> list[str]:
    """Print the phase's table; return its errors."""
    health = samples.get("health", Samples()).pct(95)
    echo(f"\n### {phase} ({elapsed:.1f} s)")
    echo("| endpoint | count | rps | p50 ms | p95 ms | p99 ms | p95 / health p95 | statuses |")
    echo("|---|---:|---:|---:|---:|---:|---:|---|")
    errors = []
    for name, s in sorted(samples.items()):
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(s.statuses.items()))
        if s.errors:
            statuses += f", errors: {len(s.errors)}"
        echo(
            f"| {name} | {len(s.times_ms)} | {len(s.times_ms) / elapsed:.1f} | "
            f"{s.pct(50):.0f} | {s.pct(95):.0f} | {s.pct(99):.0f} | "
            f"{s.pct(95) / health:.2f} | {statuses} |"
        )
        errors += [f"{phase} {name}: {e}" for e in s.errors[:3]]
    return errors


def run_load(
    *,
    clients: int,
    seconds: float,
    stream_seconds: float,
    streams: int,
    database_url: str | None,
    time_limit: float,
    gate: bool,
    echo: Echo,
) -> bool:
    """Set up, serve, load, report; True when something failed (see the docstring)."""
    header(echo, f"load: {clients} clients, {seconds:g} s; {streams} event streams")
    with tempfile.TemporaryDirectory(prefix="articula-load-") as tmp:
        workdir = Path(tmp)
        url = database_url or f"sqlite:///{workdir / 'load.db'}"
        echo(f"database: {'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}")
        world = build_world(url, streams, time_limit, echo)
        with serve(url, workdir) as base:
            phase1, t1 = asyncio.run(_clients(base, clients, seconds, phase1_mix(world)))
            with running_run(url, world.edition_id) as run_id:
                without, t2, with_streams, t3, stream_stats = asyncio.run(
                    _phase2(base, world, run_id, clients, stream_seconds, streams)
                )
    echo(f"load average at the end (1, 5, 15 min): {_loadavg()}")
    errors = _table(echo, "phase 1: mix", phase1, t1)
    errors += _table(echo, "phase 2a: a running run, no event streams", without, t2)
    errors += _table(echo, f"phase 2b: {streams} event streams of the run open", with_streams, t3)
    echo(f"\nevent streams: {stream_stats}")
    if (
        stream_stats.get("status 200", 0) != streams
        or stream_stats.get("open at the end of the phase") != streams
    ):
        errors.append(f"event streams: {stream_stats}")
    health = phase1["health"].pct(95)
    echo("\n### targets (p95 ratios in the same phase)")
    missed = []
    for name, limit in TARGETS.items():
        ratio = phase1[name].pct(95) / health
        verdict = "PASS" if ratio <= limit else "FAIL"
        echo(f"- {name}: {ratio:.2f}x health (target <= {limit:g}x): {verdict}")
        if verdict == "FAIL":
            missed.append(name)
    me_ratio = with_streams["me"].pct(95) / without["me"].pct(95)
    verdict = "PASS" if me_ratio <= ME_TARGET else "FAIL"
    echo(
        f"- /api/me with {streams} streams open: p95 {with_streams['me'].pct(95):.0f} ms vs "
        f"{without['me'].pct(95):.0f} ms without = {me_ratio:.2f}x (target <= {ME_TARGET:g}x), "
        f"{with_streams['me'].pct(95) / with_streams['health'].pct(95):.2f}x health: {verdict}"
    )
    if verdict == "FAIL":
        missed.append("me")
    for e in errors[:20]:
        echo(f"ERROR {e}")
    return bool(errors) or (gate and bool(missed))


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"
