"""Server time of the web pages: `python -m bench pages [--repeat N] [--no-muni]`.

On a temporary SQLite database built by the migrations:
1. GORE size: the demo edition (26 delegations, 9 sectors) taken to a published schedule by
   the service functions the pages call: every delegation submits a five-topic list, the SD
   accepts every topic, generates the requests, solves them (CP-SAT, a short limit) and
   publishes the run; a greedy run is kept beside it for the grid's comparison.
2. MUNI size: an edition of 250 municipalities, 20 sectors and 14 rooms over 3 days, 750
   requests built directly (like `bench/publication.py`), placed by the greedy solver; only
   its grid is timed (the grid shows one day at a time: the first and the last).
Each GET goes in-process through FastAPI's TestClient (logged in as the SD), once to warm up,
then N times; the times include the client, so they bound the server time from above.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import solver
from app.access.models import Role
from app.access.principal import Principal
from app.access.users import create_user
from app.agendas.delivery import publish_run
from app.core import clock
from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrations import upgrade
from app.demo import EDITION_NAME, load_demo
from app.editions.models import (
    Delegation,
    Edition,
    EditionCreate,
    EditionDelegation,
    EditionSector,
    EditionStatus,
    Room,
    Sector,
)
from app.editions.service import create_edition, transition
from app.main import create_app
from app.scheduling.mapping import build_instance
from app.scheduling.models import (
    MeetingRequest,
    MeetingRequestSector,
    RunStatus,
    SolveRun,
)
from app.scheduling.service import generate_requests
from app.submissions.models import Topic, TopicListIn
from app.submissions.service import accept_topic, submit_topics

from .harness import Echo, header

LIMA = ZoneInfo("America/Lima")
GORE_TARGET_MS = 200.0
MUNI_TARGET_MS = 1000.0
SD_EMAIL = "sd.bench@pcm.gob.example"
PASSWORD = "clave-del-benchmark-de-paginas"
SD = Principal(key_id=0, role=Role.sd_admin, name="bench")
TOPIC_KINDS = ("investment_project", "budget_request", "administrative_blockage", "other")


@dataclass
class PageTime:
    name: str
    path: str
    target_ms: float
    times_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        if len(self.times_ms) < 2:
            return self.times_ms[0]
        return statistics.quantiles(self.times_ms, n=20, method="inclusive")[-1]

    @property
    def holds(self) -> bool:
        return self.p95 <= self.target_ms


def _topic_list(delegation: Delegation, sectors: list[str], offset: int) -> TopicListIn:
    """Five topics for the delegation, over the sectors in turn, the last one multisector."""
    picks = [sectors[(offset + i) % len(sectors)] for i in range(4)]
    topics = [
        {
            "title": f"{delegation.code}: proyecto prioritario {i + 1}",
            "description": "Saldo de obra y equipamiento; se solicita la transferencia.",
            "kind": TOPIC_KINDS[i],
            "sectors": [{"sector": code, "rank": 1 + picks[:i].count(code)}],
        }
        | ({"cui": f"{2300000 + 10 * offset + i:07d}", "amount": "15000000"} if i == 0 else {})
        for i, code in enumerate(picks)
    ]
    topics.append(
        {
            "title": f"{delegation.code}: corredor vial y postas de salud",
            "description": "",
            "kind": "other",
            "sectors": [
                {"sector": picks[0], "rank": 1 + picks.count(picks[0])},
                {"sector": picks[1], "rank": 1 + picks.count(picks[1])},
            ],
        }
    )
    return TopicListIn.model_validate({"topics": topics})


def _save_run(
    session: Session, edition: Edition, options: dict[str, Any], fn: Any, by: str
) -> SolveRun:
    """Solve the edition with `fn` (solver.solve or solver.greedy) and store a succeeded run."""
    instance, slot_map = build_instance(session=session, edition=edition, options_in=options)
    start = time.perf_counter()
    solution = fn(instance)
    planned = slot_map.to_planned(solution)
    run = SolveRun(
        edition_id=edition.id,
        status=RunStatus.succeeded,
        options=options,
        result={
            "status": solution.status.value,
            "scheduled_weight": solution.scheduled_weight,
            "breaks": solution.breaks,
            "seconds": round(time.perf_counter() - start, 2),
            "stages": [],
            "conflicts": [],
            "unscheduled": [],
        },
        assignments=[m.to_json() for m in planned],
        created_by=by,
        created_at=clock.now(),
        started_at=clock.now(),
        finished_at=clock.now(),
    )
    session.add(run)
    session.commit()
    return run


def demo_edition(session: Session) -> Edition:
    """The demo edition in scheduling, with five topics per delegation (one multisector)
    accepted and turned into meeting requests."""
    load_demo(session=session)
    edition = session.exec(select(Edition).where(Edition.name == EDITION_NAME)).one()
    sector_ids = session.exec(
        select(EditionSector.sector_id).where(EditionSector.edition_id == edition.id)
    ).all()
    sectors = sorted(
        s.code
        for s in session.exec(select(Sector).where(Sector.id.in_(sector_ids))).all()  # type: ignore[union-attr]
    )
    delegation_ids = session.exec(
        select(EditionDelegation.delegation_id).where(EditionDelegation.edition_id == edition.id)
    ).all()
    delegations = session.exec(select(Delegation).where(Delegation.id.in_(delegation_ids))).all()  # type: ignore[union-attr]
    now = clock.now()
    for i, d in enumerate(sorted(delegations, key=lambda d: d.code)):
        submit_topics(
            session=session,
            edition=edition,
            delegation=d,
            topics_in=_topic_list(d, sectors, i),
            principal=Principal(key_id=0, role=Role.delegation, name=d.code, delegation_id=d.id),
            now=now,
        )
    transition(session=session, edition=edition, to_status=EditionStatus.in_review)
    for topic_id in session.exec(select(Topic.id).where(Topic.edition_id == edition.id)).all():
        accept_topic(session=session, edition=edition, topic_id=topic_id, principal=SD, now=now)
    generate_requests(session=session, edition=edition, replace=False, now=now)
    transition(session=session, edition=edition, to_status=EditionStatus.scheduling)
    session.commit()
    return edition


def build_gore(session: Session, settings: Settings, time_limit: float) -> dict[str, Any]:
    """The demo edition, published: returns the ids the pages need."""
    edition = demo_edition(session)
    options = {"time_limit_s": time_limit, "workers": settings.solver_workers}
    greedy_run = _save_run(session, edition, options, solver.greedy, "bench greedy")
    run = _save_run(session, edition, options, solver.solve, "bench")
    publish_run(
        session=session,
        edition=edition,
        run_id=run.id,
        published_by="bench",
        now=clock.now(),
        settings=settings,
    )
    session.commit()
    request_id = run.assignments[0]["request_id"]
    return {
        "edition": edition.id,
        "run": run.id,
        "greedy": greedy_run.id,
        "request": request_id,
        "meetings": len(run.assignments),
    }


def build_muni(
    session: Session, *, municipalities: int = 250, sectors: int = 20, per_municipality: int = 3
) -> dict[str, Any]:
    """A MUNI Ejecutivo edition over 3 days placed by the greedy solver."""
    first_day = clock.now().astimezone(LIMA).date() + dt.timedelta(days=60)
    blocks = [
        {"kind": "bilateral", "label": "Mañana", "start_time": "10:00", "end_time": "13:00"},
        {"kind": "lunch", "label": "Almuerzo", "start_time": "13:00", "end_time": "14:00"},
        {"kind": "bilateral", "label": "Tarde", "start_time": "14:00", "end_time": "18:00"},
    ]
    edition = create_edition(
        session=session,
        edition_in=EditionCreate.model_validate(
            {
                "name": "5.º MUNI Ejecutivo",
                "kind": "MUNI",
                "venue": "Centro de Convenciones de Lima",
                "submissions_open_at": dt.datetime.combine(
                    first_day - dt.timedelta(days=40), dt.time(9), LIMA
                ),
                "submissions_close_at": dt.datetime.combine(
                    first_day - dt.timedelta(days=20), dt.time(18), LIMA
                ),
                "days": [
                    {"date": first_day + dt.timedelta(days=i), "blocks": blocks} for i in range(3)
                ],
            }
        ),
    )
    secs = [
        Sector(
            code=f"SEC{i + 1:02d}",
            name=f"Ministerio {i + 1}",
            minister_name=f"Ministro(a) {i + 1}",
            contact_emails=[f"agenda@sec{i + 1:02d}.gob.example"],
        )
        for i in range(sectors)
    ]
    munis = [
        Delegation(
            code=f"MD{i + 1:04d}",
            name=f"Municipalidad Distrital {i + 1}",
            kind="municipality",
            authority_title="mayor",
            authority_name=f"Alcalde(sa) {i + 1}",
            contact_emails=[f"alcaldia@md{i + 1:04d}.gob.example"],
        )
        for i in range(municipalities)
    ]
    session.add_all([*secs, *munis])
    session.flush()
    session.add_all(EditionSector(edition_id=edition.id, sector_id=s.id) for s in secs)
    session.add_all(EditionDelegation(edition_id=edition.id, delegation_id=d.id) for d in munis)
    session.add_all(Room(edition_id=edition.id, name=f"Sala {i + 1}") for i in range(14))
    for i, muni in enumerate(munis):
        for k in range(per_municipality):
            request = MeetingRequest(edition_id=edition.id, delegation_id=muni.id, weight=10 - k)
            session.add(request)
            session.flush()
            sector = secs[(i * per_municipality + k * 7) % sectors]
            session.add(MeetingRequestSector(request_id=request.id, sector_id=sector.id))
    for step in (EditionStatus.open_for_submissions, EditionStatus.in_review):
        transition(session=session, edition=edition, to_status=step)
    transition(session=session, edition=edition, to_status=EditionStatus.scheduling)
    session.commit()
    run = _save_run(session, edition, {"time_limit_s": 5, "workers": 1}, solver.greedy, "bench")
    last = (first_day + dt.timedelta(days=2)).isoformat()
    return {"edition": edition.id, "run": run.id, "meetings": len(run.assignments), "last": last}


def _login(client: TestClient) -> None:
    page = client.get("/")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/", data={"csrf_token": token, "email": SD_EMAIL, "password": PASSWORD})
    if response.status_code != 303:
        raise RuntimeError(f"login failed: {response.status_code}")


def gore_pages(ids: dict[str, Any]) -> list[tuple[str, str]]:
    e, run, greedy, req = ids["edition"], ids["run"], ids["greedy"], ids["request"]
    base = f"/editions/{e}"
    return [
        ("home", "/inicio"),
        ("change password", "/password"),
        ("editions list", "/editions"),
        ("dashboard", base),
        ("set-up", f"{base}/setup"),
        ("review queue", f"{base}/review"),
        ("review queue, one delegation", f"{base}/review?delegation=CUS"),
        ("meeting requests", f"{base}/requests"),
        ("a request's edit form (HTMX)", f"{base}/requests/{req}/edit"),
        ("runs list", f"{base}/runs"),
        ("a run's live page (finished)", f"{base}/runs/{run}"),
        ("a run's status panel (HTMX)", f"{base}/runs/{run}/status"),
        ("schedule grid", f"{base}/schedule?run={run}"),
        ("schedule grid, compared", f"{base}/schedule?run={run}&compare={greedy}"),
        ("a meeting's move page", f"{base}/schedule/{run}/meetings/{req}"),
        ("publish", f"{base}/publish"),
        ("delivery log", f"{base}/deliveries"),
        ("follow-up", "/followup"),
    ]


def time_pages(
    client: TestClient, pages: list[tuple[str, str]], target_ms: float, repeat: int
) -> list[PageTime]:
    out = []
    for name, path in pages:
        warm = client.get(path)
        if warm.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {warm.status_code}")
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - start) * 1000)
        out.append(PageTime(name, path, target_ms, times))
    return out


def _table(echo: Echo, rows: list[PageTime]) -> None:
    echo("| page | path | median | p95 | target | holds |")
    echo("|---|---|---|---|---|---|")
    for r in rows:
        echo(
            f"| {r.name} | `{r.path}` | {r.median:.0f} ms | {r.p95:.0f} ms "
            f"| <= {r.target_ms:.0f} ms | {'yes' if r.holds else '**no**'} |"
        )
    echo("")


def _app(engine: Engine, settings: Settings) -> TestClient:
    return TestClient(
        create_app(settings, engine=engine), raise_server_exceptions=True, follow_redirects=False
    )


def run_pages(*, repeat: int, muni: bool, time_limit: float, echo: Echo) -> list[PageTime]:
    """Build, log in, time every page; print the tables and return every row."""
    header(echo, f"Web pages: server time ({repeat} requests per page after one warm-up)")
    with tempfile.TemporaryDirectory(prefix="articula-pages-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'pages.db'}"
        upgrade(url)
        engine = make_engine(url)
        settings = Settings(
            database_url=url,
            jobs_periodic=False,
            outbox_dir=Path(tmp) / "outbox",
            secret_key="clave-del-benchmark-de-paginas-0123456789",
            _env_file=None,  # type: ignore[call-arg]
        )
        try:
            with Session(engine, expire_on_commit=False) as session:
                create_user(
                    session=session,
                    email=SD_EMAIL,
                    name="Equipo de articulación SD",
                    password=PASSWORD,
                    role=Role.sd_admin,
                )
                session.commit()
                gore = build_gore(session, settings, time_limit)
                muni_ids = build_muni(session) if muni else None
            with _app(engine, settings) as client:
                login_page = time_pages(client, [("login", "/")], GORE_TARGET_MS, repeat)
                _login(client)
                echo(
                    f"GORE: the demo edition published, {gore['meetings']} meetings "
                    f"(CP-SAT, {time_limit:g} s limit); target <= {GORE_TARGET_MS:.0f} ms"
                )
                echo("")
                rows = login_page + time_pages(client, gore_pages(gore), GORE_TARGET_MS, repeat)
                _table(echo, rows)
                if muni_ids is not None:
                    echo(
                        f"MUNI: {muni_ids['meetings']} meetings over 3 days (greedy); target "
                        f"<= {MUNI_TARGET_MS:.0f} ms"
                    )
                    echo("")
                    grid = f"/editions/{muni_ids['edition']}/schedule?run={muni_ids['run']}"
                    muni_rows = time_pages(
                        client,
                        [
                            ("MUNI schedule grid (day 1)", grid),
                            ("MUNI schedule grid (day 3)", f"{grid}&day={muni_ids['last']}"),
                        ],
                        MUNI_TARGET_MS,
                        repeat,
                    )
                    _table(echo, muni_rows)
                    rows += muni_rows
        finally:
            engine.dispose()
    held = sum(r.holds for r in rows)
    echo(f"{held} of {len(rows)} pages within their target (p95).")
    return rows
