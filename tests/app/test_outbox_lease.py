"""The outbox's claims are leases: a sender that dies strands at most one message, and only
until its lease expires; held messages wait for the SD."""

from __future__ import annotations

import datetime as dt

from aiosmtpd.controller import Controller
from factories import auth
from smtp_support import SmtpSink, free_port, smtp_server
from sqlmodel import Session, select
from test_publication_support import LIMA, make_world, solve_run

from app.mail import service as mail
from app.mail.models import DeliveryLog, MessageStatus, OutboxMessage

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)


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


def test_a_dead_senders_claim_strands_one_message_until_its_lease_expires(
    client, session, engine, settings, frozen_now
):
    now = frozen_now(INSIDE)
    world = make_world(session)
    _publish(client, session, world)
    lease = dt.timedelta(seconds=settings.mail_lease_s)
    # A sender claims one message and dies before sending it.
    dead = mail.claim_due(engine=engine, now=now, limit=1, lease=lease)
    assert len(dead) == 1
    with smtp_server() as (sink, port):
        config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        # The other messages are sent at once; the claimed one waits for its lease.
        assert mail.dispatch_due(engine=engine, settings=config, now=now) == 4
        stuck = [m for m in _messages(session) if m.status != MessageStatus.sent]
        assert [m.id for m in stuck] == dead
        assert stuck[0].status == MessageStatus.sending
        later = now + lease - dt.timedelta(seconds=1)
        assert mail.dispatch_due(engine=engine, settings=config, now=later) == 0
        assert mail.dispatch_due(engine=engine, settings=config, now=now + lease) == 1
        received = sink.take()
    assert {m.status for m in _messages(session)} == {MessageStatus.sent}
    reclaimed = session.get(OutboxMessage, dead[0])
    assert reclaimed.attempts == 2
    assert len(received) == 5
    assert len({m["Message-ID"] for m in received}) == 5
    assert {m["Message-ID"] for m in received} == {m.message_id for m in _messages(session)}


class _StatusAtDataSink(SmtpSink):
    """Records how many messages are `sending` whenever one arrives over SMTP."""

    def __init__(self, engine) -> None:
        super().__init__()
        self.engine = engine
        self.sending: list[int] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with Session(self.engine) as s:
            statuses = s.exec(select(OutboxMessage.status)).all()
        self.sending.append(statuses.count(MessageStatus.sending))
        return await super().handle_DATA(server, session, envelope)


def test_a_dispatch_claims_one_message_at_a_time(client, session, engine, settings, frozen_now):
    now = frozen_now(INSIDE)
    world = make_world(session)
    _publish(client, session, world)
    sink = _StatusAtDataSink(engine)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        assert mail.dispatch_due(engine=engine, settings=config, now=now) == 5
    finally:
        controller.stop()
    assert sink.sending == [1] * 5


def test_release_claims_returns_sending_messages_to_the_queue(
    client, session, engine, settings, frozen_now
):
    now = frozen_now(INSIDE)
    world = make_world(session)
    _publish(client, session, world)
    lease = dt.timedelta(seconds=settings.mail_lease_s)
    claimed = mail.claim_due(engine=engine, now=now, limit=2, lease=lease)
    assert mail.release_claims(engine=engine, now=now) == 2
    assert mail.dispatch_due(engine=engine, settings=settings, now=now) == 5
    assert all(session.get(OutboxMessage, i).status == MessageStatus.sent for i in claimed)


def test_held_messages_wait_until_released(client, session, engine, settings, frozen_now):
    now = frozen_now(INSIDE)
    world = make_world(session)
    _publish(client, session, world)
    assert mail.hold_queued(session=session, now=now, detail="restaurado") == 5
    session.commit()
    assert mail.dispatch_due(engine=engine, settings=settings, now=now) == 0
    assert {m.status for m in _messages(session)} == {MessageStatus.held}
    assert mail.release_held(session=session, now=now, edition_id=world.edition.id) == 5
    session.commit()
    assert mail.dispatch_due(engine=engine, settings=settings, now=now) == 5
    events = session.exec(select(DeliveryLog.event).order_by(DeliveryLog.id)).all()
    assert events.count("held") == 5 and events.count("released") == 5
