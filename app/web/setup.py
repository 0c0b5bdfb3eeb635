"""An edition's set-up, in Lima clock times (never slot indexes): days and time blocks,
rooms, participants, and when delegations and ministers cannot meet.

Each form posts to its own route; a form that does not validate comes back with the API's
Spanish message next to its field (422); a stale state (the edition moved past planning)
is the 409 page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.access.principal import Principal
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import Pagination
from app.editions import service
from app.editions.models import (
    BlockKind,
    DayBlockIn,
    Edition,
    EditionDayIn,
    EditionStatus,
    EditionUpdate,
    ParticipantsIn,
    RoomCreate,
    UnavailabilityCreate,
)
from app.web import messages
from app.web.deps import SdUser
from app.web.format import fecha
from app.web.forms import FormErrors, blank_to_none, invalid_errors, parse
from app.web.security import check_csrf
from app.web.templating import flash, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
MAX_PARTICIPANTS = 2500
_CODES = re.compile(r"[\s,;]+")
Text = Annotated[str, Form(max_length=2000)]


def _edition(session: Session, edition_id: int, principal: Principal) -> Edition:
    return service.get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


def _render(
    request: Request,
    session: Session,
    edition: Edition,
    principal: Principal,
    *,
    form: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    participants = service.list_participants(
        session=session, edition=edition, page=Pagination(limit=MAX_PARTICIPANTS, offset=0)
    )
    sector_names = {s.id: f"{s.code} · {s.name}" for s in participants.sectors}
    delegation_names = {d.id: f"{d.code} · {d.name}" for d in participants.delegations}
    status = EditionStatus(edition.status)
    return render_page(
        request,
        "pages/editions/setup.html",
        status_code=422 if errors else 200,
        title=f"Configuración · {edition.name}",
        edition=edition,
        tab="setup",
        status_label=service.STATUS_ES[status],
        grid_editable=status == EditionStatus.draft,
        planning=status in service.PLANNING,
        rooms=service.list_rooms(session=session, edition=edition),
        participants=participants,
        sector_names=sector_names,
        delegation_names=delegation_names,
        unavailability=service.list_unavailability(
            session=session, edition=edition, principal=principal
        ),
        block_kinds=[(k.value, messages.BLOCK_KIND[k]) for k in BlockKind],
        day_options=[(day.date.isoformat(), fecha(day.date)) for day in edition.days],
        party_options=[(f"delegation:{i}", n) for i, n in delegation_names.items()]
        + [(f"sector:{i}", n) for i, n in sector_names.items()],
        form=form,
        errors=errors or {},
        values=values or {},
    )


def _days_with(edition: Edition, change: Any) -> list[EditionDayIn]:
    """The edition's days as the update model wants them, after `change(date, blocks)`."""
    days = []
    for day in edition.days:
        blocks = [
            DayBlockIn(kind=b.kind, label=b.label, start_time=b.start_time, end_time=b.end_time)
            for b in day.blocks
        ]
        days.append(EditionDayIn(date=day.date, blocks=change(day, blocks)))
    return days


@router.get("/editions/{edition_id}/setup", name="setup:page")
def setup_page(
    request: Request, edition_id: int, session: SessionDep, principal: SdUser
) -> Response:
    """Days and blocks, rooms, participants and unavailability of the edition."""
    edition = _edition(session, edition_id, principal)
    return _render(request, session, edition, principal)


def _submit(
    request: Request,
    session: Session,
    edition: Edition,
    principal: Principal,
    *,
    form: str,
    values: dict[str, Any],
    act: Callable[[], object],
    default_field: str,
    done: str,
) -> Response:
    """Run one form's service call: success flashes `done` and goes back to the page; bad
    input rolls back and shows the messages next to their fields. A conflict that names a
    field (a duplicate room name) is bad input too; any other is a stale state (409 page)."""
    try:
        act()
    except FormErrors as exc:
        errors = exc.errors
    except Invalid as exc:
        errors = invalid_errors(exc, default_field)
    except Conflict as exc:
        if "field" not in exc.extensions:
            raise
        errors = invalid_errors(exc, default_field)
    else:
        flash(request, done)
        return redirect(request, f"/editions/{edition.id}/setup")
    session.rollback()
    session.refresh(edition)
    return _render(request, session, edition, principal, form=form, errors=errors, values=values)


@router.post("/editions/{edition_id}/setup/blocks", name="setup:add_block")
def add_block(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    day_id: Annotated[int, Form()],
    kind: Text = "",
    label: Text = "",
    start_time: Text = "",
    end_time: Text = "",
) -> Response:
    """Add a time block to a day (draft editions only)."""
    edition = _edition(session, edition_id, principal)
    values = {"kind": kind, "label": label, "start_time": start_time, "end_time": end_time}

    if day_id not in {day.id for day in edition.days}:
        raise NotFound("Ese día no existe en esta edición.")

    def act() -> None:
        block = parse(DayBlockIn, blank_to_none(values))
        days = _days_with(
            edition, lambda day, blocks: [*blocks, block] if day.id == day_id else blocks
        )
        service.update_edition(
            session=session, edition=edition, edition_in=EditionUpdate(days=days)
        )

    return _submit(
        request,
        session,
        edition,
        principal,
        form=f"block-{day_id}",
        values=values,
        act=act,
        default_field="start_time",
        done=messages.BLOCK_ADDED,
    )


