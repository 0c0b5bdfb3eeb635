"""What the SD's dashboard and review queue count: which delegations submitted (version,
topics, last change) and how many topics are in each review state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, or_, select

from app.core.pagination import Page, Pagination
from app.editions.models import Delegation, Edition, EditionDelegation, Sector
from app.submissions.models import Topic, TopicListVersion, TopicSector, TopicStatus


@dataclass(frozen=True)
class DelegationSubmission:
    delegation_id: int
    code: str
    name: str
    version: int | None  # None: nothing submitted yet
    topic_count: int
    submitted_at: datetime | None


SUBMISSION_SORTS = ("code", "name", "version", "topics", "submitted_at")


def submission_overview(
    *,
    session: Session,
    edition: Edition,
    page: Pagination,
    q: str | None = None,
    submitted: bool | None = None,
    sort: str = "code",
) -> Page[DelegationSubmission]:
    """Every participating delegation with its current list (if any), filtered by code or
    name and by submitted or not, sorted by one of SUBMISSION_SORTS ("-key": descending)."""
    topic_count = (
        select(func.count(col(Topic.id)))
        .where(col(Topic.version_id) == col(TopicListVersion.id))
        .correlate(TopicListVersion)
        .scalar_subquery()
    )
    topics = func.coalesce(topic_count, 0).label("topic_count")
    columns: dict[str, Any] = {
        "code": col(Delegation.code),
        "name": col(Delegation.name),
        "version": col(TopicListVersion.number),
        "topics": topics,
        "submitted_at": col(TopicListVersion.submitted_at),
    }
    query: Any = (
        select(
            Delegation.id,
            Delegation.code,
            Delegation.name,
            TopicListVersion.number,
            topics,
            TopicListVersion.submitted_at,
        )
        .join(EditionDelegation, col(EditionDelegation.delegation_id) == col(Delegation.id))
        .outerjoin(
            TopicListVersion,
            (col(TopicListVersion.delegation_id) == col(Delegation.id))
            & (col(TopicListVersion.edition_id) == edition.id)
            & col(TopicListVersion.is_current).is_(True),
        )
        .where(EditionDelegation.edition_id == edition.id)
    )
    if q and q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Delegation.code).like(pattern), func.lower(Delegation.name).like(pattern)
            )
        )
    if submitted is True:
        query = query.where(col(TopicListVersion.id).is_not(None))
    elif submitted is False:
        query = query.where(col(TopicListVersion.id).is_(None))
    column = columns.get(sort.lstrip("-"), columns["code"])
    order = column.desc() if sort.startswith("-") else column.asc()
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(order.nulls_last(), col(Delegation.code))
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return Page[DelegationSubmission](
        items=[DelegationSubmission(*row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def submission_totals(*, session: Session, edition: Edition) -> tuple[int, int]:
    """(participating delegations, delegations with a submitted list)."""
    participants = session.exec(
        select(func.count()).where(EditionDelegation.edition_id == edition.id)
    ).one()
    submitted = session.exec(
        select(func.count(func.distinct(TopicListVersion.delegation_id))).where(
            TopicListVersion.edition_id == edition.id
        )
    ).one()
    return participants, submitted


def topic_status_counts(
    *,
    session: Session,
    edition: Edition,
    delegation_code: str | None = None,
    sector_code: str | None = None,
) -> dict[TopicStatus, int]:
    """Current topics of the edition per review state (every state present, zeros too)."""
    query: Any = (
        select(Topic.status, func.count(col(Topic.id)))
        .join(TopicListVersion, col(TopicListVersion.id) == col(Topic.version_id))
        .where(Topic.edition_id == edition.id, col(TopicListVersion.is_current).is_(True))
    )
    if delegation_code:
        query = query.where(
            col(Topic.delegation_id).in_(
                select(Delegation.id).where(Delegation.code == delegation_code)
            )
        )
    if sector_code:
        query = query.where(
            col(Topic.id).in_(
                select(TopicSector.topic_id)
                .join(Sector, col(Sector.id) == col(TopicSector.sector_id))
                .where(Sector.code == sector_code)
            )
        )
    counts = dict.fromkeys(TopicStatus, 0)
    for status, count in session.exec(query.group_by(Topic.status)).all():
        counts[TopicStatus(status)] = count
    return counts
