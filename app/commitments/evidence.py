"""Evidence of a commitment: a link, an uploaded file or a note, added at any status (also
after `executed`), by the SD or the responsible sector or delegation; read by them and nobody
else (not even the meeting's rapporteur). Every piece is a `commitment_evidence` row, also the
text sent as `evidence` with a status change, a new commitment or the deprecated
`POST /api/commitments/{id}/evidence` (see `service.attach_text`); `executed` needs one.

Files are stored under `evidence_folder(settings)` (`Settings.evidence_dir`, by default
`evidence/` next to the SQLite file, outside git) with a random name; the row keeps the
original name, the media type found by looking at the content (PDF, PNG, JPEG, WebP, Office
Open XML, OpenDocument, legacy Office), the size and a SHA-256. A file larger than
`Settings.evidence_max_bytes` is a 413, a type outside the list (whatever its extension
says) a 415.
"""

# No `from __future__ import annotations`: SQLModel needs real annotations.
import datetime as dt
import hashlib
import io
import secrets
import zipfile
from pathlib import Path

from pydantic import ConfigDict
from sqlalchemy.engine import make_url
from sqlmodel import Field, Session, SQLModel, col, select

from app.access.principal import Principal
from app.commitments.models import NAME_MAX, NOTE_MAX, URL_MAX, CommitmentEvidence
from app.commitments.service import attach_evidence, get_commitment
from app.core.config import Settings
from app.core.errors import DomainError, Invalid, NotFound

OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
EXTENSIONS = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/webp": {".webp"},
    OOXML["word/"]: {".docx"},
    OOXML["xl/"]: {".xlsx"},
    OOXML["ppt/"]: {".pptx"},
    "application/vnd.oasis.opendocument.text": {".odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {".ods"},
    "application/vnd.oasis.opendocument.presentation": {".odp"},
    "application/x-ole-storage": {".doc", ".xls", ".ppt"},
}
ACCEPTED = (
    "PDF, imágenes (PNG, JPG, WebP) o documentos de oficina (Word, Excel, PowerPoint, OpenDocument)"
)


class TooLarge(DomainError):
    status, slug = 413, "too-large"


class UnsupportedType(DomainError):
    status, slug = 415, "unsupported-type"


class EvidenceLinkIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=URL_MAX, description="http(s) address")
    note: str | None = Field(default=None, max_length=2000)


class EvidenceNoteIn(SQLModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field(
        min_length=1, max_length=NOTE_MAX, description="e.g. an official letter's number"
    )


class EvidencePublic(SQLModel):
    id: int
    commitment_id: int
    url: str | None
    filename: str | None
    media_type: str | None
    size: int | None
    note: str | None
    added_by: str
    added_at: dt.datetime


def evidence_folder(settings: Settings) -> Path:
    """Where uploaded files go: the setting, else next to the SQLite file, else ./evidence."""
    if settings.evidence_dir is not None:
        return settings.evidence_dir
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            return Path(database).resolve().parent / "evidence"
    return Path.cwd() / "evidence"


def sniff(content: bytes) -> str | None:
    """The media type the content is, among the accepted ones (None otherwise)."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = archive.namelist()
                if "mimetype" in names:
                    kind = archive.read("mimetype").decode("ascii", "replace").strip()
                    return kind if kind in OPENDOCUMENT else None
                if "[Content_Types].xml" in names:
                    for prefix, kind in OOXML.items():
                        if any(n.startswith(prefix) for n in names):
                            return kind
        except (zipfile.BadZipFile, KeyError, ValueError):
            return None
    return None


def _public(e: CommitmentEvidence) -> EvidencePublic:
    return EvidencePublic.model_validate(e, from_attributes=True)


def list_evidence(
    *, session: Session, commitment_id: int, principal: Principal
) -> list[EvidencePublic]:
    """The evidence of a commitment, oldest first: for the SD and the responsible party."""
    get_commitment(
        session=session, commitment_id=commitment_id, principal=principal, action="status"
    )
    return [
        _public(e)
        for e in session.exec(
            select(CommitmentEvidence)
            .where(CommitmentEvidence.commitment_id == commitment_id)
            .order_by(col(CommitmentEvidence.id))
        ).all()
    ]


def add_link(
    *,
    session: Session,
    commitment_id: int,
    link_in: EvidenceLinkIn,
    principal: Principal,
    now: dt.datetime,
) -> EvidencePublic:
    """A link as evidence (the SD or the responsible party, at any status)."""
    get_commitment(
        session=session, commitment_id=commitment_id, principal=principal, action="status"
    )
    url = link_in.url.strip()
    if not url.lower().startswith(("https://", "http://")):
        raise Invalid("El enlace debe empezar por https:// o http://.", field="url")
    row = attach_evidence(
        session=session,
        commitment_id=commitment_id,
        principal=principal,
        now=now,
        url=url,
        note=(link_in.note or "").strip() or None,
    )
    return _public(row)


def add_note(
    *,
    session: Session,
    commitment_id: int,
    note_in: EvidenceNoteIn,
    principal: Principal,
    now: dt.datetime,
) -> EvidencePublic:
    """A note as evidence, e.g. the number of an official letter (the SD or the responsible
    party, at any status)."""
    get_commitment(
        session=session, commitment_id=commitment_id, principal=principal, action="status"
    )
    row = attach_evidence(
        session=session,
        commitment_id=commitment_id,
        principal=principal,
        now=now,
        note=note_in.note,
    )
    return _public(row)


def add_file(
    *,
    session: Session,
    commitment_id: int,
    filename: str,
    content: bytes,
    note: str | None,
    principal: Principal,
    folder: Path,
    max_bytes: int,
    now: dt.datetime,
) -> EvidencePublic:
    """A file as evidence: size limit, type by content (and an extension that agrees);
    written to `folder` before the row, so a failed write stores nothing."""
    get_commitment(
        session=session, commitment_id=commitment_id, principal=principal, action="status"
    )
    if not content:
        raise Invalid("El archivo está vacío.", field="file")
    if len(content) > max_bytes:
        raise TooLarge(
            f"El archivo supera el tamaño máximo de {max_bytes // (1024 * 1024)} MB.",
            field="file",
        )
    media_type = sniff(content)
    name = Path(filename or "evidencia").name[-NAME_MAX:]
    if media_type is None or Path(name).suffix.lower() not in EXTENSIONS[media_type]:
        raise UnsupportedType(f"Tipo de archivo no admitido: se aceptan {ACCEPTED}.", field="file")
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{commitment_id}-{secrets.token_hex(16)}{Path(name).suffix.lower()}"
    (folder / stored).write_bytes(content)
    row = attach_evidence(
        session=session,
        commitment_id=commitment_id,
        principal=principal,
        now=now,
        filename=name,
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        stored_name=stored,
        note=(note or "").strip()[:NOTE_MAX] or None,
    )
    return _public(row)


def evidence_file(
    *, session: Session, commitment_id: int, evidence_id: int, principal: Principal, folder: Path
) -> tuple[EvidencePublic, bytes]:
    """An uploaded file back, for the SD and the responsible party (404 otherwise)."""
    get_commitment(
        session=session, commitment_id=commitment_id, principal=principal, action="status"
    )
    row = session.get(CommitmentEvidence, evidence_id)
    if row is None or row.commitment_id != commitment_id or row.stored_name is None:
        raise NotFound(f"No existe el archivo {evidence_id} de este compromiso.")
    path = folder / row.stored_name
    if not path.is_file():
        raise NotFound(f"El archivo {evidence_id} ya no está disponible.")
    return _public(row), path.read_bytes()
