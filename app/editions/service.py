"""Edition services: catalogue (delegations, sectors), editions with their days and blocks,
the status lifecycle, participants, rooms and unavailability."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.access.principal import Principal
from app.core import clock
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import FIRST_PAGE, Page, Pagination
from app.editions.models import (
    BlockKind,
    DayBlock,
    DayBlockIn,
    Delegation,
    DelegationCreate,
    DelegationPublic,
    DelegationRef,
    DelegationUpdate,
    Edition,
    EditionCreate,
    EditionDay,
    EditionDayIn,
    EditionDelegation,
    EditionSector,
    EditionStatus,
    EditionUpdate,
    ParticipantsIn,
    ParticipantsPublic,
    RapporteurAssignment,
    Room,
    RoomCreate,
    RoomUpdate,
    Sector,
    SectorCreate,
    SectorPublic,
    SectorRef,
    SectorUpdate,
    SlotPublic,
    Unavailability,
    UnavailabilityCreate,
)

S = EditionStatus
# Forward steps plus the backward ones that make sense (reopen, back to review, re-plan).
TRANSITIONS: dict[EditionStatus, frozenset[EditionStatus]] = {
    S.draft: frozenset({S.open_for_submissions}),
    S.open_for_submissions: frozenset({S.in_review}),
    S.in_review: frozenset({S.scheduling, S.open_for_submissions}),
    S.scheduling: frozenset({S.published, S.in_review}),
    S.published: frozenset({S.held, S.scheduling}),
    S.held: frozenset({S.closed}),
    S.closed: frozenset(),
}
STATUS_ES = {
    S.draft: "borrador",
    S.open_for_submissions: "recepción de temas",
    S.in_review: "revisión",
    S.scheduling: "programación",
    S.published: "publicada",
    S.held: "realizada",
    S.closed: "cerrada",
}
# Statuses in which the participants, rooms and unavailability can still change.
PLANNING = frozenset({S.draft, S.open_for_submissions, S.in_review, S.scheduling})


def _page(session: Session, query: Any, page: Pagination, order_by: Any) -> Page:
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = session.exec(query.order_by(order_by).limit(page.limit).offset(page.offset)).all()
    return Page(items=list(items), total=total, limit=page.limit, offset=page.offset)


# --------------------------------------------------------------------------- delegations


def delegation_public(delegation: Delegation, *, principal: Principal) -> DelegationPublic:
    """A delegation as the caller sees it: its contact e-mails only for the SD and the
    delegation itself (null for everyone else)."""
    public = DelegationPublic.model_validate(delegation)
    if not principal.acts_for(delegation_id=delegation.id):
        public.contact_emails = None
    return public


def sector_public(sector: Sector, *, principal: Principal) -> SectorPublic:
    """A sector as the caller sees it: its contact e-mails only for the SD and the sector
    itself (null for everyone else)."""
    public = SectorPublic.model_validate(sector)
    if not principal.acts_for(sector_id=sector.id):
        public.contact_emails = None
    return public


def list_delegations(
    *,
    session: Session,
    page: Pagination,
    principal: Principal,
    kind: str | None = None,
    q: str | None = None,
) -> Page:
    """Delegations by code, optionally filtered by kind or a name/code fragment."""
    query = select(Delegation)
    if kind:
        query = query.where(Delegation.kind == kind)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            func.lower(Delegation.name).like(like) | func.lower(Delegation.code).like(like)
        )
    found = _page(session, query, page, Delegation.code)
    found.items = [delegation_public(d, principal=principal) for d in found.items]
    return found


def get_delegation(*, session: Session, delegation_id: int) -> Delegation:
    """One delegation or 404."""
    delegation = session.get(Delegation, delegation_id)
    if delegation is None:
        raise NotFound(f"No existe la delegación {delegation_id}.")
    return delegation


def create_delegation(*, session: Session, delegation_in: DelegationCreate) -> Delegation:
    """Register a delegation (its code must be new)."""
    if session.exec(select(Delegation).where(Delegation.code == delegation_in.code)).first():
        raise Conflict(f"Ya existe una delegación con el código {delegation_in.code}.")
    delegation = Delegation.model_validate(delegation_in)
    session.add(delegation)
    session.flush()
    return delegation


def update_delegation(
    *, session: Session, delegation_id: int, delegation_in: DelegationUpdate
) -> Delegation:
    """Change the given fields of a delegation."""
    delegation = get_delegation(session=session, delegation_id=delegation_id)
    delegation.sqlmodel_update(delegation_in.model_dump(exclude_unset=True, mode="json"))
    session.add(delegation)
    session.flush()
    return delegation


# --------------------------------------------------------------------------- sectors


def list_sectors(*, session: Session, page: Pagination, principal: Principal) -> Page:
    """Sectors by code."""
    found = _page(session, select(Sector), page, Sector.code)
    found.items = [sector_public(x, principal=principal) for x in found.items]
    return found


def read_delegation(
    *, session: Session, delegation_id: int, principal: Principal
) -> DelegationPublic:
    """One delegation as the caller sees it, or 404."""
    delegation = get_delegation(session=session, delegation_id=delegation_id)
    return delegation_public(delegation, principal=principal)


def read_sector(*, session: Session, sector_id: int, principal: Principal) -> SectorPublic:
    """One sector as the caller sees it, or 404."""
    return sector_public(get_sector(session=session, sector_id=sector_id), principal=principal)


def get_sector(*, session: Session, sector_id: int) -> Sector:
    """One sector or 404."""
    sector = session.get(Sector, sector_id)
    if sector is None:
        raise NotFound(f"No existe el sector {sector_id}.")
    return sector


def create_sector(*, session: Session, sector_in: SectorCreate) -> Sector:
    """Register a sector (its code must be new)."""
    if session.exec(select(Sector).where(Sector.code == sector_in.code)).first():
        raise Conflict(f"Ya existe un sector con el código {sector_in.code}.")
    sector = Sector.model_validate(sector_in)
    session.add(sector)
    session.flush()
    return sector


def update_sector(*, session: Session, sector_id: int, sector_in: SectorUpdate) -> Sector:
    """Change the given fields of a sector."""
    sector = get_sector(session=session, sector_id=sector_id)
    sector.sqlmodel_update(sector_in.model_dump(exclude_unset=True, mode="json"))
    session.add(sector)
    session.flush()
    return sector


# --------------------------------------------------------------------------- editions


def visible_editions(principal: Principal) -> sa.ColumnElement[bool]:
    """The editions the caller may see: the SD every one, a delegation or sector key those it
    takes part in, a rapporteur those where it is assigned at least one meeting."""
    if principal.is_sd:
        return sa.true()
    if principal.is_rapporteur:
        assigned = select(RapporteurAssignment.edition_id).where(
            RapporteurAssignment.key_id == principal.key_id
        )
        return col(Edition.id).in_(assigned)
    delegations = select(EditionDelegation.edition_id).where(
        principal.scope(delegation=EditionDelegation.delegation_id)
    )
    sectors = select(EditionSector.edition_id).where(
        principal.scope(sector=EditionSector.sector_id)
    )
    return sa.or_(col(Edition.id).in_(delegations), col(Edition.id).in_(sectors))


def get_edition_or_404(*, session: Session, edition_id: int, principal: Principal) -> Edition:
    """The edition, if the caller may see it: delegations and sectors only see their own."""
    edition = session.exec(
        select(Edition).where(Edition.id == edition_id, visible_editions(principal))
    ).first()
    if edition is None:
        raise NotFound(f"No existe la edición {edition_id}.")
    return edition


def list_editions(*, session: Session, principal: Principal, page: Pagination) -> Page:
    """Editions the caller may see, newest first."""
    query = select(Edition).where(visible_editions(principal))
    return _page(session, query, page, col(Edition.id).desc())


def _days_of(edition: Edition) -> list[EditionDayIn]:
    return [
        EditionDayIn(
            date=day.date,
            blocks=[
                DayBlockIn(kind=b.kind, label=b.label, start_time=b.start_time, end_time=b.end_time)
                for b in day.blocks
            ],
        )
        for day in edition.days
    ]


def validate_schedule(
    *,
    days: Sequence[EditionDayIn],
    slot_minutes: int,
    timezone: str,
    open_at: dt.datetime | None,
    close_at: dt.datetime | None,
    days_before_min: int,
    days_before_max: int,
) -> None:
    """Raise Invalid (422) unless days, blocks and the submission window are coherent."""
    if not 1 <= len(days) <= 3:
        raise Invalid("Una edición tiene de 1 a 3 días.")
    dates = [d.date for d in days]
    if len(set(dates)) != len(dates):
        raise Invalid("Hay días repetidos en la edición.")
    for day in days:
        blocks = sorted(day.blocks, key=lambda b: b.start_time)
        for block in blocks:
            if block.start_time >= block.end_time:
                raise Invalid(
                    f"El bloque de las {block.start_time:%H:%M} del {day.date} "
                    "termina antes de empezar."
                )
            if block.kind == BlockKind.bilateral:
                minutes = (block.end_time.hour * 60 + block.end_time.minute) - (
                    block.start_time.hour * 60 + block.start_time.minute
                )
                if minutes % slot_minutes or block.start_time.second or block.end_time.second:
                    raise Invalid(
                        f"El bloque de bilaterales de las {block.start_time:%H:%M} del "
                        f"{day.date} no es múltiplo de {slot_minutes} minutos."
                    )
        for before, after in zip(blocks, blocks[1:], strict=False):
            if after.start_time < before.end_time:
                raise Invalid(
                    f"Los bloques de las {before.start_time:%H:%M} y de las "
                    f"{after.start_time:%H:%M} del {day.date} se superponen."
                )
    if days_before_min > days_before_max:
        raise Invalid("El mínimo de días de envío de agendas supera al máximo.")
    if (open_at is None) != (close_at is None):
        raise Invalid("Indique la apertura y el cierre de la recepción de temas.")
    if open_at is not None and close_at is not None:
        if open_at >= close_at:
            raise Invalid("La recepción de temas debe abrir antes de cerrar.")
        first_day = dt.datetime.combine(min(dates), dt.time(0), tzinfo=ZoneInfo(timezone))
        if close_at > first_day:
            raise Invalid("La recepción de temas debe cerrar antes del primer día de la edición.")


def _replace_days(*, session: Session, edition: Edition, days: Sequence[EditionDayIn]) -> None:
    for old in list(edition.days):
        session.delete(old)
    session.flush()
    session.expire(edition, ["days"])
    for position, day_in in enumerate(sorted(days, key=lambda d: d.date), start=1):
        day = EditionDay(edition_id=edition.id, date=day_in.date, position=position)
        session.add(day)
        session.flush()
        for block_in in sorted(day_in.blocks, key=lambda b: b.start_time):
            session.add(DayBlock.model_validate(block_in, update={"day_id": day.id}))
    session.flush()
    session.expire(edition, ["days"])


def create_edition(*, session: Session, edition_in: EditionCreate) -> Edition:
    """Create a draft edition with its days and time blocks."""
    validate_schedule(
        days=edition_in.days,
        slot_minutes=edition_in.slot_minutes,
        timezone=edition_in.timezone,
        open_at=edition_in.submissions_open_at,
        close_at=edition_in.submissions_close_at,
        days_before_min=edition_in.agenda_days_before_min,
        days_before_max=edition_in.agenda_days_before_max,
    )
    edition = Edition.model_validate(edition_in.model_dump(exclude={"days"}))
    session.add(edition)
    session.flush()
    _replace_days(session=session, edition=edition, days=edition_in.days)
    session.refresh(edition)  # datetimes back as stored (UTC)
    return edition


# Fields that shape the slot grid: only editable while the edition is a draft.
_GRID_FIELDS = frozenset({"days", "slot_minutes", "timezone", "kind"})


def update_edition(*, session: Session, edition: Edition, edition_in: EditionUpdate) -> Edition:
    """Change an edition: the grid only in draft, the rest until it is published."""
    changes = edition_in.model_dump(exclude_unset=True)
    if edition.status not in PLANNING:
        raise Conflict(
            f"La edición está {STATUS_ES[EditionStatus(edition.status)]}: ya no se puede modificar."
        )
    if _GRID_FIELDS & changes.keys() and edition.status != EditionStatus.draft:
        raise Conflict(
            "Los días, bloques, zona horaria, tipo y duración de las bilaterales solo se "
            "pueden cambiar mientras la edición es un borrador."
        )
    days = edition_in.days if edition_in.days is not None else _days_of(edition)
    fields = (
        "slot_minutes",
        "timezone",
        "submissions_open_at",
        "submissions_close_at",
        "agenda_days_before_min",
        "agenda_days_before_max",
    )
    merged = {f: changes.get(f, getattr(edition, f)) for f in fields}
    validate_schedule(
        days=days,
        slot_minutes=merged["slot_minutes"],
        timezone=merged["timezone"],
        open_at=merged["submissions_open_at"],
        close_at=merged["submissions_close_at"],
        days_before_min=merged["agenda_days_before_min"],
        days_before_max=merged["agenda_days_before_max"],
    )
    edition.sqlmodel_update({k: v for k, v in changes.items() if k != "days"})
    session.add(edition)
    session.flush()
    if edition_in.days is not None:
        _replace_days(session=session, edition=edition, days=edition_in.days)
    session.refresh(edition)  # datetimes back as stored (UTC)
    return edition


def transition(*, session: Session, edition: Edition, to_status: EditionStatus) -> Edition:
    """Move an edition along its lifecycle; an illegal step is a 409, and so is `held`
    before the edition's first day (in its time zone)."""
    current = EditionStatus(edition.status)
    to_status = EditionStatus(to_status)
    if to_status not in TRANSITIONS[current]:
        raise Conflict(
            f"La edición no puede pasar de «{STATUS_ES[current]}» a «{STATUS_ES[to_status]}».",
            current=current.value,
            allowed=sorted(s.value for s in TRANSITIONS[current]),
        )
    if to_status == S.open_for_submissions and edition.submissions_close_at is None:
        raise Conflict("Defina la ventana de recepción de temas antes de abrirla.")
    if to_status == S.scheduling and not edition_slots(edition):
        raise Conflict("La edición no tiene bloques de bilaterales que programar.")
    if to_status == S.held and edition.days:
        first = min(day.date for day in edition.days)
        if clock.now() < dt.datetime.combine(first, dt.time(), ZoneInfo(edition.timezone)):
            raise Conflict(
                "Una edición solo puede marcarse como realizada desde su primer día "
                f"({first:%d/%m/%Y})."
            )
    edition.status = to_status
    session.add(edition)
    session.flush()
    return edition


