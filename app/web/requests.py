"""The SD's meeting requests: every request with its parties by name, the titles of its
topics, weight, duration, mandatory and pin (day, Lima time and room name); filters by
sector and delegation; inline edit (the row turns into a form, save re-renders the row or
shows the Spanish error beside its field); merge of selected rows into one multisector
request.

Without JavaScript the edit form is a page of its own and the forms post back to the list.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.access.principal import Principal
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.pagination import Pagination
from app.editions.models import Edition, EditionStatus
from app.editions.service import STATUS_ES, get_edition_or_404, list_participants, list_rooms
from app.scheduling import service
from app.scheduling.models import MeetingRequestPublic, MeetingRequestUpdate, RequestStatus
from app.web import messages
from app.web.deps import SdUser
from app.web.forms import FormErrors, invalid_errors, parse
from app.web.security import check_csrf
from app.web.templating import flash, is_htmx, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PAGE_SIZE = 50
MAX_PARTICIPANTS = 2500
Code = Annotated[str, Query(max_length=16)]
SHOW = {"active": "Vigentes", "withdrawn": "Retiradas o fusionadas", "all": "Todas"}
PIN_FORMAT = "%Y-%m-%dT%H:%M"


class Filters:
    """The list's filters, kept in every link and form of the page."""

    def __init__(self, sector: str = "", delegation: str = "", show: str = "") -> None:
        self.sector = sector.strip().upper()
        self.delegation = delegation.strip().upper()
        self.show = show if show in SHOW else "active"

    @property
    def status(self) -> RequestStatus | None:
        return None if self.show == "all" else RequestStatus(self.show)

    @property
    def query(self) -> str:
        return urlencode({"sector": self.sector, "delegation": self.delegation, "show": self.show})


def _filters(sector: Code = "", delegation: Code = "", show: Code = "") -> Filters:
    return Filters(sector, delegation, show)


FiltersDep = Annotated[Filters, Depends(_filters)]


class Names:
    """What a row shows instead of codes and ids: party names, room names, topic titles
    and the start times a pin may take."""

    def __init__(self, session: Session, edition: Edition) -> None:
        participants = list_participants(
            session=session, edition=edition, page=Pagination(limit=MAX_PARTICIPANTS, offset=0)
        )
        self.delegations = {d.code: d.name for d in participants.delegations}
        self.sectors = {s.code: s.name for s in participants.sectors}
        self.rooms = {r.id: r.name for r in list_rooms(session=session, edition=edition)}
        self.session, self.edition = session, edition
        self.titles: dict[int, str] = {}

    def load_titles(self, requests: list[MeetingRequestPublic]) -> None:
        ids = [t for r in requests for t in r.topic_ids]
        self.titles = service.topic_titles(session=self.session, topic_ids=ids)

    def pin_options(self) -> list[tuple[str, str]]:
        """Every start of a bilateral slot, as "lun 22/12 09:20" (the edition's local time)."""
        grid = service.bilateral_grid(session=self.session, edition=self.edition)
        return [
            (
                dt.datetime.combine(s.date, s.start).strftime(PIN_FORMAT),
                f"{WEEKDAYS[s.date.weekday()]} {s.date:%d/%m} {s.start:%H:%M}",
            )
            for s in grid
        ]


WEEKDAYS = ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"]


def _edition(session: Session, edition_id: int, principal: Principal) -> Edition:
    return get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


def _common(edition: Edition, filters: Filters) -> dict[str, Any]:
    return {
        "edition": edition,
        "filters": filters,
        "editable": edition.status in service.EDITABLE,
        "status_label": STATUS_ES[EditionStatus(edition.status)],
        "base": f"/editions/{edition.id}/requests",
    }


def _list_context(
    session: Session, edition: Edition, filters: Filters, offset: int, names: Names
) -> dict[str, Any]:
    requests = service.list_requests(
        session=session,
        edition=edition,
        status=filters.status,
        delegation_code=filters.delegation or None,
        sector_code=filters.sector or None,
        limit=PAGE_SIZE,
        offset=offset,
    )
    names.load_titles(requests.items)
    return {"requests": requests, "names": names, **_common(edition, filters)}


