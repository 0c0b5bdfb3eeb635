"""The SD's publication pages: choose a succeeded run, see the delivery window in Lima
dates, publish (forcing with a reason when it is late), then follow each recipient's
e-mail in the delivery log, where a queued message is sent now and a failed or sent one
again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.access.principal import Principal
from app.agendas.delivery import list_publications, publish_run
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid
from app.core.pagination import Pagination
from app.editions.models import Edition, EditionStatus
from app.editions.service import STATUS_ES, get_edition_or_404, list_participants
from app.mail import requeue
from app.mail.models import MessageStatus
from app.mail.service import list_deliveries
from app.scheduling.models import RunStatus
from app.scheduling.publication import PUBLISHABLE, delivery_window, window_dates
from app.scheduling.runs import list_runs
from app.scheduling.schemas import SolveRunPublic
from app.web import messages
from app.web.deps import SdUser
from app.web.format import fecha, fecha_corta, numero
from app.web.security import check_csrf
from app.web.templating import flash, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

MAX_RUNS = 100
MAX_PARTICIPANTS = 2500
StatusQuery = Annotated[str, Query(max_length=16)]


def _edition(session: Session, edition_id: int, principal: Principal) -> Edition:
    return get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


def run_label(run: SolveRunPublic) -> str:
    """A run in words: number, Lima time, meetings placed and left out, solver verdict."""
    when = fecha_corta(run.finished_at or run.created_at)
    result = run.result
    if result is None:
        return f"Corrida {run.id} · {when}"
    verdict = messages.SOLVER_STATUS.get(str(result.status), str(result.status).lower())
    left = len(result.unscheduled)
    return (
        f"Corrida {run.id} · {when} · solución {verdict}, {numero(left)} "
        f"solicitud{'es' if left != 1 else ''} sin programar "
        f"(peso {numero(result.scheduled_weight)})"
    )


def window_text(edition: Edition) -> str:
    """ "entre el lunes 15 y el jueves 18 de diciembre" (month and year only where needed)."""
    opens, closes = window_dates(edition=edition)
    end = fecha(closes).rsplit(" de ", 1)[0]  # "jueves 18 de diciembre"
    start = fecha(opens).rsplit(" de ", 1)[0]
    if opens.month == closes.month:
        start = start.rsplit(" de ", 1)[0]  # "lunes 15"
    return f"entre el {start} y el {end}"


def _window(edition: Edition, now: dt.datetime) -> dict[str, Any]:
    window = delivery_window(edition=edition, now=now)
    before = window.days_before > edition.agenda_days_before_max
    return {
        "text": window_text(edition),
        "inside": not before and not window.late,
        "before": before,
        "late": window.late,
        "due_at": window.due_at,
        "days_before": window.days_before,
    }


def _context(
    session: Session, edition: Edition, now: dt.datetime, run_id: int | None
) -> dict[str, Any]:
    runs = [
        r
        for r in list_runs(session=session, edition=edition, limit=MAX_RUNS, offset=0).items
        if r.status == RunStatus.succeeded
    ]
    chosen = run_id if run_id in {r.id for r in runs} else (runs[0].id if runs else None)
    publications = list_publications(session=session, edition=edition, now=now)
    return {
        "edition": edition,
        "tab": "publish",
        "status_label": STATUS_ES[EditionStatus(edition.status)],
        "publishable": EditionStatus(edition.status) in PUBLISHABLE,
        "run_options": [(r.id, run_label(r)) for r in runs],
        "chosen_run": chosen,
        "window": _window(edition, now) if edition.days else None,
        "publications": publications,
        "latest": publications[0] if publications else None,
        "DELIVERY_STATUS": messages.DELIVERY_STATUS,
    }


@router.get("/editions/{edition_id}/publish", name="publish:page")
def publish_page(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The publication form (run, window, force) and the versions published so far."""
    edition = _edition(session, edition_id, principal)
    return render_page(
        request,
        "pages/publish/publish.html",
        title=f"Publicación · {edition.name}",
        errors={},
        form={},
        **_context(session, edition, clock.now(), run),
    )


