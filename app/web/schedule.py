"""The SD's schedule pages: a run's grid per day (by room, by sector, by delegation), the
requests it left out with their reasons, the comparison with another run, and one meeting's
page to move it (checked against the hard rules before anything is saved) or pin it.

A move is a form (day, time, room), so it needs neither a mouse nor JavaScript; with HTMX
the check answers in place as the fields change and "Guardar" appears only for a legal move.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.access.principal import Principal
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid, NotFound
from app.editions.models import Edition, EditionStatus
from app.editions.service import STATUS_ES, get_edition_or_404
from app.scheduling import adjust
from app.scheduling.grid import Card, ScheduleGrid, Unplaced, schedule_grid, succeeded_runs
from app.scheduling.models import MeetingRequestUpdate, PinIn, RunMode, RunStatus
from app.scheduling.runs import compare_runs, planned_meetings
from app.scheduling.service import update_request
from app.web.deps import SdUser
from app.web.security import check_csrf
from app.web.templating import flash, is_htmx, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

VIEWS = {"room": "Por sala", "sector": "Por sector", "delegation": "Por delegación"}
MODE_ES = {RunMode.plan: "cálculo", RunMode.replan: "recálculo", RunMode.manual: "ajuste manual"}


@dataclass
class Cell:
    card: Card | None = None
    span: int = 1
    covered: bool = False


@dataclass
class Row:
    key: int
    label: str
    title: str
    cells: list[Cell] = field(default_factory=list)


def _edition(session: Session, edition_id: int, principal: Principal) -> Edition:
    return get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


def _row_keys(grid: ScheduleGrid, view: str) -> list[tuple[int, str, str]]:
    """Rows of a view: (id, short label, full name), stable across the days."""
    if view == "room":
        return [(i, name, name) for i, name in grid.rooms]
    seen: dict[int, tuple[int, str, str]] = {}
    for card in grid.cards:
        parties = card.sectors if view == "sector" else [card.delegation]
        for p in parties:
            seen.setdefault(p.id, (p.id, p.code, p.name))
    return sorted(seen.values(), key=lambda r: r[1])


def _card_keys(card: Card, view: str) -> list[int]:
    if view == "room":
        return [card.room_id]
    if view == "sector":
        return [s.id for s in card.sectors]
    return [card.delegation.id]


def layout(grid: ScheduleGrid, view: str, day: dt.date) -> list[Row]:
    """The table of one day: a row per room (sector, delegation), a column per slot; a
    meeting of several slots spans their columns."""
    times = grid.times.get(day, [])
    column = {t: i for i, t in enumerate(times)}
    rows = {
        key: Row(key, label, title, [Cell() for _ in times])
        for key, label, title in _row_keys(grid, view)
    }
    for card in grid.cards:
        i = column.get(card.start) if card.day == day else None
        if i is None:
            continue
        for key in _card_keys(card, view):
            row = rows.get(key)
            if row is None or row.cells[i].covered or row.cells[i].card is not None:
                continue
            span = max(1, min(card.slots, len(times) - i))
            row.cells[i] = Cell(card=card, span=span)
            for j in range(i + 1, i + span):
                row.cells[j].covered = True
    return list(rows.values())


def _marks(
    session: Session, edition: Edition, run_id: int, compare: int | None
) -> tuple[dict[int, str], list[Any], Any]:
    """With another run to compare: the marks of the cards (moved / added, in words) and the
    meetings the other run had that this one dropped."""
    if compare is None:
        return {}, [], None
    diff = compare_runs(session=session, edition=edition, run_id=compare, other_run_id=run_id)
    tz = edition.timezone
    marks: dict[int, str] = dict.fromkeys(diff.added, "Nueva: no estaba en el cálculo comparado")
    before = {
        m.request_id: m for m in planned_meetings(session=session, edition=edition, run_id=compare)
    }
    for move in diff.moved:
        was = before[move.request_id]
        marks[move.request_id] = f"Movida: antes {_local(was.starts_at, tz)} en {was.room}"
    dropped = [before[rid] for rid in diff.dropped]
    return marks, dropped, diff


def _local(at: dt.datetime, tz: str) -> str:
    return f"{at.astimezone(ZoneInfo(tz)):%d/%m %H:%M}"


def _base(edition: Edition) -> str:
    return f"/editions/{edition.id}/schedule"


def _grid_url(edition: Edition, run_id: int, **query: Any) -> str:
    params = {"run": run_id} | {k: v for k, v in query.items() if v not in (None, "")}
    return f"{_base(edition)}?{urlencode(params)}"


@router.get("/editions/{edition_id}/schedule", name="schedule:grid")
def grid_page(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    run: Annotated[int | None, Query(ge=1)] = None,
    view: Annotated[str, Query(pattern="^(room|sector|delegation)$")] = "room",
    day: dt.date | None = None,
    compare: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """A run's grid (the newest succeeded run unless `run` says which) for one day."""
    edition = _edition(session, edition_id, principal)
    choices = succeeded_runs(session=session, edition=edition)
    context: dict[str, Any] = {
        "edition": edition,
        "tab": "schedule",
        "status_label": STATUS_ES[EditionStatus(edition.status)],
        "base": _base(edition),
        "choices": choices,
        "MODE_ES": MODE_ES,
        "VIEWS": VIEWS,
        "view": view,
    }
    title = f"Cronograma · {edition.name}"
    if run is None:
        if not choices:
            return render_page(
                request, "pages/schedule/grid.html", title=title, grid=None, **context
            )
        run = choices[0].id
    grid = schedule_grid(session=session, edition=edition, run_id=run)
    if not grid.run.assignments and grid.run.status != RunStatus.succeeded:
        raise NotFound("El cálculo no tiene un cronograma que mostrar.")
    days = grid.days
    if day is None or day not in grid.times:
        day = days[0] if days else None
    marks, dropped, diff = _marks(session, edition, grid.run.id or 0, compare)
    return render_page(
        request,
        "pages/schedule/grid.html",
        title=title,
        grid=grid,
        run=grid.run,
        day=day,
        days=days,
        times=grid.times.get(day, []) if day else [],
        rows=layout(grid, view, day) if day else [],
        marks=marks,
        dropped=dropped,
        diff=diff,
        compare=compare,
        grid_url=lambda **q: _grid_url(
            edition, grid.run.id or 0, **({"view": view, "day": day, "compare": compare} | q)
        ),
        **context,
    )