def list_slots(edition: Edition) -> list[SlotPublic]:
    """The bilateral grid, numbered from 0, in the edition's time zone."""
    return [
        SlotPublic(index=i, starts_at=start, ends_at=end)
        for i, (start, end) in enumerate(edition_slots(edition))
    ]


def edition_slots(edition: Edition) -> list[tuple[dt.datetime, dt.datetime]]:
    """The bilateral grid: (start, end) of every slot, timezone-aware, in time order."""
    tz = ZoneInfo(edition.timezone)
    step = dt.timedelta(minutes=edition.slot_minutes)
    slots: list[tuple[dt.datetime, dt.datetime]] = []
    for day in sorted(edition.days, key=lambda d: d.date):
        for block in sorted(day.blocks, key=lambda b: b.start_time):
            if block.kind != BlockKind.bilateral:
                continue
            start = dt.datetime.combine(day.date, block.start_time, tzinfo=tz)
            end = dt.datetime.combine(day.date, block.end_time, tzinfo=tz)
            while start + step <= end:
                slots.append((start, start + step))
                start += step
    return slots


def submissions_open(edition: Edition, now: dt.datetime | None = None) -> bool:
    """Whether regions may submit topics now (status and window both open)."""
    now = now or clock.now()
    return (
        edition.status == EditionStatus.open_for_submissions
        and edition.submissions_open_at is not None
        and edition.submissions_close_at is not None
        and edition.submissions_open_at <= now < edition.submissions_close_at
    )


