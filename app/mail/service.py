"""Queueing and sending e-mail: at-least-once delivery with a stable Message-ID, never lost.

Semantics (the README's "E-mail delivery" states them for operators):
- `queue_message` writes the message and the exact bytes of its attachments in the caller's
  transaction (a publication): if the publication rolls back, nothing is queued. Its
  Message-ID is fixed at queue time, so every attempt sends the same Message-ID.
- `dispatch_due` claims ONE due message at a time: it reads the next due id (FOR UPDATE
  SKIP LOCKED on PostgreSQL) and claims it with a guarded statement (`UPDATE ... SET
  status='sending', claimed_at=now, attempts=attempts+1 WHERE id = :id AND (queued, or
  sending with an expired claim) RETURNING id`), committed before talking to SMTP: two
  dispatchers never hold the same row. After the send it marks the message `sent`. A
  failure puts it back to `queued` with `next_attempt_at = now + BACKOFF_BASE *
  2**(attempts-1)` (capped), or `failed` after MAX_ATTEMPTS or on a permanent (5xx) SMTP
  refusal. Every step is in `delivery_log`.
- A claim is a lease of `mail_lease_s`: a sender that dies holding it leaves one message
  `sending`, and once the lease expires the next dispatch claims it again. A crash between
  the SMTP handover and the `sent` mark therefore sends that message twice, with the same
  Message-ID; nothing else is ever sent twice and nothing is lost.
- `held` messages (queued when a backup was taken, see `app.core.backup`) are not sent until
  `release_held` returns them to the queue.
- A closed edition's messages that are still `queued` are cancelled (`cancelled`, logged)
  at the start of every dispatch, so nothing goes out for an edition once it is closed.
- Without `ARTICULA_SMTP_HOST` the message is written as `<outbox_dir>/<id>-<party>.eml`
  (temp file + rename) and marked sent the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.core import clock
from app.core.config import Settings
from app.editions.models import Edition, EditionStatus
from app.mail.models import (
    DeliveryLog,
    DeliveryLogPublic,
    DeliveryPublic,
    MessageKind,
    MessageStatus,
    OutboxAttachment,
    OutboxMessage,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=2)
SENDER_NAME = "Secretaría de Descentralización - PCM"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf", "text/calendar"
    content: bytes


def backoff(attempts: int) -> dt.timedelta:
    """Delay before attempt `attempts + 1`: 1, 2, 4, 8 ... minutes, at most 2 hours."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def new_message_id(settings: Settings | None = None) -> str:
    domain = (settings.mail_from if settings else "articula.pe").rpartition("@")[2] or "articula.pe"
    return f"<{uuid.uuid4().hex}.articula@{domain}>"


def queue_message(
    *,
    session: Session,
    kind: MessageKind,
    to: Sequence[str],
    subject: str,
    body: str,
    body_html: str | None = None,
    attachments: Sequence[Attachment] = (),
    due_at: dt.datetime,
    now: dt.datetime,
    edition_id: int | None = None,
    party_kind: str | None = None,
    party_id: int | None = None,
    party_code: str | None = None,
    agenda_version: int | None = None,
    cc: Sequence[str] = (),
    settings: Settings | None = None,
) -> OutboxMessage:
    """Add a message (and its attachments' bytes) to the outbox in the caller's transaction."""
    message = OutboxMessage(
        edition_id=edition_id,
        kind=kind,
        party_kind=party_kind,
        party_id=party_id,
        party_code=party_code,
        agenda_version=agenda_version,
        to_addrs=list(to),
        cc_addrs=list(cc),
        subject=subject,
        body_text=body,
        body_html=body_html,
        message_id=new_message_id(settings),
        due_at=due_at,
        next_attempt_at=due_at,
        created_at=now,
    )
    session.add(message)
    session.flush()
    session.add_all(
        OutboxAttachment(
            message_id=message.id,
            filename=a.filename,
            content_type=a.content_type,
            content=a.content,
        )
        for a in attachments
    )
    log_delivery(
        session=session,
        message=message,
        event="queued",
        now=now,
        detail=f"programado para {due_at.isoformat()}",
    )
    return message


def log_delivery(
    *, session: Session, message: OutboxMessage, event: str, now: dt.datetime, detail: str
) -> None:
    """One row of the delivery log: what happened to `message` at its current attempt."""
    session.add(
        DeliveryLog(
            message_id=message.id,
            edition_id=message.edition_id,
            at=now,
            event=event,
            attempt=message.attempts,
            detail=detail[:2000],
        )
    )


def supersede(*, session: Session, message: OutboxMessage, now: dt.datetime, detail: str) -> None:
    """A queued message replaced by a newer one before it was sent."""
    message.status = MessageStatus.superseded
    session.add(message)
    log_delivery(session=session, message=message, event="superseded", now=now, detail=detail)


# --------------------------------------------------------------------------- building


