"""Rapporteurs, meeting records (relatoría) and commitments with their history.

Tables (the `rapporteur_assignment` table lives in app/editions/models.py: editions use it
to show a rapporteur only the editions it is assigned to):
- `meeting_record`: what the rapporteur wrote down (held or not and why, attendees, notes),
  a draft until the rapporteur closes it.
- `records_closure`: the SD closed the records of an edition (rapporteurs then get 409).
- `commitment`: an agreement to follow up, recorded in a meeting or imported from history.
- `commitment_event`: every change of a commitment (created, imported, edited, status).
- `commitment_import`: one imported file (its SHA-256 makes a re-upload a 409).
"""

# No `from __future__ import annotations`: SQLModel needs real annotations.
import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import ConfigDict, field_validator, model_validator
from sqlmodel import Field, SQLModel

from app.core.types import DbId, UTCDateTime, refuse_nulls, utcnow

_INPUT = ConfigDict(extra="forbid", str_strip_whitespace=True)
CUI_PATTERN = r"^\d{7}$"
DESCRIPTION_MAX = 2000
NOTE_MAX = 2000


class CommitmentType(StrEnum):
    administrative = "administrative"  # deadlines, formats, procedures
    technical = "technical"  # specialised technical assistance
    budgetary = "budgetary"  # budget increase or change


class CommitmentStatus(StrEnum):
    pending = "pending"
    in_process = "in_process"
    executed = "executed"
    cancelled = "cancelled"


class CommitmentSource(StrEnum):
    recorded = "recorded"  # agreed in a published meeting, written down by its rapporteur/SD
    imported = "imported"  # loaded from the SD's earlier tracking spreadsheets


class EventKind(StrEnum):
    created = "created"
    imported = "imported"
    edited = "edited"
    status = "status"
    evidence = "evidence"  # evidence added, at any status


OPEN_STATUSES = (CommitmentStatus.pending, CommitmentStatus.in_process)
FINAL_STATUSES = (CommitmentStatus.executed, CommitmentStatus.cancelled)

TYPE_ES = {
    CommitmentType.administrative: "administrativo",
    CommitmentType.technical: "técnico",
    CommitmentType.budgetary: "presupuestal",
}
STATUS_ES = {
    CommitmentStatus.pending: "pendiente",
    CommitmentStatus.in_process: "en proceso",
    CommitmentStatus.executed: "ejecutado",
    CommitmentStatus.cancelled: "cancelado",
}


# --------------------------------------------------------------------------- rapporteurs


class AssignmentCreate(SQLModel):
    model_config = _INPUT
    rapporteur_key_id: DbId
    request_ids: list[DbId] = Field(min_length=1, max_length=1000)


class AssignmentPublic(SQLModel):
    edition_id: int
    request_id: int
    rapporteur_key_id: int
    rapporteur_name: str
    assigned_at: dt.datetime


class RapporteurMeetingPublic(SQLModel):
    """A meeting of the current published version assigned to a rapporteur."""

    request_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str
    delegation: str
    delegation_name: str
    sectors: list[str]
    topics: list[str]
    rapporteur_name: str
    recorded: bool
    held: bool | None
    closed: bool


class Attendee(SQLModel):
    model_config = _INPUT
    name: str = Field(min_length=1, max_length=160)
    role: str = Field(default="", max_length=160)
    party: str = Field(default="", max_length=160, description="Delegation, sector or SD")


class MeetingRecord(SQLModel, table=True):
    __tablename__ = "meeting_record"
    __table_args__ = (sa.UniqueConstraint("edition_id", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    request_id: int
    held: bool
    not_held_reason: str | None = Field(default=None, max_length=NOTE_MAX)
    attendees: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    notes: str = Field(default="", sa_type=sa.Text)
    recorded_by: str = Field(max_length=120)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="The rapporteur closed it (no draft)"
    )


class MeetingRecordIn(SQLModel):
    model_config = _INPUT
    held: bool
    not_held_reason: str | None = Field(default=None, max_length=NOTE_MAX)
    attendees: list[Attendee] = Field(default_factory=list, max_length=100)
    notes: str = Field(default="", max_length=20_000)

    @model_validator(mode="after")
    def _reason(self) -> "MeetingRecordIn":
        if not self.held and not (self.not_held_reason or "").strip():
            raise ValueError("not_held_reason is required when the meeting was not held")
        if self.held and self.not_held_reason:
            raise ValueError("not_held_reason only applies to a meeting that was not held")
        return self


class MeetingRecordPublic(SQLModel):
    edition_id: int
    request_id: int
    held: bool
    not_held_reason: str | None
    attendees: list[Attendee]
    notes: str
    recorded_by: str
    recorded_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None = None


class RecordsClosure(SQLModel, table=True):
    __tablename__ = "records_closure"

    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", primary_key=True)
    closed_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_by: str = Field(max_length=120)


class RecordsClosurePublic(SQLModel):
    edition_id: int
    closed_at: dt.datetime
    closed_by: str


# --------------------------------------------------------------------------- commitments


class CommitmentImport(SQLModel, table=True):
    __tablename__ = "commitment_import"

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=200)
    sha256: str = Field(max_length=64, unique=True)
    rows: int = Field(ge=0)
    imported_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    imported_by: str = Field(max_length=120)


