"""A rapporteur's pages: the assigned meetings of each edition's current version (day,
time, room, parties, agenda topics) and the record form of one meeting: held or not (with
the reason), agreements, commitments (responsible sector or delegation, deadline, type,
amount); saved as a draft, then closed. A meeting cannot be recorded before it starts and a
cancelled meeting drops out (both rules live in the commitments service).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from app.access.principal import Principal
from app.commitments.models import (
    CommitmentType,
    MeetingCommitmentCreate,
    MeetingRecordIn,
    RapporteurMeetingPublic,
)
from app.commitments.service import (
    close_record,
    create_meeting_commitment,
    get_record,
    meeting_commitments,
    meeting_for,
    rapporteur_meetings,
    record_meeting,
)
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import Pagination
from app.editions.models import Edition
from app.editions.service import get_delegation, get_edition_or_404, get_sector, list_editions
from app.web import messages
from app.web.deps import RapporteurUser
from app.web.security import check_csrf
from app.web.templating import flash, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

COMMITMENT_TYPE = {
    CommitmentType.administrative: "Administrativo",
    CommitmentType.technical: "Técnico",
    CommitmentType.budgetary: "Presupuestal",
}


@router.get("/rapporteur", name="rapporteur:home")
def home_page(request: Request, session: SessionDep, principal: RapporteurUser) -> Response:
    """Every edition with meetings assigned to this rapporteur, each with its meetings."""
    editions = list_editions(
        session=session, principal=principal, page=Pagination(limit=20, offset=0)
    ).items
    with_meetings = [
        (e, meetings)
        for e in editions
        if (meetings := rapporteur_meetings(session=session, edition=e, principal=principal))
    ]
    return render_page(
        request,
        "pages/rapporteur/home.html",
        title="Mis reuniones",
        editions=with_meetings,
        now=clock.now(),
    )


def _meeting(
    session: Session, edition: Edition, principal: Principal, request_id: int
) -> RapporteurMeetingPublic:
    found = next(
        (
            m
            for m in rapporteur_meetings(session=session, edition=edition, principal=principal)
            if m.request_id == request_id
        ),
        None,
    )
    if found is None:
        raise NotFound("La página solicitada no existe.")
    return found


def _responsible_options(
    session: Session, edition: Edition, principal: Principal, request_id: int
) -> list[tuple[str, str]]:
    """ "sector:<id>", "delegation:<id>" and "both:<sector id>:<delegation id>" choices."""
    meeting = meeting_for(
        session=session, edition=edition, request_id=request_id, principal=principal, write=False
    )
    delegation = get_delegation(session=session, delegation_id=meeting.delegation_id)
    sectors = [get_sector(session=session, sector_id=s) for s in meeting.sector_ids]
    options = [(f"sector:{s.id}", f"{s.code} · {s.name}") for s in sectors]
    options.append((f"delegation:{delegation.id}", f"{delegation.code} · {delegation.name}"))
    options += [
        (f"both:{s.id}:{delegation.id}", f"{s.code} y {delegation.code} (ambos)") for s in sectors
    ]
    return options


def _record_page(
    request: Request,
    session: Session,
    edition: Edition,
    principal: Principal,
    request_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    meeting = _meeting(session, edition, principal, request_id)
    try:
        record = get_record(
            session=session, edition=edition, request_id=request_id, principal=principal
        )
    except NotFound:
        record = None
    return render_page(
        request,
        "pages/rapporteur/record.html",
        status_code=status_code,
        title=f"Relatoría · {meeting.delegation} – {', '.join(meeting.sectors)}",
        edition=edition,
        meeting=meeting,
        record=record,
        started=clock.now() >= meeting.starts_at,
        commitments=meeting_commitments(
            session=session, edition=edition, request_id=request_id, principal=principal
        ),
        responsible=_responsible_options(session, edition, principal, request_id),
        types=list(COMMITMENT_TYPE.items()),
        COMMITMENT_TYPE=COMMITMENT_TYPE,
        base=f"/rapporteur/editions/{edition.id}/meetings/{request_id}",
        errors=errors or {},
        form=form or {},
    )


@router.get("/rapporteur/editions/{edition_id}/meetings/{request_id}", name="rapporteur:record")
def record_page(
    request: Request,
    edition_id: int,
    request_id: int,
    session: SessionDep,
    principal: RapporteurUser,
) -> Response:
    """The meeting with its topics, its record and its commitments."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    return _record_page(request, session, edition, principal, request_id)


