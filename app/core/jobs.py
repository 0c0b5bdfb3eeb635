"""Background jobs: one API, two backends, the same task functions.

    from app.core import jobs

    @jobs.task("deliver_agenda")
    def deliver_agenda(*, agenda_id: int) -> None:
        with jobs.session_scope() as session:   # a committed transaction of its own
            ...

    @jobs.periodic("dispatch_outbox", seconds=30)
    def dispatch_outbox() -> None: ...

    jobs.defer("deliver_agenda", session=session, agenda_id=7)   # after `session` commits

Backends:
- **embedded** (the default, no configuration): jobs run in this process, off the request
  path, on a small thread pool started by the FastAPI lifespan (`jobs.start` / `jobs.stop`);
  a loop thread runs the periodic functions (first at its first tick, then every N
  seconds) and the jobs deferred with `schedule_at`.
  Queued jobs live in memory: a process that stops loses them, so on start-up, before any
  job runs, the `settle_on_start` functions settle what the dead process held (a queued
  solve run is queued again, a running one fails at once, claimed e-mails return to the
  queue). One process per database in this mode. Tests wait with `jobs.drain(timeout)`.
- **procrastinate** (ARTICULA_JOBS_BACKEND=procrastinate, PostgreSQL only): jobs are rows
  of procrastinate's queue (schema installed by migration 0003); `articula worker` runs
  them on any number of machines; periodic functions are procrastinate periodic tasks, and
  the `watchdog` ones (failing the runs of a dead worker) also run in the web process.

Task functions take keyword arguments that are JSON values and must be idempotent: a job
may be delivered twice (a retry, a worker that died after finishing). The packages that own
tasks register them when they are imported: whoever starts the jobs (the application
factory, `articula worker`) imports the application first, so every task is known; this
module imports no domain package.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app.core import clock
from app.core.config import Settings, get_settings

log = logging.getLogger(__name__)

QUEUE_TABLE_PREFIX = "procrastinate_"


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: int
    fn: Callable[[], Any]
    watchdog: bool = False


_tasks: dict[str, Callable[..., Any]] = {}
_periodics: dict[str, Periodic] = {}
_settlers: dict[str, Callable[[], Any]] = {}


def task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `f(**kwargs)` as the job `name`; the function is returned unchanged."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        _tasks[name] = fn
        return fn

    return decorator


def periodic(
    name: str, *, seconds: int, watchdog: bool = False
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register `f()` to run every `seconds` (also callable as the job `name`). A `watchdog`
    also runs in the web process under procrastinate, so it runs even with no worker alive."""
    if seconds < 1:
        raise ValueError("periodic jobs run at most once a second")

    def decorator(fn: Callable[[], Any]) -> Callable[[], Any]:
        _periodics[name] = Periodic(name, seconds, fn, watchdog)
        _tasks[name] = fn
        return fn

    return decorator


