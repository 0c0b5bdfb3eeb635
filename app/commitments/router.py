"""Rapporteurs' records, commitments, follow-up summary and history import.

Who may call what (anything not allowed answers the same 404 as something missing):

- POST /api/editions/{id}/rapporteur-assignments: SD.
- GET  /api/editions/{id}/rapporteur-assignments: SD (all), rapporteur (its own).
- GET  /api/editions/{id}/rapporteur-meetings: the same, as the current version's meetings
  (day, time, room, parties, topics, recorded or not); cancelled meetings drop out.
- PUT/GET /api/editions/{id}/meetings/{rid}/record, POST/GET .../meetings/{rid}/commitments:
  SD; the meeting's own rapporteur (writes: 409 once the records are closed).
- POST /api/editions/{id}/meetings/{rid}/record/close: SD; the meeting's own rapporteur
  (the record stops being a draft: the rapporteur gets 409 for later writes).
- POST /api/editions/{id}/records/close: SD.
- GET  /api/commitments (filters, pages): SD all; sector / delegation the commitments it is
  responsible for; rapporteur those of its meetings.
- POST /api/commitments, POST /api/commitments/import: SD.
- GET  /api/commitments/summary (json, xlsx, csv): SD all; sector / delegation its own.
- GET  /api/commitments/{id}, /{id}/history: SD, responsible party, meeting's rapporteur.
- PATCH /api/commitments/{id}: SD; the meeting's rapporteur until the records close (409).
- POST /api/commitments/{id}/status: SD (also reopens final ones), responsible party.
- GET  /api/commitments/{id}/evidence, .../evidence/{eid}/file, POST .../evidence/links,
  .../evidence/files, .../evidence/notes: SD, responsible party; added at any status (413
  over the size limit, 415 for a type outside the list). `POST /api/commitments/{id}/evidence`
  (one text, a link or a note) is deprecated: it stores the same evidence and answers the
  history event it writes.

A delegation preparing its topics reads its open commitments with the list filter:
`GET /api/commitments?open=true` (its scope is applied automatically; add `sector_id=` to
narrow to one ministry). A ministry's agenda lists them per delegation it meets.
"""

from __future__ import annotations

import email.parser
import email.policy
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from app.access.deps import CurrentPrincipal, SdAdmin
from app.commitments import evidence, export, importing, service
from app.commitments.evidence import EvidenceLinkIn, EvidenceNoteIn, EvidencePublic
from app.commitments.models import (
    AssignmentCreate,
    AssignmentPublic,
    CommitmentCreate,
    CommitmentEventPublic,
    CommitmentPublic,
    CommitmentSource,
    CommitmentStatus,
    CommitmentType,
    CommitmentUpdate,
    EvidenceIn,
    ImportResult,
    MeetingCommitmentCreate,
    MeetingRecordIn,
    MeetingRecordPublic,
    RapporteurMeetingPublic,
    RecordsClosurePublic,
    StatusChangeIn,
    SummaryPublic,
)
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Invalid
from app.core.pagination import Page, PaginationDep
from app.core.types import DbId
from app.editions.deps import EditionDep

editions_router = APIRouter(prefix="/api/editions/{edition_id}", tags=["commitments"])
router = APIRouter(prefix="/api/commitments", tags=["commitments"])


# --------------------------------------------------------------------------- meetings


@editions_router.post("/rapporteur-assignments", response_model=list[AssignmentPublic])
def assign_rapporteur(
    assignment_in: AssignmentCreate, edition: EditionDep, session: SessionDep, principal: SdAdmin
) -> list[AssignmentPublic]:
    """Assign a rapporteur key to meetings (request ids) of the published schedule."""
    return service.assign_rapporteur(
        session=session, edition=edition, assignment_in=assignment_in, principal=principal
    )


@editions_router.get("/rapporteur-meetings", response_model=list[RapporteurMeetingPublic])
def rapporteur_meetings(
    edition: EditionDep, session: SessionDep, principal: CurrentPrincipal
) -> list[RapporteurMeetingPublic]:
    """Assigned meetings of the current published version, by start time (a rapporteur its
    own, the SD all)."""
    return service.rapporteur_meetings(session=session, edition=edition, principal=principal)


@editions_router.get("/rapporteur-assignments", response_model=list[AssignmentPublic])
def list_assignments(
    edition: EditionDep, session: SessionDep, principal: CurrentPrincipal
) -> list[AssignmentPublic]:
    """The SD: every assignment of the edition; a rapporteur: its own meetings."""
    return service.list_assignments(session=session, edition=edition, principal=principal)


