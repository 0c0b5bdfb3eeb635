"""A delegation's pages (a governor's or mayor's team): its editions with the calendar and
deadlines, the topic list form (rows added and removed, each topic addressed to sectors
with its rank, saved as a new version), the versions compared, the SD's outcome per topic
and, after publication, its agenda with downloads and the requested meetings left out.

Every address carries the delegation's code; another delegation's code is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from app.access.principal import Principal
from app.agendas.documents import agenda_document, agenda_of
from app.agendas.formats import AgendaFormat
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid
from app.core.pagination import Pagination
from app.editions.models import Edition, EditionStatus
from app.editions.service import (
    STATUS_ES,
    get_edition_or_404,
    list_editions,
    list_participants,
    submissions_open,
)
from app.editions.timeline import timeline
from app.scheduling.publication import current_version
from app.scheduling.unscheduled import unscheduled_for_delegation
from app.submissions import service
from app.submissions.models import TopicKind, TopicListIn, TopicPublic
from app.web import messages
from app.web.deps import DelegationUser, own_code
from app.web.format import plazo
from app.web.security import check_csrf
from app.web.templating import attachment, flash, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

MAX_ROWS = 200
MAX_SECTORS = 60
DOWNLOADS = (AgendaFormat.pdf, AgendaFormat.ics, AgendaFormat.xlsx)


def _base(code: str, edition_id: int) -> str:
    return f"/delegations/{code}/editions/{edition_id}"


def _edition(session: Session, edition_id: int, principal: Principal, code: str) -> Edition:
    own_code(principal, code)
    return get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


def _sector_codes(session: Session, edition: Edition) -> list[tuple[str, str]]:
    participants = list_participants(
        session=session, edition=edition, page=Pagination(limit=MAX_SECTORS, offset=0)
    )
    return [(s.code, s.name) for s in participants.sectors]


# --------------------------------------------------------------------------- home


@router.get("/delegations/{code}", name="delegation:home")
def home_page(
    request: Request, code: str, session: SessionDep, principal: DelegationUser
) -> Response:
    """The editions the delegation takes part in, newest first, with their deadlines."""
    own_code(principal, code)
    editions = list_editions(
        session=session, principal=principal, page=Pagination(limit=20, offset=0)
    ).items
    now = clock.now()
    return render_page(
        request,
        "pages/delegation/home.html",
        title="Mis ediciones",
        code=principal.delegation_code,
        editions=[(e, timeline(e)) for e in editions],
        STATUS_ES=STATUS_ES,
        now=now,
        plazo=plazo,
    )


# --------------------------------------------------------------------------- edition


@router.get("/delegations/{code}/editions/{edition_id}", name="delegation:edition")
def edition_page(
    request: Request, code: str, edition_id: int, session: SessionDep, principal: DelegationUser
) -> Response:
    """Calendar and countdown, the current list with the SD's outcome, the agenda and the
    requested meetings left out (after publication)."""
    edition = _edition(session, edition_id, principal, code)
    code = principal.delegation_code or code
    now = clock.now()
    dates = timeline(edition)
    versions = service.list_versions(
        session=session, edition=edition, delegation_code=code, principal=principal
    )
    current = (
        service.read_version(
            session=session, edition=edition, delegation_code=code, principal=principal, number=None
        )
        if versions
        else None
    )
    published = current_version(session=session, edition=edition) is not None
    agenda = (
        agenda_of(
            session=session, edition=edition, principal=principal, kind="delegation", code=code
        )
        if published
        else None
    )
    unscheduled = (
        unscheduled_for_delegation(
            session=session,
            edition=edition,
            delegation_id=principal.delegation_id,  # type: ignore[arg-type]
        )
        if published
        else []
    )
    titles = {t.id: t.title for t in current.topics} if current else {}
    return render_page(
        request,
        "pages/delegation/edition.html",
        title=f"{edition.name} · {code}",
        edition=edition,
        code=code,
        base=_base(code, edition.id),  # type: ignore[arg-type]
        status_label=STATUS_ES[EditionStatus(edition.status)],
        timeline=dates,
        countdown=plazo(dates.submissions_close_at, now),
        window_open=submissions_open(edition, now),
        versions=versions,
        current=current,
        titles=titles,
        agenda=agenda,
        unscheduled=unscheduled,
        downloads=DOWNLOADS,
    )


@router.get("/delegations/{code}/editions/{edition_id}/agenda.{fmt}", name="delegation:agenda")
def agenda_download(
    code: str,
    edition_id: int,
    fmt: AgendaFormat,
    session: SessionDep,
    principal: DelegationUser,
) -> Response:
    """The delegation's agenda of the current version, in one format."""
    edition = _edition(session, edition_id, principal, code)
    document = agenda_document(
        session=session,
        edition=edition,
        principal=principal,
        kind="delegation",
        code=principal.delegation_code,
        fmt=fmt,
    )
    return attachment(document.content, document.media_type, document.filename, etag=document.etag)


