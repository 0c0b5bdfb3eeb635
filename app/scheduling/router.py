"""Meeting requests (SD only): generate from accepted topics, edit, merge, withdraw."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.access.deps import SdAdmin
from app.core import clock
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.editions.service import get_edition_or_404
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
    edition_id: int,
    session: SessionDep,
    principal: SdAdmin,
    replace: Annotated[
        bool, Query(description="Discard requests the SD already edited and regenerate")
    ] = False,
) -> list[MeetingRequestPublic]:
    """One request per delegation and sector (or set of sectors, for multisector topics)
    from the accepted topics; replaces the edition's requests."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    requests = service.generate_requests(
        session=session, edition=edition, replace=replace, now=clock.now()
    )
    return service.render_requests(session=session, edition=edition, requests=requests)


@router.get("", response_model=Page[MeetingRequestPublic])
def list_meeting_requests(
    edition_id: int,
    session: SessionDep,
    principal: SdAdmin,
    page: PaginationDep,
    status: RequestStatus | None = None,
    delegation: Annotated[str | None, Query(max_length=16)] = None,
    sector: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[MeetingRequestPublic]:
    """The edition's requests, filtered by status, delegation or sector code."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
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
    edition_id: int, body: MergeRequestsIn, session: SessionDep, principal: SdAdmin
) -> MeetingRequestPublic:
    """Merge requests of one delegation into a multisector request."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    merged = service.merge_requests(
        session=session, edition=edition, request_ids=body.request_ids, now=clock.now()
    )
    return service.render_requests(session=session, edition=edition, requests=[merged])[0]


@router.get("/{request_id}", response_model=MeetingRequestPublic)
def get_meeting_request(
    edition_id: int, request_id: int, session: SessionDep, principal: SdAdmin
) -> MeetingRequestPublic:
    """One request."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    request = service.get_request(session=session, edition=edition, request_id=request_id)
    return service.render_requests(session=session, edition=edition, requests=[request])[0]


@router.patch("/{request_id}", response_model=MeetingRequestPublic)
def update_meeting_request(
    edition_id: int,
    request_id: int,
    body: MeetingRequestUpdate,
    session: SessionDep,
    principal: SdAdmin,
) -> MeetingRequestPublic:
    """Change weight, duration, mandatory, attendees or the pin (`pin: null` unpins)."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    request = service.get_request(session=session, edition=edition, request_id=request_id)
    service.update_request(
        session=session, edition=edition, request=request, request_in=body, now=clock.now()
    )
    return service.render_requests(session=session, edition=edition, requests=[request])[0]


@router.delete("/{request_id}", status_code=204)
def withdraw_meeting_request(
    edition_id: int, request_id: int, session: SessionDep, principal: SdAdmin
) -> Response:
    """Withdraw a request: it stays listed with status withdrawn."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    request = service.get_request(session=session, edition=edition, request_id=request_id)
    service.withdraw_request(session=session, edition=edition, request=request, now=clock.now())
    return Response(status_code=204)