@router.post("/editions/{edition_id}/publish", name="publish:submit")
def publish(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    run_id: Annotated[str, Form(max_length=20)] = "",
    force: Annotated[str, Form(max_length=5)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Publish the chosen run as version N+1; errors come back next to their field."""
    edition = _edition(session, edition_id, principal)
    now = clock.now()
    forced = force == "1"
    errors: dict[str, str] = {}
    late = bool(edition.days) and delivery_window(edition=edition, now=now).late
    if not run_id.strip().isdigit():
        errors["run_id"] = messages.CHOOSE_RUN
    elif forced and not reason.strip():
        errors["reason"] = messages.FORCE_REASON_MISSING
    elif late and not forced:
        errors["__all__"] = messages.LATE_NEEDS_FORCE
    else:
        try:
            published = publish_run(
                session=session,
                edition=edition,
                run_id=int(run_id),
                published_by=principal.name,
                now=now,
                settings=request.app.state.settings,
                force=forced,
                reason=reason if forced else None,
            )
        except (Invalid, Conflict) as exc:
            session.rollback()
            session.refresh(edition)
            errors["__all__"] = exc.detail
        else:
            flash(request, messages.VERSION_PUBLISHED.format(number=published.number))
            return redirect(request, f"/editions/{edition.id}/publish")
    context = _context(session, edition, now, int(run_id) if run_id.isdigit() else None)
    return render_page(
        request,
        "pages/publish/publish.html",
        status_code=422,
        title=f"Publicación · {edition.name}",
        errors=errors,
        form={"force": forced, "reason": reason},
        **context,
    )


# --------------------------------------------------------------------------- delivery log


def _status_filter(status: str) -> MessageStatus | None:
    return MessageStatus(status) if status in MessageStatus.__members__ else None


def _log_url(edition: Edition, status: str) -> str:
    query = urlencode({"status": status}) if _status_filter(status) else ""
    return f"/editions/{edition.id}/deliveries" + (f"?{query}" if query else "")


@router.get("/editions/{edition_id}/deliveries", name="publish:deliveries")
def deliveries_page(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    status: StatusQuery = "",
) -> Response:
    """Every e-mail of the edition per recipient, filtered by status."""
    edition = _edition(session, edition_id, principal)
    selected = _status_filter(status)
    every = list_deliveries(session=session, edition_id=edition.id)
    rows = [d for d in every if selected is None or d.status == selected]
    participants = list_participants(
        session=session, edition=edition, page=Pagination(limit=MAX_PARTICIPANTS, offset=0)
    )
    names = {("sector", s.code): s.name for s in participants.sectors} | {
        ("delegation", d.code): d.name for d in participants.delegations
    }
    counts = Counter(d.status for d in every)
    return render_page(
        request,
        "pages/publish/deliveries.html",
        title=f"Registro de envíos · {edition.name}",
        edition=edition,
        tab="deliveries",
        deliveries=rows,
        names=names,
        status=selected.value if selected else "",
        status_options=[(s.value, requeue.STATUS_ES[s]) for s in MessageStatus],
        counts={s: counts[s] for s in MessageStatus if counts[s]},
        resendable=requeue.resendable(every),
        STATUS_ES=requeue.STATUS_ES,
    )


@router.post("/editions/{edition_id}/deliveries/{message_id}/send-now", name="publish:send_now")
def send_now(
    request: Request,
    edition_id: int,
    message_id: int,
    session: SessionDep,
    principal: SdUser,
    status: StatusQuery = "",
) -> Response:
    """A queued message becomes due now; the dispatcher runs after this request."""
    edition = _edition(session, edition_id, principal)
    requeue.send_now(
        session=session,
        edition_id=edition.id,
        message_id=message_id,
        actor=principal.name,
        now=clock.now(),
    )
    flash(request, messages.MESSAGE_SENT_NOW.format(id=message_id))
    return redirect(request, _log_url(edition, status))


@router.post("/editions/{edition_id}/deliveries/{message_id}/resend", name="publish:resend")
def resend(
    request: Request,
    edition_id: int,
    message_id: int,
    session: SessionDep,
    principal: SdUser,
    status: StatusQuery = "",
) -> Response:
    """A failed, sent or stuck message is queued again as a new message."""
    edition = _edition(session, edition_id, principal)
    copy = requeue.resend(
        session=session,
        edition_id=edition.id,
        message_id=message_id,
        actor=principal.name,
        now=clock.now(),
        settings=request.app.state.settings,
    )
    flash(request, messages.MESSAGE_RESENT.format(id=message_id, new=copy.id))
    return redirect(request, _log_url(edition, status))
