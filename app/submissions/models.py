"""Topics a delegation submits for an edition, their list versions and SD review state.

A delegation sends its whole prioritized list (every sector) in one request; each
submission is a new `TopicListVersion` and the old ones are kept. Review state (status,
reason, reviewer) lives on the topics of the current version.
"""

# No `from __future__ import annotations` here: SQLModel relationships need real annotations.
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from pydantic import ConfigDict, field_validator
from sqlmodel import Field, Relationship, SQLModel

from app.core.types import DbId, UTCDateTime

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
CUI_PATTERN = r"^\d{7}$"


class TopicKind(StrEnum):
    investment_project = "investment_project"
    budget_request = "budget_request"
    administrative_blockage = "administrative_blockage"
    other = "other"


class TopicStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    merged = "merged"


# Kinds that may carry a CUI and an amount; a CUI is required for investment projects.
KINDS_WITH_PROJECT = {TopicKind.investment_project, TopicKind.budget_request}


# --------------------------------------------------------------------------- tables


class TopicListVersion(SQLModel, table=True):
    """One submission of a delegation's whole list for an edition (number 1..n)."""

    __tablename__ = "topic_list_version"
    __table_args__ = (sa.UniqueConstraint("edition_id", "delegation_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", index=True, ondelete="CASCADE")
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    number: int = Field(ge=1)
    is_current: bool = Field(default=True, index=True)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    submitted_by: str = Field(max_length=64, description="Id of the API key that submitted it")


class Topic(SQLModel, table=True):
    """One topic of a list version; review fields are used on the current version only."""

    __tablename__ = "topic"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="topic_list_version.id", index=True, ondelete="CASCADE")
    # Denormalised from the version, so scoped queries need no join.
    edition_id: int = Field(foreign_key="edition.id", index=True)
    delegation_id: int = Field(foreign_key="delegation.id", index=True)
    position: int = Field(ge=0, description="Index of the topic in the submitted list")
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    kind: TopicKind = Field(sa_type=sa.String(32))
    cui: str | None = Field(default=None, max_length=7)
    amount: Decimal | None = Field(default=None, sa_type=sa.Numeric(18, 2))
    status: TopicStatus = Field(default=TopicStatus.pending, sa_type=sa.String(16), index=True)
    review_reason: str | None = Field(default=None, max_length=2000)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str | None = Field(default=None, max_length=64)
    merged_into_id: int | None = Field(default=None, foreign_key="topic.id")
    # Many-to-one only, so a new version, its topics and their sectors insert in one flush.
    version: TopicListVersion = Relationship()


class TopicSector(SQLModel, table=True):
    """A topic addressed to a sector, with its rank in that delegation+sector list."""

    __tablename__ = "topic_sector"
    __table_args__ = (sa.UniqueConstraint("topic_id", "sector_id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="topic.id", index=True, ondelete="CASCADE")
    sector_id: int = Field(foreign_key="sector.id", index=True)
    rank: int = Field(ge=1, description="Current rank (the SD may re-rank in review)")
    submitted_rank: int = Field(ge=1, description="Rank as the delegation submitted it")
    topic: Topic = Relationship()


# --------------------------------------------------------------------------- input


class _In(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class SectorRankIn(_In):
    sector: str = Field(min_length=1, max_length=32, description="Sector code, e.g. MINSA")
    rank: int = Field(ge=1, le=1000, description="1 = most important for that sector")


class TopicIn(_In):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    kind: TopicKind
    cui: str | None = Field(default=None, max_length=32)
    amount: Decimal | None = Field(default=None, max_digits=18, decimal_places=2)
    sectors: list[SectorRankIn] = Field(min_length=1, max_length=30)

    @field_validator("title")
    @classmethod
    def _strip_title(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("el título no puede estar vacío")
        return value


class TopicListIn(_In):
    topics: list[TopicIn] = Field(max_length=500)
    confirm_empty: bool = Field(
        default=False,
        description="Required (true) to submit an empty list, which withdraws every topic",
    )


# --------------------------------------------------------------------------- output


class SectorRankPublic(SQLModel):
    sector: str
    rank: int
    submitted_rank: int


class TopicPublic(SQLModel):
    id: int
    edition_id: int
    delegation: str
    version: int
    position: int
    title: str
    description: str
    kind: TopicKind
    cui: str | None
    amount: Decimal | None
    sectors: list[SectorRankPublic]
    status: TopicStatus
    review_reason: str | None
    reviewed_at: datetime | None
    merged_into_id: int | None


class TopicListVersionSummary(SQLModel):
    edition_id: int
    delegation: str
    number: int
    is_current: bool
    submitted_at: datetime
    submitted_by: str
    topic_count: int


class TopicListVersionPublic(TopicListVersionSummary):
    topics: list[TopicPublic]


class TopicChange(SQLModel):
    """A topic present in both versions (same title) whose content differs."""

    before: TopicPublic
    after: TopicPublic
    fields: list[str] = Field(description="What differs: description, kind, cui, amount, sectors")


class TopicListComparison(SQLModel):
    """Version `a` against version `b` of a delegation's list, topics matched by title."""

    delegation: str
    a: int
    b: int
    added: list[TopicPublic] = Field(description="In b, not in a")
    removed: list[TopicPublic] = Field(description="In a, not in b")
    changed: list[TopicChange]
    unchanged: int


class RejectIn(_In):
    reason: str = Field(min_length=1, max_length=2000)


class MergeTopicIn(_In):
    into_topic_id: DbId


class RankingIn(_In):
    topic_ids: list[DbId] = Field(min_length=1, max_length=500)
