"""Publications (SD only) and agenda downloads (ministries and delegations their own,
see `app.agendas.documents`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.access.deps import CurrentPrincipal, SdAdmin
from app.agendas import delivery, feeds, formats
from app.agendas.documents import Document, agenda_document
from app.agendas.feeds import SectorFeedPublic
from app.agendas.formats import AgendaFormat
from app.agendas.schemas import AgendaJson, PublicationCreate, PublicationPublic
from app.core import clock
from app.core.db import SessionDep
from app.core.types import DbId
from app.editions.deps import EditionDep
from app.scheduling.unscheduled import UnscheduledMeetingPublic, delegation_unscheduled

router = APIRouter(prefix="/api/editions/{edition_id}", tags=["agendas"])
feeds_router = APIRouter(prefix="/api", tags=["agendas"])

DOWNLOAD = {
    "response_class": Response,
    "responses": {
        200: {
            "description": "The agenda in the format asked for (`format`)",
            "model": AgendaJson,
            "content": {
                formats.media_type(fmt): {"schema": {"type": "string", "format": "binary"}}
                for fmt in (AgendaFormat.pdf, AgendaFormat.xlsx)
            }
            | {
                formats.media_type(fmt): {"schema": {"type": "string"}}
                for fmt in (AgendaFormat.ics, AgendaFormat.csv)
            },
            "headers": {
                "Content-Disposition": {
                    "description": "inline for JSON, attachment otherwise, with the file name "
                    "agenda-<owner code>-v<version>.<format>",
                    "schema": {"type": "string"},
                },
                "ETag": {
                    "description": "The document's content hash (a version's documents do not "
                    "change)",
                    "schema": {"type": "string"},
                },
            },
        },
        304: {"description": "Not modified: If-None-Match names the document's ETag"},
    },
}
FormatQuery = Annotated[AgendaFormat, Query(description="json, pdf, ics, xlsx or csv")]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=100_000, description="Agenda version (default: the current one)")
]


@router.post("/publications", status_code=201, response_model=PublicationPublic)
def create_publication(
    publication_in: PublicationCreate,
    request: Request,
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
) -> PublicationPublic:
    """Publish a succeeded solve run as the edition's schedule (version N+1) and queue the
    agendas' e-mails: 5 days before the first day at 08:00 Lima if published earlier, at
    once inside the window, 409 later than 2 days before unless force=true with a reason."""
    now = clock.now()
    return delivery.publish_run(
        session=session,
        edition=edition,
        run_id=publication_in.run_id,
        published_by=principal.name,
        now=now,
        settings=request.app.state.settings,
        force=publication_in.force,
        reason=publication_in.reason,
    )


@router.get("/publications", response_model=list[PublicationPublic])
def list_publications(
    session: SessionDep, principal: SdAdmin, edition: EditionDep
) -> list[PublicationPublic]:
    """Every published version, newest first, with its delivery status and per-party changes."""
    return delivery.list_publications(session=session, edition=edition, now=clock.now())


# --------------------------------------------------------------------------- downloads


def _not_modified(document: Document, request: Request) -> Response | None:
    """304 when the client already holds these bytes (If-None-Match names their ETag)."""
    if document.etag is None:
        return None
    held = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if document.etag in held or "*" in held:
        return Response(status_code=304, headers={"ETag": document.etag})
    return None


def _download(document: Document, request: Request) -> Response:
    if (unchanged := _not_modified(document, request)) is not None:
        return unchanged
    disposition = "inline" if document.inline else "attachment"
    headers = {"Content-Disposition": f'{disposition}; filename="{document.filename}"'}
    if document.etag:
        headers["ETag"] = document.etag
    return Response(content=document.content, media_type=document.media_type, headers=headers)


@router.get("/agendas/sectors/{code}", **DOWNLOAD)
def sector_agenda(
    code: str,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    edition: EditionDep,
    format: FormatQuery = AgendaFormat.json,
    version: VersionQuery = None,
) -> Response:
    """A ministry's agenda: its meetings in time order with room, delegation and authority,
    the prioritized topics (description, CUI, amount) and open commitments."""
    document = agenda_document(
        session=session,
        edition=edition,
        principal=principal,
        kind="sector",
        code=code,
        fmt=format,
        version=version,
    )
    return _download(document, request)


@router.get("/agendas/delegations/{code}", **DOWNLOAD)
def delegation_agenda(
    code: str,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    edition: EditionDep,
    format: FormatQuery = AgendaFormat.json,
    version: VersionQuery = None,
) -> Response:
    """A delegation's agenda: its meetings with every sector, in time order."""
    document = agenda_document(
        session=session,
        edition=edition,
        principal=principal,
        kind="delegation",
        code=code,
        fmt=format,
        version=version,
    )
    return _download(document, request)


