"""The embedded job runner's start-up settles what a dead process held: a queued run is
queued again (and runs), a running one fails at once, claimed e-mails return to the queue."""

from __future__ import annotations

import datetime as dt

from factories import auth
from runs_support import schedulable_edition
from sqlmodel import Session
from test_publication_support import LIMA, make_world, solve_run

from app.core import clock, jobs
from app.core.config import Settings
from app.mail import service as mail
from app.mail.models import MessageStatus, OutboxMessage
from app.scheduling import runs
from app.scheduling.models import RunStatus, SolveRun

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)


def _run(session: Session, edition_id: int, status: RunStatus) -> int:
    run = SolveRun(
        edition_id=edition_id,
        status=status,
        options={"time_limit_s": 5, "workers": 1},
        created_by="sd",
        created_at=clock.now(),
        heartbeat_at=clock.now() if status == RunStatus.running else None,
    )
    session.add(run)
    session.commit()
    assert run.id is not None
    return run.id


def test_start_up_requeues_a_queued_run_and_fails_a_running_one(engine, session):
    waiting = schedulable_edition(session)
    interrupted = schedulable_edition(session)
    queued_id = _run(session, waiting.edition.id, RunStatus.queued)
    running_id = _run(session, interrupted.edition.id, RunStatus.running)
    jobs.start(engine=engine, settings=Settings(jobs_periodic=False))
    try:
        assert jobs.drain(60)
    finally:
        jobs.stop()
    session.expire_all()
    queued = session.get(SolveRun, queued_id)
    running = session.get(SolveRun, running_id)
    assert queued.status == RunStatus.succeeded
    assert running.status == RunStatus.failed
    assert running.error == runs.RESTARTED
    assert running.finished_at is not None


def test_start_up_after_a_clean_stop_changes_nothing(engine, session):
    setup = schedulable_edition(session)
    done = _run(session, setup.edition.id, RunStatus.cancelled)
    with Session(engine) as s:
        assert runs.settle_runs_after_restart(session=s, now=clock.now()) == ([], 0)
        s.commit()
    session.expire_all()
    assert session.get(SolveRun, done).status == RunStatus.cancelled


def test_start_up_returns_claimed_messages_to_the_queue(
    client, engine, session, settings, frozen_now
):
    now = frozen_now(INSIDE)
    world = make_world(session)
    r = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": solve_run(session, world)},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201, r.text
    lease = dt.timedelta(seconds=settings.mail_lease_s)
    claimed = mail.claim_due(engine=engine, now=now, limit=5, lease=lease)
    assert len(claimed) == 5
    jobs.start(engine=engine, settings=settings.model_copy(update={"jobs_periodic": False}))
    jobs.stop()
    session.expire_all()
    messages = [session.get(OutboxMessage, i) for i in claimed]
    assert {m.status for m in messages} == {MessageStatus.queued}
    assert mail.dispatch_due(engine=engine, settings=settings, now=now) == 5