def settle_on_start(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register `f()` to run when the embedded backend starts, before any job: it settles
    what a previous process of this service held when it died (its jobs lived in memory)."""

    def decorator(fn: Callable[[], Any]) -> Callable[[], Any]:
        _settlers[name] = fn
        return fn

    return decorator


def settle() -> dict[str, Any]:
    """Run every start-up settler (what `start` does for the embedded backend)."""
    results: dict[str, Any] = {}
    for name, fn in _settlers.items():
        try:
            results[name] = fn()
        except Exception:  # one settler's failure must not stop the service from starting
            log.exception("start-up settler %s failed", name)
    return results


def registered() -> dict[str, Callable[..., Any]]:
    return dict(_tasks)


def run_task(name: str, **kwargs: Any) -> Any:
    """Run a registered job now, in this thread (what the backends call)."""
    return _tasks[name](**kwargs)


# --------------------------------------------------------------------------- context


@dataclass
class _Context:
    engine: Engine
    settings: Settings
    backend: _Backend


_context: _Context | None = None
_lock = threading.RLock()


def settings() -> Settings:
    """The settings the jobs run with: the application's once started, else the environment's."""
    if _context is None:
        return get_settings()
    return _context.settings


def engine() -> Engine:
    """The engine the jobs use (the application's)."""
    if _context is None:
        raise RuntimeError("jobs.start() was not called")
    return _context.engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """A short transaction of a task's own: commits on success, rolls back on error."""
    with Session(engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def conninfo(database_url: str) -> str:
    """The libpq conninfo (URI) of an SQLAlchemy PostgreSQL URL (drops the +driver)."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        raise ValueError("procrastinate needs a PostgreSQL database")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: procrastinate's queue tables are not in the models' metadata."""
    table = obj.table.name if type_ in ("index", "column", "unique_constraint") else name
    return not (table or "").startswith(QUEUE_TABLE_PREFIX)


# --------------------------------------------------------------------------- defer


def defer(
    name: str,
    *,
    session: Session | None = None,
    schedule_at: datetime | None = None,
    **kwargs: Any,
) -> None:
    """Queue the job `name(**kwargs)`; with `session`, only once that session's transaction
    commits (nothing is queued if it rolls back), so a job never sees uncommitted rows."""
    if name not in _tasks:
        raise KeyError(f"unknown job {name!r}")
    if schedule_at is not None and schedule_at.tzinfo is None:
        raise ValueError("schedule_at must be timezone-aware")
    if session is None:
        _backend().enqueue(name, kwargs, schedule_at)
        return
    if not session.in_transaction():
        session.begin()  # so a rollback() before any statement still drops the job
    pending = session.info.setdefault("articula_jobs", [])
    pending.append((name, kwargs, schedule_at))
    if not session.info.get("articula_jobs_hooked"):
        session.info["articula_jobs_hooked"] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_rollback)


def _after_commit(session: Session) -> None:
    pending = session.info.pop("articula_jobs", [])
    for name, kwargs, schedule_at in pending:
        try:
            _backend().enqueue(name, kwargs, schedule_at)
        except Exception:  # the transaction is committed: log, a reaper recovers
            log.exception("could not queue job %s", name)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    # Every rollback() call of the session (even with no transaction begun) drops the
    # pending jobs; a savepoint's rollback does not.
    if not getattr(previous_transaction, "nested", False):
        session.info.pop("articula_jobs", None)


# --------------------------------------------------------------------------- backends


class _Backend:
    def enqueue(self, name: str, kwargs: dict[str, Any], schedule_at: datetime | None) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        pass


class _Settling(_Backend):
    """Holds the jobs queued by the start-up settlers until the embedded pool starts."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, dict[str, Any], datetime | None]] = []

    def enqueue(self, name: str, kwargs: dict[str, Any], schedule_at: datetime | None) -> None:
        self.jobs.append((name, kwargs, schedule_at))


@dataclass(order=True)
class _Scheduled:
    at: datetime
    seq: int
    name: str = field(compare=False)
    kwargs: dict[str, Any] = field(compare=False)


class EmbeddedBackend(_Backend):
    """A thread pool for the jobs and one loop thread for periodic and scheduled jobs."""

    def __init__(self, *, workers: int, tick_s: float, run_periodic: bool) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="articula-job")
        self._futures: set[Future[Any]] = set()
        self._scheduled: list[_Scheduled] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._tick_s = tick_s
        self._next_periodic = {p.name: time.monotonic() for p in _periodics.values()}
        self._loop = threading.Thread(
            target=self._run_loop, args=(run_periodic,), name="articula-jobs", daemon=True
        )
        self._loop.start()

    def enqueue(self, name: str, kwargs: dict[str, Any], schedule_at: datetime | None) -> None:
        with self._cv:
            if schedule_at is not None and schedule_at > clock.now():
                heapq.heappush(
                    self._scheduled, _Scheduled(schedule_at, next(self._seq), name, kwargs)
                )
                return
            self._submit(name, kwargs)

    def _submit(self, name: str, kwargs: dict[str, Any]) -> None:
        future = self._pool.submit(_run_logged, name, kwargs)
        self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[Any]) -> None:
        with self._cv:
            self._futures.discard(future)
            self._cv.notify_all()

    def run_due(self) -> int:
        """Submit the scheduled jobs whose time has come (by the service clock)."""
        n = 0
        with self._cv:
            now = clock.now()
            while self._scheduled and self._scheduled[0].at <= now:
                item = heapq.heappop(self._scheduled)
                self._submit(item.name, item.kwargs)
                n += 1
        return n

    def _run_loop(self, run_periodic: bool) -> None:
        while not self._stop.wait(self._tick_s):
            self.run_due()
            if not run_periodic:
                continue
            now = time.monotonic()
            for p in list(_periodics.values()):
                due = self._next_periodic.setdefault(p.name, now + p.seconds)
                if now >= due:
                    self._next_periodic[p.name] = now + p.seconds
                    with self._cv:
                        self._submit(p.name, {})

    def drain(self, timeout: float) -> bool:
        """Wait until no job is queued or running (scheduled ones that are due included)."""
        deadline = time.monotonic() + timeout
        while True:
            self.run_due()
            with self._cv:
                if not self._futures:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(min(left, 0.05))

    def pending(self) -> int:
        with self._cv:
            return len(self._futures) + len(self._scheduled)

    def stop(self) -> None:
        self._stop.set()
        self._loop.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)


def _run_logged(name: str, kwargs: dict[str, Any]) -> Any:
    try:
        return run_task(name, **kwargs)
    except Exception:
        log.exception("job %s(%s) failed", name, kwargs)
        raise


class ProcrastinateBackend(_Backend):
    """Defers into procrastinate's PostgreSQL queue (synchronous connector)."""

    def __init__(self, database_url: str, settings: Settings, *, watchdogs: bool) -> None:
        import procrastinate

        self.app = procrastinate_app(database_url, settings=settings, sync=True)
        self.app.open()
        self._procrastinate = procrastinate
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        if watchdogs:
            self._watchdog = threading.Thread(
                target=self._run_watchdogs, name="articula-watchdog", daemon=True
            )
            self._watchdog.start()

    def _run_watchdogs(self) -> None:
        """Run the watchdog periodics in this process (a worker may be dead or absent)."""
        due: dict[str, float] = {}
        while not self._stop.wait(1.0):
            now = time.monotonic()
            for p in [p for p in _periodics.values() if p.watchdog]:
                if now >= due.setdefault(p.name, now + p.seconds):
                    due[p.name] = now + p.seconds
                    try:
                        p.fn()
                    except Exception:
                        log.exception("watchdog %s failed", p.name)

    def enqueue(self, name: str, kwargs: dict[str, Any], schedule_at: datetime | None) -> None:
        options: dict[str, Any] = {}
        if schedule_at is not None:
            options["schedule_at"] = schedule_at
        self.app.configure_task(name, **options).defer(**kwargs)

    def stop(self) -> None:
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=5)
        self.app.close()


def procrastinate_app(database_url: str, *, settings: Settings, sync: bool = False) -> Any:
    """A procrastinate App with every registered task and periodic function."""
    import procrastinate

    info = conninfo(database_url)
    connector = (
        procrastinate.SyncPsycopgConnector(conninfo=info)
        if sync
        else procrastinate.PsycopgConnector(conninfo=info)
    )
    papp = procrastinate.App(connector=connector)
    retry = procrastinate.RetryStrategy(max_attempts=settings.jobs_retries, wait=5)
    for name, fn in _tasks.items():
        if name in _periodics:
            continue
        papp.task(name=name, retry=retry, pass_context=False)(_procrastinate_wrapper(fn))
    for p in _periodics.values():
        papp.periodic(cron=_cron(p.seconds), periodic_id=p.name)(
            papp.task(name=p.name, pass_context=False)(_periodic_wrapper(p.fn))
        )

    @papp.periodic(cron=_cron(60), periodic_id="retry_stalled_jobs")
    @papp.task(name="retry_stalled_jobs", pass_context=True, queueing_lock="retry_stalled")
    async def retry_stalled_jobs(context: Any, timestamp: int) -> int:
        """Jobs left 'doing' by a worker that stopped beating are queued again (procrastinate's
        recipe); tasks are idempotent, e.g. a retried solve run finds its run failed or
        running elsewhere and does nothing."""
        stalled = await context.app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.jobs_stalled_after_s
        )
        for job in stalled:
            await context.app.job_manager.retry_job(job)
        return len(list(stalled))

    return papp


