"""Meeting requests: what the SD asks the scheduler to place, generated from accepted topics.

Maps one-to-one onto `solver.models.MeetingRequest`: parties = the delegation and the
request's sectors, weight, mandatory, duration (slots), attendees, pin (global slot, room).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from app.core.types import DbId, UTCDateTime, utcnow


class RequestStatus(StrEnum):
    active = "active"
    withdrawn = "withdrawn"


class RequestSource(StrEnum):
    generated = "generated"  # by POST .../meeting-requests/generate
    merged = "merged"  # by POST .../meeting-requests/merge


class MeetingRequest(SQLModel, table=True):
    __tablename__ = "meeting_request"
    # Regeneration deletes requests: never hand a deleted id to a new request on SQLite.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    weight: int = Field(default=1, ge=0)
    duration_slots: int = Field(default=1, ge=1)
    mandatory: bool = False
    attendees: int = Field(default=0, ge=0)
    # The pin, in the edition's local time: a day, a start time on the bilateral grid, a room.
    pin_date: dt.date | None = None
    pin_start_time: dt.time | None = None
    pin_room_id: int | None = Field(default=None, foreign_key="room.id", ondelete="SET NULL")
    status: RequestStatus = Field(default=RequestStatus.active, sa_type=sa.String(16), index=True)
    source: RequestSource = Field(default=RequestSource.generated, sa_type=sa.String(16))
    edited: bool = Field(default=False, description="Changed by the SD since it was generated")
    merged_into_id: int | None = Field(default=None, foreign_key="meeting_request.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingRequestSector(SQLModel, table=True):
    __tablename__ = "meeting_request_sector"

    request_id: int = Field(foreign_key="meeting_request.id", ondelete="CASCADE", primary_key=True)
    sector_id: int = Field(foreign_key="sector.id", primary_key=True, index=True)


class MeetingRequestTopic(SQLModel, table=True):
    __tablename__ = "meeting_request_topic"

    request_id: int = Field(foreign_key="meeting_request.id", ondelete="CASCADE", primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", primary_key=True, index=True)


# --------------------------------------------------------------------------- input


class _In(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class PinIn(_In):
    date: dt.date
    start_time: dt.time = Field(description="Local start time; must fall on a bilateral slot")
    room_id: DbId | None = None


class MeetingRequestUpdate(_In):
    """Only the fields sent change; `pin: null` removes the pin."""

    weight: int = Field(default=1, ge=0, le=1_000_000)
    duration_slots: int = Field(default=1, ge=1, le=48)
    mandatory: bool = False
    attendees: int = Field(default=0, ge=0, le=1000)
    pin: PinIn | None = None


class MergeRequestsIn(_In):
    request_ids: list[DbId] = Field(min_length=2, max_length=20)


# --------------------------------------------------------------------------- output


class PinPublic(SQLModel):
    date: dt.date
    start_time: dt.time
    room_id: int | None
    slot: int | None = Field(description="Global slot index on the edition's bilateral grid")


class MeetingRequestPublic(SQLModel):
    id: int
    edition_id: int
    delegation: str
    sectors: list[str]
    topic_ids: list[int]
    weight: int
    duration_slots: int
    mandatory: bool
    attendees: int
    pin: PinPublic | None
    status: RequestStatus
    source: RequestSource
    edited: bool
    merged_into_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


# --------------------------------------------------------------------------- solve runs


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE_RUN_STATUSES = (RunStatus.queued, RunStatus.running)
_ACTIVE_SQL = "status IN ('queued', 'running')"


class RunMode(StrEnum):
    plan = "plan"
    replan = "replan"
    manual = "manual"  # a succeeded run's schedule with one meeting moved by the SD


class SolveRun(SQLModel, table=True):
    """One solver execution for an edition: options in, progress while running, result out.

    Only the job that executes it writes a run after creation (and the SD's cancel):
    it never touches requests, submissions or the published schedule."""

    __tablename__ = "solve_run"
    __table_args__ = (
        # At most one queued or running run per edition, enforced by the database too.
        sa.Index(
            "ux_solve_run_active_edition",
            "edition_id",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    status: RunStatus = Field(default=RunStatus.queued, sa_type=sa.String(16), index=True)
    mode: RunMode = Field(default=RunMode.plan, sa_type=sa.String(8))
    options: dict = Field(default_factory=dict, sa_type=sa.JSON)
    progress: list = Field(default_factory=list, sa_type=sa.JSON)
    result: dict | None = Field(default=None, sa_type=sa.JSON)
    # [{request_id, room_id, starts_at, ends_at}] with ISO UTC datetimes
    assignments: list | None = Field(default=None, sa_type=sa.JSON)
    error: str | None = Field(default=None, sa_type=sa.Text)
    cancel_requested: bool = False
    created_by: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