# --------------------------------------------------------------------------- versions


@router.get("/delegations/{code}/editions/{edition_id}/versions", name="delegation:versions")
def versions_page(
    request: Request,
    code: str,
    edition_id: int,
    session: SessionDep,
    principal: DelegationUser,
    a: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    b: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Response:
    """Every version of the list; two of them compared."""
    edition = _edition(session, edition_id, principal, code)
    code = principal.delegation_code or code
    versions = service.list_versions(
        session=session, edition=edition, delegation_code=code, principal=principal
    )
    if versions and (a is None or b is None):
        b = versions[-1].number
        a = versions[-2].number if len(versions) > 1 else b
    comparison = (
        service.compare_versions(
            session=session,
            edition=edition,
            delegation_code=code,
            principal=principal,
            a=a,
            b=b,
        )
        if versions and a is not None and b is not None
        else None
    )
    return render_page(
        request,
        "pages/delegation/versions.html",
        title=f"Versiones de la lista · {code}",
        edition=edition,
        code=code,
        base=_base(code, edition.id),  # type: ignore[arg-type]
        versions=versions,
        comparison=comparison,
        a=a,
        b=b,
    )


# --------------------------------------------------------------------------- the form


@dataclass
class TopicRow:
    """One row of the topic list form, as typed (text, not yet validated)."""

    title: str = ""
    description: str = ""
    kind: str = TopicKind.investment_project.value
    cui: str = ""
    amount: str = ""
    ranks: dict[str, str] = field(default_factory=dict)  # sector code -> rank as typed
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, topic: TopicPublic) -> TopicRow:
        return cls(
            title=topic.title,
            description=topic.description,
            kind=topic.kind.value,
            cui=topic.cui or "",
            amount="" if topic.amount is None else f"{topic.amount:.2f}",
            ranks={s.sector: str(s.rank) for s in topic.sectors},
        )

    def to_input(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "kind": self.kind,
            "cui": self.cui.strip() or None,
            "amount": self.amount.strip().replace(",", "") or None,
            "sectors": [
                {"sector": code, "rank": int(rank)}
                for code, rank in self.ranks.items()
                if rank.strip()
            ],
        }


def _rows_of(form: Any, sectors: list[str]) -> list[TopicRow]:
    """The rows of a posted form (`rows` says how many)."""
    try:
        count = min(int(str(form.get("rows", "0"))), MAX_ROWS)
    except ValueError:
        count = 0
    rows = []
    for i in range(count):
        get = lambda name, i=i: str(form.get(f"t{i}_{name}", "")).strip()  # noqa: E731
        rows.append(
            TopicRow(
                title=get("title")[:300],
                description=get("description")[:4000],
                kind=get("kind") or TopicKind.other.value,
                cui=get("cui")[:32],
                amount=get("amount")[:32],
                ranks={c: get(f"rank_{c}")[:4] for c in sectors if get(f"rank_{c}")},
            )
        )
    return rows


def _move(rows: list[TopicRow], i: int, j: int) -> None:
    """Swap rows i and j, and their ranks in every sector both address (moving a topic up
    raises its priority)."""
    if not (0 <= i < len(rows) and 0 <= j < len(rows)):
        return
    first, second = rows[i], rows[j]
    for code in set(first.ranks) & set(second.ranks):
        first.ranks[code], second.ranks[code] = second.ranks[code], first.ranks[code]
    rows[i], rows[j] = second, first


def _check_ranks(rows: list[TopicRow]) -> bool:
    ok = True
    for row in rows:
        for code, rank in row.ranks.items():
            if not rank.isdigit() or not 1 <= int(rank) <= 1000:
                row.errors["sectors"] = f"La prioridad para {code} debe ser un número desde 1."
                ok = False
    return ok


