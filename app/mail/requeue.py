"""The SD's hand on the outbox: send a queued message now, or send a message again.

- `send_now`: a `queued` message (waiting for its delivery window or for a retry after a
  failure) becomes due at once; the dispatcher is kicked once the transaction commits.
- `resend`: a `failed` or `sent` message, or one stuck in `sending` for longer than
  STUCK_AFTER (the process died between the claim and the mark), is queued again as a new
  message: same recipients, subject, body and attachment bytes, a new Message-ID (a mail
  client that already holds the first one shows the second too), due now. The original
  keeps its status and history, with a `resent` entry naming the new message.
- Only the newest message of a party can be sent again: an older one was replaced by a
  later version (or an earlier resend), and nobody gets a stale agenda.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.core import jobs
from app.core.config import Settings
from app.core.errors import Conflict, NotFound
from app.mail import tasks
from app.mail.models import (
    DeliveryPublic,
    MessageStatus,
    OutboxAttachment,
    OutboxMessage,
)
from app.mail.service import Attachment, list_deliveries, log_delivery, queue_message

STUCK_AFTER = dt.timedelta(minutes=15)
STATUS_ES = {
    MessageStatus.queued: "en cola",
    MessageStatus.sending: "enviándose",
    MessageStatus.sent: "enviado",
    MessageStatus.failed: "fallido",
    MessageStatus.superseded: "reemplazado",
    MessageStatus.cancelled: "cancelado (edición cerrada)",
    MessageStatus.held: "retenido tras una restauración",
}


def get_message(*, session: Session, edition_id: int, message_id: int) -> OutboxMessage:
    """One outbox message of the edition; 404 for an unknown or foreign one."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.edition_id != edition_id:
        raise NotFound(f"No existe el mensaje {message_id} en la edición {edition_id}.")
    return message


def delivery_public(*, session: Session, message: OutboxMessage) -> DeliveryPublic:
    """One message as the delivery log shows it (attachments and history included)."""
    rows = list_deliveries(
        session=session,
        edition_id=message.edition_id or 0,
        party=message.party_code,
        version=message.agenda_version,
    )
    return next(d for d in rows if d.id == message.id)


def resendable(deliveries: Sequence[DeliveryPublic]) -> set[int]:
    """The ids among `deliveries` that may be sent again by status and recency (a message
    stuck in `sending` only shows; `resend` checks its age)."""
    newest: dict[tuple[str | None, str | None], int] = {}
    for d in deliveries:
        if d.status != MessageStatus.superseded:
            key = (d.party_kind, d.party_code) if d.party_kind else ("message", str(d.id))
            newest[key] = max(newest.get(key, 0), d.id)
    again = {MessageStatus.failed, MessageStatus.sent, MessageStatus.sending}
    return {d.id for d in deliveries if d.id in newest.values() and d.status in again}


def _kick(session: Session) -> None:
    """Run the dispatcher once this transaction commits."""
    jobs.defer(tasks.dispatch_outbox.__name__, session=session)


def send_now(
    *, session: Session, edition_id: int, message_id: int, actor: str, now: dt.datetime
) -> DeliveryPublic:
    """Make a queued message due now and kick the dispatcher (409 unless queued)."""
    message = get_message(session=session, edition_id=edition_id, message_id=message_id)
    if message.status != MessageStatus.queued:
        raise Conflict(
            f"Solo se envía ahora un mensaje en cola; el mensaje {message_id} está "
            f"«{STATUS_ES[MessageStatus(message.status)]}».",
            message_status=str(message.status),
        )
    message.next_attempt_at = now
    session.add(message)
    log_delivery(
        session=session,
        message=message,
        event="send_now",
        now=now,
        detail=f"envío inmediato pedido por {actor}",
    )
    session.flush()
    _kick(session)
    return delivery_public(session=session, message=message)


def _resendable(message: OutboxMessage, now: dt.datetime) -> bool:
    if message.status in (MessageStatus.failed, MessageStatus.sent):
        return True
    claimed = message.claimed_at
    return message.status == MessageStatus.sending and (
        claimed is None or now - claimed >= STUCK_AFTER
    )


def _newer_for_party(session: Session, message: OutboxMessage) -> OutboxMessage | None:
    if message.party_kind is None:
        return None
    return session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.edition_id == message.edition_id,
            OutboxMessage.party_kind == message.party_kind,
            OutboxMessage.party_id == message.party_id,
            col(OutboxMessage.id) > message.id,
            OutboxMessage.status != MessageStatus.superseded,
        )
        .order_by(col(OutboxMessage.id).desc())
    ).first()


def resend(
    *,
    session: Session,
    edition_id: int,
    message_id: int,
    actor: str,
    now: dt.datetime,
    settings: Settings | None = None,
) -> DeliveryPublic:
    """Queue a failed, sent or stuck message again as a new message due now, and kick the
    dispatcher; returns the new message (409 for another status or a replaced message)."""
    message = get_message(session=session, edition_id=edition_id, message_id=message_id)
    if not _resendable(message, now):
        raise Conflict(
            f"Solo se reenvía un mensaje enviado, fallido o detenido; el mensaje {message_id} "
            f"está «{STATUS_ES[MessageStatus(message.status)]}».",
            message_status=str(message.status),
        )
    newer = _newer_for_party(session, message)
    if newer is not None:
        raise Conflict(
            f"El mensaje {message_id} ya fue reemplazado por el mensaje {newer.id}; "
            "reenvíe el más reciente.",
            newer_id=newer.id,
        )
    attachments = session.exec(
        select(OutboxAttachment)
        .where(OutboxAttachment.message_id == message.id)
        .order_by(col(OutboxAttachment.id))
    ).all()
    copy = queue_message(
        session=session,
        kind=message.kind,
        to=message.to_addrs,
        cc=message.cc_addrs,
        subject=message.subject,
        body=message.body_text,
        body_html=message.body_html,
        attachments=[Attachment(a.filename, a.content_type, a.content) for a in attachments],
        due_at=now,
        now=now,
        edition_id=message.edition_id,
        party_kind=message.party_kind,
        party_id=message.party_id,
        party_code=message.party_code,
        agenda_version=message.agenda_version,
        settings=settings,
    )
    session.flush()
    log_delivery(
        session=session,
        message=message,
        event="resent",
        now=now,
        detail=f"reenviado como mensaje {copy.id}, pedido por {actor}",
    )
    session.flush()
    _kick(session)
    return delivery_public(session=session, message=copy)
