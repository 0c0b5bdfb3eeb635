"""Delegations, sectors and editions (days, time blocks, participants, rooms, unavailability,
rapporteur assignments).

Each entity has one schema family: `<X>Base` (shared fields and limits), the table `<X>`,
`<X>Create` / `<X>Update` (inputs: unknown fields are a 422) and `<X>Public` (outputs).
"""

# No `from __future__ import annotations` here: SQLModel relationships need real annotations.
import datetime as dt
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, ConfigDict, EmailStr, field_validator, model_validator
from sqlalchemy import JSON, CheckConstraint, String, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from app.core.types import INT32_MAX, DbId, UTCDateTime, refuse_nulls, utcnow

_INPUT = ConfigDict(extra="forbid", str_strip_whitespace=True)
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{1,15}$"


class DelegationKind(StrEnum):
    regional_government = "regional_government"
    municipality = "municipality"
    metropolitan_municipality = "metropolitan_municipality"


class AuthorityTitle(StrEnum):
    governor = "governor"
    mayor = "mayor"


class EditionKind(StrEnum):
    GORE = "GORE"
    MUNI = "MUNI"


class EditionStatus(StrEnum):
    draft = "draft"
    open_for_submissions = "open_for_submissions"
    in_review = "in_review"
    scheduling = "scheduling"
    published = "published"
    held = "held"
    closed = "closed"


class BlockKind(StrEnum):
    bilateral = "bilateral"
    plenary = "plenary"
    lunch = "lunch"
    political_meeting = "political_meeting"
    other = "other"


# --------------------------------------------------------------------------- delegations


class DelegationBase(SQLModel):
    code: str = Field(
        max_length=16, unique=True, index=True, schema_extra={"pattern": CODE_PATTERN}
    )
    name: str = Field(min_length=2, max_length=120)
    kind: DelegationKind = Field(sa_type=String(32))
    authority_title: AuthorityTitle = Field(sa_type=String(16))
    authority_name: str | None = Field(default=None, max_length=120)
    region: str | None = Field(default=None, max_length=80)
    ubigeo: str | None = Field(default=None, max_length=6, schema_extra={"pattern": r"^\d{2,6}$"})


