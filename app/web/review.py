"""The SD's review queue: the current topics by sector and delegation with rank, kind,
CUI and amount; accept, reject with a reason, merge and re-rank one by one, accept many at
once; the counters follow in place. Then the meeting requests are generated.

Row actions answer HTMX with the counters and, out of band, the changed row; without
JavaScript the same forms post and come back to the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.access.principal import Principal
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Invalid, NotFound
from app.core.pagination import Pagination
from app.editions.models import Edition, EditionStatus
from app.editions.service import STATUS_ES, get_edition_or_404, list_participants
from app.scheduling.service import generate_requests
from app.submissions import service
from app.submissions.models import TopicStatus
from app.submissions.overview import topic_status_counts
from app.web import messages
from app.web.deps import SdUser
from app.web.security import check_csrf
from app.web.templating import flash, is_htmx, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PAGE_SIZE = 50
MAX_PARTICIPANTS = 2500
Code = Annotated[str, Query(max_length=16)]


class Filters:
    """The queue's filters, kept in every link and form of the page."""

    def __init__(self, sector: str = "", delegation: str = "", status: str = "") -> None:
        self.sector = sector.strip().upper()
        self.delegation = delegation.strip().upper()
        self.status = status if status in TopicStatus.__members__ else ""

    @property
    def query(self) -> str:
        return urlencode(
            {"sector": self.sector, "delegation": self.delegation, "status": self.status}
        )


def _filters(sector: Code = "", delegation: Code = "", status: Code = "") -> Filters:
    return Filters(sector, delegation, status)


FiltersDep = Annotated[Filters, Depends(_filters)]


def _edition(session: Session, edition_id: int, principal: Principal) -> Edition:
    return get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


def _counts(session: Session, edition: Edition, filters: Filters) -> dict[TopicStatus, int]:
    return topic_status_counts(
        session=session,
        edition=edition,
        delegation_code=filters.delegation or None,
        sector_code=filters.sector or None,
    )


def _context(
    session: Session, edition: Edition, principal: Principal, filters: Filters, offset: int
) -> dict[str, Any]:
    topics = service.list_topics(
        session=session,
        edition=edition,
        principal=principal,
        delegation_code=filters.delegation or None,
        sector_code=filters.sector or None,
        status=TopicStatus(filters.status) if filters.status else None,
        limit=PAGE_SIZE,
        offset=offset,
    )
    return {
        "edition": edition,
        "topics": topics,
        "filters": filters,
        "counts": _counts(session, edition, filters),
        "in_review": edition.status == EditionStatus.in_review,
        "status_label": STATUS_ES[EditionStatus(edition.status)],
        "base": f"/editions/{edition.id}/review",
    }


def _queue_url(edition: Edition, filters: Filters) -> str:
    return f"/editions/{edition.id}/review?{filters.query}"


