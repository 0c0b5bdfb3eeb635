"""Topic lists (delegations submit, versions), scoped topic reads and SD review.

- A delegation submits its whole prioritized list (every sector) in one POST; each accepted
  POST is a new version (1..n), old ones stay readable, `current` is the latest. Allowed
  while the edition is open_for_submissions and now is in [submissions_open_at,
  submissions_close_at); otherwise 409. The SD may submit on behalf of a delegation.
  An empty list (which withdraws every topic) is a 422 unless `confirm_empty` is true.
- `Idempotency-Key` (per API key, `app.access.idempotency`): the same key and body replay
  the stored response (same version, nothing created, even after the window closed) as a
  200 with `Idempotency-Replayed: true`; the same key with another body (or another
  delegation) is a 409.
- A topic is addressed to one or more sectors, each with its rank in that delegation+sector
  list (ranks 1..n, unique, contiguous). A CUI (7 digits) is required for investment
  projects, optional for budget requests, refused for other kinds; same for the amount.
- Access: a delegation reads and writes only its own lists; a sector reads only current
  topics addressed to it (`/topics`), never the lists; rapporteurs nothing; review is SD
  only. Anything foreign answers the same 404 as something missing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from app.access.deps import (
    CurrentPrincipal,
    IdempotencyKey,
    SdAdmin,
    idempotent_response,
    idempotent_responses,
)
from app.core import clock
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.core.types import DbId
from app.editions.deps import EditionDep
from app.submissions import service
from app.submissions.models import (
    MergeTopicIn,
    RankingIn,
    RejectIn,
    TopicListComparison,
    TopicListIn,
    TopicListVersionPublic,
    TopicListVersionSummary,
    TopicPublic,
    TopicStatus,
)

router = APIRouter(prefix="/api/editions/{edition_id}", tags=["submissions"])


@router.post(
    "/delegations/{delegation_code}/topic-lists",
    status_code=201,
    response_model=TopicListVersionPublic,
    responses=idempotent_responses(TopicListVersionPublic),
)
def submit_topic_list(
    delegation_code: str,
    topics_in: TopicListIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    edition: EditionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Submit the delegation's whole prioritized list: a new version while the window is open."""
    outcome = service.submit_topic_list(
        session=session,
        edition=edition,
        delegation_code=delegation_code,
        topics_in=topics_in,
        principal=principal,
        idempotency_key=idempotency_key,
        now=clock.now(),
    )
    return idempotent_response(outcome)


@router.get(
    "/delegations/{delegation_code}/topic-lists",
    response_model=list[TopicListVersionSummary],
)
def list_topic_list_versions(
    delegation_code: str, session: SessionDep, principal: CurrentPrincipal, edition: EditionDep
) -> list[TopicListVersionSummary]:
    """Every submitted version of the delegation's list, oldest first."""
    return service.list_versions(
        session=session, edition=edition, delegation_code=delegation_code, principal=principal
    )


@router.get(
    "/delegations/{delegation_code}/topic-lists/current", response_model=TopicListVersionPublic
)
def get_current_topic_list(
    delegation_code: str, session: SessionDep, principal: CurrentPrincipal, edition: EditionDep
) -> TopicListVersionPublic:
    """The latest version with its topics and their review state."""
    return service.read_version(
        session=session,
        edition=edition,
        delegation_code=delegation_code,
        principal=principal,
        number=None,
    )


@router.get(
    "/delegations/{delegation_code}/topic-lists/compare", response_model=TopicListComparison
)
def compare_topic_list_versions(
    delegation_code: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    edition: EditionDep,
    a: Annotated[int, Query(ge=1, le=100_000, description="The older version")],
    b: Annotated[int, Query(ge=1, le=100_000, description="The newer version")],
) -> TopicListComparison:
    """Topics added, removed and changed from version `a` to version `b`."""
    return service.compare_versions(
        session=session,
        edition=edition,
        delegation_code=delegation_code,
        principal=principal,
        a=a,
        b=b,
    )


@router.get(
    "/delegations/{delegation_code}/topic-lists/{number}", response_model=TopicListVersionPublic
)
def get_topic_list_version(
    delegation_code: str,
    number: DbId,
    session: SessionDep,
    principal: CurrentPrincipal,
    edition: EditionDep,
) -> TopicListVersionPublic:
    """One version, old ones included, with its topics."""
    return service.read_version(
        session=session,
        edition=edition,
        delegation_code=delegation_code,
        principal=principal,
        number=number,
    )


@router.get("/topics", response_model=Page[TopicPublic])
def list_topics(
    session: SessionDep,
    principal: CurrentPrincipal,
    edition: EditionDep,
    page: PaginationDep,
    delegation: Annotated[str | None, Query(max_length=16)] = None,
    sector: Annotated[str | None, Query(max_length=16)] = None,
    status: TopicStatus | None = None,
) -> Page[TopicPublic]:
    """Current topics in the caller's scope: a delegation its own, a sector those addressed
    to it, the SD all."""
    return service.list_topics(
        session=session,
        edition=edition,
        principal=principal,
        delegation_code=delegation,
        sector_code=sector,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/topics/{topic_id}", response_model=TopicPublic)
def get_topic(
    topic_id: DbId, session: SessionDep, principal: CurrentPrincipal, edition: EditionDep
) -> TopicPublic:
    """One current topic in the caller's scope."""
    return service.get_topic(
        session=session, edition=edition, principal=principal, topic_id=topic_id
    )


# --------------------------------------------------------------------------- review (SD)


@router.post("/topics/{topic_id}/accept", response_model=TopicPublic)
def accept_topic(
    topic_id: DbId, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> TopicPublic:
    """Accept a topic of a current version (edition in review)."""
    return service.accept_topic(
        session=session, edition=edition, topic_id=topic_id, principal=principal, now=clock.now()
    )


@router.post("/topics/{topic_id}/reject", response_model=TopicPublic)
def reject_topic(
    topic_id: DbId, body: RejectIn, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> TopicPublic:
    """Reject a topic with a reason the delegation reads."""
    return service.reject_topic(
        session=session,
        edition=edition,
        topic_id=topic_id,
        reason=body.reason,
        principal=principal,
        now=clock.now(),
    )


@router.post("/topics/{topic_id}/merge", response_model=TopicPublic)
def merge_topic(
    topic_id: DbId, body: MergeTopicIn, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> TopicPublic:
    """Mark this topic as a duplicate merged into `into_topic_id`."""
    return service.merge_topic(
        session=session,
        edition=edition,
        topic_id=topic_id,
        into_topic_id=body.into_topic_id,
        principal=principal,
        now=clock.now(),
    )


@router.put(
    "/delegations/{delegation_code}/sectors/{sector_code}/ranking",
    response_model=list[TopicPublic],
)
def rerank_topics(
    delegation_code: str,
    sector_code: str,
    body: RankingIn,
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
) -> list[TopicPublic]:
    """Set a new full order of a delegation's current topics for one sector."""
    return service.rerank(
        session=session,
        edition=edition,
        delegation_code=delegation_code,
        sector_code=sector_code,
        topic_ids=body.topic_ids,
        principal=principal,
        now=clock.now(),
    )
