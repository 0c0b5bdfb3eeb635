"""Solve runs: start one (a background job), follow its progress, read and compare results.

Lifecycle: queued -> running -> succeeded | failed | cancelled; at most one queued or
running run per edition (checked here, and by a partial unique index).

- `execute_run` (job "execute_run") moves a run from queued to running with a guarded
  UPDATE, so a job delivered twice executes the run once; it writes only its own run row.
- While running, a heartbeat thread refreshes `heartbeat_at` every few seconds and the
  solver's progress is appended to `progress` (throttled, in short transactions of its own).
- A run whose process died stops beating: `reap_stale_runs` (periodic, and before every new
  run of the edition) fails it with "El proceso de cálculo se interrumpió", so the edition
  is never blocked (under procrastinate the web process runs it too, so a dead worker's run
  is settled with no worker alive). A run queued for too long is failed the same way.
- The embedded runner's start-up (`settle_runs`) settles what the dead process held: a
  queued run is queued again, a running one fails at once with `RESTARTED`. A retried job
  finds the run no longer queued and does nothing: a run is never re-executed; the SD
  starts a new one.
- Cancel is best effort: a queued run is cancelled at once (its job then does nothing); a
  running one is marked `cancel_requested` and ends cancelled when the solver returns
  (its result is discarded). The solver's own time limit bounds that wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select
from starlette.concurrency import run_in_threadpool

import solver
from app.core import clock, jobs
from app.core.config import Settings
from app.core.errors import Conflict, NotFound, TooManyRequests
from app.core.pagination import Page
from app.editions.models import Delegation, Edition, EditionKind, EditionStatus, Room
from app.scheduling.mapping import build_instance
from app.scheduling.models import (
    ACTIVE_RUN_STATUSES,
    MeetingRequest,
    RunMode,
    RunStatus,
    SolveRun,
)
from app.scheduling.plan import PlannedMeeting
from app.scheduling.publication import published_meetings
from app.scheduling.schemas import (
    MeetingMove,
    RunComparison,
    RunMeetingPublic,
    RunOptionsIn,
    RunScore,
    SolveRunPublic,
)
from app.scheduling.service import sector_codes_by_request

log = logging.getLogger(__name__)

INTERRUPTED = "El proceso de cálculo se interrumpió"
RESTARTED = "El servidor se reinició durante el cálculo; inicie un nuevo cálculo."
ACTIVE_EXISTS = "Ya hay un cálculo en curso para esta edición; espere a que termine o cancélelo."
NO_PUBLISHED = "La edición no tiene un cronograma publicado"
SSE_POLL_S = 0.5
SSE_MAX_S = 4 * 3600.0
SSE_RETRY_AFTER_S = 5


def render_run(run: SolveRun) -> SolveRunPublic:
    return SolveRunPublic.model_validate(run, from_attributes=True)


# --------------------------------------------------------------------------- reads


def get_run(*, session: Session, edition: Edition, run_id: int) -> SolveRun:
    """A run of this edition, or 404."""
    run = session.get(SolveRun, run_id)
    if run is None or run.edition_id != edition.id:
        raise NotFound("El recurso solicitado no existe.")
    return run


def list_runs(*, session: Session, edition: Edition, limit: int, offset: int) -> Page:
    """The edition's runs, newest first."""
    query = select(SolveRun).where(SolveRun.edition_id == edition.id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    runs = session.exec(query.order_by(col(SolveRun.id).desc()).limit(limit).offset(offset)).all()
    return Page[SolveRunPublic](
        items=[render_run(r) for r in runs], total=total, limit=limit, offset=offset
    )


def run_meetings(*, session: Session, run: SolveRun) -> list[PlannedMeeting]:
    """The meetings a succeeded run planned (publication publishes these); [] otherwise."""
    return [PlannedMeeting.from_json(a) for a in run.assignments or []]


def render_meetings(*, session: Session, meetings: list[PlannedMeeting]) -> list[RunMeetingPublic]:
    """Planned meetings with delegation and sector codes and room names."""
    request_ids = [m.request_id for m in meetings]
    if not request_ids:
        return []
    delegation = dict(
        session.exec(
            select(MeetingRequest.id, Delegation.code)
            .join(Delegation, col(Delegation.id) == col(MeetingRequest.delegation_id))
            .where(col(MeetingRequest.id).in_(request_ids))
        ).all()
    )
    sectors = sector_codes_by_request(session=session, request_ids=request_ids)
    rooms = dict(
        session.exec(
            select(Room.id, Room.name).where(col(Room.id).in_({m.room_id for m in meetings}))
        ).all()
    )
    return [
        RunMeetingPublic(
            request_id=m.request_id,
            delegation=delegation.get(m.request_id, "?"),
            sectors=sectors.get(m.request_id, []),
            room_id=m.room_id,
            room=rooms.get(m.room_id, str(m.room_id)),
            starts_at=m.starts_at,
            ends_at=m.ends_at,
        )
        for m in meetings
    ]


def _score(run: SolveRun) -> RunScore:
    result = run.result or {}
    return RunScore(
        run_id=run.id or 0,
        status=run.status,
        solution_status=result.get("status"),
        scheduled=len(run.assignments or []),
        scheduled_weight=result.get("scheduled_weight"),
        unscheduled=len(result.get("unscheduled", [])),
        stages={s["name"]: s.get("objective") for s in result.get("stages", [])},
    )


def planned_meetings(*, session: Session, edition: Edition, run_id: int) -> list[RunMeetingPublic]:
    """The meetings a run of the edition planned, with codes and room names."""
    run = get_run(session=session, edition=edition, run_id=run_id)
    return render_meetings(session=session, meetings=run_meetings(session=session, run=run))


def compare_runs(
    *, session: Session, edition: Edition, run_id: int, other_run_id: int
) -> RunComparison:
    """What changes from one run of the edition to another: meetings added, dropped and
    moved; scores side by side."""
    run = get_run(session=session, edition=edition, run_id=run_id)
    other = get_run(session=session, edition=edition, run_id=other_run_id)
    mine = {m.request_id: m for m in run_meetings(session=session, run=run)}
    theirs = {m.request_id: m for m in run_meetings(session=session, run=other)}
    moved = [
        MeetingMove(
            request_id=rid,
            from_room_id=mine[rid].room_id,
            from_starts_at=mine[rid].starts_at,
            to_room_id=theirs[rid].room_id,
            to_starts_at=theirs[rid].starts_at,
        )
        for rid in sorted(mine.keys() & theirs.keys())
        if (mine[rid].room_id, mine[rid].starts_at) != (theirs[rid].room_id, theirs[rid].starts_at)
    ]
    return RunComparison(
        run=_score(run),
        other=_score(other),
        added=sorted(theirs.keys() - mine.keys()),
        dropped=sorted(mine.keys() - theirs.keys()),
        moved=moved,
        unchanged=len(mine.keys() & theirs.keys()) - len(moved),
    )


# --------------------------------------------------------------------------- start / cancel


def start_run(
    *,
    session: Session,
    edition: Edition,
    run_in: RunOptionsIn,
    created_by: str,
    settings: Settings,
) -> SolveRun:
    """Queue a solve run of the edition (409 if one is already queued or running)."""
    # A re-plan starts from the published schedule (checked below), usually after the SD
    # took the edition back from published to scheduling to withdraw or edit requests
    # (requests can only change while scheduling), so both statuses allow both modes.
    if edition.status not in {EditionStatus.scheduling, EditionStatus.published}:
        raise Conflict(
            "Solo se puede calcular un cronograma con la edición en programación (o publicada)."
        )
    reap_stale_runs_of(session=session, edition_id=edition.id)
    active = session.exec(
        select(SolveRun.id).where(
            SolveRun.edition_id == edition.id, col(SolveRun.status).in_(ACTIVE_RUN_STATUSES)
        )
    ).first()
    if active is not None:
        raise Conflict(ACTIVE_EXISTS, run_id=active)
    options: dict[str, Any] = {
        "time_limit_s": min(
            run_in.time_limit_s or settings.solver_time_limit_s, settings.solver_time_limit_s
        ),
        "workers": settings.solver_workers,
        "fairness": run_in.fairness,
        "break_fairness": run_in.break_fairness,
        "sector_keeps_room": run_in.sector_keeps_room,
        "home_rooms": (
            edition.kind == EditionKind.GORE if run_in.home_rooms is None else run_in.home_rooms
        ),
    }
    previous = None
    if run_in.mode == RunMode.replan:
        options["release"] = sorted(set(run_in.release))
        previous = published_meetings(session=session, edition=edition)
        if not previous:
            raise Conflict(NO_PUBLISHED)
        options["previous"] = [m.to_json() for m in previous]
    # Fail now, not in the job, when the edition cannot be turned into an instance.
    build_instance(session=session, edition=edition, options_in=options, previous=previous)
    run = SolveRun(
        edition_id=edition.id,
        status=RunStatus.queued,
        mode=run_in.mode,
        options=options,
        created_by=created_by,
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError as exc:  # a concurrent request won the partial unique index
        raise Conflict(ACTIVE_EXISTS) from exc
    jobs.defer("execute_run", session=session, run_id=run.id)
    return run


def cancel_run(*, session: Session, edition: Edition, run_id: int) -> SolveRun:
    """Cancel a queued run at once; ask a running one to stop (best effort)."""
    run = get_run(session=session, edition=edition, run_id=run_id)
    now = clock.now()
    if run.status == RunStatus.queued:
        session.exec(  # type: ignore[call-overload]
            sa.update(SolveRun)
            .where(col(SolveRun.id) == run.id, col(SolveRun.status) == RunStatus.queued)
            .values(status=RunStatus.cancelled, finished_at=now, cancel_requested=True)
        )
    elif run.status == RunStatus.running:
        session.exec(  # type: ignore[call-overload]
            sa.update(SolveRun)
            .where(col(SolveRun.id) == run.id, col(SolveRun.status) == RunStatus.running)
            .values(cancel_requested=True)
        )
    else:
        raise Conflict("El cálculo ya terminó; no puede cancelarse.")
    session.flush()
    session.refresh(run)
    return run


# --------------------------------------------------------------------------- events


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


class _Slot:
    """One open stream's place in `StreamSlots` (alive as long as its stream)."""

    __slots__ = ("__weakref__",)


class StreamSlots:
    """Open event streams per key (API key or web account): a key past `limit` gets a 429.

    A stream counts while its generator lives and has not finished: it leaves the count
    when it ends (client gone, run done) or, never started, when it is garbage-collected.
    """

    def __init__(self) -> None:
        self._open: dict[int, weakref.WeakSet[_Slot]] = defaultdict(weakref.WeakSet)
        self._lock = threading.Lock()

    def open_count(self, key_id: int) -> int:
        with self._lock:
            return len(self._open[key_id])

    def take(self, key_id: int, *, limit: int) -> _Slot:
        """A place for one more stream of the key, or 429 past `limit`."""
        with self._lock:
            if len(self._open[key_id]) >= limit:
                raise TooManyRequests(
                    f"Ya tiene {limit} seguimientos en vivo abiertos; cierre alguno o espere "
                    f"{SSE_RETRY_AFTER_S} segundos antes de volver a intentarlo.",
                    retry_after=SSE_RETRY_AFTER_S,
                )
            slot = _Slot()
            self._open[key_id].add(slot)
            return slot

    def give_back(self, key_id: int, slot: _Slot) -> None:
        with self._lock:
            self._open[key_id].discard(slot)


STREAMS = StreamSlots()


def _poll(engine: Engine, run_id: int) -> tuple[list[Any], str] | None:
    """The run's progress points and status, read in a session of its own (None: deleted)."""
    with Session(engine) as s:
        run = s.get(SolveRun, run_id)
        return None if run is None else (list(run.progress), str(run.status))


def event_stream(
    *,
    session: Session,
    engine: Engine,
    edition: Edition,
    run_id: int,
    key_id: int,
    max_streams: int,
) -> AsyncIterator[str]:
    """Server-Sent Events of a run of the edition (404 at once for another, 429 past
    `max_streams` open streams of the key): one `progress` event per progress point, then
    `done`. The stream waits on the event loop; each poll is a short read in the thread
    pool, so open streams hold no worker thread."""
    get_run(session=session, edition=edition, run_id=run_id)
    slot = STREAMS.take(key_id, limit=max_streams)

    async def stream() -> AsyncIterator[str]:
        try:
            sent = 0
            deadline = time.monotonic() + SSE_MAX_S
            while True:
                polled = await run_in_threadpool(_poll, engine, run_id)
                if polled is None:
                    yield _sse("done", {"status": "deleted"})
                    return
                points, status = polled
                for point in points[sent:]:
                    yield _sse("progress", point)
                sent = max(sent, len(points))
                if status not in ACTIVE_RUN_STATUSES or time.monotonic() > deadline:
                    yield _sse("done", {"status": status, "run_id": run_id})
                    return
                await asyncio.sleep(SSE_POLL_S)
        finally:
            STREAMS.give_back(key_id, slot)

    return stream()


# --------------------------------------------------------------------------- reaping


def reap_stale_runs_of(
    *, session: Session, edition_id: int | None = None, now: dt.datetime | None = None
) -> int:
    """Fail running runs whose heartbeat is too old and queued runs waiting too long."""
    timing = Settings()
    now = now or clock.now()
    stale = sa.or_(
        sa.and_(
            col(SolveRun.status) == RunStatus.running,
            sa.or_(
                col(SolveRun.heartbeat_at).is_(None),
                col(SolveRun.heartbeat_at) < now - dt.timedelta(seconds=timing.run_stale_after_s),
            ),
        ),
        sa.and_(
            col(SolveRun.status) == RunStatus.queued,
            col(SolveRun.created_at) < now - dt.timedelta(seconds=timing.run_queued_timeout_s),
        ),
    )
    query = sa.update(SolveRun).where(stale)
    if edition_id is not None:
        query = query.where(col(SolveRun.edition_id) == edition_id)
    result = session.exec(  # type: ignore[call-overload]
        query.values(status=RunStatus.failed, error=INTERRUPTED, finished_at=now)
    )
    session.flush()
    if result.rowcount:
        log.warning("failed %s stale solve run(s)", result.rowcount)
    return int(result.rowcount or 0)


@jobs.periodic("reap_stale_runs", seconds=30, watchdog=True)
def reap_stale_runs() -> int:
    """Periodic: fail the runs whose process died (every edition)."""
    with jobs.session_scope() as session:
        return reap_stale_runs_of(session=session)


def settle_runs_after_restart(*, session: Session, now: dt.datetime) -> tuple[list[int], int]:
    """The embedded runner's start-up: the previous process held every active run, so a
    `running` one is failed at once and a `queued` one is returned (its job is queued
    again). Returns the queued run ids and how many runs were failed."""
    failed = session.exec(  # type: ignore[call-overload]
        sa.update(SolveRun)
        .where(col(SolveRun.status) == RunStatus.running)
        .values(status=RunStatus.failed, error=RESTARTED, finished_at=now)
    )
    queued = list(
        session.exec(
            select(SolveRun.id)
            .where(col(SolveRun.status) == RunStatus.queued)
            .order_by(col(SolveRun.id))
        ).all()
    )
    for run_id in queued:
        jobs.defer("execute_run", session=session, run_id=run_id)
    session.flush()
    if failed.rowcount or queued:
        log.warning(
            "start-up: failed %s interrupted run(s), queued %s again", failed.rowcount, queued
        )
    return [int(i) for i in queued if i is not None], int(failed.rowcount or 0)


@jobs.settle_on_start("settle_runs")
def settle_runs() -> tuple[list[int], int]:
    with jobs.session_scope() as session:
        return settle_runs_after_restart(session=session, now=clock.now())


# --------------------------------------------------------------------------- execution


def _update(run_id: int, *where: Any, **values: Any) -> int:
    """One guarded UPDATE of a run in a transaction of its own; returns the rows changed."""
    with jobs.session_scope() as session:
        result = session.exec(  # type: ignore[call-overload]
            sa.update(SolveRun).where(col(SolveRun.id) == run_id, *where).values(**values)
        )
        return int(result.rowcount or 0)


class _Progress:
    """Collects the solver's progress events; writes them (and a heartbeat) to the row at
    most every `every_s` seconds, from the solver's thread."""

    def __init__(self, run_id: int, every_s: float) -> None:
        self.run_id = run_id
        self.every_s = every_s
        self.points: list[dict[str, Any]] = []
        self.written = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def __call__(self, event: solver.ProgressEvent) -> None:
        with self.lock:
            self.points.append(
                {
                    "stage": event.stage,
                    "seconds": round(event.seconds, 3),
                    "objective": event.objective,
                    "bound": event.bound,
                }
            )
            if time.monotonic() - self.last >= self.every_s:
                self.flush()

    def flush(self) -> None:
        if self.written == len(self.points):
            return
        points = list(self.points)
        _update(
            self.run_id,
            col(SolveRun.status) == RunStatus.running,
            progress=points,
            heartbeat_at=clock.now(),
        )
        self.written = len(points)
        self.last = time.monotonic()


def _heartbeat(run_id: int, every_s: float, stop: threading.Event) -> None:
    while not stop.wait(every_s):
        try:
            _update(run_id, col(SolveRun.status) == RunStatus.running, heartbeat_at=clock.now())
        except Exception:  # a missed beat is harmless; the next one retries
            log.exception("heartbeat of run %s", run_id)


def _summary(solution: solver.Solution, unscheduled: dict[int, dict[str, str]]) -> dict[str, Any]:
    return {
        "status": solution.status.value,
        "scheduled_weight": solution.scheduled_weight,
        "breaks": solution.breaks,
        "seconds": round(solution.seconds, 3),
        "stages": [
            {
                "name": s.name,
                "status": s.status.value,
                "objective": s.objective,
                "bound": s.bound,
                "gap": s.gap,
                "seconds": round(s.seconds, 3),
            }
            for s in solution.stages
        ],
        "conflicts": list(solution.conflicts),
        "unscheduled": [{"request_id": rid} | why for rid, why in sorted(unscheduled.items())],
    }


def solve_run(run_id: int) -> solver.Solution:
    """Build the instance of a running run and solve it with live progress."""
    with jobs.session_scope() as session:
        run = session.get(SolveRun, run_id)
        edition = session.get(Edition, run.edition_id) if run else None
        if run is None or edition is None:
            raise LookupError(f"run {run_id} vanished")
        previous = None
        if run.options.get("previous") is not None:
            previous = [PlannedMeeting.from_json(p) for p in run.options["previous"]]
        instance, slot_map = build_instance(
            session=session, edition=edition, options_in=run.options, previous=previous
        )
    timing = Settings()
    progress = _Progress(run_id, timing.run_progress_every_s)
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(run_id, timing.run_heartbeat_s, stop), daemon=True
    )
    beat.start()
    try:
        solution = solver.solve(instance, progress=progress)
    finally:
        stop.set()
        beat.join(timeout=5)
    with progress.lock:
        progress.flush()
    planned = slot_map.to_planned(solution)
    summary = _summary(solution, slot_map.unscheduled(solution))
    with jobs.session_scope() as session:
        run = session.get(SolveRun, run_id)
        cancelled = bool(run and run.cancel_requested)
    values: dict[str, Any] = {"finished_at": clock.now(), "progress": progress.points}
    if cancelled:
        values |= {"status": RunStatus.cancelled}
    elif solution.status in (solver.Status.INFEASIBLE, solver.Status.UNKNOWN):
        values |= {
            "status": RunStatus.failed,
            "result": summary,
            "assignments": [],
            "error": "No se encontró un cronograma: "
            + (
                "las reuniones obligatorias no caben todas."
                if solution.status == solver.Status.INFEASIBLE
                else "el límite de tiempo terminó antes de hallar una solución."
            ),
        }
    else:
        values |= {
            "status": RunStatus.succeeded,
            "result": summary,
            "assignments": [m.to_json() for m in planned],
        }
    _update(run_id, col(SolveRun.status) == RunStatus.running, **values)
    return solution


@jobs.task("execute_run")
def execute_run(*, run_id: int) -> str | None:
    """Job: run a queued solve run once; returns its final status (None if not queued)."""
    now = clock.now()
    claimed = _update(
        run_id,
        col(SolveRun.status) == RunStatus.queued,
        status=RunStatus.running,
        started_at=now,
        heartbeat_at=now,
        attempts=SolveRun.attempts + 1,  # type: ignore[operator]
    )
    if not claimed:
        log.info("run %s is not queued any more; nothing to do", run_id)
        return None
    try:
        solve_run(run_id)
    except Exception as exc:
        log.exception("solve run %s failed", run_id)
        _update(
            run_id,
            col(SolveRun.status) == RunStatus.running,
            status=RunStatus.failed,
            finished_at=clock.now(),
            error=f"Error al calcular el cronograma: {exc}"[:2000],
        )
    with jobs.session_scope() as session:
        run = session.get(SolveRun, run_id)
        return run.status if run else None
