"""The SD's editions: the list and each edition's dashboard (lifecycle, countdowns, who
submitted)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from app.core import clock
from app.core.db import SessionDep
from app.core.pagination import Pagination
from app.editions.models import EditionStatus
from app.editions.service import (
    STATUS_ES,
    TRANSITIONS,
    get_edition_or_404,
    list_editions,
    transition,
)
from app.editions.timeline import timeline
from app.submissions.overview import (
    SUBMISSION_SORTS,
    submission_overview,
    submission_totals,
    topic_status_counts,
)
from app.web import messages
from app.web.deps import SdUser
from app.web.format import plazo
from app.web.security import check_csrf
from app.web.templating import flash, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
_ORDER = list(EditionStatus)  # the lifecycle, first to last


def _is_back(step: EditionStatus, current: EditionStatus) -> bool:
    return _ORDER.index(step) < _ORDER.index(current)


@router.get("/editions", name="editions:list")
def editions_page(
    request: Request,
    session: SessionDep,
    principal: SdUser,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Every edition, newest first."""
    page = list_editions(
        session=session, principal=principal, page=Pagination(limit=PAGE_SIZE, offset=offset)
    )
    return render_page(
        request,
        "pages/editions/list.html",
        title="Ediciones",
        page=page,
        STATUS_ES=STATUS_ES,
        now=clock.now(),
    )


@router.get("/editions/{edition_id}", name="editions:dashboard")
def dashboard_page(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    q: Annotated[str, Query(max_length=80)] = "",
    submitted: Annotated[str, Query(pattern="^(|si|no)$")] = "",
    sort: Annotated[str, Query(max_length=20)] = "code",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The edition's state and next steps, countdowns and the delegations' submissions."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    if sort.lstrip("-") not in SUBMISSION_SORTS:
        sort = "code"
    overview = submission_overview(
        session=session,
        edition=edition,
        page=Pagination(limit=PAGE_SIZE, offset=offset),
        q=q,
        submitted={"si": True, "no": False}.get(submitted),
        sort=sort,
    )
    current = EditionStatus(edition.status)
    # the step forward first (the primary button), then the steps back
    steps = sorted(TRANSITIONS[current], key=lambda s: (_is_back(s, current), _ORDER.index(s)))
    participants, with_list = submission_totals(session=session, edition=edition)
    now = clock.now()
    dates = timeline(edition)
    context = {
        "edition": edition,
        "overview": overview,
        "filters": {"q": q, "submitted": submitted},
        "sort": sort,
        "base_query": urlencode({"q": q, "submitted": submitted}),
        "sort_query": urlencode({"q": q, "submitted": submitted, "sort": sort}),
    }
    if request.headers.get("HX-Target") == "delegations":
        return render_page(request, "pages/editions/_delegations.html", **context)
    return render_page(
        request,
        "pages/editions/dashboard.html",
        title=edition.name,
        status_label=STATUS_ES[current],
        steps=[(s.value, STATUS_ES[s], not _is_back(s, current)) for s in steps],
        timeline=dates,
        countdowns={
            "close": plazo(dates.submissions_close_at, now),
            "delivery": plazo(dates.delivery_opens_at, now),
            "delivery_close": plazo(dates.delivery_closes_at, now),
        },
        participants=participants,
        with_list=with_list,
        counts=topic_status_counts(session=session, edition=edition),
        **context,
    )


@router.post("/editions/{edition_id}/status", name="editions:status")
def change_status(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    to: Annotated[EditionStatus, Form()],
) -> Response:
    """Move the edition one step along its lifecycle (a stale step is a 409 page)."""
    edition = get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    transition(session=session, edition=edition, to_status=to)
    flash(request, messages.STATUS_CHANGED.format(status=STATUS_ES[to]))
    return redirect(request, f"/editions/{edition_id}")
