"""A ministry's pages (a minister's office): its editions; per edition its agenda with
downloads, the calendar subscription address (rotatable) and the topics addressed to it;
its commitments with status updates and evidence (a link, a file or a note, at any status).

Every address carries the sector's code; another sector's code is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from app.access.principal import Principal
from app.agendas.documents import agenda_document, agenda_of
from app.agendas.feeds import rotate_sector_feed, sector_feed
from app.agendas.formats import AgendaFormat
from app.commitments import evidence
from app.commitments.evidence import EvidenceLinkIn, EvidenceNoteIn, TooLarge, UnsupportedType
from app.commitments.models import STATUS_ES as COMMITMENT_STATUS
from app.commitments.models import CommitmentStatus, StatusChangeIn
from app.commitments.service import (
    TRANSITIONS,
    Filters,
    change_status,
    history,
    list_commitments,
    read_commitment,
)
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Conflict, Invalid
from app.core.pagination import Pagination
from app.editions.models import Edition, EditionStatus
from app.editions.service import STATUS_ES, get_edition_or_404, list_editions
from app.editions.timeline import timeline
from app.scheduling.publication import current_version
from app.submissions.service import list_topics
from app.web import messages
from app.web.deps import SectorUser, own_code
from app.web.security import check_csrf
from app.web.templating import attachment, flash, redirect, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

DOWNLOADS = (AgendaFormat.pdf, AgendaFormat.ics, AgendaFormat.xlsx)
PAGE_SIZE = 50
MAX_TOPICS = 500


def _edition(session: Session, edition_id: int, principal: Principal, code: str) -> Edition:
    own_code(principal, code)
    return get_edition_or_404(session=session, edition_id=edition_id, principal=principal)


def _feed_url(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


@router.get("/sectors/{code}", name="ministry:home")
def home_page(request: Request, code: str, session: SessionDep, principal: SectorUser) -> Response:
    """The editions the sector takes part in and its calendar subscription."""
    own_code(principal, code)
    editions = list_editions(
        session=session, principal=principal, page=Pagination(limit=20, offset=0)
    ).items
    feed = sector_feed(
        session=session, code=principal.sector_code or code, principal=principal, now=clock.now()
    )
    return render_page(
        request,
        "pages/ministry/home.html",
        title="Mis ediciones",
        code=principal.sector_code,
        editions=[(e, timeline(e)) for e in editions],
        STATUS_ES=STATUS_ES,
        feed=feed,
        feed_url=_feed_url(request, feed.path),
    )


@router.post("/sectors/{code}/feed/rotate", name="ministry:rotate_feed")
def rotate_feed(
    request: Request, code: str, session: SessionDep, principal: SectorUser
) -> Response:
    """A new secret subscription address; the previous one stops working."""
    own_code(principal, code)
    rotate_sector_feed(
        session=session, code=principal.sector_code or code, principal=principal, now=clock.now()
    )
    flash(request, messages.FEED_ROTATED)
    return redirect(request, f"/sectors/{principal.sector_code}")


@router.get("/sectors/{code}/editions/{edition_id}", name="ministry:edition")
def edition_page(
    request: Request, code: str, edition_id: int, session: SessionDep, principal: SectorUser
) -> Response:
    """The agenda with its downloads and the topics addressed to the sector."""
    edition = _edition(session, edition_id, principal, code)
    code = principal.sector_code or code
    agenda = (
        agenda_of(session=session, edition=edition, principal=principal, kind="sector", code=code)
        if current_version(session=session, edition=edition) is not None
        else None
    )
    topics = list_topics(
        session=session,
        edition=edition,
        principal=principal,
        delegation_code=None,
        sector_code=None,
        status=None,
        limit=MAX_TOPICS,
        offset=0,
    )
    feed = sector_feed(session=session, code=code, principal=principal, now=clock.now())

    def rank(topic: object) -> tuple[str, int]:
        own = next((s.rank for s in topic.sectors if s.sector == code), 0)  # type: ignore[attr-defined]
        return (topic.delegation, own)  # type: ignore[attr-defined]

    return render_page(
        request,
        "pages/ministry/edition.html",
        title=f"{edition.name} · {code}",
        edition=edition,
        code=code,
        base=f"/sectors/{code}/editions/{edition.id}",
        status_label=STATUS_ES[EditionStatus(edition.status)],
        agenda=agenda,
        downloads=DOWNLOADS,
        topics=sorted(topics.items, key=rank),
        topics_total=topics.total,
        feed_url=_feed_url(request, feed.path),
    )


@router.get("/sectors/{code}/editions/{edition_id}/agenda.{fmt}", name="ministry:agenda")
def agenda_download(
    code: str, edition_id: int, fmt: AgendaFormat, session: SessionDep, principal: SectorUser
) -> Response:
    """The sector's agenda of the current version, in one format."""
    edition = _edition(session, edition_id, principal, code)
    document = agenda_document(
        session=session,
        edition=edition,
        principal=principal,
        kind="sector",
        code=principal.sector_code,
        fmt=fmt,
    )
    return attachment(document.content, document.media_type, document.filename, etag=document.etag)


# --------------------------------------------------------------------------- commitments