def _row_errors(rows: list[TopicRow], errors: list[dict[str, Any]]) -> None:
    """Errors of the input model or of the service, next to their row and field."""
    for error in errors:
        loc = [str(x) for x in error.get("loc", [])]
        if "topics" not in loc:
            continue
        rest = loc[loc.index("topics") + 1 :]
        if not rest or not rest[0].isdigit() or int(rest[0]) >= len(rows):
            continue
        name = rest[1] if len(rest) > 1 else "title"
        # the service's messages are Spanish already; pydantic's are translated
        invalid = error.get("type") == "invalid"
        message = str(error.get("msg", "")) if invalid else messages.validation_message(error)
        rows[int(rest[0])].errors.setdefault(name, message)


def _form(
    request: Request,
    edition: Edition,
    code: str,
    sectors: list[tuple[str, str]],
    rows: list[TopicRow],
    *,
    status_code: int = 200,
    error: str | None = None,
    ask_empty: bool = False,
) -> Response:
    return render_page(
        request,
        "pages/delegation/topics.html",
        status_code=status_code,
        title=f"Lista de temas · {code}",
        edition=edition,
        code=code,
        base=_base(code, edition.id),  # type: ignore[arg-type]
        sectors=sectors,
        rows=rows,
        kinds=[(k.value, messages.TOPIC_KIND[k]) for k in TopicKind],
        form_error=error,
        ask_empty=ask_empty,
    )


@router.get("/delegations/{code}/editions/{edition_id}/topics", name="delegation:topics")
def topics_form(
    request: Request, code: str, edition_id: int, session: SessionDep, principal: DelegationUser
) -> Response:
    """The form, filled with the current version (one empty row when there is none)."""
    edition = _edition(session, edition_id, principal, code)
    code = principal.delegation_code or code
    versions = service.list_versions(
        session=session, edition=edition, delegation_code=code, principal=principal
    )
    rows = [TopicRow()]
    if versions:
        current = service.read_version(
            session=session, edition=edition, delegation_code=code, principal=principal, number=None
        )
        rows = [TopicRow.of(t) for t in current.topics] or [TopicRow()]
    return _form(request, edition, code, _sector_codes(session, edition), rows)


@router.post("/delegations/{code}/editions/{edition_id}/topics", name="delegation:topics_submit")
async def topics_submit(
    request: Request, code: str, edition_id: int, session: SessionDep, principal: DelegationUser
) -> Response:
    """Add, remove or move a row (the form comes back), or save the list as a new version."""
    edition = _edition(session, edition_id, principal, code)
    code = principal.delegation_code or code
    sectors = _sector_codes(session, edition)
    form = await request.form()
    rows = _rows_of(form, [c for c, _ in sectors])
    action = str(form.get("action", "save"))
    verb, _, arg = action.partition(":")
    index = int(arg) if arg.isdigit() else -1
    if verb == "add" and len(rows) < MAX_ROWS:
        rows.append(TopicRow())
    elif verb == "remove" and 0 <= index < len(rows):
        rows.pop(index)
    elif verb in ("up", "down"):
        _move(rows, index, index - 1 if verb == "up" else index + 1)
    if verb != "save":
        return _form(request, edition, code, sectors, rows)
    if not _check_ranks(rows):
        return _form(
            request, edition, code, sectors, rows, status_code=422, error=messages.TOPICS_INVALID
        )
    body = {
        "topics": [r.to_input() for r in rows],
        "confirm_empty": form.get("confirm_empty") == "1",
    }
    try:
        topics_in = TopicListIn.model_validate(body)
        outcome = service.submit_topic_list(
            session=session,
            edition=edition,
            delegation_code=code,
            topics_in=topics_in,
            principal=principal,
            idempotency_key=None,
            now=clock.now(),
        )
    except ValidationError as exc:
        _row_errors(rows, exc.errors())  # type: ignore[arg-type]
        return _form(
            request, edition, code, sectors, rows, status_code=422, error=messages.TOPICS_INVALID
        )
    except Invalid as exc:
        session.rollback()
        _row_errors(rows, exc.extensions.get("errors", []))
        empty = exc.extensions.get("field") == "confirm_empty"
        return _form(
            request,
            edition,
            code,
            sectors,
            rows,
            status_code=422,
            error=messages.TOPICS_EMPTY if empty else exc.detail,
            ask_empty=empty,
        )
    except Conflict as exc:
        session.rollback()
        return _form(request, edition, code, sectors, rows, status_code=409, error=exc.detail)
    version = outcome.body.get("number") if isinstance(outcome.body, dict) else None
    flash(request, messages.TOPICS_SAVED.format(number=version or ""))
    return redirect(request, _base(code, edition.id))  # type: ignore[arg-type]
