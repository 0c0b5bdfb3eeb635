"""The SD's follow-up of commitments: the summary by status, sector, delegation and type as
tables with bar charts (each chart repeats a table, which is its text alternative), the
overdue list, and the summary as XLSX or CSV; for every edition and the imported history,
or for one edition.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.commitments import export
from app.commitments.models import STATUS_ES, TYPE_ES, CommitmentStatus, SummaryRow
from app.commitments.service import Filters, GroupBy, list_commitments, summary
from app.core.db import SessionDep
from app.core.pagination import Pagination
from app.editions.service import get_edition_or_404, list_editions
from app.web.deps import SdUser
from app.web.security import check_csrf
from app.web.templating import attachment, render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PAGE_SIZE = 20
MAX_EDITIONS = 500
GROUPS: list[tuple[GroupBy, str]] = [
    ("sector", "Por sector"),
    ("delegation", "Por delegación"),
    ("type", "Por tipo"),
]
# Bar segments in the order of the tables' columns: (status, field of SummaryRow).
SEGMENTS = [
    (CommitmentStatus.executed, "executed"),
    (CommitmentStatus.in_process, "in_process"),
    (CommitmentStatus.pending, "pending"),
    (CommitmentStatus.cancelled, "cancelled"),
]
EditionQuery = Annotated[int | None, Query(ge=1, alias="edition")]


def _bars(rows: list[SummaryRow]) -> list[dict[str, Any]]:
    """Each row's stacked bar: segment widths in % of the largest total."""
    top = max((r.total for r in rows), default=0) or 1
    return [
        {
            "row": r,
            "segments": [
                (status.value, 100.0 * getattr(r, attr) / top) for status, attr in SEGMENTS
            ],
        }
        for r in rows
    ]


@router.get("/followup", name="followup:page")
def followup_page(
    request: Request,
    session: SessionDep,
    principal: SdUser,
    edition_id: EditionQuery = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The summary tables and charts, the overdue commitments and the downloads."""
    edition = (
        get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
        if edition_id
        else None
    )
    editions = list_editions(
        session=session, principal=principal, page=Pagination(limit=MAX_EDITIONS, offset=0)
    ).items
    total = summary(session=session, principal=principal, edition_id=edition_id, group_by=None)
    groups = []
    for key, label in GROUPS:
        result = summary(session=session, principal=principal, edition_id=edition_id, group_by=key)
        groups.append({"key": key, "label": label, "bars": _bars(result.groups)})
    overdue = list_commitments(
        session=session,
        principal=principal,
        filters=Filters(edition_id=edition_id, overdue=True),
        page=Pagination(limit=PAGE_SIZE, offset=offset),
    )
    status_rows = [
        (STATUS_ES[s], getattr(total.total, attr), getattr(total.total, f"pct_{attr}"), s.value)
        for s, attr in SEGMENTS
    ]
    top = max((n for _label, n, _pct, _s in status_rows), default=0) or 1
    return render_page(
        request,
        "pages/followup/followup.html",
        title="Seguimiento de compromisos",
        edition=edition,
        edition_options=[(e.id, e.name) for e in editions],
        summary=total,
        status_rows=[(*row, 100.0 * row[1] / top) for row in status_rows],
        groups=groups,
        overdue=overdue,
        STATUS_ES=STATUS_ES,
        TYPE_ES=TYPE_ES,
        SEGMENTS=[(s.value, STATUS_ES[s]) for s, _attr in SEGMENTS],
        query=urlencode({"edition": edition_id}) if edition_id else "",
    )


@router.get("/followup/summary.{fmt}", name="followup:download")
def download(
    fmt: Literal["xlsx", "csv"],
    session: SessionDep,
    principal: SdUser,
    edition_id: EditionQuery = None,
    group_by: Annotated[Literal["sector", "delegation", "type", "edition"] | None, Query()] = None,
) -> Response:
    """The summary as a spreadsheet or CSV, grouped as asked."""
    if edition_id:
        get_edition_or_404(session=session, edition_id=edition_id, principal=principal)
    file = export.summary_file(
        session=session, principal=principal, edition_id=edition_id, group_by=group_by, fmt=fmt
    )
    return attachment(file.content, file.media_type, file.filename)
