"""Event streams of runs against a real `articula serve` process: more open streams than
the thread pool has threads, and the API still answers; a key past its limit gets a 429."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dbutil import sqlite_url
from factories import auth, create_key
from runs_support import schedulable_edition
from sqlmodel import Session

from app.access.models import Role
from app.core import clock
from app.core.db import make_engine
from app.core.errors import TooManyRequests
from app.core.migrations import upgrade
from app.scheduling import runs
from app.scheduling.models import RunStatus, SolveRun
from bench.load import serve

THREAD_POOL = 40  # anyio's default worker threads, what sync endpoints run in
PER_KEY = 4
STREAMS = 48  # > THREAD_POOL, from STREAMS // PER_KEY keys


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A server process on a fresh SQLite file: (base URL, database URL)."""
    url = sqlite_url(tmp_path, "streams.db")
    upgrade(url)
    settings = {
        "ARTICULA_JOBS_PERIODIC": "false",  # no reaper: the test's run stays `running`
        "ARTICULA_RUN_STREAMS_PER_KEY": str(PER_KEY),
    }
    with serve(url, tmp_path, settings) as base:
        yield base, url


async def _scenario(
    base: str, path: str, tokens: list[str], me_token: str, end_run
) -> tuple[list[int], httpx.Response, httpx.Response, list[str]]:
    """Open PER_KEY streams per token, then one more on the first token, and ask /api/me
    while they are open; then end the run and read each stream to its last event."""
    limits = httpx.Limits(max_connections=STREAMS + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as client:
        async with contextlib.AsyncExitStack() as stack:
            responses = [
                await stack.enter_async_context(client.stream("GET", path, headers=auth(t)))
                for t in tokens
                for _ in range(PER_KEY)
            ]
            extra = await client.get(path, headers=auth(tokens[0]))
            me = await client.get("/api/me", headers=auth(me_token))
            end_run()

            async def last_event(r: httpx.Response) -> str:
                name = ""
                async for line in r.aiter_lines():
                    if line.startswith("event: "):
                        name = line[7:]
                return name

            ends = await asyncio.gather(*(last_event(r) for r in responses))
    return [r.status_code for r in responses], extra, me, list(ends)


def test_open_event_streams_hold_no_thread(server):
    base, url = server
    engine = make_engine(url)
    with Session(engine) as session:
        setup = schedulable_edition(session)
        tokens = [create_key(session)[1] for _ in range(STREAMS // PER_KEY)]
        _, me_token = create_key(session, Role.delegation, delegation=setup.delegations[0])
        run = SolveRun(
            edition_id=setup.edition.id,
            status=RunStatus.running,
            options={},
            created_by="test",
            created_at=clock.now(),
            started_at=clock.now(),
            heartbeat_at=clock.now(),
        )
        session.add(run)
        session.commit()
        run_id, edition_id = run.id, setup.edition.id

    def end_run() -> None:
        with Session(engine) as session:
            row = session.get(SolveRun, run_id)
            assert row is not None and row.status == RunStatus.running
            row.status = RunStatus.succeeded
            session.commit()

    path = f"/api/editions/{edition_id}/runs/{run_id}/events"
    statuses, extra, me, ends = asyncio.run(_scenario(base, path, tokens, me_token, end_run))
    engine.dispose()
    assert statuses == [200] * STREAMS
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "delegation"
    assert extra.status_code == 429
    assert extra.headers["content-type"] == "application/problem+json"
    assert int(extra.headers["retry-after"]) > 0
    assert ends == ["done"] * STREAMS


def test_a_stream_gives_its_place_back(session):
    """A key's streams count until they end, or until an unstarted one is collected."""
    setup = schedulable_edition(session)
    run = SolveRun(
        edition_id=setup.edition.id,
        status=RunStatus.succeeded,
        options={},
        created_by="test",
        created_at=clock.now(),
    )
    session.add(run)
    session.commit()
    key_id = 987_654  # a key of its own: STREAMS lives as long as the process

    def stream():
        return runs.event_stream(
            session=session,
            engine=session.get_bind(),
            edition=setup.edition,
            run_id=run.id,
            key_id=key_id,
            max_streams=1,
        )

    first = stream()
    assert runs.STREAMS.open_count(key_id) == 1
    with pytest.raises(TooManyRequests):
        stream()
    del first  # never started: its place goes with it
    gc.collect()
    assert runs.STREAMS.open_count(key_id) == 0

    async def read_all(events) -> list[str]:
        return [chunk async for chunk in events]

    chunks = asyncio.run(read_all(stream()))
    assert chunks[-1].startswith("event: done")
    assert runs.STREAMS.open_count(key_id) == 0