class Commitment(SQLModel, table=True):
    __tablename__ = "commitment"
    __table_args__ = (
        sa.CheckConstraint(
            "sector_id IS NOT NULL OR delegation_id IS NOT NULL", name="responsible_party"
        ),
        sa.Index("ix_commitment_sector_id_status", "sector_id", "status"),
        sa.Index("ix_commitment_delegation_id_status", "delegation_id", "status"),
        sa.Index("ix_commitment_edition_id_request_id", "edition_id", "request_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: CommitmentSource = Field(sa_type=sa.String(16))
    edition_id: int | None = Field(default=None, foreign_key="edition.id", ondelete="CASCADE")
    edition_label: str | None = Field(
        default=None, max_length=120, description="Edition name (kept for historical editions)"
    )
    request_id: int | None = Field(default=None, description="The published meeting")
    import_id: int | None = Field(
        default=None, foreign_key="commitment_import.id", ondelete="CASCADE", index=True
    )
    topic_id: int | None = Field(default=None, description="Topic of the meeting (snapshot)")
    cui: str | None = Field(default=None, max_length=7)
    description: str = Field(max_length=DESCRIPTION_MAX)
    sector_id: int | None = Field(default=None, foreign_key="sector.id")
    delegation_id: int | None = Field(default=None, foreign_key="delegation.id")
    type: CommitmentType = Field(sa_type=sa.String(16), index=True)
    deadline: dt.date | None = Field(default=None, index=True)
    amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 2))
    status: CommitmentStatus = Field(
        default=CommitmentStatus.pending, sa_type=sa.String(16), index=True
    )
    executed_at: dt.date | None = None
    status_changed_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=120)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CommitmentEvent(SQLModel, table=True):
    __tablename__ = "commitment_event"

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", ondelete="CASCADE", index=True)
    kind: EventKind = Field(sa_type=sa.String(16))
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    evidence: str | None = Field(default=None, max_length=NOTE_MAX)
    changes: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    actor_key_id: int | None = Field(default=None, description="API key (no FK: keys may go)")
    actor_name: str = Field(max_length=120)
    actor_role: str = Field(max_length=20)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --------------------------------------------------------------------------- API schemas


