"""Reading the audit log (SD only): filtered pages of entries and the same entries as XLSX.

The log is written by the Session hooks of `app.core.audit`; this module only reads it,
so it sits in access, below every domain package, and knows no domain model.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session, SQLModel, col, func, select

from app.core.audit import AuditEntry
from app.core.pagination import Page, Pagination
from app.core.spreadsheet import neutralise_formula

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 50_000  # an export beyond this is cut (the SD narrows the filters)
ACTION_ES = {"insert": "alta", "update": "cambio", "delete": "baja"}
ACTOR_ES = {"api_key": "clave API", "user": "usuario", "system": "sistema", "anonymous": "anónimo"}
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


class AuditEntryPublic(SQLModel):
    id: int
    at: dt.datetime
    request_id: str | None
    actor_kind: str
    actor_id: int | None
    actor_label: str
    role: str | None
    edition_id: int | None
    object_type: str
    object_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class AuditFilters:
    edition_id: int | None = None
    actor: str | None = None  # the actor's label (key name, e-mail) or "<kind>:<id>"
    object_type: str | None = None
    object_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if self.edition_id is not None:
            conditions.append(col(AuditEntry.edition_id) == self.edition_id)
        if self.actor:
            kind, _, ident = self.actor.partition(":")
            if ident.isdigit():
                conditions.append(
                    sa.or_(
                        col(AuditEntry.actor_label) == self.actor,
                        sa.and_(
                            col(AuditEntry.actor_kind) == kind,
                            col(AuditEntry.actor_id) == int(ident),
                        ),
                    )
                )
            else:
                conditions.append(col(AuditEntry.actor_label) == self.actor)
        if self.object_type:
            conditions.append(col(AuditEntry.object_type) == self.object_type)
        if self.object_id:
            conditions.append(col(AuditEntry.object_id) == self.object_id)
        if self.since is not None:
            conditions.append(col(AuditEntry.at) >= self.since)
        if self.until is not None:
            conditions.append(col(AuditEntry.at) < self.until)
        return conditions


def list_entries(
    *, session: Session, filters: AuditFilters, page: Pagination
) -> Page[AuditEntryPublic]:
    """The matching entries, newest first."""
    where = filters.where()
    total = session.exec(select(func.count()).select_from(AuditEntry).where(*where)).one()
    rows = session.exec(
        select(AuditEntry)
        .where(*where)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return Page[AuditEntryPublic](
        items=[AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def object_types(*, session: Session) -> list[str]:
    """The object types that have entries (the page's filter)."""
    query = select(AuditEntry.object_type).distinct().order_by(col(AuditEntry.object_type))
    return list(session.exec(query).all())


HEADER = [
    "Fecha y hora (UTC)",
    "Solicitud",
    "Tipo de actor",
    "Actor",
    "Rol",
    "Edición",
    "Objeto",
    "Id del objeto",
    "Acción",
    "Antes",
    "Después",
]


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return neutralise_formula(value.translate(_ILLEGAL))
    return value


def entries_xlsx(*, session: Session, filters: AuditFilters) -> bytes:
    """The matching entries (oldest first, at most MAX_EXPORT_ROWS) as a spreadsheet."""
    rows = session.exec(
        select(AuditEntry)
        .where(*filters.where())
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
        .limit(MAX_EXPORT_ROWS)
    ).all()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Auditoría"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in rows:
        sheet.append(
            [
                _cell(r.at.replace(tzinfo=None)),
                _cell(r.request_id),
                _cell(ACTOR_ES.get(r.actor_kind, r.actor_kind)),
                _cell(r.actor_label),
                _cell(r.role),
                r.edition_id,
                _cell(r.object_type),
                _cell(r.object_id),
                _cell(ACTION_ES.get(r.action, r.action)),
                _cell(r.before),
                _cell(r.after),
            ]
        )
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f"
    for letter, width in zip(
        "ABCDEFGHIJK", (20, 34, 12, 30, 12, 8, 24, 12, 9, 50, 50), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
