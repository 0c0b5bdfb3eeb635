"""/api/delegations, /api/sectors and /api/editions (with participants, rooms, unavailability)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.access.deps import CurrentPrincipal, SdAdmin
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.core.types import DbId
from app.editions import service
from app.editions.deps import EditionDep
from app.editions.models import (
    DelegationCreate,
    DelegationKind,
    DelegationPublic,
    DelegationUpdate,
    EditionCreate,
    EditionPublic,
    EditionUpdate,
    ParticipantsIn,
    ParticipantsPublic,
    RoomCreate,
    RoomPublic,
    RoomUpdate,
    SectorCreate,
    SectorPublic,
    SectorUpdate,
    SlotPublic,
    StatusChange,
    UnavailabilityCreate,
    UnavailabilityPublic,
)

catalog = APIRouter(prefix="/api", tags=["catalog"])
router = APIRouter(prefix="/api/editions", tags=["editions"])
NO_CONTENT = {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response}

# --------------------------------------------------------------------------- delegations


@catalog.get("/delegations", response_model=Page[DelegationPublic])
def list_delegations(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PaginationDep,
    kind: DelegationKind | None = None,
    q: Annotated[str | None, Query(max_length=80)] = None,
) -> Page:
    """Regional governments and municipalities, by code."""
    return service.list_delegations(session=session, page=page, principal=principal, kind=kind, q=q)


@catalog.get("/delegations/{delegation_id}", response_model=DelegationPublic)
def read_delegation(
    delegation_id: DbId, session: SessionDep, principal: CurrentPrincipal
) -> object:
    """One delegation (contact e-mails for the SD and the delegation itself only)."""
    return service.read_delegation(
        session=session, delegation_id=delegation_id, principal=principal
    )


@catalog.post("/delegations", response_model=DelegationPublic, status_code=status.HTTP_201_CREATED)
def create_delegation(delegation_in: DelegationCreate, session: SessionDep, _: SdAdmin) -> object:
    """Register a delegation."""
    return service.create_delegation(session=session, delegation_in=delegation_in)


@catalog.patch("/delegations/{delegation_id}", response_model=DelegationPublic)
def update_delegation(
    delegation_id: DbId, delegation_in: DelegationUpdate, session: SessionDep, _: SdAdmin
) -> object:
    """Change a delegation."""
    return service.update_delegation(
        session=session, delegation_id=delegation_id, delegation_in=delegation_in
    )


# --------------------------------------------------------------------------- sectors


@catalog.get("/sectors", response_model=Page[SectorPublic])
def list_sectors(session: SessionDep, principal: CurrentPrincipal, page: PaginationDep) -> Page:
    """Ministries and other sectors, by code (contact e-mails for the SD and the sector
    itself only)."""
    return service.list_sectors(session=session, page=page, principal=principal)


@catalog.get("/sectors/{sector_id}", response_model=SectorPublic)
def read_sector(sector_id: DbId, session: SessionDep, principal: CurrentPrincipal) -> object:
    """One sector (contact e-mails for the SD and the sector itself only)."""
    return service.read_sector(session=session, sector_id=sector_id, principal=principal)


@catalog.post("/sectors", response_model=SectorPublic, status_code=status.HTTP_201_CREATED)
def create_sector(sector_in: SectorCreate, session: SessionDep, _: SdAdmin) -> object:
    """Register a sector."""
    return service.create_sector(session=session, sector_in=sector_in)


@catalog.patch("/sectors/{sector_id}", response_model=SectorPublic)
def update_sector(
    sector_id: DbId, sector_in: SectorUpdate, session: SessionDep, _: SdAdmin
) -> object:
    """Change a sector."""
    return service.update_sector(session=session, sector_id=sector_id, sector_in=sector_in)


# --------------------------------------------------------------------------- editions


@router.get("", response_model=Page[EditionPublic])
def list_editions(session: SessionDep, principal: CurrentPrincipal, page: PaginationDep) -> Page:
    """Editions the caller takes part in (all for the SD; for a rapporteur, those with a
    meeting assigned to it), newest first."""
    return service.list_editions(session=session, principal=principal, page=page)


@router.post("", response_model=EditionPublic, status_code=status.HTTP_201_CREATED)
def create_edition(edition_in: EditionCreate, session: SessionDep, _: SdAdmin) -> object:
    """Create a draft edition with its days and time blocks."""
    return service.create_edition(session=session, edition_in=edition_in)


@router.get("/{edition_id}", response_model=EditionPublic)
def read_edition(edition: EditionDep) -> object:
    """One edition with its days and blocks."""
    return edition


@router.patch("/{edition_id}", response_model=EditionPublic)
def update_edition(
    edition: EditionDep, edition_in: EditionUpdate, session: SessionDep, _: SdAdmin
) -> object:
    """Change an edition (days and blocks only while it is a draft)."""
    return service.update_edition(session=session, edition=edition, edition_in=edition_in)


@router.post("/{edition_id}/status", response_model=EditionPublic)
def change_status(
    edition: EditionDep, change: StatusChange, session: SessionDep, _: SdAdmin
) -> object:
    """Move the edition to another status of its lifecycle (409 if the step is not allowed)."""
    return service.transition(session=session, edition=edition, to_status=change.to)


@router.get("/{edition_id}/slots", response_model=list[SlotPublic])
def list_slots(edition: EditionDep) -> list[SlotPublic]:
    """The bilateral slot grid, in the edition's time zone."""
    return service.list_slots(edition)


