"""E-mail delivery: a real SMTP server (aiosmtpd), exactly once, retries, .eml files."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading

import icalendar
import pytest
from factories import auth
from smtp_support import free_port, smtp_server
from sqlmodel import select
from test_publication_support import LIMA, make_world, pdf_text, solve_run

from app.mail.models import DeliveryLog, MessageStatus, OutboxMessage
from app.mail.service import dispatch_due
from app.scheduling import publication

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


def _publish(client, session, world):
    r = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": solve_run(session, world)},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201, r.text
    return r.json()


def _messages(session):
    session.expire_all()
    return session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_agendas_arrive_over_smtp_with_their_attachments(
    client, session, engine, settings, smtp, frozen_now
):
    handler, port = smtp
    now = frozen_now(INSIDE)
    world = make_world(session)
    _publish(client, session, world)
    config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    assert dispatch_due(engine=engine, settings=config, now=now) == 5
    assert len(handler.messages) == 5
    by_subject = {m["Subject"]: m for m in handler.messages}
    subject = "Agenda de reuniones bilaterales – 12.º GORE Ejecutivo – MINSA (versión 1)"
    assert subject in by_subject
    msg = by_subject[subject]
    assert msg["To"] == "agenda@minsa.example.pe, despacho@minsa.example.pe"
    assert "articulacion@pcm.gob.pe" in msg["From"]
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "Estimado equipo del Ministerio de Salud (MINSA)" in body
    assert "Reuniones programadas (3)" in body and "Gobierno Regional de Junín" in body
    files = {part.get_filename(): part for part in msg.iter_attachments()}
    assert set(files) == {"agenda-MINSA-v1.pdf", "agenda-MINSA-v1.ics"}
    text = pdf_text(files["agenda-MINSA-v1.pdf"].get_content())
    assert "Gobierno Regional de Cusco" in text and "Hospital de Cusco: saldo de obra" in text
    cal = icalendar.Calendar.from_ical(files["agenda-MINSA-v1.ics"].get_content())
    assert len(list(cal.walk("VEVENT"))) == 3
    # envelope recipients and the stored Message-ID
    rcpts = {tuple(r) for _f, r in handler.envelopes}
    assert ("gore1@region.example.pe",) in rcpts
    rows = _messages(session)
    assert {r.status for r in rows} == {MessageStatus.sent}
    assert {r.message_id for r in rows} == {m["Message-ID"] for m in handler.messages}
    assert all(r.attempts == 1 and r.sent_at == now for r in rows)
    # a second dispatch sends nothing more
    assert dispatch_due(engine=engine, settings=config, now=now + dt.timedelta(hours=1)) == 0
    assert len(handler.messages) == 5
    log = client.get(
        f"/api/editions/{world.edition.id}/deliveries", headers=auth(world.sd_token)
    ).json()
    assert len(log) == 5 and {d["status"] for d in log} == {"sent"}
    assert [e["event"] for e in log[0]["log"]] == ["queued", "sent"]
    assert set(log[0]["attachments"]) == {
        f"agenda-{log[0]['party_code']}-v1.pdf",
        f"agenda-{log[0]['party_code']}-v1.ics",
    }


def test_concurrent_dispatchers_send_each_message_once(
    client, session, engine, settings, smtp, frozen_now
):
    handler, port = smtp
    now = frozen_now(INSIDE)
    world = make_world(session, n_delegations=6)
    _publish(client, session, world)
    expected = len(_messages(session))
    assert expected == 8
    config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    counts: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            counts.append(dispatch_due(engine=engine, settings=config, now=now, limit=3))
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(counts) == expected
    assert len(handler.messages) == expected
    assert len({m["Message-ID"] for m in handler.messages}) == expected
    assert {r.status for r in _messages(session)} == {MessageStatus.sent}


def test_smtp_down_retries_with_backoff_then_sends(client, session, engine, settings, frozen_now):
    now = frozen_now(INSIDE)
    world = make_world(session, n_delegations=1)
    _publish(client, session, world)
    port = free_port()  # nothing listens there yet
    config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    assert dispatch_due(engine=engine, settings=config, now=now) == 0
    rows = _messages(session)
    assert len(rows) == 3
    for r in rows:
        assert r.status == MessageStatus.queued and r.attempts == 1
        assert r.next_attempt_at == now + dt.timedelta(minutes=1)
        assert "ConnectionRefusedError" in r.last_error
    with smtp_server(port) as (handler, _):
        # not due yet: the backoff holds even though the server is back
        assert dispatch_due(engine=engine, settings=config, now=now + dt.timedelta(seconds=30)) == 0
        assert handler.messages == []
        later = now + dt.timedelta(minutes=2)
        assert dispatch_due(engine=engine, settings=config, now=later) == 3
    assert len(handler.messages) == 3
    rows = _messages(session)
    assert all(r.status == MessageStatus.sent and r.attempts == 2 for r in rows)
    events = [
        e.event
        for e in session.exec(
            select(DeliveryLog).where(DeliveryLog.message_id == rows[0].id).order_by(DeliveryLog.id)
        )
    ]
    assert events == ["queued", "retry", "sent"]


def test_gives_up_after_max_attempts_and_shows_it(client, session, engine, settings, frozen_now):
    now = frozen_now(INSIDE)
    world = make_world(session, n_delegations=1)
    _publish(client, session, world)
    config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port()})
    at = now
    # The documented schedule, written out: retries after 1, 2, 4 and 8 minutes, 5 attempts.
    waits = [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    for attempt in range(1, 6):
        dispatch_due(engine=engine, settings=config, now=at)
        row = _messages(session)[0]
        assert row.attempts == attempt
        if attempt < 5:
            assert row.status != MessageStatus.failed
            assert row.next_attempt_at - at == waits[attempt - 1]
            at = row.next_attempt_at
    assert [r.status for r in _messages(session)] == [MessageStatus.failed] * 3
    log = client.get(
        f"/api/editions/{world.edition.id}/deliveries",
        params={"status": "failed"},
        headers=auth(world.sd_token),
    ).json()
    assert len(log) == 3 and log[0]["log"][-1]["event"] == "failed"
    listed = client.get(
        f"/api/editions/{world.edition.id}/publications", headers=auth(world.sd_token)
    ).json()
    assert listed[0]["delivery_status"] == "failed"


def test_eml_files_without_smtp(client, session, engine, settings, frozen_now, tmp_path):
    now = frozen_now(INSIDE)
    world = make_world(session, n_delegations=2)
    _publish(client, session, world)
    config = settings.model_copy(update={"smtp_host": None, "outbox_dir": tmp_path / "outbox"})
    assert dispatch_due(engine=engine, settings=config, now=now) == 4
    assert dispatch_due(engine=engine, settings=config, now=now) == 0
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 4 and not list((tmp_path / "outbox").glob("*.tmp"))
    minsa = next(f for f in files if "MINSA" in f.name)
    msg = email.message_from_bytes(minsa.read_bytes(), policy=email.policy.default)
    assert msg["Subject"].endswith("MINSA (versión 1)")
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names == ["agenda-MINSA-v1.pdf", "agenda-MINSA-v1.ics"]
    assert {r.status for r in _messages(session)} == {MessageStatus.sent}


def test_scheduled_messages_wait_for_their_time(
    client, session, engine, settings, frozen_now, tmp_path
):
    frozen_now(dt.datetime(2030, 2, 1, 12, 0, tzinfo=LIMA))
    world = make_world(session, n_delegations=1)
    body = _publish(client, session, world)
    due = dt.datetime.fromisoformat(body["delivery_due_at"])
    config = settings.model_copy(update={"smtp_host": None, "outbox_dir": tmp_path})
    assert dispatch_due(engine=engine, settings=config, now=due - dt.timedelta(minutes=1)) == 0
    assert dispatch_due(engine=engine, settings=config, now=due) == 3


def test_deliveries_are_sd_only(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session, n_delegations=1)
    url = f"/api/editions/{world.edition.id}/deliveries"
    assert client.get(url, headers=auth(world.tokens["MINSA"])).status_code == 404
    assert client.get(url, headers=auth(world.sd_token)).json() == []


def test_periodic_job_is_registered():
    from app.core import jobs

    assert "dispatch_outbox" in jobs.registered()
    assert publication.DELIVERY_LOCAL_TIME == dt.time(8, 0)
