"""API schemas of publications: the request that publishes a run and a version as the SD
sees it, with the delivery status of its e-mails."""

# No `from __future__ import annotations`: SQLModel needs real annotations.
import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from app.agendas.render.model import Agenda
from app.core.types import DbId


class AgendaJson(Agenda):
    """An agenda downloaded as JSON: the agenda and the name of this shape's version."""

    format: Literal["articula.agenda/2"]


class PublicationCreate(SQLModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)  # type: ignore[assignment]

    run_id: DbId
    force: bool = False
    reason: str | None = Field(default=None, max_length=2000)


class DeliveryStatus(StrEnum):
    none = "none"  # no recipient had an e-mail address or nothing changed
    scheduled = "scheduled"  # queued, due later (the window opens 5 days before)
    pending = "pending"  # due now, not yet sent
    sent = "sent"
    partial = "partial"  # some sent, some failed
    failed = "failed"
    superseded = "superseded"  # replaced by a later version before it was sent
    cancelled = "cancelled"  # the edition was closed before it was sent


class PartyChange(SQLModel):
    party_kind: str
    party_code: str
    added: int
    removed: int
    moved: int


class PublicationPublic(SQLModel):
    id: int
    edition_id: int
    number: int
    run_id: int | None
    published_at: dt.datetime
    published_by: str
    forced: bool
    force_reason: str | None
    meeting_count: int
    current: bool
    delivery_due_at: dt.datetime
    delivery_status: DeliveryStatus
    messages: dict[str, int] = Field(description="Outbox messages of this version by status")
    changes: list[PartyChange] = Field(default_factory=list)
