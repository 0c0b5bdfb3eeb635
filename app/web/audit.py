"""The SD's audit log page: who wrote what and when, filtered by edition, actor, object and
dates (days on the Lima clock), newest first, with the same entries as XLSX."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.access.audit import (
    ACTION_ES,
    ACTOR_ES,
    XLSX_TYPE,
    AuditFilters,
    entries_xlsx,
    list_entries,
    object_types,
)
from app.core import clock
from app.core.db import SessionDep
from app.core.pagination import Pagination
from app.core.types import INT32_MAX
from app.editions.service import list_editions
from app.web.deps import SdUser
from app.web.format import LIMA
from app.web.security import check_csrf
from app.web.templating import attachment, is_htmx, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PAGE_SIZE = 50
MAX_EDITIONS = 500


def _lima_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LIMA).astimezone(dt.UTC)


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _form(
    edition_text: Annotated[str | None, Query(alias="edition", max_length=10)] = None,
    actor: Annotated[str | None, Query(max_length=254)] = None,
    object_type: Annotated[str | None, Query(alias="objeto", max_length=64)] = None,
    object_id: Annotated[str | None, Query(alias="id", max_length=64)] = None,
    since_text: Annotated[str | None, Query(alias="desde", max_length=10)] = None,
    until_text: Annotated[str | None, Query(alias="hasta", max_length=10)] = None,
) -> tuple[AuditFilters, dict[str, str]]:
    """The page's filters, and the same as query parameters for links (empty ones left out).
    The form sends every field, empty ones as "" (no filter); a malformed one is ignored."""
    edition = int(edition_text) if edition_text and edition_text.isdigit() else None
    if edition is not None and not 1 <= edition <= INT32_MAX:
        edition = None
    since, until = _day(since_text), _day(until_text)
    filters = AuditFilters(
        edition_id=edition,
        actor=actor.strip() if actor and actor.strip() else None,
        object_type=object_type or None,
        object_id=object_id.strip() if object_id and object_id.strip() else None,
        since=_lima_midnight(since) if since else None,
        until=_lima_midnight(until + dt.timedelta(days=1)) if until else None,
    )
    values = {
        "edition": str(edition or ""),
        "actor": filters.actor or "",
        "objeto": filters.object_type or "",
        "id": filters.object_id or "",
        "desde": since.isoformat() if since else "",
        "hasta": until.isoformat() if until else "",
    }
    return filters, values


Form = Annotated[tuple[AuditFilters, dict[str, str]], Depends(_form)]


@router.get("/audit", name="audit:page")
def audit_page(
    request: Request,
    session: SessionDep,
    principal: SdUser,
    form: Form,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The entries matching the filters; HTMX gets the table alone."""
    filters, values = form
    entries = list_entries(
        session=session, filters=filters, page=Pagination(limit=PAGE_SIZE, offset=offset)
    )
    query = urlencode({k: v for k, v in values.items() if v})
    context = {
        "entries": entries,
        "values": values,
        "query": query,
        "ACTION_ES": ACTION_ES,
        "ACTOR_ES": ACTOR_ES,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "audit-table":
        return render_page(request, "pages/audit/_table.html", **context)
    editions = list_editions(
        session=session, principal=principal, page=Pagination(limit=MAX_EDITIONS, offset=0)
    ).items
    return render_page(
        request,
        "pages/audit/audit.html",
        title="Registro de auditoría",
        edition_options=[(e.id, e.name) for e in editions],
        type_options=[(t, t) for t in object_types(session=session)],
        **context,
    )


@router.get("/audit/registro.xlsx", name="audit:download")
def download(session: SessionDep, _principal: SdUser, form: Form) -> Response:
    """The matching entries as a spreadsheet."""
    filters, _values = form
    content = entries_xlsx(session=session, filters=filters)
    return attachment(content, XLSX_TYPE, f"auditoria-{clock.now():%Y%m%d-%H%M}.xlsx")
