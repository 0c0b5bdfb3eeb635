"""Schedule versions: the numbered published versions of an edition's meetings and the
current pointer.

A publication writes a `ScheduleVersion` and all its `ScheduledMeeting` rows, then points
`CurrentSchedule` at it, in one transaction: readers follow the pointer, so they see either
the previous version or the whole new one. Agenda version N is schedule version N.

A scheduled meeting is a snapshot (delegation, sectors, topics, room, time) and keeps the
request id without a foreign key: a re-plan may regenerate the meeting requests, and the
published versions (and the iCalendar UIDs derived from the request id) must survive it.
"""

# No `from __future__ import annotations`: SQLModel needs real annotations.
import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class ScheduleVersion(SQLModel, table=True):
    __tablename__ = "schedule_version"
    __table_args__ = (sa.UniqueConstraint("edition_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    number: int = Field(ge=1)
    run_id: int | None = Field(
        default=None, description="Solve run published (no FK: runs may be purged)"
    )
    published_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by: str = Field(max_length=120, description="Name of the API key that published")
    forced: bool = False
    force_reason: str | None = Field(default=None, max_length=2000)
    delivery_due_at: dt.datetime = Field(sa_type=UTCDateTime)
    meeting_count: int = Field(default=0, ge=0)


class ScheduledMeeting(SQLModel, table=True):
    __tablename__ = "scheduled_meeting"
    __table_args__ = (sa.UniqueConstraint("version_id", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="schedule_version.id", ondelete="CASCADE", index=True)
    request_id: int
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    ends_at: dt.datetime = Field(sa_type=UTCDateTime)
    sector_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    topic_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)


class CurrentSchedule(SQLModel, table=True):
    """The edition's published version: flipped last, in the publication's transaction."""

    __tablename__ = "current_schedule"

    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", primary_key=True)
    version_id: int = Field(foreign_key="schedule_version.id", index=True)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