@editions_router.put("/meetings/{request_id}/record", response_model=MeetingRecordPublic)
def record_meeting(
    request_id: DbId,
    record_in: MeetingRecordIn,
    edition: EditionDep,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> MeetingRecordPublic:
    """Write (or rewrite) the meeting's record: held or not and why, attendees, notes."""
    return service.record_meeting(
        session=session,
        edition=edition,
        request_id=request_id,
        record_in=record_in,
        principal=principal,
    )


@editions_router.post("/meetings/{request_id}/record/close", response_model=MeetingRecordPublic)
def close_record(
    request_id: int, edition: EditionDep, session: SessionDep, principal: CurrentPrincipal
) -> MeetingRecordPublic:
    """Close the meeting's record: no longer a draft, its rapporteur can no longer change it."""
    return service.close_record(
        session=session, edition=edition, request_id=request_id, principal=principal
    )


@editions_router.get("/meetings/{request_id}/record", response_model=MeetingRecordPublic)
def read_record(
    request_id: DbId, edition: EditionDep, session: SessionDep, principal: CurrentPrincipal
) -> MeetingRecordPublic:
    return service.get_record(
        session=session, edition=edition, request_id=request_id, principal=principal
    )


@editions_router.post(
    "/meetings/{request_id}/commitments",
    response_model=CommitmentPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_meeting_commitment(
    request_id: DbId,
    commitment_in: MeetingCommitmentCreate,
    edition: EditionDep,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CommitmentPublic:
    """A commitment agreed in the meeting (status pending)."""
    return service.create_meeting_commitment(
        session=session,
        edition=edition,
        request_id=request_id,
        commitment_in=commitment_in,
        principal=principal,
    )


@editions_router.get("/meetings/{request_id}/commitments", response_model=list[CommitmentPublic])
def list_meeting_commitments(
    request_id: DbId, edition: EditionDep, session: SessionDep, principal: CurrentPrincipal
) -> list[CommitmentPublic]:
    return service.meeting_commitments(
        session=session, edition=edition, request_id=request_id, principal=principal
    )


@editions_router.post("/records/close", response_model=RecordsClosurePublic)
def close_records(edition: EditionDep, session: SessionDep, principal: SdAdmin) -> object:
    """Close the edition's records: rapporteurs can no longer write (409)."""
    return service.close_records(session=session, edition=edition, principal=principal)


# --------------------------------------------------------------------------- commitments


@router.get("", response_model=Page[CommitmentPublic])
def list_commitments(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PaginationDep,
    edition_id: DbId | None = None,
    sector_id: DbId | None = None,
    delegation_id: DbId | None = None,
    status: Annotated[list[CommitmentStatus] | None, Query()] = None,
    type: CommitmentType | None = None,
    overdue: bool | None = None,
    open: Annotated[bool | None, Query(description="pending or in process")] = None,
    source: CommitmentSource | None = None,
) -> Page[CommitmentPublic]:
    """Commitments the caller may read (SD all; sectors and delegations their own)."""
    filters = service.Filters(
        edition_id=edition_id,
        sector_id=sector_id,
        delegation_id=delegation_id,
        status=tuple(status or ()),
        type=type,
        overdue=overdue,
        open=open,
        source=source,
    )
    return service.list_commitments(
        session=session, principal=principal, filters=filters, page=page
    )


@router.post("", response_model=CommitmentPublic, status_code=status.HTTP_201_CREATED)
def create_commitment(
    commitment_in: CommitmentCreate, session: SessionDep, principal: SdAdmin
) -> CommitmentPublic:
    """SD: a commitment in a meeting, in an edition, or outside any edition."""
    return service.create_commitment(
        session=session, commitment_in=commitment_in, principal=principal
    )


@router.get(
    "/summary",
    response_model=SummaryPublic,
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                export.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
def commitments_summary(
    session: SessionDep,
    principal: CurrentPrincipal,
    edition_id: DbId | None = None,
    group_by: Literal["sector", "delegation", "type", "edition"] | None = None,
    format: Literal["json", "xlsx", "csv"] = "json",
) -> object:
    """Counts and percentages executed / in process / pending / cancelled (+ overdue)."""
    if format == "json":
        return service.summary(
            session=session, principal=principal, edition_id=edition_id, group_by=group_by
        )
    file = export.summary_file(
        session=session, principal=principal, edition_id=edition_id, group_by=group_by, fmt=format
    )
    return Response(
        file.content,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


async def _upload(request: Request) -> tuple[bytes, str]:
    """The uploaded file: the `file` part of a multipart/form-data body, or the raw body
    (Content-Type text/csv or the XLSX type). More than MAX_BYTES is a 413."""
    limit = importing.MAX_BYTES + 64 * 1024  # room for the multipart envelope
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise importing.TooLarge("El archivo supera el límite de 5 MB.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise importing.TooLarge("El archivo supera el límite de 5 MB.")
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return bytes(body), request.query_params.get("filename", "archivo")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + bytes(body)
    )
    if message.is_multipart():
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                data = part.get_payload(decode=True) or b""
                return data, part.get_filename() or "archivo"
    raise Invalid("Envíe el archivo en el campo 'file' de un formulario multipart.")


@router.post(
    "/import",
    response_model=ImportResult,
    status_code=status.HTTP_201_CREATED,
    responses={413: {"description": "The file is over 5 MB or 20,000 rows"}},
)
async def import_commitments(
    request: Request, session: SessionDep, principal: SdAdmin
) -> ImportResult:
    """SD: import the history from an XLSX or CSV file; all rows or none (columns in
    `app.commitments.importing`). 422 lists the rejected rows; 413 over 5 MB or 20,000
    rows; 409 if the same file was already imported."""
    data, filename = await _upload(request)
    return await run_in_threadpool(
        importing.import_file, session=session, data=data, filename=filename, principal=principal
    )


@router.get("/{commitment_id}", response_model=CommitmentPublic)
def read_commitment(
    commitment_id: DbId, session: SessionDep, principal: CurrentPrincipal
) -> CommitmentPublic:
    return service.read_commitment(
        session=session, commitment_id=commitment_id, principal=principal
    )


@router.patch("/{commitment_id}", response_model=CommitmentPublic)
def update_commitment(
    commitment_id: DbId,
    update_in: CommitmentUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CommitmentPublic:
    """Edit a commitment's fields (SD; the meeting's rapporteur until the records close)."""
    return service.update_commitment(
        session=session, commitment_id=commitment_id, update_in=update_in, principal=principal
    )


@router.post("/{commitment_id}/status", response_model=CommitmentPublic)
def change_status(
    commitment_id: DbId,
    change_in: StatusChangeIn,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CommitmentPublic:
    """Change the status (the responsible sector or delegation, or the SD)."""
    return service.change_status(
        session=session, commitment_id=commitment_id, change_in=change_in, principal=principal
    )


@router.post(
    "/{commitment_id}/evidence",
    response_model=CommitmentEventPublic,
    status_code=status.HTTP_201_CREATED,
    deprecated=True,
)
def add_evidence(
    commitment_id: DbId,
    evidence_in: EvidenceIn,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> object:
    """Add evidence as one text (a link or a note) at any status (the responsible party or the
    SD). Deprecated: use `.../evidence/links` or `.../evidence/notes`; this stores the same
    evidence (listed by `GET .../evidence`) and answers the history event it writes."""
    return service.add_evidence(
        session=session, commitment_id=commitment_id, evidence_in=evidence_in, principal=principal
    )


@router.get("/{commitment_id}/history", response_model=list[CommitmentEventPublic])
def commitment_history(
    commitment_id: DbId, session: SessionDep, principal: CurrentPrincipal
) -> object:
    """Every change of the commitment, oldest first (who and when)."""
    return service.history(session=session, commitment_id=commitment_id, principal=principal)


# --------------------------------------------------------------------------- evidence


@router.get("/{commitment_id}/evidence", response_model=list[EvidencePublic])
def list_evidence(
    commitment_id: DbId, session: SessionDep, principal: CurrentPrincipal
) -> list[EvidencePublic]:
    """The links, files and notes added as evidence, oldest first."""
    return evidence.list_evidence(session=session, commitment_id=commitment_id, principal=principal)


@router.post(
    "/{commitment_id}/evidence/links",
    response_model=EvidencePublic,
    status_code=status.HTTP_201_CREATED,
)
def add_evidence_link(
    commitment_id: DbId, link_in: EvidenceLinkIn, session: SessionDep, principal: CurrentPrincipal
) -> EvidencePublic:
    """Add a link (http or https) as evidence, at any status."""
    return evidence.add_link(
        session=session,
        commitment_id=commitment_id,
        link_in=link_in,
        principal=principal,
        now=clock.now(),
    )


@router.post(
    "/{commitment_id}/evidence/notes",
    response_model=EvidencePublic,
    status_code=status.HTTP_201_CREATED,
)
def add_evidence_note(
    commitment_id: DbId, note_in: EvidenceNoteIn, session: SessionDep, principal: CurrentPrincipal
) -> EvidencePublic:
    """Add a note as evidence (e.g. an official letter's number), at any status."""
    return evidence.add_note(
        session=session,
        commitment_id=commitment_id,
        note_in=note_in,
        principal=principal,
        now=clock.now(),
    )


@router.post(
    "/{commitment_id}/evidence/files",
    response_model=EvidencePublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {"description": "The file is over the size limit (evidence_max_bytes)"},
        415: {"description": "Not a PDF, an image or an office document (by its content)"},
    },
)
async def add_evidence_file(
    commitment_id: int,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, WebP or office document")],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> EvidencePublic:
    """Upload a file as evidence, at any status."""
    settings = request.app.state.settings
    content = await file.read(settings.evidence_max_bytes + 1)
    return await run_in_threadpool(
        evidence.add_file,
        session=session,
        commitment_id=commitment_id,
        filename=file.filename or "evidencia",
        content=content,
        note=note,
        principal=principal,
        folder=evidence.evidence_folder(settings),
        max_bytes=settings.evidence_max_bytes,
        now=clock.now(),
    )


@router.get(
    "/{commitment_id}/evidence/{evidence_id}/file",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence_file(
    commitment_id: int,
    evidence_id: int,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> Response:
    """An uploaded evidence file, as it was sent."""
    row, content = evidence.evidence_file(
        session=session,
        commitment_id=commitment_id,
        evidence_id=evidence_id,
        principal=principal,
        folder=evidence.evidence_folder(request.app.state.settings),
    )
    return Response(
        content,
        media_type=row.media_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{row.filename}"'},
    )