@router.get("/sectors/{code}/commitments", name="ministry:commitments")
def commitments_page(
    request: Request,
    code: str,
    session: SessionDep,
    principal: SectorUser,
    show: Annotated[str, Query(pattern="^(open|all)$")] = "open",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The sector's commitments (open ones by default), by deadline."""
    own_code(principal, code)
    page = list_commitments(
        session=session,
        principal=principal,
        filters=Filters(open=True if show == "open" else None),
        page=Pagination(limit=PAGE_SIZE, offset=offset),
    )
    return render_page(
        request,
        "pages/ministry/commitments.html",
        title="Compromisos",
        code=principal.sector_code,
        page=page,
        show=show,
        COMMITMENT_STATUS=COMMITMENT_STATUS,
    )


def _commitment_page(
    request: Request,
    session: Session,
    principal: Principal,
    commitment_id: int,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    commitment = read_commitment(session=session, commitment_id=commitment_id, principal=principal)
    return render_page(
        request,
        "pages/ministry/commitment.html",
        status_code=status_code,
        title=f"Compromiso {commitment_id}",
        code=principal.sector_code,
        base=f"/sectors/{principal.sector_code}/commitments/{commitment_id}",
        commitment=commitment,
        events=history(session=session, commitment_id=commitment_id, principal=principal),
        evidence=evidence.list_evidence(
            session=session, commitment_id=commitment_id, principal=principal
        ),
        next_statuses=[
            (s.value, COMMITMENT_STATUS[s])
            for s in CommitmentStatus
            if s in TRANSITIONS[CommitmentStatus(commitment.status)]
        ],
        COMMITMENT_STATUS=COMMITMENT_STATUS,
        max_mb=request.app.state.settings.evidence_max_bytes / (1024 * 1024),
        errors=errors or {},
    )


@router.get("/sectors/{code}/commitments/{commitment_id}", name="ministry:commitment")
def commitment_page(
    request: Request, code: str, commitment_id: int, session: SessionDep, principal: SectorUser
) -> Response:
    """One commitment: its history, status change and evidence."""
    own_code(principal, code)
    return _commitment_page(request, session, principal, commitment_id)


@router.post("/sectors/{code}/commitments/{commitment_id}/status", name="ministry:status")
def commitment_status(
    request: Request,
    code: str,
    commitment_id: int,
    session: SessionDep,
    principal: SectorUser,
    to: Annotated[CommitmentStatus, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Move the commitment along its statuses (a note is needed to cancel)."""
    own_code(principal, code)
    try:
        change_status(
            session=session,
            commitment_id=commitment_id,
            change_in=StatusChangeIn(to=to, note=note or None),
            principal=principal,
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        return _commitment_page(
            request,
            session,
            principal,
            commitment_id,
            status_code=exc.status,
            errors={"status": exc.detail},
        )
    flash(request, messages.COMMITMENT_STATUS.format(status=COMMITMENT_STATUS[to]))
    return redirect(request, f"/sectors/{principal.sector_code}/commitments/{commitment_id}")


def _link(url: str, note: str) -> EvidenceLinkIn:
    try:
        return EvidenceLinkIn(url=url.strip(), note=note or None)
    except ValidationError as exc:
        raise Invalid(messages.EVIDENCE_BAD_LINK, field="url") from exc


@router.post("/sectors/{code}/commitments/{commitment_id}/evidence", name="ministry:evidence")
async def commitment_evidence(
    request: Request,
    code: str,
    commitment_id: int,
    session: SessionDep,
    principal: SectorUser,
    url: Annotated[str, Form(max_length=2000)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Add a link, a file or only a note as evidence (at any status)."""
    own_code(principal, code)
    settings = request.app.state.settings
    content = await file.read(settings.evidence_max_bytes + 1) if file is not None else b""
    try:
        if content:
            evidence.add_file(
                session=session,
                commitment_id=commitment_id,
                filename=(file.filename if file is not None else None) or "evidencia",
                content=content,
                note=note,
                principal=principal,
                folder=evidence.evidence_folder(settings),
                max_bytes=settings.evidence_max_bytes,
                now=clock.now(),
            )
        elif url.strip():
            evidence.add_link(
                session=session,
                commitment_id=commitment_id,
                link_in=_link(url, note),
                principal=principal,
                now=clock.now(),
            )
        elif note.strip():
            evidence.add_note(
                session=session,
                commitment_id=commitment_id,
                note_in=EvidenceNoteIn(note=note),
                principal=principal,
                now=clock.now(),
            )
        else:
            raise Invalid(messages.EVIDENCE_MISSING, field="evidence")
    except (Invalid, TooLarge, UnsupportedType) as exc:
        session.rollback()
        return _commitment_page(
            request,
            session,
            principal,
            commitment_id,
            status_code=exc.status,
            errors={"evidence": exc.detail},
        )
    flash(request, messages.EVIDENCE_ADDED)
    return redirect(request, f"/sectors/{principal.sector_code}/commitments/{commitment_id}")


@router.get(
    "/sectors/{code}/commitments/{commitment_id}/evidence/{evidence_id}",
    name="ministry:evidence_file",
)
def evidence_download(
    request: Request,
    code: str,
    commitment_id: int,
    evidence_id: int,
    session: SessionDep,
    principal: SectorUser,
) -> Response:
    """An uploaded evidence file."""
    own_code(principal, code)
    row, content = evidence.evidence_file(
        session=session,
        commitment_id=commitment_id,
        evidence_id=evidence_id,
        principal=principal,
        folder=evidence.evidence_folder(request.app.state.settings),
    )
    return attachment(
        content, row.media_type or "application/octet-stream", row.filename or "evidencia"
    )