# --------------------------------------------------------------------------- participants


def _require_planning(edition: Edition, what: str) -> None:
    if edition.status not in PLANNING:
        raise Conflict(
            f"La edición está {STATUS_ES[EditionStatus(edition.status)]}: "
            f"ya no se pueden cambiar {what}."
        )


def list_participants(
    *, session: Session, edition: Edition, page: Pagination
) -> ParticipantsPublic:
    """Sectors (all) and delegations (one page, by code) taking part in the edition."""
    sectors = session.exec(
        select(Sector)
        .join(EditionSector)
        .where(EditionSector.edition_id == edition.id)
        .order_by(Sector.code)
    ).all()
    result = _page(
        session,
        select(Delegation)
        .join(EditionDelegation)
        .where(EditionDelegation.edition_id == edition.id),
        page,
        Delegation.code,
    )
    return ParticipantsPublic(
        sectors=[SectorRef.model_validate(s) for s in sectors],
        delegations=[DelegationRef.model_validate(d) for d in result.items],
        delegations_total=result.total,
        limit=page.limit,
        offset=page.offset,
    )


def add_participants(
    *,
    session: Session,
    edition: Edition,
    participants_in: ParticipantsIn,
    page: Pagination = FIRST_PAGE,
) -> ParticipantsPublic:
    """Add delegations and sectors by code (already present ones are left as they are);
    returns the participants (one page of delegations)."""
    _require_planning(edition, "los participantes")
    pairs = (
        (
            Delegation,
            EditionDelegation,
            "delegation_id",
            participants_in.delegation_codes,
            "delegaciones",
        ),
        (Sector, EditionSector, "sector_id", participants_in.sector_codes, "sectores"),
    )
    for model, link, field, codes, label in pairs:
        wanted = set(codes)
        if not wanted:
            continue
        found = session.exec(select(model).where(col(model.code).in_(wanted))).all()
        missing = wanted - {row.code for row in found}
        if missing:
            raise Invalid(
                f"No existen {label} con los códigos: {', '.join(sorted(missing))}.",
                field=f"{field.removesuffix('_id')}_codes",
            )
        for row in found:
            if session.get(link, (edition.id, row.id)) is None:
                session.add(link(edition_id=edition.id, **{field: row.id}))
    session.flush()
    return list_participants(session=session, edition=edition, page=page)


