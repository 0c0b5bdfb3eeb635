"""Topic lists (delegations submit, versions), scoped topic reads and SD review.

- A delegation submits its whole prioritized list (every sector) in one POST; each accepted
  POST is a new version (1..n), old ones stay readable, `current` is the latest. Allowed
  while the edition is open_for_submissions and now is in [submissions_open_at,
  submissions_close_at); otherwise 409. The SD may submit on behalf of a delegation.
- `Idempotency-Key` (per API key): the same key and body replay the stored response (same
  version, same status, nothing created, even after the window closed); the same key with
  another body (or another delegation) is a 409.
- A topic is addressed to one or more sectors, each with its rank in that delegation+sector
  list (ranks 1..n, unique, contiguous). A CUI (7 digits) is required for investment
  projects, optional for budget requests, refused for other kinds; same for the amount.
- Access: a delegation reads and writes only its own lists; a sector reads only current
  topics addressed to it (`/topics`), never the lists; rapporteurs nothing; review is SD
  only. Anything foreign answers the same 404 as something missing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from app.access.deps import CurrentPrincipal, SdAdmin
from app.core import clock
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.editions.service import get_edition_or_404
from app.submissions import service
from app.submissions.models import (
    MergeTopicIn,
    RankingIn,
    RejectIn,
    TopicListIn,
    TopicListVersionPublic,
    TopicListVersionSummary,
    TopicPublic,
    TopicStatus,
)

router = APIRouter(prefix="/api/editions/{edition_id}", tags=["submissions"])

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200),
]


@router.post(
    "/delegations/{delegation_code}/topic-lists",
    status_code=201,
    response_model=TopicListVersionPublic,
    responses={200: {"description": "Replay of an Idempotency-Key: the stored response"}},
)
def submit_topic_list(
    edition_id: int,
    delegation_code: str,
    topics_in: TopicListIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Submit the delegation's whole prioritized list: a new version while the window is open."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    delegation = service.resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    digest = ""
    if idempotency_key is not None:
        digest = service.request_hash(
            path=f"{edition.id}/{delegation.code}", payload=topics_in.model_dump(mode="json")
        )
        record = service.find_idempotent(
            session=session, principal=principal, key=idempotency_key, digest=digest
        )
        if record is not None:
            return JSONResponse(record.response_body, status_code=record.response_status)
    now = clock.now()
    version = service.submit_topics(
        session=session,
        edition=edition,
        delegation=delegation,
        topics_in=topics_in,
        principal=principal,
        now=now,
    )
    out = service.get_version(
        session=session, edition=edition, delegation=delegation, number=version.number
    )
    body = out.model_dump(mode="json")
    if idempotency_key is not None:
        service.store_idempotent(
            session=session,
            principal=principal,
            key=idempotency_key,
            digest=digest,
            status=201,
            body=body,
            now=now,
        )
    return JSONResponse(body, status_code=201)


@router.get(
    "/delegations/{delegation_code}/topic-lists",
    response_model=list[TopicListVersionSummary],
)
def list_topic_list_versions(
    edition_id: int, delegation_code: str, session: SessionDep, principal: CurrentPrincipal
) -> list[TopicListVersionSummary]:
    """Every submitted version of the delegation's list, oldest first."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    delegation = service.resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    return service.list_versions(session=session, edition=edition, delegation=delegation)


@router.get(
    "/delegations/{delegation_code}/topic-lists/current", response_model=TopicListVersionPublic
)
def get_current_topic_list(
    edition_id: int, delegation_code: str, session: SessionDep, principal: CurrentPrincipal
) -> TopicListVersionPublic:
    """The latest version with its topics and their review state."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    delegation = service.resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    return service.get_version(session=session, edition=edition, delegation=delegation, number=None)


@router.get(
    "/delegations/{delegation_code}/topic-lists/{number}", response_model=TopicListVersionPublic
)
def get_topic_list_version(
    edition_id: int,
    delegation_code: str,
    number: int,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> TopicListVersionPublic:
    """One version, old ones included, with its topics."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    delegation = service.resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    return service.get_version(
        session=session, edition=edition, delegation=delegation, number=number
    )


@router.get("/topics", response_model=Page[TopicPublic])
def list_topics(
    edition_id: int,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PaginationDep,
    delegation: Annotated[str | None, Query(max_length=16)] = None,
    sector: Annotated[str | None, Query(max_length=16)] = None,
    status: TopicStatus | None = None,
) -> Page[TopicPublic]:
    """Current topics in the caller's scope: a delegation its own, a sector those addressed
    to it, the SD all."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
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
    edition_id: int, topic_id: int, session: SessionDep, principal: CurrentPrincipal
) -> TopicPublic:
    """One current topic in the caller's scope."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    return service.get_topic(
        session=session, edition=edition, principal=principal, topic_id=topic_id
    )


# --------------------------------------------------------------------------- review (SD)


@router.post("/topics/{topic_id}/accept", response_model=TopicPublic)
def accept_topic(
    edition_id: int, topic_id: int, session: SessionDep, principal: SdAdmin
) -> TopicPublic:
    """Accept a topic of a current version (edition in review)."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    topic = service.accept_topic(
        session=session, edition=edition, topic_id=topic_id, principal=principal, now=clock.now()
    )
    return service.render_topics(session=session, topics=[topic])[0]


@router.post("/topics/{topic_id}/reject", response_model=TopicPublic)
def reject_topic(
    edition_id: int, topic_id: int, body: RejectIn, session: SessionDep, principal: SdAdmin
) -> TopicPublic:
    """Reject a topic with a reason the delegation reads."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    topic = service.reject_topic(
        session=session,
        edition=edition,
        topic_id=topic_id,
        reason=body.reason,
        principal=principal,
        now=clock.now(),
    )
    return service.render_topics(session=session, topics=[topic])[0]


@router.post("/topics/{topic_id}/merge", response_model=TopicPublic)
def merge_topic(
    edition_id: int, topic_id: int, body: MergeTopicIn, session: SessionDep, principal: SdAdmin
) -> TopicPublic:
    """Mark this topic as a duplicate merged into `into_topic_id`."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    topic = service.merge_topic(
        session=session,
        edition=edition,
        topic_id=topic_id,
        into_topic_id=body.into_topic_id,
        principal=principal,
        now=clock.now(),
    )
    return service.render_topics(session=session, topics=[topic])[0]


@router.put(
    "/delegations/{delegation_code}/sectors/{sector_code}/ranking",
    response_model=list[TopicPublic],
)
def rerank_topics(
    edition_id: int,
    delegation_code: str,
    sector_code: str,
    body: RankingIn,
    session: SessionDep,
    principal: SdAdmin,
) -> list[TopicPublic]:
    """Set a new full order of a delegation's current topics for one sector."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    delegation = service.resolve_delegation(
        session=session, edition=edition, code=delegation_code, principal=principal
    )
    topics = service.rerank(
        session=session,
        edition=edition,
        delegation=delegation,
        sector_code=sector_code,
        topic_ids=body.topic_ids,
        principal=principal,
        now=clock.now(),
    )
    return service.render_topics(session=session, topics=topics)