@router.get("/editions/{edition_id}/requests", name="requests:list")
def requests_page(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The edition's meeting requests, filtered and paginated."""
    edition = _edition(session, edition_id, principal)
    names = Names(session, edition)
    context = _list_context(session, edition, filters, offset, names)
    if request.headers.get("HX-Target") == "requests-table":
        return render_page(request, "pages/requests/_table.html", **context)
    return render_page(
        request,
        "pages/requests/list.html",
        title=f"Solicitudes de reunión · {edition.name}",
        tab="requests",
        sector_options=[(code, f"{code} · {name}") for code, name in names.sectors.items()],
        delegation_options=[(code, f"{code} · {name}") for code, name in names.delegations.items()],
        show_options=list(SHOW.items()),
        **context,
    )


def _form_values(r: MeetingRequestPublic) -> dict[str, Any]:
    pin_at = ""
    if r.pin is not None:
        pin_at = dt.datetime.combine(r.pin.date, r.pin.start_time).strftime(PIN_FORMAT)
    return {
        "weight": r.weight,
        "duration_slots": r.duration_slots,
        "mandatory": r.mandatory,
        "pin_at": pin_at,
        "pin_room": "" if r.pin is None or r.pin.room_id is None else str(r.pin.room_id),
    }


def _render_row(
    request: Request,
    edition: Edition,
    filters: Filters,
    names: Names,
    item: MeetingRequestPublic,
    *,
    editing: bool = False,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """One row (or its form): a fragment for HTMX, the edit page for a plain browser."""
    names.load_titles([item])
    context = {
        "r": item,
        "names": names,
        "values": values or _form_values(item),
        "errors": errors or {},
        "pin_options": names.pin_options() if editing else [],
        **_common(edition, filters),
    }
    if is_htmx(request):
        template = "pages/requests/_row_form.html" if editing else "pages/requests/_row.html"
        return render_page(request, template, status_code=status_code, **context)
    return render_page(
        request,
        "pages/requests/edit.html",
        status_code=status_code,
        title=f"Solicitud {item.id} · {edition.name}",
        tab="requests",
        **context,
    )


@router.get("/editions/{edition_id}/requests/{request_id}/edit", name="requests:edit")
def edit_form(
    request: Request,
    edition_id: int,
    request_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
) -> Response:
    """The row as a form."""
    edition = _edition(session, edition_id, principal)
    item = service.read_request(session=session, edition=edition, request_id=request_id)
    return _render_row(request, edition, filters, Names(session, edition), item, editing=True)


@router.get("/editions/{edition_id}/requests/{request_id}/row", name="requests:row")
def row(
    request: Request,
    edition_id: int,
    request_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
) -> Response:
    """The row as it is (what "Cancelar" brings back)."""
    edition = _edition(session, edition_id, principal)
    item = service.read_request(session=session, edition=edition, request_id=request_id)
    if not is_htmx(request):
        return redirect(request, f"/editions/{edition.id}/requests?{filters.query}")
    return _render_row(request, edition, filters, Names(session, edition), item)


def update_in(
    *, weight: str, duration_slots: str, mandatory: str, pin_at: str, pin_room: str
) -> MeetingRequestUpdate:
    """The edit form's fields as the API's input; FormErrors by field."""
    pin: dict[str, Any] | None = None
    if pin_at:
        try:
            at = dt.datetime.strptime(pin_at, PIN_FORMAT)
        except ValueError:
            raise FormErrors({"pin": "Elija un horario de la lista."}) from None
        pin = {"date": at.date(), "start_time": at.time(), "room_id": pin_room or None}
    elif pin_room:
        raise FormErrors({"pin": "Para fijar una sala elija también el día y la hora."})
    return parse(
        MeetingRequestUpdate,
        {
            "weight": weight or None,
            "duration_slots": duration_slots or None,
            "mandatory": mandatory == "1",
            "pin": pin,
        },
    )


@router.post("/editions/{edition_id}/requests/{request_id}/update", name="requests:update")
def update(
    request: Request,
    edition_id: int,
    request_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
    weight: Annotated[str, Form(max_length=20)] = "",
    duration_slots: Annotated[str, Form(max_length=20)] = "",
    mandatory: Annotated[str, Form(max_length=5)] = "",
    pin_at: Annotated[str, Form(max_length=20)] = "",
    pin_room: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Save the row's form: the row again, or the form with the error beside its field."""
    edition = _edition(session, edition_id, principal)
    item = service.read_request(session=session, edition=edition, request_id=request_id)
    names = Names(session, edition)
    values = {
        "weight": weight,
        "duration_slots": duration_slots,
        "mandatory": mandatory == "1",
        "pin_at": pin_at,
        "pin_room": pin_room,
    }
    try:
        request_in = update_in(
            weight=weight,
            duration_slots=duration_slots,
            mandatory=mandatory,
            pin_at=pin_at,
            pin_room=pin_room,
        )
        item = service.update_request(
            session=session,
            edition=edition,
            request_id=request_id,
            request_in=request_in,
            now=clock.now(),
        )
    except (FormErrors, Invalid) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, FormErrors) else invalid_errors(exc, "pin")
        return _render_row(
            request,
            edition,
            filters,
            names,
            item,
            editing=True,
            values=values,
            errors=errors,
            status_code=422,
        )
    if not is_htmx(request):
        flash(request, messages.REQUEST_SAVED.format(id=request_id))
        return redirect(request, f"/editions/{edition.id}/requests?{filters.query}")
    return _render_row(request, edition, filters, names, item)


@router.post("/editions/{edition_id}/requests/merge", name="requests:merge")
def merge(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
    request_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Merge the selected requests of one delegation into a multisector request."""
    edition = _edition(session, edition_id, principal)
    ids = list(dict.fromkeys(request_ids or []))
    if len(ids) < 2:
        flash(request, messages.MERGE_NEEDS_TWO, "error")
    else:
        try:
            merged = service.merge_requests(
                session=session, edition=edition, request_ids=ids, now=clock.now()
            )
        except Invalid as exc:
            session.rollback()
            flash(request, exc.detail, "error")
        else:
            done = messages.REQUESTS_MERGED.format(ids=", ".join(map(str, ids)), id=merged.id)
            flash(request, done)
    return redirect(request, f"/editions/{edition.id}/requests?{filters.query}")