def build_email(
    message: OutboxMessage,
    attachments: Sequence[OutboxAttachment],
    settings: Settings,
    now: dt.datetime,
) -> EmailMessage:
    """The RFC 5322 message exactly as it is sent (or written to the .eml file)."""
    email = EmailMessage()
    email["From"] = formataddr((SENDER_NAME, settings.mail_from))
    email["To"] = ", ".join(message.to_addrs)
    if message.cc_addrs:
        email["Cc"] = ", ".join(message.cc_addrs)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message.message_id
    email["Content-Language"] = "es-PE"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for a in attachments:
        maintype, _, subtype = a.content_type.partition("/")
        subtype = subtype.split(";")[0].strip()
        params = {"method": "PUBLISH"} if subtype == "calendar" else {}
        email.add_attachment(
            a.content, maintype=maintype, subtype=subtype, filename=a.filename, params=params
        )
    return email


def _write_eml(email: EmailMessage, message: OutboxMessage, outbox_dir: Path) -> Path:
    outbox_dir.mkdir(parents=True, exist_ok=True)
    party = "".join(c for c in (message.party_code or "mensaje") if c.isalnum() or c in "-_")
    path = outbox_dir / f"{message.id:06d}-{party}-v{message.agenda_version or 0}.eml"
    tmp = path.with_suffix(".eml.tmp")
    tmp.write_bytes(email.as_bytes())
    os.replace(tmp, path)
    return path


def _smtp_send(email: EmailMessage, message: OutboxMessage, settings: Settings) -> None:
    assert settings.smtp_host
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(
            email, from_addr=settings.mail_from, to_addrs=[*message.to_addrs, *message.cc_addrs]
        )


def deliver(email: EmailMessage, message: OutboxMessage, settings: Settings) -> str:
    """Hand the message to SMTP, or write the .eml file; returns where it went."""
    if settings.smtp_host:
        _smtp_send(email, message, settings)
        return f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    return str(_write_eml(email, message, Path(settings.outbox_dir)))


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


# --------------------------------------------------------------------------- dispatch


def claim_due(*, engine: Engine, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[int]:
    """Atomically move due messages (queued, or `sending` under a claim older than `lease`)
    to `sending` under a new claim; returns the ids this caller owns."""
    claimable = sa.or_(
        sa.and_(
            col(OutboxMessage.status) == MessageStatus.queued,
            col(OutboxMessage.next_attempt_at) <= now,
        ),
        sa.and_(
            col(OutboxMessage.status) == MessageStatus.sending,
            sa.or_(
                col(OutboxMessage.claimed_at).is_(None),
                col(OutboxMessage.claimed_at) <= now - lease,
            ),
        ),
    )
    due = (
        select(OutboxMessage.id)
        .where(claimable)
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # The ids are read first and then claimed by id: an `IN (subquery)` may be evaluated
    # again for every row it updates and would then claim more than `limit`. The guarded
    # UPDATE leaves out what a concurrent dispatcher claimed in between; if that was all
    # of them, look again.
    while True:
        with engine.begin() as conn:
            ids = list(conn.execute(due).scalars())
            if not ids:
                return []
            claimed = conn.execute(
                sa.update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .where(claimable)
                .values(
                    status=MessageStatus.sending,
                    attempts=col(OutboxMessage.attempts) + 1,
                    claimed_at=now,
                )
                .returning(col(OutboxMessage.id))
            )
            owned = sorted(claimed.scalars())
        if owned:
            return owned


def _send_one(*, engine: Engine, settings: Settings, message_id: int, now: dt.datetime) -> bool:
    with Session(engine, expire_on_commit=False) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None and message.status == MessageStatus.sending
        attachments = session.exec(
            select(OutboxAttachment)
            .where(OutboxAttachment.message_id == message_id)
            .order_by(col(OutboxAttachment.id))
        ).all()
        try:
            where = deliver(build_email(message, attachments, settings, now), message, settings)
        except Exception as exc:  # SMTP down, refused, disk full: retry or give up, logged
            error = f"{type(exc).__name__}: {exc}"[:2000]
            give_up = message.attempts >= MAX_ATTEMPTS or _permanent(exc)
            message.last_error = error
            if give_up:
                message.status = MessageStatus.failed
                event, detail = "failed", error
            else:
                message.status = MessageStatus.queued
                message.next_attempt_at = now + backoff(message.attempts)
                event = "retry"
                detail = f"{error}; nuevo intento desde {message.next_attempt_at.isoformat()}"
            log.warning("outbox message %s attempt %s: %s", message_id, message.attempts, error)
            sent = False
        else:
            message.status = MessageStatus.sent
            message.sent_at = now
            message.last_error = None
            event, detail, sent = "sent", where, True
        session.add(message)
        log_delivery(session=session, message=message, event=event, now=now, detail=detail)
        session.commit()
        return sent


def cancel_closed(*, engine: Engine, now: dt.datetime) -> int:
    """Cancel the queued messages of closed editions (they must not go out); returns how
    many. The guarded UPDATE takes only rows still `queued`, so a message a dispatcher has
    already claimed is left to it."""
    closed = select(Edition.id).where(Edition.status == EditionStatus.closed)
    cancel = (
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.status) == MessageStatus.queued)
        .where(col(OutboxMessage.edition_id).in_(closed.scalar_subquery()))
        .values(status=MessageStatus.cancelled)
        .returning(col(OutboxMessage.id), col(OutboxMessage.edition_id))
    )
    with engine.begin() as conn:
        rows = conn.execute(cancel).all()
        if rows:
            conn.execute(
                sa.insert(DeliveryLog),
                [
                    {
                        "message_id": message_id,
                        "edition_id": edition_id,
                        "at": now,
                        "event": "cancelled",
                        "attempt": 0,
                        "detail": "la edición está cerrada",
                    }
                    for message_id, edition_id in rows
                ],
            )
    return len(rows)