@router.post("/editions/{edition_id}/setup/blocks/{block_id}/delete", name="setup:delete_block")
def delete_block(
    request: Request, edition_id: int, block_id: int, session: SessionDep, principal: SdUser
) -> Response:
    """Remove a time block (draft editions only)."""
    edition = _edition(session, edition_id, principal)
    if block_id not in {b.id for day in edition.days for b in day.blocks}:
        raise NotFound("Ese bloque no existe en esta edición.")
    days = _days_with(
        edition,
        lambda day, blocks: [
            b for b, row in zip(blocks, day.blocks, strict=True) if row.id != block_id
        ],
    )
    try:
        service.update_edition(
            session=session, edition=edition, edition_in=EditionUpdate(days=days)
        )
    except Invalid as exc:  # e.g. the last block of a day: nothing to re-enter, explain
        raise Conflict(exc.detail) from exc
    flash(request, messages.BLOCK_DELETED)
    return redirect(request, f"/editions/{edition_id}/setup")


@router.post("/editions/{edition_id}/setup/rooms", name="setup:add_room")
def add_room(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    name: Text = "",
    capacity: Text = "",
    reserved_sector_id: Text = "",
) -> Response:
    """Add a room (optionally reserved for one sector)."""
    edition = _edition(session, edition_id, principal)
    values = {"name": name, "capacity": capacity, "reserved_sector_id": reserved_sector_id}

    def act() -> None:
        room_in = parse(RoomCreate, blank_to_none(values) | {"capacity": capacity or 20})
        service.create_room(session=session, edition=edition, room_in=room_in)

    return _submit(
        request,
        session,
        edition,
        principal,
        form="room",
        values=values,
        act=act,
        default_field="name",
        done=messages.ROOM_CREATED.format(name=name.strip()),
    )


@router.post("/editions/{edition_id}/setup/rooms/{room_id}/delete", name="setup:delete_room")
def delete_room(
    request: Request, edition_id: int, room_id: int, session: SessionDep, principal: SdUser
) -> Response:
    """Remove a room."""
    edition = _edition(session, edition_id, principal)
    service.delete_room(session=session, edition=edition, room_id=room_id)
    flash(request, messages.ROOM_DELETED)
    return redirect(request, f"/editions/{edition_id}/setup")


@router.post("/editions/{edition_id}/setup/participants", name="setup:add_participants")
def add_participants(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    delegation_codes: Annotated[str, Form(max_length=40_000)] = "",
    sector_codes: Text = "",
) -> Response:
    """Add delegations and sectors by code (separated by spaces, commas or new lines)."""
    edition = _edition(session, edition_id, principal)
    values = {"delegation_codes": delegation_codes, "sector_codes": sector_codes}

    def act() -> None:
        codes = {
            name: [c for c in _CODES.split(text.upper()) if c] for name, text in values.items()
        }
        if not any(codes.values()):
            raise FormErrors({"delegation_codes": "Indique al menos un código."})
        participants_in = parse(ParticipantsIn, codes)
        service.add_participants(session=session, edition=edition, participants_in=participants_in)

    return _submit(
        request,
        session,
        edition,
        principal,
        form="participants",
        values=values,
        act=act,
        default_field="delegation_codes",
        done=messages.PARTICIPANTS_ADDED,
    )


def _party(value: str) -> dict[str, int | None]:
    """{"delegation_id": 12, "sector_id": None} from the party select's "delegation:12"."""
    kind, _, raw = value.partition(":")
    if kind not in ("delegation", "sector") or not raw.isdigit():
        raise FormErrors({"party": "Elija una delegación o un sector."})
    return {
        "delegation_id": int(raw) if kind == "delegation" else None,
        "sector_id": int(raw) if kind == "sector" else None,
    }


def _on_edition_clock(edition: Edition, day: str, clock_time: str, field: str) -> dt.datetime:
    """A date of the edition and a clock time, as an instant on the edition's clock."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise FormErrors({"date": "Elija uno de los días de la edición."}) from None
    try:
        time = dt.time.fromisoformat(clock_time)
    except ValueError:
        raise FormErrors({field: "Indique una hora válida (HH:MM)."}) from None
    return dt.datetime.combine(date, time, tzinfo=ZoneInfo(edition.timezone))


@router.post("/editions/{edition_id}/setup/unavailability", name="setup:add_unavailability")
def add_unavailability(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    party: Text = "",
    date: Text = "",
    start_time: Text = "",
    end_time: Text = "",
    reason: Text = "",
) -> Response:
    """Record when a delegation or a minister cannot meet (clock times of the edition)."""
    edition = _edition(session, edition_id, principal)
    values = {
        "party": party,
        "date": date,
        "start_time": start_time,
        "end_time": end_time,
        "reason": reason,
    }

    def act() -> None:
        data = _party(party) | {
            "starts_at": _on_edition_clock(edition, date, start_time, "start_time"),
            "ends_at": _on_edition_clock(edition, date, end_time, "end_time"),
            "reason": reason.strip() or None,
        }
        service.create_unavailability(
            session=session, edition=edition, unavailability_in=parse(UnavailabilityCreate, data)
        )

    return _submit(
        request,
        session,
        edition,
        principal,
        form="unavailability",
        values=values,
        act=act,
        default_field="party",
        done=messages.UNAVAILABILITY_CREATED,
    )


@router.post(
    "/editions/{edition_id}/setup/unavailability/{unavailability_id}/delete",
    name="setup:delete_unavailability",
)
def delete_unavailability(
    request: Request,
    edition_id: int,
    unavailability_id: int,
    session: SessionDep,
    principal: SdUser,
) -> Response:
    """Remove an unavailability period."""
    edition = _edition(session, edition_id, principal)
    service.delete_unavailability(
        session=session, edition=edition, unavailability_id=unavailability_id
    )
    flash(request, messages.UNAVAILABILITY_DELETED)
    return redirect(request, f"/editions/{edition_id}/setup")
