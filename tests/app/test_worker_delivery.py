"""Worker-mode delivery: with ARTICULA_JOBS_BACKEND=procrastinate a real `articula worker`
process runs the outbox job and hands the agendas to a real SMTP server (aiosmtpd), each
message exactly once, with its PDF and .ics attachments; the outbox rows end `sent`.

PostgreSQL only (procrastinate keeps its queue there), like the worker tests of test_jobs.py.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from dbutil import is_postgres
from smtp_support import smtp_server
from sqlmodel import Session, select
from test_publication_support import FIRST_DAY, make_world, pdf_text

from app.agendas import delivery
from app.core import clock, jobs
from app.core.config import Settings
from app.editions.models import EditionDay
from app.mail.models import DeliveryLog, MessageStatus, OutboxMessage
from app.scheduling.plan import PlannedMeeting

pytestmark = pytest.mark.skipif(
    not is_postgres(os.environ.get("ARTICULA_TEST_DATABASE_URL", "")),
    reason="worker mode (procrastinate) needs PostgreSQL: set "
    "ARTICULA_TEST_DATABASE_URL=postgresql+psycopg://...",
)
ARTICULA = Path(sys.executable).parent / "articula"
LIMA = ZoneInfo("America/Lima")


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def procrastinate_mode(engine, database_url):
    jobs.start(
        engine=engine, database_url=database_url, settings=Settings(jobs_backend="procrastinate")
    )
    yield
    jobs.stop()


def _run_worker(database_url: str, port: int, outbox_dir: Path) -> str:
    """`articula worker --no-wait`: runs every queued job, then exits; returns its output."""
    env = os.environ | {
        "ARTICULA_DATABASE_URL": database_url,
        "ARTICULA_JOBS_BACKEND": "procrastinate",
        "ARTICULA_SMTP_HOST": "127.0.0.1",
        "ARTICULA_SMTP_PORT": str(port),
        "ARTICULA_OUTBOX_DIR": str(outbox_dir),  # must stay empty: SMTP is configured
    }
    worker = subprocess.run(
        [str(ARTICULA), "worker", "--no-wait", "--concurrency", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stdout
    return worker.stdout


def _queue(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        sa.text("SELECT task_name, status::text FROM procrastinate_jobs ORDER BY id")
    ).all()
    session.rollback()
    return [tuple(r) for r in rows]


def _publish_due_now(session: Session):
    """make_world's edition moved to start in 3 days (inside the 2-5 day window), so the
    agendas are due at once by the real clock the worker uses; published now."""
    world = make_world(session)
    now = clock.now()
    first_day = now.astimezone(LIMA).date() + dt.timedelta(days=3)
    shift = first_day - FIRST_DAY
    for day in session.exec(select(EditionDay).where(EditionDay.edition_id == world.edition.id)):
        day.date = day.date + shift
        session.add(day)
    session.commit()
    session.refresh(world.edition)
    plan = [
        PlannedMeeting(m.request_id, m.room_id, m.starts_at + shift, m.ends_at + shift)
        for m in world.plan
    ]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    version = delivery.publish_meetings(
        session=session,
        edition=world.edition,
        meetings=plan,
        published_by="test",
        now=now,
        settings=settings,
    )
    session.commit()
    assert version.delivery_due_at == now
    return world


def test_worker_sends_the_agendas_over_smtp_exactly_once(
    session, database_url, procrastinate_mode, smtp, tmp_path
):
    handler, port = smtp
    world = _publish_due_now(session)
    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(rows) == 5  # MINSA, MINEDU and the 3 delegations
    assert {r.status for r in rows} == {MessageStatus.queued}
    assert handler.messages == []  # nothing is sent by the publication itself

    # The outbox job, deferred by name (it is also the periodic job every worker runs).
    jobs.defer("dispatch_outbox")
    assert _queue(session) == [("dispatch_outbox", "todo")]
    out = _run_worker(database_url, port, tmp_path / "outbox")
    # Every outbox job succeeded: the one deferred by name and the periodic tick the worker
    # may have deferred on start (both claim messages, so each is sent once).
    queue = _queue(session)
    assert queue[0] == ("dispatch_outbox", "succeeded"), out  # ours: deferred by name
    assert {s for _n, s in queue} == {"succeeded"}, out

    assert len(handler.messages) == 5, out
    session.expire_all()
    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {r.status for r in rows} == {MessageStatus.sent}, [r.last_error for r in rows]
    assert all(r.attempts == 1 and r.sent_at is not None for r in rows)
    assert sorted(r.message_id for r in rows) == sorted(m["Message-ID"] for m in handler.messages)
    assert not (tmp_path / "outbox").exists()  # SMTP, not .eml files

    for row in rows:
        msg = next(m for m in handler.messages if m["Message-ID"] == row.message_id)
        assert msg["Subject"] == row.subject
        files = {p.get_filename(): p for p in msg.iter_attachments()}
        pdf_name = f"agenda-{row.party_code}-v1.pdf"
        ics_name = f"agenda-{row.party_code}-v1.ics"
        assert set(files) == {pdf_name, ics_name}
        assert files[pdf_name].get_content_type() == "application/pdf"
        pdf = files[pdf_name].get_content()
        assert pdf.startswith(b"%PDF-") and "Agenda de reuniones bilaterales" in pdf_text(pdf)
        cal = icalendar.Calendar.from_ical(files[ics_name].get_content())
        expected = 3 if row.party_kind == "sector" else 2
        assert len(list(cal.walk("VEVENT"))) == expected
    minsa = next(r for r in rows if r.party_code == "MINSA")
    text = pdf_text(
        next(
            p.get_content()
            for m in handler.messages
            if m["Message-ID"] == minsa.message_id
            for p in m.iter_attachments()
            if p.get_filename().endswith(".pdf")
        )
    )
    assert world.delegations[0].name in text and "Hospital de Cusco: saldo de obra" in text
    rcpts = sorted(tuple(r) for _f, r in handler.envelopes)
    assert ("agenda@minsa.example.pe", "despacho@minsa.example.pe") in rcpts

    # A second run of the job (the next periodic tick, another worker) sends nothing more.
    jobs.defer("dispatch_outbox")
    _run_worker(database_url, port, tmp_path / "outbox")
    queue = _queue(session)
    assert [n for n, _s in queue].count("dispatch_outbox") >= 2
    assert {s for _n, s in queue} == {"succeeded"}
    assert len(handler.messages) == 5
    session.expire_all()
    events = session.exec(
        select(DeliveryLog.message_id, DeliveryLog.event).order_by(DeliveryLog.id)
    ).all()
    for row in rows:
        assert [e for mid, e in events if mid == row.id] == ["queued", "sent"]