# --------------------------------------------------------------------------- participants


@router.get("/{edition_id}/participants", response_model=ParticipantsPublic)
def list_participants(edition: EditionDep, session: SessionDep, page: PaginationDep) -> object:
    """Sectors and (one page of) delegations taking part."""
    return service.list_participants(session=session, edition=edition, page=page)


@router.post("/{edition_id}/participants", response_model=ParticipantsPublic)
def add_participants(
    edition: EditionDep,
    participants_in: ParticipantsIn,
    session: SessionDep,
    page: PaginationDep,
    _: SdAdmin,
) -> object:
    """Add delegations and sectors by code (idempotent)."""
    return service.add_participants(
        session=session, edition=edition, participants_in=participants_in, page=page
    )


@router.delete("/{edition_id}/participants/delegations/{delegation_id}", **NO_CONTENT)
def remove_delegation(
    edition: EditionDep, delegation_id: DbId, session: SessionDep, _: SdAdmin
) -> None:
    """Take a delegation out of the edition."""
    service.remove_participant(session=session, edition=edition, delegation_id=delegation_id)


@router.delete("/{edition_id}/participants/sectors/{sector_id}", **NO_CONTENT)
def remove_sector(edition: EditionDep, sector_id: DbId, session: SessionDep, _: SdAdmin) -> None:
    """Take a sector out of the edition."""
    service.remove_participant(session=session, edition=edition, sector_id=sector_id)


# --------------------------------------------------------------------------- rooms


@router.get("/{edition_id}/rooms", response_model=list[RoomPublic])
def list_rooms(edition: EditionDep, session: SessionDep) -> object:
    """The rooms of the edition."""
    return service.list_rooms(session=session, edition=edition)


@router.post("/{edition_id}/rooms", response_model=RoomPublic, status_code=status.HTTP_201_CREATED)
def create_room(
    edition: EditionDep, room_in: RoomCreate, session: SessionDep, _: SdAdmin
) -> object:
    """Add a room (optionally reserved for one sector)."""
    return service.create_room(session=session, edition=edition, room_in=room_in)


@router.patch("/{edition_id}/rooms/{room_id}", response_model=RoomPublic)
def update_room(
    edition: EditionDep, room_id: DbId, room_in: RoomUpdate, session: SessionDep, _: SdAdmin
) -> object:
    """Change a room."""
    return service.update_room(session=session, edition=edition, room_id=room_id, room_in=room_in)


@router.delete("/{edition_id}/rooms/{room_id}", **NO_CONTENT)
def delete_room(edition: EditionDep, room_id: DbId, session: SessionDep, _: SdAdmin) -> None:
    """Remove a room."""
    service.delete_room(session=session, edition=edition, room_id=room_id)


# --------------------------------------------------------------------------- unavailability


@router.get("/{edition_id}/unavailability", response_model=list[UnavailabilityPublic])
def list_unavailability(
    edition: EditionDep, session: SessionDep, principal: CurrentPrincipal
) -> object:
    """When delegations or sectors cannot meet (a delegation or sector sees only its own)."""
    return service.list_unavailability(session=session, edition=edition, principal=principal)


@router.post(
    "/{edition_id}/unavailability",
    response_model=UnavailabilityPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_unavailability(
    edition: EditionDep,
    unavailability_in: UnavailabilityCreate,
    session: SessionDep,
    _: SdAdmin,
) -> object:
    """Record that a delegation or sector cannot meet during a period."""
    return service.create_unavailability(
        session=session, edition=edition, unavailability_in=unavailability_in
    )


@router.delete("/{edition_id}/unavailability/{unavailability_id}", **NO_CONTENT)
def delete_unavailability(
    edition: EditionDep, unavailability_id: DbId, session: SessionDep, _: SdAdmin
) -> None:
    """Remove an unavailability period."""
    service.delete_unavailability(
        session=session, edition=edition, unavailability_id=unavailability_id
    )