class Delegation(DelegationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contact_emails: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DelegationCreate(DelegationBase):
    model_config = _INPUT
    contact_emails: list[EmailStr] = Field(default_factory=list, max_length=20)


class DelegationUpdate(SQLModel):
    model_config = _INPUT
    name: str | None = Field(default=None, min_length=2, max_length=120)
    kind: DelegationKind | None = None
    authority_title: AuthorityTitle | None = None
    authority_name: str | None = Field(default=None, max_length=120)
    region: str | None = Field(default=None, max_length=80)
    ubigeo: str | None = Field(default=None, max_length=6, schema_extra={"pattern": r"^\d{2,6}$"})
    contact_emails: list[EmailStr] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _no_nulls(self) -> "DelegationUpdate":
        refuse_nulls(self, "name", "kind", "authority_title", "contact_emails")
        return self


class DelegationPublic(DelegationBase):
    id: int
    contact_emails: list[str] | None = Field(
        description="Only for the SD and the delegation itself; null for everyone else"
    )


class DelegationRef(SQLModel):
    id: int
    code: str
    name: str


# --------------------------------------------------------------------------- sectors


class SectorBase(SQLModel):
    code: str = Field(
        max_length=16, unique=True, index=True, schema_extra={"pattern": CODE_PATTERN}
    )
    name: str = Field(min_length=2, max_length=160)
    minister_name: str | None = Field(default=None, max_length=120)


class Sector(SectorBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    contact_emails: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SectorCreate(SectorBase):
    model_config = _INPUT
    contact_emails: list[EmailStr] = Field(default_factory=list, max_length=20)


class SectorUpdate(SQLModel):
    model_config = _INPUT
    name: str | None = Field(default=None, min_length=2, max_length=160)
    minister_name: str | None = Field(default=None, max_length=120)
    contact_emails: list[EmailStr] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _no_nulls(self) -> "SectorUpdate":
        refuse_nulls(self, "name", "contact_emails")
        return self


class SectorPublic(SectorBase):
    id: int
    contact_emails: list[str] | None = Field(
        description="Only for the SD and the sector itself; null for everyone else"
    )


class SectorRef(SQLModel):
    id: int
    code: str
    name: str


# --------------------------------------------------------------------------- editions


class DayBlockBase(SQLModel):
    kind: BlockKind = Field(sa_type=String(24))
    label: str | None = Field(default=None, max_length=120)
    start_time: dt.time
    end_time: dt.time


class DayBlock(DayBlockBase, table=True):
    __tablename__ = "day_block"

    id: int | None = Field(default=None, primary_key=True)
    day_id: int = Field(foreign_key="edition_day.id", ondelete="CASCADE", index=True)
    day: "EditionDay" = Relationship(back_populates="blocks")


class DayBlockIn(DayBlockBase):
    model_config = _INPUT


class DayBlockPublic(DayBlockBase):
    id: int


class EditionDay(SQLModel, table=True):
    __tablename__ = "edition_day"
    __table_args__ = (
        UniqueConstraint("edition_id", "date"),
        UniqueConstraint("edition_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    date: dt.date
    position: int = Field(ge=1, le=3)
    edition: "Edition" = Relationship(back_populates="days")
    blocks: list["DayBlock"] = Relationship(
        back_populates="day",
        cascade_delete=True,
        sa_relationship_kwargs={"order_by": "DayBlock.start_time"},
    )


class EditionDayIn(SQLModel):
    model_config = _INPUT
    date: dt.date
    blocks: list[DayBlockIn] = Field(min_length=1, max_length=12)


class EditionDayPublic(SQLModel):
    id: int
    date: dt.date
    position: int
    blocks: list[DayBlockPublic]


class EditionBase(SQLModel):
    name: str = Field(min_length=3, max_length=120)
    kind: EditionKind = Field(sa_type=String(8))
    venue: str | None = Field(default=None, max_length=200)
    timezone: str = Field(default="America/Lima", max_length=64)
    slot_minutes: int = Field(default=20, ge=5, le=120)
    agenda_days_before_max: int = Field(default=5, ge=0, le=30)
    agenda_days_before_min: int = Field(default=2, ge=0, le=30)


class Edition(EditionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: EditionStatus = Field(default=EditionStatus.draft, sa_type=String(24), index=True)
    submissions_open_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    submissions_close_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    days: list["EditionDay"] = Relationship(
        back_populates="edition",
        cascade_delete=True,
        sa_relationship_kwargs={"order_by": "EditionDay.position"},
    )


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class EditionCreate(EditionBase):
    model_config = _INPUT
    submissions_open_at: AwareDatetime | None = None
    submissions_close_at: AwareDatetime | None = None
    days: list[EditionDayIn] = Field(min_length=1, max_length=3)

    _tz = field_validator("timezone")(_check_timezone)


class EditionUpdate(SQLModel):
    model_config = _INPUT
    name: str | None = Field(default=None, min_length=3, max_length=120)
    kind: EditionKind | None = None
    venue: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    slot_minutes: int | None = Field(default=None, ge=5, le=120)
    agenda_days_before_max: int | None = Field(default=None, ge=0, le=30)
    agenda_days_before_min: int | None = Field(default=None, ge=0, le=30)
    submissions_open_at: AwareDatetime | None = None
    submissions_close_at: AwareDatetime | None = None
    days: list[EditionDayIn] | None = Field(default=None, min_length=1, max_length=3)

    _tz = field_validator("timezone")(_check_timezone)

    @model_validator(mode="after")
    def _no_nulls(self) -> "EditionUpdate":
        refuse_nulls(
            self,
            "name",
            "kind",
            "timezone",
            "slot_minutes",
            "agenda_days_before_max",
            "agenda_days_before_min",
            "days",
        )
        return self


class EditionPublic(EditionBase):
    id: int
    status: EditionStatus
    submissions_open_at: dt.datetime | None
    submissions_close_at: dt.datetime | None
    created_at: dt.datetime
    days: list[EditionDayPublic]


class StatusChange(SQLModel):
    model_config = _INPUT
    to: EditionStatus


class SlotPublic(SQLModel):
    index: int
    starts_at: dt.datetime
    ends_at: dt.datetime


# --------------------------------------------------------------------------- participation


class EditionDelegation(SQLModel, table=True):
    __tablename__ = "edition_delegation"

    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", primary_key=True)
    delegation_id: int = Field(foreign_key="delegation.id", primary_key=True, index=True)


class EditionSector(SQLModel, table=True):
    __tablename__ = "edition_sector"

    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", primary_key=True)
    sector_id: int = Field(foreign_key="sector.id", primary_key=True, index=True)


class ParticipantsIn(SQLModel):
    model_config = _INPUT
    delegation_codes: list[str] = Field(default_factory=list, max_length=2500)
    sector_codes: list[str] = Field(default_factory=list, max_length=100)


class ParticipantsPublic(SQLModel):
    sectors: list[SectorRef]
    delegations: list[DelegationRef]  # one page, by code
    delegations_total: int
    limit: int
    offset: int


# --------------------------------------------------------------------------- rooms


class RoomBase(SQLModel):
    name: str = Field(min_length=1, max_length=80)
    capacity: int = Field(default=20, ge=1, le=1000)
    reserved_sector_id: int | None = Field(
        default=None, foreign_key="sector.id", ge=1, le=INT32_MAX
    )


class Room(RoomBase, table=True):
    __table_args__ = (UniqueConstraint("edition_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)


class RoomCreate(RoomBase):
    model_config = _INPUT


class RoomUpdate(SQLModel):
    model_config = _INPUT
    name: str | None = Field(default=None, min_length=1, max_length=80)
    capacity: int | None = Field(default=None, ge=1, le=1000)
    reserved_sector_id: DbId | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> "RoomUpdate":
        refuse_nulls(self, "name", "capacity")
        return self


class RoomPublic(RoomBase):
    id: int
    edition_id: int


# --------------------------------------------------------------------------- unavailability


class UnavailabilityBase(SQLModel):
    delegation_id: int | None = Field(default=None, foreign_key="delegation.id", ge=1, le=INT32_MAX)
    sector_id: int | None = Field(default=None, foreign_key="sector.id", ge=1, le=INT32_MAX)
    reason: str | None = Field(default=None, max_length=200)


class Unavailability(UnavailabilityBase, table=True):
    __table_args__ = (
        CheckConstraint("(delegation_id IS NULL) <> (sector_id IS NULL)", name="exactly_one_party"),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    ends_at: dt.datetime = Field(sa_type=UTCDateTime)


class UnavailabilityCreate(UnavailabilityBase):
    model_config = _INPUT
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class UnavailabilityPublic(UnavailabilityBase):
    id: int
    edition_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


class RapporteurAssignment(SQLModel, table=True):
    """Which rapporteur key records which published meeting, addressed by its stable identity
    (edition_id, request_id); one rapporteur per meeting. The commitments package writes it;
    it lives here because it also decides which editions a rapporteur may read."""

    __tablename__ = "rapporteur_assignment"
    __table_args__ = (UniqueConstraint("edition_id", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    request_id: int = Field(description="The published meeting (stable across versions)")
    key_id: int = Field(foreign_key="api_key.id", index=True)
    assigned_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    assigned_by: str = Field(max_length=120)