@router.get("/editions/{edition_id}/review", name="review:queue")
def review_page(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The review queue with its filters, counters and actions."""
    edition = _edition(session, edition_id, principal)
    context = _context(session, edition, principal, filters, offset)
    if request.headers.get("HX-Target") == "review-table":
        return render_page(request, "pages/review/_table_update.html", **context)
    participants = list_participants(
        session=session, edition=edition, page=Pagination(limit=MAX_PARTICIPANTS, offset=0)
    )
    return render_page(
        request,
        "pages/review/queue.html",
        title=f"Revisión de temas · {edition.name}",
        tab="review",
        sector_options=[(s.code, f"{s.code} · {s.name}") for s in participants.sectors],
        delegation_options=[(d.code, f"{d.code} · {d.name}") for d in participants.delegations],
        status_options=[(s.value, messages.TOPIC_STATUS[s]) for s in TopicStatus],
        **context,
    )


def _row_action(
    request: Request,
    session: Session,
    edition: Edition,
    principal: Principal,
    filters: Filters,
    topic_id: int,
    act: Callable[[], object],
    done: str,
) -> Response:
    """Run one row's action: HTMX gets the row and the counters, a browser the queue.
    Bad input (an empty reason, an unknown target) comes back next to the row's field."""
    error = None
    try:
        act()
    except Invalid as exc:
        session.rollback()
        error = exc.detail
    flash(request, error or done, "error" if error else "success")
    if not is_htmx(request):
        return redirect(request, _queue_url(edition, filters))
    topic = service.get_topic(
        session=session, edition=edition, principal=principal, topic_id=topic_id
    )
    return render_page(
        request,
        "pages/review/_row_update.html",
        status_code=422 if error else 200,
        topic=topic,
        row_error=error,
        edition=edition,
        filters=filters,
        counts=_counts(session, edition, filters),
        in_review=True,
        base=f"/editions/{edition.id}/review",
    )


@router.post("/editions/{edition_id}/review/topics/{topic_id}/accept", name="review:accept")
def accept(
    request: Request,
    edition_id: int,
    topic_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
) -> Response:
    edition = _edition(session, edition_id, principal)
    return _row_action(
        request,
        session,
        edition,
        principal,
        filters,
        topic_id,
        lambda: service.accept_topic(
            session=session,
            edition=edition,
            topic_id=topic_id,
            principal=principal,
            now=clock.now(),
        ),
        messages.TOPIC_ACCEPTED.format(id=topic_id),
    )


@router.post("/editions/{edition_id}/review/topics/{topic_id}/reject", name="review:reject")
def reject(
    request: Request,
    edition_id: int,
    topic_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    edition = _edition(session, edition_id, principal)
    return _row_action(
        request,
        session,
        edition,
        principal,
        filters,
        topic_id,
        lambda: service.reject_topic(
            session=session,
            edition=edition,
            topic_id=topic_id,
            reason=reason,
            principal=principal,
            now=clock.now(),
        ),
        messages.TOPIC_REJECTED.format(id=topic_id),
    )


@router.post("/editions/{edition_id}/review/topics/{topic_id}/merge", name="review:merge")
def merge(
    request: Request,
    edition_id: int,
    topic_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
    into_topic_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    edition = _edition(session, edition_id, principal)

    def act() -> None:
        if not into_topic_id.strip().isdigit():
            raise Invalid("Indique el número del tema en el que se fusiona.")
        target = int(into_topic_id)
        try:
            service.merge_topic(
                session=session,
                edition=edition,
                topic_id=topic_id,
                into_topic_id=target,
                principal=principal,
                now=clock.now(),
            )
        except NotFound as exc:
            if target == topic_id:
                raise
            raise Invalid(f"No existe el tema {target} en esta edición.") from exc

    return _row_action(
        request,
        session,
        edition,
        principal,
        filters,
        topic_id,
        act,
        messages.TOPIC_MERGED.format(id=topic_id, into=into_topic_id.strip()),
    )


def _table_response(
    request: Request, session: Session, edition: Edition, principal: Principal, filters: Filters
) -> Response:
    if not is_htmx(request):
        return redirect(request, _queue_url(edition, filters))
    context = _context(session, edition, principal, filters, 0)
    return render_page(request, "pages/review/_table_update.html", flashes_now=True, **context)


@router.post("/editions/{edition_id}/review/topics/{topic_id}/move", name="review:move")
def move(
    request: Request,
    edition_id: int,
    topic_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
    direction: Annotated[str, Form(pattern="^(up|down)$")] = "up",
) -> Response:
    """Move a topic one place up or down in its delegation's list for the filtered sector."""
    edition = _edition(session, edition_id, principal)
    if not filters.sector:
        raise NotFound("Elija un sector para cambiar el orden de los temas.")
    topic = service.get_topic(
        session=session, edition=edition, principal=principal, topic_id=topic_id
    )
    same_list = service.list_topics(
        session=session,
        edition=edition,
        principal=principal,
        delegation_code=topic.delegation,
        sector_code=filters.sector,
        limit=1000,
        offset=0,
    ).items

    def rank(t: Any) -> int:
        return next(s.rank for s in t.sectors if s.sector == filters.sector)

    order = [t.id for t in sorted(same_list, key=rank)]
    if topic_id not in order:
        raise NotFound("El tema no está dirigido a ese sector.")
    i = order.index(topic_id)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
        service.rerank(
            session=session,
            edition=edition,
            delegation_code=topic.delegation,
            sector_code=filters.sector,
            topic_ids=order,
            principal=principal,
            now=clock.now(),
        )
        flash(request, messages.TOPICS_RERANKED)
    return _table_response(request, session, edition, principal, filters)


@router.post("/editions/{edition_id}/review/accept", name="review:accept_many")
def accept_many(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    filters: FiltersDep,
    topic_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """Accept every selected topic (all or none)."""
    edition = _edition(session, edition_id, principal)
    if not topic_ids:
        flash(request, messages.NOTHING_SELECTED, "error")
        return _table_response(request, session, edition, principal, filters)
    now = clock.now()
    for topic_id in dict.fromkeys(topic_ids):
        service.accept_topic(
            session=session, edition=edition, topic_id=topic_id, principal=principal, now=now
        )
    flash(request, messages.TOPICS_ACCEPTED.format(count=len(set(topic_ids))))
    return _table_response(request, session, edition, principal, filters)


@router.post("/editions/{edition_id}/requests/generate", name="review:generate")
def generate(
    request: Request,
    edition_id: int,
    session: SessionDep,
    principal: SdUser,
    replace: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Build the meeting requests from the accepted topics (`replace`: also when the SD
    already edited requests, discarding those changes)."""
    edition = _edition(session, edition_id, principal)
    created = generate_requests(
        session=session, edition=edition, replace=replace == "1", now=clock.now()
    )
    flash(request, messages.REQUESTS_GENERATED.format(count=len(created)))
    return redirect(request, f"/editions/{edition_id}/review")