@router.get(
    "/agendas/delegations/{code}/unscheduled", response_model=list[UnscheduledMeetingPublic]
)
def delegation_unscheduled_meetings(
    code: str, session: SessionDep, principal: CurrentPrincipal, edition: EditionDep
) -> list[UnscheduledMeetingPublic]:
    """The delegation's requested meetings left out of the published schedule, each with
    the reason in Spanish ([] before the first publication)."""
    return delegation_unscheduled(
        session=session, edition=edition, delegation_code=code, principal=principal
    )


@router.get("/agendas/rooms/{room_id}", **DOWNLOAD)
def room_agenda(
    room_id: DbId,
    request: Request,
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
    format: FormatQuery = AgendaFormat.pdf,
    version: VersionQuery = None,
) -> Response:
    """A room's sheet for its door (PDF in large type) or its meetings in any format."""
    document = agenda_document(
        session=session,
        edition=edition,
        principal=principal,
        kind="room",
        room_id=room_id,
        fmt=format,
        version=version,
    )
    return _download(document, request)


@router.get("/agendas/grid", **DOWNLOAD)
def grid_agenda(
    request: Request,
    session: SessionDep,
    principal: SdAdmin,
    edition: EditionDep,
    format: FormatQuery = AgendaFormat.pdf,
    version: VersionQuery = None,
) -> Response:
    """The whole edition: the time x room grid (PDF) or every meeting (other formats)."""
    document = agenda_document(
        session=session,
        edition=edition,
        principal=principal,
        kind="edition",
        fmt=format,
        version=version,
    )
    return _download(document, request)


# --------------------------------------------------------------------------- calendar feeds


@feeds_router.get("/sectors/{code}/feed", response_model=SectorFeedPublic)
def sector_feed(code: str, session: SessionDep, principal: CurrentPrincipal) -> SectorFeedPublic:
    """The ministry's calendar subscription address (the sector itself or the SD)."""
    return feeds.sector_feed(session=session, code=code, principal=principal, now=clock.now())


@feeds_router.post("/sectors/{code}/feed/rotate", response_model=SectorFeedPublic)
def rotate_sector_feed(
    code: str, session: SessionDep, principal: CurrentPrincipal
) -> SectorFeedPublic:
    """A new secret address; calendars subscribed to the old one stop updating."""
    return feeds.rotate_sector_feed(
        session=session, code=code, principal=principal, now=clock.now()
    )


@feeds_router.get(
    "/feeds/sectors/{token}.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {"schema": {"type": "string"}}}},
        304: {"description": "Not modified: If-None-Match names the calendar's ETag"},
    },
)
def sector_feed_calendar(token: str, request: Request, session: SessionDep) -> Response:
    """The subscribed calendar: the secret token in the address is the credential (calendar
    applications send no key); an unknown or rotated token is a 404."""
    document = feeds.feed_calendar(session=session, token=token)
    if (unchanged := _not_modified(document, request)) is not None:
        return unchanged
    headers = {"ETag": document.etag} if document.etag else None
    return Response(content=document.content, media_type=document.media_type, headers=headers)