def _check_cui(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(CUI_PATTERN, value):
        raise ValueError("a CUI has exactly 7 digits")
    return value


def _check_amount(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise ValueError("amount must be a non-negative number")
    # The range comes first: quantizing a huge exponent (1e26) exceeds the decimal context.
    if value >= Decimal("1e16"):
        raise ValueError("amount is too large")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("amount in soles has at most two decimals")
    return value


class CommitmentFields(SQLModel):
    """Fields the SD or a rapporteur sets when writing down a commitment."""

    model_config = _INPUT
    topic_id: DbId | None = None
    cui: str | None = Field(default=None, max_length=7, schema_extra={"pattern": CUI_PATTERN})
    description: str = Field(min_length=3, max_length=DESCRIPTION_MAX)
    sector_id: DbId | None = None
    delegation_id: DbId | None = None
    type: CommitmentType
    deadline: dt.date
    amount: Decimal | None = Field(default=None, description="Soles; required for budgetary")

    _amount = field_validator("amount")(_check_amount)
    _cui = field_validator("cui")(_check_cui)

    @model_validator(mode="after")
    def _rules(self) -> "CommitmentFields":
        if self.sector_id is None and self.delegation_id is None:
            raise ValueError("a commitment needs a responsible sector_id, delegation_id or both")
        if self.type == CommitmentType.budgetary and self.amount is None:
            raise ValueError("a budgetary commitment needs its amount in soles")
        return self


class MeetingCommitmentCreate(CommitmentFields):
    """POST /api/editions/{id}/meetings/{request_id}/commitments."""


class CommitmentCreate(CommitmentFields):
    """POST /api/commitments (SD): in a meeting (edition_id + request_id) or without one."""

    edition_id: DbId | None = None
    request_id: DbId | None = None
    deadline: dt.date | None = None  # type: ignore[assignment]
    status: CommitmentStatus = CommitmentStatus.pending
    evidence: str | None = Field(
        default=None, max_length=NOTE_MAX, description="Text or URL; required when executed"
    )

    @model_validator(mode="after")
    def _meeting(self) -> "CommitmentCreate":
        if self.request_id is not None and self.edition_id is None:
            raise ValueError("request_id needs edition_id")
        return self


class CommitmentUpdate(SQLModel):
    """PATCH: only the fields sent change (status changes go through /status)."""

    model_config = _INPUT
    topic_id: DbId | None = None
    cui: str | None = Field(default=None, max_length=7, schema_extra={"pattern": CUI_PATTERN})
    description: str | None = Field(default=None, min_length=3, max_length=DESCRIPTION_MAX)
    sector_id: DbId | None = None
    delegation_id: DbId | None = None
    type: CommitmentType | None = None
    deadline: dt.date | None = None
    amount: Decimal | None = None

    _amount = field_validator("amount")(_check_amount)
    _cui = field_validator("cui")(_check_cui)

    @model_validator(mode="after")
    def _no_nulls(self) -> "CommitmentUpdate":
        refuse_nulls(self, "description", "type")
        return self


class StatusChangeIn(SQLModel):
    model_config = _INPUT
    to: CommitmentStatus
    note: str | None = Field(default=None, max_length=NOTE_MAX)
    evidence: str | None = Field(default=None, max_length=NOTE_MAX, description="Text or URL")


class CommitmentPublic(SQLModel):
    id: int
    source: CommitmentSource
    edition_id: int | None
    edition_label: str | None
    request_id: int | None
    topic_id: int | None
    cui: str | None
    description: str
    sector_id: int | None
    sector_code: str | None = None
    delegation_id: int | None
    delegation_code: str | None = None
    type: CommitmentType
    deadline: dt.date | None
    amount: Decimal | None
    status: CommitmentStatus
    overdue: bool
    executed_at: dt.date | None
    status_changed_at: dt.datetime
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime


class EvidenceIn(SQLModel):
    model_config = _INPUT
    evidence: str = Field(min_length=1, max_length=NOTE_MAX, description="Text or URL")
    note: str | None = Field(default=None, max_length=NOTE_MAX)


class CommitmentEventPublic(SQLModel):
    id: int
    kind: EventKind
    from_status: str | None
    to_status: str | None
    note: str | None
    evidence: str | None
    changes: dict[str, Any]
    actor_name: str
    actor_role: str
    at: dt.datetime


class SummaryRow(SQLModel):
    key: str = Field(description="Sector/delegation code, type, edition name, or 'total'")
    name: str
    total: int
    executed: int
    in_process: int
    pending: int
    cancelled: int
    overdue: int
    pct_executed: float
    pct_in_process: float
    pct_pending: float
    pct_cancelled: float


class SummaryPublic(SQLModel):
    edition_id: int | None
    group_by: str | None
    as_of: dt.date
    total: SummaryRow
    groups: list[SummaryRow]


class ImportRowError(SQLModel):
    row: int
    column: str
    message: str


class ImportResult(SQLModel):
    import_id: int
    filename: str
    imported: int
    by_status: dict[str, int]
    by_type: dict[str, int]


# --------------------------------------------------------------------------- evidence

NAME_MAX = 200
URL_MAX = 2000


class CommitmentEvidence(SQLModel, table=True):
    __tablename__ = "commitment_evidence"
    __table_args__ = (
        sa.CheckConstraint(
            "url IS NOT NULL OR stored_name IS NOT NULL OR note IS NOT NULL",
            name="link_file_or_note",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", ondelete="CASCADE", index=True)
    url: str | None = Field(default=None, max_length=URL_MAX)
    filename: str | None = Field(default=None, max_length=NAME_MAX)
    media_type: str | None = Field(default=None, max_length=120)
    size: int | None = Field(default=None, ge=0)
    sha256: str | None = Field(default=None, max_length=64)
    stored_name: str | None = Field(default=None, max_length=80)
    note: str | None = Field(default=None, max_length=2000)
    added_by: str = Field(max_length=120)
    added_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
