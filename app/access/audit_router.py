"""/api/audit (SD only): the audit log, read-only. The routes answer GET only, so a PUT,
PATCH or DELETE is a 405: the log cannot be edited through the API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from app.access.audit import (
    XLSX_TYPE,
    AuditEntryPublic,
    AuditFilters,
    entries_xlsx,
    list_entries,
)
from app.access.deps import SdAdmin
from app.core import clock
from app.core.db import SessionDep
from app.core.pagination import Page, PaginationDep
from app.core.types import DbId

router = APIRouter(prefix="/api", tags=["audit"])


def audit_filters(
    edition_id: DbId | None = None,
    actor: Annotated[
        str | None,
        Query(max_length=254, description="Key name, account e-mail, or `api_key:<id>`"),
    ] = None,
    object_type: Annotated[str | None, Query(max_length=64, description="A table name")] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[dt.datetime | None, Query(alias="from", description="Inclusive")] = None,
    until: Annotated[dt.datetime | None, Query(alias="to", description="Exclusive")] = None,
) -> AuditFilters:
    return AuditFilters(
        edition_id=edition_id,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
    )


Filters = Annotated[AuditFilters, Depends(audit_filters)]


@router.get("/audit", response_model=Page[AuditEntryPublic])
def read_audit(session: SessionDep, page: PaginationDep, filters: Filters, _: SdAdmin) -> Page:
    """Audit entries matching the filters, newest first. An update lists only the columns
    it changed; secrets are shown as `[redactado]`."""
    return list_entries(session=session, filters=filters, page=page)


@router.get(
    "/audit.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
def export_audit(session: SessionDep, filters: Filters, _: SdAdmin) -> Response:
    """The same entries as a spreadsheet, oldest first."""
    content = entries_xlsx(session=session, filters=filters)
    name = f"auditoria-{clock.now():%Y%m%d-%H%M}.xlsx"
    return Response(
        content,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
