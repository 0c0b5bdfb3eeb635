"""Meeting requests (SD only): generate from accepted topics, edit, merge, withdraw."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.access.deps import SdAdmin
from app.core import clock
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.core.types import DbId
from app.editions.deps import EditionDep
from app.scheduling import service
from app.scheduling.models import (
    MeetingRequestPublic,
    MeetingRequestUpdate,
    MergeRequestsIn,
    RequestStatus,
)

router = APIRouter(prefix="/api/editions/{edition_id}/meeting-requests", tags=["scheduling"])


@router.post("/generate", status_code=201, response_model=list[MeetingRequestPublic])
def generate_meeting_requests(
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
    replace: Annotated[
        bool, Query(description="Discard requests the SD already edited and regenerate")
    ] = False,
) -> list[MeetingRequestPublic]:
    """One request per delegation and sector (or set of sectors, for multisector topics)
    from the accepted topics; replaces the edition's requests."""
    return service.generate_requests(
        session=session, edition=edition, replace=replace, now=clock.now()
    )


@router.get("", response_model=Page[MeetingRequestPublic])
def list_meeting_requests(
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
    page: PaginationDep,
    status: RequestStatus | None = None,
    delegation: Annotated[str | None, Query(max_length=16)] = None,
    sector: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[MeetingRequestPublic]:
    """The edition's requests, filtered by status, delegation or sector code."""
    return service.list_requests(
        session=session,
        edition=edition,
        status=status,
        delegation_code=delegation,
        sector_code=sector,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/merge", status_code=201, response_model=MeetingRequestPublic)
def merge_meeting_requests(
    body: MergeRequestsIn, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> MeetingRequestPublic:
    """Merge requests of one delegation into a multisector request."""
    return service.merge_requests(
        session=session, edition=edition, request_ids=body.request_ids, now=clock.now()
    )


@router.get("/{request_id}", response_model=MeetingRequestPublic)
def get_meeting_request(
    request_id: DbId, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> MeetingRequestPublic:
    """One request."""
    return service.read_request(session=session, edition=edition, request_id=request_id)


@router.patch("/{request_id}", response_model=MeetingRequestPublic)
def update_meeting_request(
    request_id: DbId,
    body: MeetingRequestUpdate,
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
) -> MeetingRequestPublic:
    """Change weight, duration, mandatory, attendees or the pin (`pin: null` unpins)."""
    return service.update_request(
        session=session, edition=edition, request_id=request_id, request_in=body, now=clock.now()
    )


@router.delete("/{request_id}", status_code=204, response_class=Response)
def withdraw_meeting_request(
    request_id: DbId, session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> None:
    """Withdraw a request: it stays listed with status withdrawn."""
    service.withdraw_request(
        session=session, edition=edition, request_id=request_id, now=clock.now()
    )
