"""Agenda downloads: who may download which agenda, and the document in one format.

A sector or delegation agenda is addressed by the party's code and belongs to the SD and
to that party's own key; a foreign agenda answers exactly like a missing one (404, same
body), so a key cannot learn which sectors or delegations have agendas. A room's agenda
(the door sheet) is addressed by the room id, the edition's grid by nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.access.principal import Principal
from app.agendas import store
from app.agendas.formats import AgendaFormat
from app.agendas.render.model import Agenda
from app.agendas.service import OwnerKind, build_agenda, load_context
from app.core.errors import NotFound
from app.editions.models import Delegation, Edition, EditionDelegation, EditionSector, Room, Sector
from app.scheduling.publication import get_version


@dataclass(frozen=True)
class Document:
    """A rendered agenda: bytes, media type and the file name to save it under."""

    content: bytes
    media_type: str
    filename: str
    inline: bool  # JSON is shown, the other formats are saved
    etag: str | None = None  # quoted content hash of a stored document


def _no_agenda(code: str) -> NotFound:
    return NotFound(f"No existe la agenda {code} en esta edición.")


def _owner(
    *,
    session: Session,
    edition: Edition,
    principal: Principal,
    kind: OwnerKind,
    code: str | None,
    room_id: int | None,
) -> tuple[int | None, tuple[str, str] | None]:
    """(owner id, (code, name)) of the agenda asked for, if the caller may download it."""
    if kind == "sector":
        sector = session.exec(select(Sector).where(Sector.code == code)).first()
        if (
            sector is None
            or session.get(EditionSector, (edition.id, sector.id)) is None
            or not principal.acts_for(sector_id=sector.id)
        ):
            raise _no_agenda(code or "")
        return sector.id, (sector.code, sector.name)
    if kind == "delegation":
        delegation = session.exec(select(Delegation).where(Delegation.code == code)).first()
        if (
            delegation is None
            or session.get(EditionDelegation, (edition.id, delegation.id)) is None
            or not principal.acts_for(delegation_id=delegation.id)
        ):
            raise _no_agenda(code or "")
        return delegation.id, (delegation.code, delegation.name)
    if kind == "room":
        room = session.get(Room, room_id)
        if room is None or room.edition_id != edition.id or not principal.is_sd:
            raise NotFound(f"No existe la sala {room_id} en esta edición.")
        return room.id, None
    if not principal.is_sd:
        raise NotFound("El recurso solicitado no existe.")
    return None, None


def agenda_of(
    *,
    session: Session,
    edition: Edition,
    principal: Principal,
    kind: OwnerKind,
    version: int | None = None,
    code: str | None = None,
    room_id: int | None = None,
) -> Agenda:
    """One agenda of a version (the current one by default) of the edition, if the caller
    may read it (what a page shows and every format renders)."""
    owner_id, owner = _owner(
        session=session, edition=edition, principal=principal, kind=kind, code=code, room_id=room_id
    )
    row = get_version(session=session, edition=edition, number=version)
    ctx = load_context(session=session, edition=edition, version=row)
    return build_agenda(ctx, kind=kind, owner_id=owner_id, owner=owner)


def agenda_document(
    *,
    session: Session,
    edition: Edition,
    principal: Principal,
    kind: OwnerKind,
    fmt: AgendaFormat,
    version: int | None = None,
    code: str | None = None,
    room_id: int | None = None,
) -> Document:
    """One agenda of a version (the current one by default) of the edition: the stored
    document, rendered and stored on its first download (`app.agendas.store`)."""
    owner_id, owner = _owner(
        session=session, edition=edition, principal=principal, kind=kind, code=code, room_id=room_id
    )
    row = get_version(session=session, edition=edition, number=version)

    def build() -> Agenda:
        ctx = load_context(session=session, edition=edition, version=row)
        return build_agenda(ctx, kind=kind, owner_id=owner_id, owner=owner)

    doc = store.stored(
        session=session,
        version_id=row.id or 0,
        kind=kind,
        owner_id=owner_id,
        fmt=fmt,
        build=build,
    )
    return Document(
        content=doc.content,
        media_type=doc.media_type,
        filename=doc.filename,
        inline=fmt == AgendaFormat.json,
        etag=f'"{doc.sha256}"',
    )
