"""The job engine: deferral after commit, schedule_at, periodic registration; and the
procrastinate backend against a real PostgreSQL (a worker process runs a solve run, and a
worker killed mid-run leaves a run that the reaper fails)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbutil import is_postgres
from runs_support import schedulable_edition, wait_for
from sqlmodel import Session, select

from app.core import jobs
from app.core.config import Settings
from app.editions.models import Edition
from app.scheduling import runs
from app.scheduling.models import MeetingRequest, SolveRun

calls: list[dict] = []
seen_rows: list[int] = []


@jobs.task("test_record")
def _record(**kwargs) -> None:
    calls.append(kwargs)


@jobs.task("test_count_editions")
def _count_editions() -> None:
    with jobs.session_scope() as session:
        seen_rows.append(len(session.exec(select(Edition)).all()))


@pytest.fixture
def embedded(engine):
    calls.clear()
    seen_rows.clear()
    jobs.start(engine=engine, settings=Settings(jobs_backend="embedded", jobs_periodic=False))
    yield
    jobs.stop()


def test_defer_without_session_runs_in_the_background(embedded):
    jobs.defer("test_record", a=1)
    assert jobs.drain(10)
    assert calls == [{"a": 1}]


def test_defer_waits_for_the_commit(embedded, session):
    schedulable_edition(session)  # committed: one edition
    session.add(Edition(name="Edición nueva", kind="GORE"))
    session.flush()
    jobs.defer("test_count_editions", session=session)
    jobs.defer("test_record", session=session, b=2)
    assert jobs.drain(10)
    assert calls == [] and seen_rows == []  # nothing runs before the commit
    session.commit()
    assert jobs.drain(10)
    assert calls == [{"b": 2}]
    assert seen_rows == [2]  # the job saw the committed row


def test_nothing_is_queued_when_the_transaction_rolls_back(embedded, session):
    jobs.defer("test_record", session=session, c=3)
    session.rollback()
    session.commit()  # a later commit of the same session does not resurrect it
    assert jobs.drain(10)
    assert calls == []


def test_schedule_at_is_honoured(embedded, frozen_now):
    now = frozen_now(dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC))
    jobs.defer("test_record", schedule_at=now + dt.timedelta(minutes=5), d=4)
    assert jobs.drain(5)
    assert calls == []
    frozen_now(now + dt.timedelta(minutes=5))
    assert jobs.run_pending() == 1
    assert jobs.drain(10)
    assert calls == [{"d": 4}]


def test_periodic_loop_runs_registered_functions(engine):
    ticks = threading.Event()

    @jobs.periodic("test_tick", seconds=1)
    def _tick() -> None:
        ticks.set()

    try:
        jobs.start(engine=engine, settings=Settings(jobs_tick_s=0.1))
        assert ticks.wait(5)
    finally:
        jobs.stop()
        jobs._periodics.pop("test_tick")
        jobs._tasks.pop("test_tick")


def test_registry_and_helpers():
    assert "execute_run" in jobs.registered() and "reap_stale_runs" in jobs.registered()
    with pytest.raises(KeyError):
        jobs.defer("no_such_job")
    assert jobs._cron(30) == "* * * * * */30" and jobs._cron(300) == "*/5 * * * *"
    assert (
        jobs.conninfo("postgresql+psycopg://u:p%40ss@db.example:5433/articula")
        == "postgresql://u:p%40ss@db.example:5433/articula"
    )
    with pytest.raises(ValueError):
        jobs.conninfo("sqlite:///x.db")
    with pytest.raises(ValueError):
        jobs.backend_name("sqlite:///x.db", Settings(jobs_backend="procrastinate"))


# --------------------------------------------------------------------------- procrastinate

needs_postgres = pytest.mark.skipif(
    not is_postgres(os.environ.get("ARTICULA_TEST_DATABASE_URL", "")),
    reason="procrastinate needs PostgreSQL: set ARTICULA_TEST_DATABASE_URL=postgresql+psycopg://...",
)
ARTICULA = Path(sys.executable).parent / "articula"


def _worker(database_url: str, *args: str) -> subprocess.Popen:
    env = os.environ | {
        "ARTICULA_DATABASE_URL": database_url,
        "ARTICULA_JOBS_BACKEND": "procrastinate",
        "ARTICULA_RUN_HEARTBEAT_S": "0.5",
    }
    return subprocess.Popen(
        [str(ARTICULA), "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _queue(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        sa.text("SELECT task_name, status::text FROM procrastinate_jobs ORDER BY id")
    ).all()
    session.rollback()
    return [tuple(r) for r in rows]


@pytest.fixture
def procrastinate_mode(engine, database_url):
    jobs.start(
        engine=engine,
        database_url=database_url,
        settings=Settings(jobs_backend="procrastinate"),
    )
    yield
    jobs.stop()


def _start(session, settings, setup, **options) -> SolveRun:
    run = runs.start_run(
        session=session,
        edition=setup.edition,
        run_in=runs.RunOptionsIn(**({"time_limit_s": 3} | options)),
        created_by="test",
        settings=settings,
    )
    session.commit()
    return run


@needs_postgres
def test_procrastinate_worker_runs_a_solve(session, settings, database_url, procrastinate_mode):
    setup = schedulable_edition(session)
    run = _start(session, settings, setup)
    assert _queue(session) == [("execute_run", "todo")]  # queued in PostgreSQL at commit

    worker = _worker(database_url, "--no-wait", "--concurrency", "1")
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out
    session.expire_all()
    done = session.get(SolveRun, run.id)
    assert done.status == "succeeded", (done.error, out)
    assert done.attempts == 1 and len(done.assignments) == 6 and done.progress
    assert ("execute_run", "succeeded") in _queue(session)


@needs_postgres
def test_worker_killed_mid_run(session, settings, database_url, procrastinate_mode):
    """SIGKILL the worker while it solves: the run stays 'running' until its heartbeat is
    stale, then the reaper fails it; requests, other rows and the edition are untouched."""
    setup = schedulable_edition(session, n_delegations=14, n_sectors=6, n_rooms=3)
    before = session.exec(select(MeetingRequest.id, MeetingRequest.updated_at)).all()
    run = _start(session, settings, setup, time_limit_s=25)
    worker = _worker(database_url, "--concurrency", "1")
    try:

        def solving() -> bool:
            session.expire_all()
            row = session.get(SolveRun, run.id)
            session.rollback()
            return row.status == "running" and bool(row.progress)

        assert wait_for(solving, timeout=60), "the worker did not start solving"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    time.sleep(1)  # no process beats any more
    session.expire_all()
    row = session.get(SolveRun, run.id)
    assert row.status == "running" and row.finished_at is None
    assert ("execute_run", "doing") in _queue(session)

    # The reaper (periodic job, and before every new run) fails it once the beat is stale.
    assert runs.reap_stale_runs_of(session=session, now=row.heartbeat_at) == 0
    later = row.heartbeat_at + dt.timedelta(seconds=Settings().run_stale_after_s + 1)
    assert runs.reap_stale_runs_of(session=session, now=later) == 1
    session.commit()
    session.expire_all()
    row = session.get(SolveRun, run.id)
    assert row.status == "failed" and row.error == runs.INTERRUPTED
    assert row.assignments is None and row.result is None
    assert session.exec(select(SolveRun)).all() == [row]
    assert session.exec(select(MeetingRequest.id, MeetingRequest.updated_at)).all() == before
    assert session.get(Edition, setup.edition.id).status == "scheduling"

    # A retried delivery of the same job does nothing: the run is not queued any more.
    assert runs.execute_run(run_id=run.id) is None