def _procrastinate_wrapper(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(**kwargs: Any) -> Any:
        return fn(**kwargs)

    run.__name__ = getattr(fn, "__name__", "task")
    return run


def _periodic_wrapper(fn: Callable[[], Any]) -> Callable[..., Any]:
    # procrastinate's periodic deferrer passes the tick's `timestamp`; `jobs.defer(name)` of a
    # periodic function (e.g. sending the outbox now) passes nothing.
    def run(timestamp: int | None = None) -> Any:
        return fn()

    run.__name__ = getattr(fn, "__name__", "periodic")
    return run


def _cron(seconds: int) -> str:
    """A cron expression (6th column = seconds) for 'every N seconds'."""
    if seconds < 60:
        return f"* * * * * */{seconds}"
    minutes = max(1, seconds // 60)
    return f"*/{minutes} * * * *"


# --------------------------------------------------------------------------- lifecycle


def _backend() -> _Backend:
    if _context is None:
        raise RuntimeError("jobs.start() was not called (the app lifespan or the worker does)")
    return _context.backend


def backend_name(database_url: str, settings: Settings | None = None) -> str:
    settings = settings or Settings()
    if settings.jobs_backend == "procrastinate" and not database_url.startswith("postgresql"):
        raise ValueError("ARTICULA_JOBS_BACKEND=procrastinate needs a PostgreSQL database")
    return settings.jobs_backend


def start(
    *, engine: Engine, database_url: str | None = None, settings: Settings | None = None
) -> None:
    """Start the job engine of this process (the FastAPI lifespan calls it)."""
    global _context
    settings = settings or Settings()
    url = database_url or engine.url.render_as_string(hide_password=False)
    with _lock:
        stop()
        if backend_name(url, settings) == "procrastinate":
            backend: _Backend = ProcrastinateBackend(
                url, settings, watchdogs=settings.jobs_periodic
            )
            _context = _Context(engine=engine, settings=settings, backend=backend)
            return
        _context = _Context(engine=engine, settings=settings, backend=_Settling())
        settle()  # jobs the settlers queue wait in `_Settling` until the pool exists
        queued = _context.backend
        backend = EmbeddedBackend(
            workers=max(1, settings.jobs_workers),
            tick_s=settings.jobs_tick_s,
            run_periodic=settings.jobs_periodic,
        )
        _context = _Context(engine=engine, settings=settings, backend=backend)
        assert isinstance(queued, _Settling)
        for name, kwargs, schedule_at in queued.jobs:
            backend.enqueue(name, kwargs, schedule_at)


def stop() -> None:
    """Stop the backend (waits for the running embedded jobs)."""
    global _context
    with _lock:
        if _context is not None:
            _context.backend.stop()
            _context = None


def use_engine(engine: Engine, settings: Settings | None = None) -> None:
    """Bind the engine for tasks run by a procrastinate worker (no embedded threads)."""
    global _context
    with _lock:
        _context = _Context(engine=engine, settings=settings or Settings(), backend=_Backend())


def drain(timeout: float = 30.0) -> bool:
    """Embedded backend: wait until every queued job has run (True) or the timeout (False)."""
    backend = _backend()
    if isinstance(backend, EmbeddedBackend):
        return backend.drain(timeout)
    return True


def run_pending() -> int:
    """Embedded backend: queue the scheduled jobs that are due now (service clock)."""
    backend = _backend()
    return backend.run_due() if isinstance(backend, EmbeddedBackend) else 0
