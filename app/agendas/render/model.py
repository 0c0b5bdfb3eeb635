"""Document model of an agenda: everything a renderer needs, nothing from the database.

A later step builds an `Agenda` from the published schedule; the renderers in this package
(`pdf`, `ics`, `xlsx`, `csv`, `json`) only read it. All models are frozen and validated:
datetimes must be timezone-aware and are normalised to America/Lima, a CUI has 7 digits and
amounts in soles are non-negative with at most two decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

LIMA_TZ_NAME = "America/Lima"
LIMA = ZoneInfo(LIMA_TZ_NAME)

TopicKind = Literal["investment_project", "budget_request", "administrative_blockage", "other"]
CommitmentStatus = Literal["pending", "in_progress", "done"]
MeetingChange = Literal["added", "moved"]
AgendaKind = Literal["sector", "delegation", "room", "edition"]
Summit = Literal["gore", "muni"]

TOPIC_KIND_LABELS: dict[str, str] = {
    "investment_project": "Proyecto de inversión",
    "budget_request": "Demanda presupuestal",
    "administrative_blockage": "Trabas administrativas",
    "other": "Otro",
}
COMMITMENT_STATUS_LABELS: dict[str, str] = {
    "pending": "Pendiente",
    "in_progress": "En proceso",
    "done": "Ejecutado",
}
# Labels that depend on the summit: regions and governors (GORE), municipalities and mayors (MUNI).
DELEGATION_LABELS: dict[str, str] = {"gore": "Región", "muni": "Municipalidad"}
AUTHORITY_LABELS: dict[str, str] = {"gore": "Gobernador(a)", "muni": "Alcalde(sa)"}


def _lima(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(LIMA)


LimaDatetime = Annotated[datetime, AfterValidator(_lima)]


def _two_decimals(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise ValueError("amount must be a finite, non-negative number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("amount in soles has at most two decimals")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgendaTopic(_Frozen):
    """A prioritised topic the delegation brings to the meeting (rank 1 is the most important)."""

    rank: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)
    kind: TopicKind = "other"
    cui: str | None = Field(default=None, pattern=r"^\d{7}$")
    amount_soles: Annotated[Decimal | None, AfterValidator(_two_decimals)] = None


class AgendaCommitment(_Frozen):
    """An open commitment from an earlier edition between the same delegation and sector."""

    description: str = Field(min_length=1, max_length=2000)
    responsible: str = Field(default="", max_length=300)
    deadline: date | None = None
    status: CommitmentStatus = "pending"


class AgendaSector(_Frozen):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    minister: str = Field(default="", max_length=200)


class AgendaDelegation(_Frozen):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    authority_title: str = Field(default="", max_length=120)
    authority_name: str = Field(default="", max_length=200)


class AgendaMeeting(_Frozen):
    """One bilateral (or multisector) meeting, in one room."""

    request_id: int = Field(ge=1, description="The meeting's id: its meeting request's id")
    start: LimaDatetime
    end: LimaDatetime
    room: str = Field(min_length=1, max_length=120)
    delegation: AgendaDelegation
    sectors: tuple[AgendaSector, ...] = Field(min_length=1)
    topics: tuple[AgendaTopic, ...] = ()
    open_commitments: tuple[AgendaCommitment, ...] = ()
    more_commitments: int = Field(
        default=0, ge=0, description="Open commitments of the same parties not listed (older)"
    )
    sequence: int = Field(default=0, ge=0)
    change: MeetingChange | None = Field(
        default=None, description="What changed since the previous version of the schedule"
    )
    previous_start: LimaDatetime | None = None  # a moved meeting's start in the previous version
    previous_room: str | None = Field(default=None, max_length=120)

    @model_validator(mode="after")
    def _check(self) -> AgendaMeeting:
        if self.end <= self.start:
            raise ValueError("meeting must end after it starts")
        ranks = [t.rank for t in self.topics]
        if ranks != sorted(ranks) or len(set(ranks)) != len(ranks):
            raise ValueError("topics must be in priority order with distinct ranks")
        return self

    @property
    def sector_codes(self) -> str:
        return " + ".join(s.code for s in self.sectors)

    @property
    def sector_names(self) -> str:
        """`Ministerio de Salud (MINSA)`, several joined by ` + `."""
        return " + ".join(f"{s.name} ({s.code})" for s in self.sectors)

    def counterpart(self, kind: AgendaKind) -> str:
        """Who the agenda's owner meets: the ministries on a delegation's agenda, the
        delegation on a sector's, both on a room's or the edition's."""
        if kind == "delegation":
            return self.sector_names
        if kind == "sector":
            return self.delegation.name
        return f"{self.delegation.name} \u2013 {self.sector_codes}"


class CancelledMeeting(_Frozen):
    """A meeting sent in an earlier version and since cancelled (for iCalendar CANCEL events)."""

    request_id: int = Field(ge=1, description="The meeting's id: its meeting request's id")
    start: LimaDatetime
    end: LimaDatetime
    sequence: int = Field(ge=0)
    summary: str = Field(default="", max_length=300)


class Agenda(_Frozen):
    """One agenda document: a sector's, a delegation's, a room's or the whole edition's."""

    edition_code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    edition_name: str = Field(min_length=1, max_length=200)
    edition_venue: str = Field(default="", max_length=200)
    summit: Summit = "gore"
    kind: AgendaKind
    owner_code: str = Field(min_length=1, max_length=40)
    owner_name: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)
    generated_at: LimaDatetime
    meetings: tuple[AgendaMeeting, ...] = ()
    cancelled: tuple[CancelledMeeting, ...] = ()
    timezone: Literal["America/Lima"] = LIMA_TZ_NAME

    @model_validator(mode="after")
    def _unique_ids(self) -> Agenda:
        ids = [m.request_id for m in self.meetings]
        if len(set(ids)) != len(ids):
            raise ValueError("meeting ids must be unique within an agenda")
        if set(ids) & {c.request_id for c in self.cancelled}:
            raise ValueError("a meeting cannot be both scheduled and cancelled")
        return self

    def meetings_in_order(self) -> list[AgendaMeeting]:
        """Meetings by start time, then room, then id (the order every document uses)."""
        return sorted(self.meetings, key=lambda m: (m.start, m.room, m.request_id))
