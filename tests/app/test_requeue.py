"""The SD sends a queued e-mail now or sends one again (API), against a real SMTP server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from factories import auth
from fastapi.testclient import TestClient
from smtp_support import free_port, smtp_server
from sqlmodel import select
from test_publication_support import LIMA, make_world, solve_run

from app.core import jobs
from app.mail import service as mail
from app.mail.models import DeliveryLog, MessageStatus, OutboxMessage
from app.mail.service import dispatch_due
from app.main import create_app

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)
EARLY = dt.datetime(2030, 2, 1, 12, 0, tzinfo=LIMA)  # agendas due 24 Feb, 08:00 Lima


@pytest.fixture
def smtp() -> Iterator[tuple[Any, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailer(settings, engine, smtp) -> Iterator[tuple[TestClient, Any, Any]]:
    """An application whose dispatcher talks to the test SMTP server: (client, sink, settings)."""
    handler, port = smtp
    config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    with TestClient(create_app(config, engine=engine), raise_server_exceptions=False) as client:
        yield client, handler, config


def _publish(client, session, world) -> None:
    r = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": solve_run(session, world)},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201, r.text


def _messages(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _events(session, message_id: int) -> list[str]:
    return [
        e.event
        for e in session.exec(
            select(DeliveryLog).where(DeliveryLog.message_id == message_id).order_by(DeliveryLog.id)
        )
    ]


def _url(world, message_id: int, action: str) -> str:
    return f"/api/editions/{world.edition.id}/deliveries/{message_id}/{action}"


def test_send_now_makes_a_queued_message_due_and_the_dispatcher_sends_it(
    mailer, session, frozen_now
):
    client, handler, _config = mailer
    now = frozen_now(EARLY)
    world = make_world(session, n_delegations=1)
    _publish(client, session, world)
    rows = _messages(session)
    assert len(rows) == 3 and all(r.next_attempt_at > now for r in rows)
    minsa = next(r for r in rows if r.party_code == "MINSA")

    r = client.post(_url(world, minsa.id, "send-now"), headers=auth(world.sd_token))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == minsa.id and r.json()["log"][-1]["event"] == "send_now"
    assert jobs.drain(30)
    assert [m["Subject"] for m in handler.messages] == [minsa.subject]
    by_id = {m.id: m for m in _messages(session)}
    assert by_id[minsa.id].status == MessageStatus.sent
    assert {m.status for i, m in by_id.items() if i != minsa.id} == {MessageStatus.queued}
    assert _events(session, minsa.id) == ["queued", "send_now", "sent"]

    again = client.post(_url(world, minsa.id, "send-now"), headers=auth(world.sd_token))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "«enviado»" in again.json()["detail"]


def test_resend_a_failed_message_as_a_new_message(mailer, session, engine, frozen_now):
    client, handler, config = mailer
    now = frozen_now(INSIDE)
    world = make_world(session, n_delegations=1)
    _publish(client, session, world)
    down = config.model_copy(update={"smtp_port": free_port()})  # nothing listens there
    at = now
    for _ in range(mail.MAX_ATTEMPTS):
        dispatch_due(engine=engine, settings=down, now=at)
        at += dt.timedelta(hours=3)
    rows = _messages(session)
    assert {r.status for r in rows} == {MessageStatus.failed}
    failed = rows[0]

    frozen_now(at)
    r = client.post(_url(world, failed.id, "resend"), headers=auth(world.sd_token))
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["id"] != failed.id and copy["status"] in ("queued", "sending", "sent")
    assert copy["subject"] == failed.subject and copy["to"] == failed.to_addrs
    assert copy["message_id"] != failed.message_id
    assert jobs.drain(30)
    assert len(handler.messages) == 1
    received = handler.messages[0]
    assert received["Message-ID"] == copy["message_id"]
    names = [p.get_filename() for p in received.iter_attachments()]
    assert names == [f"agenda-{failed.party_code}-v1.pdf", f"agenda-{failed.party_code}-v1.ics"]
    by_id = {m.id: m for m in _messages(session)}
    assert by_id[failed.id].status == MessageStatus.failed  # the original keeps its history
    assert _events(session, failed.id)[-1] == "resent"
    assert by_id[copy["id"]].status == MessageStatus.sent and by_id[copy["id"]].attempts == 1

    # only the newest message of a party is sent again
    stale = client.post(_url(world, failed.id, "resend"), headers=auth(world.sd_token))
    assert stale.status_code == 409 and f"mensaje {copy['id']}" in stale.json()["detail"]
    twice = client.post(_url(world, copy["id"], "resend"), headers=auth(world.sd_token))
    assert twice.status_code == 201


def test_resend_refuses_queued_and_fresh_sending_messages_and_takes_stuck_ones(
    mailer, session, frozen_now
):
    client, _handler, _config = mailer
    now = frozen_now(EARLY)
    world = make_world(session, n_delegations=1)
    _publish(client, session, world)
    queued = _messages(session)[0]
    r = client.post(_url(world, queued.id, "resend"), headers=auth(world.sd_token))
    assert r.status_code == 409 and "«en cola»" in r.json()["detail"]

    queued.status, queued.claimed_at, queued.attempts = MessageStatus.sending, now, 1
    session.add(queued)
    session.commit()
    fresh = client.post(_url(world, queued.id, "resend"), headers=auth(world.sd_token))
    assert fresh.status_code == 409 and "«enviándose»" in fresh.json()["detail"]
    frozen_now(now + dt.timedelta(minutes=30))
    stuck = client.post(_url(world, queued.id, "resend"), headers=auth(world.sd_token))
    assert stuck.status_code == 201
    assert len(_messages(session)) == 4


def test_requeue_is_for_the_sd_and_for_messages_of_the_edition(mailer, session, frozen_now):
    client, _handler, _config = mailer
    frozen_now(EARLY)
    world = make_world(session, n_delegations=1)
    other = make_world(session, n_delegations=1, tag="B")
    _publish(client, session, world)
    mine = _messages(session)[0]
    foreign = client.post(
        f"/api/editions/{other.edition.id}/deliveries/{mine.id}/send-now",
        headers=auth(other.sd_token),
    )
    assert foreign.status_code == 404
    assert "No existe el mensaje" in foreign.json()["detail"]
    missing = client.post(_url(world, 999_999, "resend"), headers=auth(world.sd_token))
    assert missing.status_code == 404
    for action in ("send-now", "resend"):
        r = client.post(_url(world, mine.id, action), headers=auth(world.tokens["MINSA"]))
        assert r.status_code in (403, 404)
    assert _events(session, mine.id) == ["queued"]