@router.post(
    "/rapporteur/editions/{edition_id}/meetings/{request_id}/record", name="rapporteur:save"
)
def save_record(
    request: Request,
    edition_id: int,
    request_id: int,
    session: SessionDep,
    principal: RapporteurUser,
    held: Annotated[str, Form(pattern="^(si|no)$")] = "si",
    not_held_reason: Annotated[str, Form(max_length=2000)] = "",
    notes: Annotated[str, Form(max_length=20_000)] = "",
    action: Annotated[str, Form(pattern="^(draft|close)$")] = "draft",
) -> Response:
    """Save the record as a draft, or save and close it."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    form = {"held": held, "not_held_reason": not_held_reason, "notes": notes}
    try:
        record_in = MeetingRecordIn(
            held=held == "si",
            not_held_reason=not_held_reason.strip() or None if held == "no" else None,
            notes=notes,
        )
    except ValidationError:
        return _record_page(
            request,
            session,
            edition,
            principal,
            request_id,
            status_code=422,
            errors={"not_held_reason": messages.NOT_HELD_REASON},
            form=form,
        )
    try:
        record_meeting(
            session=session,
            edition=edition,
            request_id=request_id,
            record_in=record_in,
            principal=principal,
        )
        if action == "close":
            close_record(
                session=session, edition=edition, request_id=request_id, principal=principal
            )
    except Conflict as exc:
        session.rollback()
        return _record_page(
            request,
            session,
            edition,
            principal,
            request_id,
            status_code=409,
            errors={"record": exc.detail},
            form=form,
        )
    flash(request, messages.RECORD_CLOSED if action == "close" else messages.RECORD_SAVED)
    return redirect(request, f"/rapporteur/editions/{edition_id}/meetings/{request_id}")


def _parties(choice: str) -> dict[str, int | None]:
    kind, _, rest = choice.partition(":")
    ids = [int(x) for x in rest.split(":") if x.isdigit()]
    if kind == "sector" and len(ids) == 1:
        return {"sector_id": ids[0], "delegation_id": None}
    if kind == "delegation" and len(ids) == 1:
        return {"sector_id": None, "delegation_id": ids[0]}
    if kind == "both" and len(ids) == 2:
        return {"sector_id": ids[0], "delegation_id": ids[1]}
    raise Invalid(messages.RESPONSIBLE_MISSING, field="responsible")


@router.post(
    "/rapporteur/editions/{edition_id}/meetings/{request_id}/commitments",
    name="rapporteur:commitment",
)
def add_commitment(
    request: Request,
    edition_id: int,
    request_id: int,
    session: SessionDep,
    principal: RapporteurUser,
    responsible: Annotated[str, Form(max_length=40)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    type: Annotated[str, Form(max_length=20)] = "",
    amount: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Write down one commitment of the meeting."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    form = {
        "responsible": responsible,
        "description": description,
        "deadline": deadline,
        "type": type,
        "amount": amount,
    }
    errors: dict[str, str] = {}
    try:
        parties = _parties(responsible)
        try:
            day = dt.date.fromisoformat(deadline)
        except ValueError as exc:
            raise Invalid(messages.DEADLINE_MISSING, field="deadline") from exc
        try:
            soles = Decimal(amount.replace(",", "")) if amount.strip() else None
        except InvalidOperation as exc:
            raise Invalid(messages.AMOUNT_INVALID, field="amount") from exc
        try:
            commitment_in = MeetingCommitmentCreate(
                description=description.strip(),
                type=type,  # type: ignore[arg-type]
                deadline=day,
                amount=soles,
                **parties,
            )
        except ValidationError as exc:
            raise Invalid(_commitment_error(exc.errors()), field="commitment") from exc
        create_meeting_commitment(
            session=session,
            edition=edition,
            request_id=request_id,
            commitment_in=commitment_in,
            principal=principal,
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        errors[str(exc.extensions.get("field", "commitment"))] = exc.detail
        return _record_page(
            request,
            session,
            edition,
            principal,
            request_id,
            status_code=exc.status,
            errors=errors,
            form=form,
        )
    flash(request, messages.COMMITMENT_ADDED)
    return redirect(request, f"/rapporteur/editions/{edition_id}/meetings/{request_id}")


def _commitment_error(errors: list[Any]) -> str:
    for error in errors:
        text = str(error.get("msg", ""))
        if "budgetary" in text:
            return messages.AMOUNT_MISSING
        if error.get("loc") and error["loc"][0] == "description":
            return messages.DESCRIPTION_MISSING
        if error.get("loc") and error["loc"][0] == "type":
            return messages.TYPE_MISSING
    return messages.validation_message(errors[0]) if errors else messages.TOPICS_INVALID
