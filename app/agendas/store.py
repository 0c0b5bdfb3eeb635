"""Agenda documents stored per published version: each (version, owner, format) is rendered
once and its bytes are served from the `agenda_document` table afterwards.

Decisions:
- A published version never changes, and its agendas render the same whoever asks (the
  caller only decides whether it may read an agenda, `app.agendas.documents`), so the
  bytes are stored per version and owner, not per requester.
- Publication stores the PDF and .ics it renders for the e-mails; every other document is
  rendered on its first download. Concurrent first downloads may both render, but the
  unique key (version, kind, owner, format) keeps one row (INSERT ... ON CONFLICT DO
  NOTHING) and both callers serve that row's bytes.
- The stored document is the agenda as of its rendering: open commitments updated later
  show in the next version's documents.
- `RENDERS` counts the renderings of this process (what the tests and the load benchmark
  observe).
"""

# No `from __future__ import annotations`: SQLModel needs real annotations.
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, select

from app.agendas import formats
from app.agendas.formats import AgendaFormat
from app.agendas.render.model import Agenda
from app.agendas.service import OwnerKind
from app.core.types import UTCDateTime, utcnow

EDITION_OWNER = 0  # the owner id of the edition's grid (it has no owner)
RENDERS: Counter[AgendaFormat] = Counter()


class AgendaDocument(SQLModel, table=True):
    """One rendered agenda of a published version: its bytes and how to serve them."""

    __tablename__ = "agenda_document"
    __table_args__ = (sa.UniqueConstraint("version_id", "kind", "owner_id", "format"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="schedule_version.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    owner_id: int
    format: str = Field(max_length=8)
    filename: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_type=sa.LargeBinary)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Rendered:
    """A document's bytes with the file name it is saved under."""

    content: bytes
    filename: str


def render(agenda: Agenda, fmt: AgendaFormat) -> Rendered:
    """Render one agenda in one format (counted in `RENDERS`)."""
    RENDERS[AgendaFormat(fmt)] += 1
    return Rendered(formats.render(agenda, fmt), formats.filename(agenda, fmt))


def _find(
    session: Session, version_id: int, kind: OwnerKind, owner_id: int, fmt: AgendaFormat
) -> AgendaDocument | None:
    return session.exec(
        select(AgendaDocument).where(
            AgendaDocument.version_id == version_id,
            AgendaDocument.kind == kind,
            AgendaDocument.owner_id == owner_id,
            AgendaDocument.format == fmt.value,
        )
    ).first()


def save(
    *,
    session: Session,
    version_id: int,
    kind: OwnerKind,
    owner_id: int | None,
    fmt: AgendaFormat,
    rendered: Rendered,
) -> None:
    """Store a rendered document unless one is stored already (the first one stays)."""
    fmt = AgendaFormat(fmt)
    values = {
        "version_id": version_id,
        "kind": kind,
        "owner_id": owner_id if owner_id is not None else EDITION_OWNER,
        "format": fmt.value,
        "filename": rendered.filename,
        "media_type": formats.content_type(fmt),
        "sha256": hashlib.sha256(rendered.content).hexdigest(),
        "content": rendered.content,
        "created_at": utcnow(),
    }
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    session.exec(  # type: ignore[call-overload]
        dialect.insert(AgendaDocument).values(**values).on_conflict_do_nothing()
    )


def stored(
    *,
    session: Session,
    version_id: int,
    kind: OwnerKind,
    owner_id: int | None,
    fmt: AgendaFormat,
    build: Callable[[], Agenda],
) -> AgendaDocument:
    """The stored document, rendered from `build()` and stored first if there is none."""
    fmt = AgendaFormat(fmt)
    owner = owner_id if owner_id is not None else EDITION_OWNER
    found = _find(session, version_id, kind, owner, fmt)
    if found is not None:
        return found
    save(
        session=session,
        version_id=version_id,
        kind=kind,
        owner_id=owner,
        fmt=fmt,
        rendered=render(build(), fmt),
    )
    found = _find(session, version_id, kind, owner, fmt)
    assert found is not None  # just inserted, or inserted by a concurrent first download
    return found