def remove_participant(
    *,
    session: Session,
    edition: Edition,
    delegation_id: int | None = None,
    sector_id: int | None = None,
) -> None:
    """Remove one delegation or sector from the edition."""
    _require_planning(edition, "los participantes")
    link: EditionDelegation | EditionSector | None
    if delegation_id is not None:
        link = session.get(EditionDelegation, (edition.id, delegation_id))
    else:
        link = session.get(EditionSector, (edition.id, sector_id))
    if link is None:
        raise NotFound("Ese participante no forma parte de la edición.")
    session.delete(link)
    session.flush()


# --------------------------------------------------------------------------- rooms


def list_rooms(*, session: Session, edition: Edition) -> Sequence[Room]:
    """The rooms of an edition, by name."""
    return session.exec(select(Room).where(Room.edition_id == edition.id).order_by(Room.name)).all()


def get_room(*, session: Session, edition: Edition, room_id: int) -> Room:
    """One room of the edition or 404."""
    room = session.get(Room, room_id)
    if room is None or room.edition_id != edition.id:
        raise NotFound(f"No existe la sala {room_id} en esta edición.")
    return room


def _check_room(
    *,
    session: Session,
    edition: Edition,
    name: str,
    sector_id: int | None,
    room_id: int | None = None,
) -> None:
    same_name = session.exec(
        select(Room).where(Room.edition_id == edition.id, Room.name == name)
    ).first()
    if same_name is not None and same_name.id != room_id:
        raise Conflict(f"Ya existe una sala llamada «{name}» en esta edición.", field="name")
    if sector_id is not None and session.get(EditionSector, (edition.id, sector_id)) is None:
        raise Invalid(
            "La sala solo puede reservarse para un sector que participa en la edición.",
            field="reserved_sector_id",
        )