# --------------------------------------------------------------------------- one meeting


def _meeting(grid: ScheduleGrid, request_id: int) -> Card | Unplaced:
    for card in grid.cards:
        if card.request_id == request_id:
            return card
    for left in grid.unscheduled:
        if left.request_id == request_id:
            return left
    raise NotFound("La reunión no está en este cálculo.")


def _meeting_page(
    request: Request,
    session: Session,
    edition: Edition,
    run_id: int,
    request_id: int,
    *,
    target: dict[str, str] | None = None,
    conflicts: list[str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    grid = schedule_grid(session=session, edition=edition, run_id=run_id)
    meeting = _meeting(grid, request_id)
    if target is None:
        target = (
            {
                "day": meeting.day.isoformat(),
                "start": f"{meeting.start:%H:%M}",
                "room_id": str(meeting.room_id),
            }
            if isinstance(meeting, Card)
            else {"day": grid.days[0].isoformat() if grid.days else "", "start": "", "room_id": ""}
        )
    starts = sorted({t for ts in grid.times.values() for t in ts})
    base = f"{_base(edition)}/{run_id}/meetings/{request_id}"
    return render_page(
        request,
        "pages/schedule/meeting.html",
        status_code=status_code,
        title=f"Reunión {request_id} · {edition.name}",
        edition=edition,
        tab="schedule",
        run=grid.run,
        meeting=meeting,
        placed=isinstance(meeting, Card),
        days=grid.days,
        starts=starts,
        rooms=grid.rooms,
        target=target,
        conflicts=conflicts,
        error=error,
        base=base,
        back=_grid_url(edition, run_id, day=target.get("day")),
        can_pin=edition.status == EditionStatus.scheduling,
    )


@router.get(
    "/editions/{edition_id}/schedule/{run_id}/meetings/{request_id}", name="schedule:meeting"
)
def meeting_page(
    request: Request,
    edition_id: int,
    run_id: int,
    request_id: int,
    session: SessionDep,
    principal: SdUser,
) -> Response:
    """One meeting of a run: where it is, the form to move it, the pin."""
    edition = _edition(session, edition_id, principal)
    return _meeting_page(request, session, edition, run_id, request_id)


Day = Annotated[str, Form(max_length=10)]
Start = Annotated[str, Form(max_length=5)]
RoomId = Annotated[str, Form(max_length=12)]


def _target(request_id: int, day: str, start: str, room_id: str) -> adjust.MoveTarget:
    """The form's fields as a move target; Invalid (Spanish) when one is not understood."""
    try:
        when = dt.date.fromisoformat(day)
    except ValueError as exc:
        raise Invalid("Elija el día de la reunión.", field="day") from exc
    try:
        at = dt.time.fromisoformat(start)
    except ValueError as exc:
        raise Invalid("Elija la hora de inicio de la reunión.", field="start") from exc
    if not room_id.isdigit():
        raise Invalid("Elija la sala de la reunión.", field="room_id")
    return adjust.MoveTarget(request_id=request_id, day=when, start=at, room_id=int(room_id))


@router.post(
    "/editions/{edition_id}/schedule/{run_id}/meetings/{request_id}/check", name="schedule:check"
)
def check_page(
    request: Request,
    edition_id: int,
    run_id: int,
    request_id: int,
    session: SessionDep,
    principal: SdUser,
    day: Day = "",
    start: Start = "",
    room_id: RoomId = "",
) -> Response:
    """Check a move against the hard rules; nothing is saved. HTMX gets the result only."""
    edition = _edition(session, edition_id, principal)
    fields = {"day": day, "start": start, "room_id": room_id}
    conflicts, error = None, None
    try:
        conflicts = adjust.check_move(
            session=session,
            edition=edition,
            run_id=run_id,
            target=_target(request_id, day, start, room_id),
        ).conflicts
    except Invalid as exc:
        error = exc.detail
    if is_htmx(request) and request.headers.get("HX-Target") == "move-result":
        return render_page(
            request,
            "pages/schedule/_check.html",
            conflicts=conflicts,
            error=error,
            target=fields,
            base=f"{_base(edition)}/{run_id}/meetings/{request_id}",
        )
    return _meeting_page(
        request,
        session,
        edition,
        run_id,
        request_id,
        target=fields,
        conflicts=conflicts,
        error=error,
        status_code=422 if error else 200,
    )


@router.post(
    "/editions/{edition_id}/schedule/{run_id}/meetings/{request_id}/move", name="schedule:move"
)
def move(
    request: Request,
    edition_id: int,
    run_id: int,
    request_id: int,
    session: SessionDep,
    principal: SdUser,
    day: Day = "",
    start: Start = "",
    room_id: RoomId = "",
) -> Response:
    """Save a legal move as a new run and show its grid compared with this one; an
    illegal one comes back with its conflicts and saves nothing."""
    edition = _edition(session, edition_id, principal)
    fields = {"day": day, "start": start, "room_id": room_id}
    try:
        target = _target(request_id, day, start, room_id)
        new = adjust.apply_move(
            session=session,
            edition=edition,
            run_id=run_id,
            target=target,
            created_by=f"web:{principal.name}",
            now=clock.now(),
        )
    except Invalid as exc:
        session.rollback()
        return _meeting_page(
            request,
            session,
            edition,
            run_id,
            request_id,
            target=fields,
            error=exc.detail,
            status_code=422,
        )
    except Conflict as exc:
        session.rollback()
        if "conflicts" not in exc.extensions:
            raise
        return _meeting_page(
            request,
            session,
            edition,
            run_id,
            request_id,
            target=fields,
            conflicts=list(exc.extensions["conflicts"]),
            status_code=409,
        )
    flash(request, f"Se guardó el ajuste como el cálculo {new.id}: {new.options['note']}")
    return redirect(request, _grid_url(edition, new.id or 0, day=day, compare=run_id))


@router.post(
    "/editions/{edition_id}/schedule/{run_id}/meetings/{request_id}/pin", name="schedule:pin"
)
def pin(
    request: Request,
    edition_id: int,
    run_id: int,
    request_id: int,
    session: SessionDep,
    principal: SdUser,
    action: Annotated[str, Form(pattern="^(pin|unpin)$")] = "pin",
) -> Response:
    """Pin the request to where this run placed it (the next runs keep it there), or
    remove its pin."""
    edition = _edition(session, edition_id, principal)
    grid = schedule_grid(session=session, edition=edition, run_id=run_id)
    meeting = _meeting(grid, request_id)
    if action == "pin":
        if not isinstance(meeting, Card):
            raise Conflict("Solo se fija una reunión que el cálculo programó.")
        change = MeetingRequestUpdate(
            pin=PinIn(date=meeting.day, start_time=meeting.start, room_id=meeting.room_id)
        )
        done = (
            f"Reunión fijada el {meeting.day:%d/%m} a las {meeting.start:%H:%M} "
            f"en la {meeting.room}."
        )
    else:
        change = MeetingRequestUpdate(pin=None)
        done = "Se quitó la fijación de la reunión."
    update_request(
        session=session, edition=edition, request_id=request_id, request_in=change, now=clock.now()
    )
    flash(request, done)
    return redirect(request, f"{_base(edition)}/{run_id}/meetings/{request_id}")