def dispatch_due(
    *, engine: Engine, settings: Settings, now: dt.datetime | None = None, limit: int = 500
) -> int:
    """Send up to `limit` due messages, claiming each just before its send; returns how
    many were sent. The queued messages of closed editions are cancelled first."""
    now = now or clock.now()
    cancel_closed(engine=engine, now=now)
    lease = dt.timedelta(seconds=settings.mail_lease_s)
    sent = 0
    for _ in range(limit):
        ids = claim_due(engine=engine, now=now, limit=1, lease=lease)
        if not ids:
            break
        sent += _send_one(engine=engine, settings=settings, message_id=ids[0], now=now)
    return sent


def release_claims(*, engine: Engine, now: dt.datetime) -> int:
    """Return every `sending` message to the queue at once (the only sender died: the
    embedded job runner calls this at start-up); returns how many."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.status) == MessageStatus.sending)
            .values(status=MessageStatus.queued, claimed_at=None, next_attempt_at=now)
        )
        count = int(result.rowcount or 0)
    if count:
        log.warning("returned %s interrupted outbox message(s) to the queue", count)
    return count


def hold_queued(*, session: Session, now: dt.datetime, detail: str) -> int:
    """Mark every queued or claimed message `held` (after a restore); returns how many."""
    messages = session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.status).in_([MessageStatus.queued, MessageStatus.sending])
        )
    ).all()
    for message in messages:
        message.status = MessageStatus.held
        message.claimed_at = None
        session.add(message)
        log_delivery(session=session, message=message, event="held", now=now, detail=detail)
    session.flush()
    return len(messages)


def release_held(*, session: Session, now: dt.datetime, edition_id: int | None = None) -> int:
    """Return held messages (of one edition, or all) to the queue, due now; returns how many."""
    query = select(OutboxMessage).where(OutboxMessage.status == MessageStatus.held)
    if edition_id is not None:
        query = query.where(OutboxMessage.edition_id == edition_id)
    messages = session.exec(query).all()
    for message in messages:
        message.status = MessageStatus.queued
        message.next_attempt_at = now
        session.add(message)
        log_delivery(
            session=session,
            message=message,
            event="released",
            now=now,
            detail="liberado por la SD después de una restauración",
        )
    session.flush()
    return len(messages)


# --------------------------------------------------------------------------- delivery log


def list_deliveries(
    *,
    session: Session,
    edition_id: int,
    status: MessageStatus | None = None,
    party: str | None = None,
    version: int | None = None,
) -> list[DeliveryPublic]:
    """The edition's e-mails (newest first) with status, attempts, errors and their log,
    filtered by status, party code and agenda version."""
    query = select(OutboxMessage).where(OutboxMessage.edition_id == edition_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if party is not None:
        query = query.where(OutboxMessage.party_code == party)
    if version is not None:
        query = query.where(OutboxMessage.agenda_version == version)
    messages = session.exec(query.order_by(col(OutboxMessage.id).desc())).all()
    ids = [m.id for m in messages]
    files: dict[int, list[str]] = defaultdict(list)
    for message_id, filename in session.exec(
        select(OutboxAttachment.message_id, OutboxAttachment.filename)
        .where(col(OutboxAttachment.message_id).in_(ids))
        .order_by(col(OutboxAttachment.id))
    ):
        files[message_id].append(filename)
    logs: dict[int, list[DeliveryLogPublic]] = defaultdict(list)
    for entry in session.exec(
        select(DeliveryLog)
        .where(col(DeliveryLog.message_id).in_(ids))
        .order_by(col(DeliveryLog.id))
    ):
        logs[entry.message_id].append(DeliveryLogPublic.model_validate(entry, from_attributes=True))
    return [
        DeliveryPublic(
            id=m.id,  # type: ignore[arg-type]
            kind=m.kind,
            party_kind=m.party_kind,
            party_code=m.party_code,
            agenda_version=m.agenda_version,
            to=m.to_addrs,
            subject=m.subject,
            status=m.status,
            attempts=m.attempts,
            last_error=m.last_error,
            due_at=m.due_at,
            next_attempt_at=m.next_attempt_at,
            sent_at=m.sent_at,
            message_id=m.message_id,
            attachments=files[m.id or 0],
            log=logs[m.id or 0],
        )
        for m in messages
    ]