def create_room(*, session: Session, edition: Edition, room_in: RoomCreate) -> Room:
    """Add a room to the edition."""
    _require_planning(edition, "las salas")
    _check_room(
        session=session, edition=edition, name=room_in.name, sector_id=room_in.reserved_sector_id
    )
    room = Room.model_validate(room_in, update={"edition_id": edition.id})
    session.add(room)
    session.flush()
    return room


def update_room(*, session: Session, edition: Edition, room_id: int, room_in: RoomUpdate) -> Room:
    """Rename, resize or (un)reserve a room."""
    room = get_room(session=session, edition=edition, room_id=room_id)
    _require_planning(edition, "las salas")
    changes = room_in.model_dump(exclude_unset=True)
    _check_room(
        session=session,
        edition=edition,
        name=changes.get("name", room.name),
        sector_id=changes.get("reserved_sector_id", room.reserved_sector_id),
        room_id=room.id,
    )
    room.sqlmodel_update(changes)
    session.add(room)
    session.flush()
    return room


def delete_room(*, session: Session, edition: Edition, room_id: int) -> None:
    """Remove a room from the edition."""
    room = get_room(session=session, edition=edition, room_id=room_id)
    _require_planning(edition, "las salas")
    session.delete(room)
    session.flush()


# --------------------------------------------------------------------------- unavailability


