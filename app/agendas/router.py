"""Publications (SD only) and agenda downloads (ministries and delegations their own).

A foreign agenda answers exactly like a missing one (404, same body), so a key cannot
learn which sectors or delegations have agendas.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session, select

from app.access.deps import CurrentPrincipal, Principal, SdAdmin
from app.agendas import delivery, formats, service
from app.agendas.formats import AgendaFormat
from app.agendas.schemas import PublicationCreate, PublicationPublic
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.editions.models import (
    Delegation,
    Edition,
    EditionDelegation,
    EditionSector,
    Room,
    Sector,
)
from app.editions.service import get_edition_or_404
from app.scheduling.publication import get_version

router = APIRouter(prefix="/api/editions/{edition_id}", tags=["agendas"])

FormatQuery = Annotated[AgendaFormat, Query(description="json, pdf, ics, xlsx or csv")]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=100_000, description="Agenda version (default: the current one)")
]


@router.post("/publications", status_code=201, response_model=PublicationPublic)
def create_publication(
    edition_id: int,
    publication_in: PublicationCreate,
    request: Request,
    session: SessionDep,
    principal: SdAdmin,
) -> PublicationPublic:
    """Publish a succeeded solve run as the edition's schedule (version N+1) and queue the
    agendas' e-mails: 5 days before the first day at 08:00 Lima if published earlier, at
    once inside the window, 409 later than 2 days before unless force=true with a reason."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
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
    edition_id: int, session: SessionDep, principal: SdAdmin
) -> list[PublicationPublic]:
    """Every published version, newest first, with its delivery status and per-party changes."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    return delivery.list_publications(session=session, edition=edition, now=clock.now())


# --------------------------------------------------------------------------- downloads


def _document(
    *,
    session: Session,
    edition: Edition,
    version: int | None,
    kind: str,
    owner_id: int | None,
    fmt: AgendaFormat,
) -> Response:
    row = get_version(session=session, edition=edition, number=version)
    ctx = service.load_context(session=session, edition=edition, version=row)
    owner = None
    if kind == "sector":
        sector = session.get(Sector, owner_id)
        owner = (sector.code, sector.name) if sector else None
    elif kind == "delegation":
        delegation = session.get(Delegation, owner_id)
        owner = (delegation.code, delegation.name) if delegation else None
    agenda = service.build_agenda(ctx, kind=kind, owner_id=owner_id, owner=owner)  # type: ignore[arg-type]
    name = formats.filename(agenda, fmt)
    disposition = "inline" if fmt == AgendaFormat.json else "attachment"
    return Response(
        content=formats.render(agenda, fmt),
        media_type=formats.content_type(fmt),
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )


def _no_agenda(code: str) -> NotFound:
    return NotFound(f"No existe la agenda {code} en esta edición.")


def _sector_of(*, session: Session, edition: Edition, code: str, principal: Principal) -> int:
    sector = session.exec(select(Sector).where(Sector.code == code)).first()
    if (
        sector is None
        or session.get(EditionSector, (edition.id, sector.id)) is None
        or not (principal.is_sd or principal.sector_id == sector.id)
    ):
        raise _no_agenda(code)
    return sector.id  # type: ignore[return-value]


def _delegation_of(*, session: Session, edition: Edition, code: str, principal: Principal) -> int:
    delegation = session.exec(select(Delegation).where(Delegation.code == code)).first()
    if (
        delegation is None
        or session.get(EditionDelegation, (edition.id, delegation.id)) is None
        or not (principal.is_sd or principal.delegation_id == delegation.id)
    ):
        raise _no_agenda(code)
    return delegation.id  # type: ignore[return-value]


@router.get("/agendas/sectors/{code}", response_class=Response)
def sector_agenda(
    edition_id: int,
    code: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    format: FormatQuery = AgendaFormat.json,
    version: VersionQuery = None,
) -> Response:
    """A ministry's agenda: its meetings in time order with room, delegation and authority,
    the prioritized topics (description, CUI, amount) and open commitments."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    sector_id = _sector_of(session=session, edition=edition, code=code, principal=principal)
    return _document(
        session=session,
        edition=edition,
        version=version,
        kind="sector",
        owner_id=sector_id,
        fmt=format,
    )


@router.get("/agendas/delegations/{code}", response_class=Response)
def delegation_agenda(
    edition_id: int,
    code: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    format: FormatQuery = AgendaFormat.json,
    version: VersionQuery = None,
) -> Response:
    """A delegation's agenda: its meetings with every sector, in time order."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    delegation_id = _delegation_of(session=session, edition=edition, code=code, principal=principal)
    return _document(
        session=session,
        edition=edition,
        version=version,
        kind="delegation",
        owner_id=delegation_id,
        fmt=format,
    )


@router.get("/agendas/rooms/{room_id}", response_class=Response)
def room_agenda(
    edition_id: int,
    room_id: int,
    session: SessionDep,
    principal: SdAdmin,
    format: FormatQuery = AgendaFormat.pdf,
    version: VersionQuery = None,
) -> Response:
    """A room's sheet for its door (PDF in large type) or its meetings in any format."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    room = session.get(Room, room_id)
    if room is None or room.edition_id != edition.id:
        raise NotFound(f"No existe la sala {room_id} en esta edición.")
    return _document(
        session=session,
        edition=edition,
        version=version,
        kind="room",
        owner_id=room_id,
        fmt=format,
    )


@router.get("/agendas/grid", response_class=Response)
def grid_agenda(
    edition_id: int,
    session: SessionDep,
    principal: SdAdmin,
    format: FormatQuery = AgendaFormat.pdf,
    version: VersionQuery = None,
) -> Response:
    """The whole edition: the time x room grid (PDF) or every meeting (other formats)."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    return _document(
        session=session,
        edition=edition,
        version=version,
        kind="edition",
        owner_id=None,
        fmt=format,
    )
