"""The outbox: every e-mail the service sends, with the exact bytes of its attachments.

A message is written in the transaction that decides to send it (a publication) and sent
later by `app.mail.service.dispatch_due`; `delivery_log` records every attempt.
"""

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class MessageStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    superseded = "superseded"
    cancelled = "cancelled"  # its edition was closed before it went out
    held = "held"  # queued before a restore: waits until the SD releases it


class MessageKind(StrEnum):
    agenda = "agenda"  # a party's full agenda (first delivery)
    changes = "changes"  # a republication: what changed, with the updated agenda


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int | None = Field(
        default=None, foreign_key="edition.id", ondelete="CASCADE", index=True
    )
    kind: MessageKind = Field(sa_type=sa.String(16))
    party_kind: str | None = Field(default=None, max_length=16)
    party_id: int | None = None
    party_code: str | None = Field(default=None, max_length=16)
    agenda_version: int | None = None
    to_addrs: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    cc_addrs: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_type=sa.Text)
    body_html: str | None = Field(default=None, sa_type=sa.Text)
    message_id: str = Field(max_length=200, unique=True)
    status: MessageStatus = Field(default=MessageStatus.queued, sa_type=sa.String(16))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    due_at: dt.datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: dt.datetime = Field(sa_type=UTCDateTime)
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutboxAttachment(SQLModel, table=True):
    __tablename__ = "outbox_attachment"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", ondelete="CASCADE", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    content: bytes = Field(sa_type=sa.LargeBinary)


class DeliveryLog(SQLModel, table=True):
    __tablename__ = "delivery_log"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", ondelete="CASCADE", index=True)
    edition_id: int | None = Field(
        default=None, foreign_key="edition.id", ondelete="CASCADE", index=True
    )
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    event: str = Field(max_length=16, description="queued, sent, retry, failed, superseded")
    attempt: int = 0
    detail: str | None = Field(default=None, max_length=2000)


class DeliveryLogPublic(SQLModel):
    at: dt.datetime
    event: str
    attempt: int
    detail: str | None


class DeliveryPublic(SQLModel):
    id: int
    kind: MessageKind
    party_kind: str | None
    party_code: str | None
    agenda_version: int | None
    to: list[str]
    subject: str
    status: MessageStatus
    attempts: int
    last_error: str | None
    due_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    message_id: str
    attachments: list[str]
    log: list[DeliveryLogPublic]


class ReleasedPublic(SQLModel):
    released: int = Field(description="Held messages returned to the queue")