def list_unavailability(
    *, session: Session, edition: Edition, principal: Principal
) -> Sequence[Unavailability]:
    """Unavailability periods (with their reasons): the SD sees all, a delegation or sector
    only its own, a rapporteur none (recording meetings does not need them)."""
    query = select(Unavailability).where(
        Unavailability.edition_id == edition.id,
        principal.scope(delegation=Unavailability.delegation_id, sector=Unavailability.sector_id),
    )
    return session.exec(query.order_by(Unavailability.starts_at, Unavailability.id)).all()


def create_unavailability(
    *, session: Session, edition: Edition, unavailability_in: UnavailabilityCreate
) -> Unavailability:
    """Record when a delegation or a sector cannot meet."""
    _require_planning(edition, "las indisponibilidades")
    u = unavailability_in
    if (u.delegation_id is None) == (u.sector_id is None):
        raise Invalid("Indique una delegación o un sector (solo uno).", field="party")
    if u.starts_at >= u.ends_at:
        raise Invalid("La indisponibilidad debe empezar antes de terminar.", field="end_time")
    if u.delegation_id is not None and (
        session.get(EditionDelegation, (edition.id, u.delegation_id)) is None
    ):
        raise Invalid("La delegación no participa en esta edición.", field="party")
    if u.sector_id is not None and session.get(EditionSector, (edition.id, u.sector_id)) is None:
        raise Invalid("El sector no participa en esta edición.", field="party")
    row = Unavailability.model_validate(u, update={"edition_id": edition.id})
    session.add(row)
    session.flush()
    session.refresh(row)  # datetimes back as stored (UTC)
    return row


def delete_unavailability(*, session: Session, edition: Edition, unavailability_id: int) -> None:
    """Remove an unavailability period."""
    _require_planning(edition, "las indisponibilidades")
    row = session.get(Unavailability, unavailability_id)
    if row is None or row.edition_id != edition.id:
        raise NotFound(f"No existe la indisponibilidad {unavailability_id} en esta edición.")
    session.delete(row)
    session.flush()
