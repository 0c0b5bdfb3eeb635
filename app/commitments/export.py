"""The follow-up summary as a spreadsheet (XLSX) or CSV (UTF-8 with BOM), headers in Spanish.

Text cells that start with = + - @ are neutralised (a leading quote; in XLSX also stored as
text), so a sector or edition name can never become a formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlmodel import Session

from app.access.principal import Principal
from app.commitments.models import SummaryPublic, SummaryRow
from app.commitments.service import GroupBy, summary
from app.core.spreadsheet import neutralise_formula

BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUP_ES = {
    None: "Total",
    "sector": "Sector",
    "delegation": "Delegación",
    "type": "Tipo",
    "edition": "Edición",
}
HEADER = [
    "Código",
    "Nombre",
    "Total",
    "Ejecutados",
    "% ejecutados",
    "En proceso",
    "% en proceso",
    "Pendientes",
    "% pendientes",
    "Cancelados",
    "% cancelados",
    "Vencidos",
]
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def _values(r: SummaryRow) -> list[str | int | float]:
    return [
        neutralise_formula(r.key),
        neutralise_formula(r.name),
        r.total,
        r.executed,
        r.pct_executed,
        r.in_process,
        r.pct_in_process,
        r.pending,
        r.pct_pending,
        r.cancelled,
        r.pct_cancelled,
        r.overdue,
    ]


def _rows(s: SummaryPublic) -> list[SummaryRow]:
    return [*s.groups, s.total]


def summary_csv(s: SummaryPublic) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in _rows(s):
        writer.writerow(_values(r))
    return (BOM + buf.getvalue()).encode("utf-8")


def summary_xlsx(s: SummaryPublic) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Seguimiento"
    sheet.append([f"Seguimiento de compromisos al {s.as_of:%d/%m/%Y}"])
    sheet.append([f"Agrupado por: {GROUP_ES.get(s.group_by, s.group_by)}"])
    sheet.append(HEADER)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for r in _rows(s):
        sheet.append([v.translate(_ILLEGAL) if isinstance(v, str) else v for v in _values(r)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never "f"
    sheet[sheet.max_row][0].font = Font(bold=True)
    widths = (12, 44, 9, 11, 12, 11, 12, 11, 12, 11, 12, 10)
    for letter, width in zip("ABCDEFGHIJKL", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class SummaryFile:
    """The summary as a file: bytes, media type and the name to save it under."""

    content: bytes
    media_type: str
    filename: str


def summary_file(
    *,
    session: Session,
    principal: Principal,
    edition_id: int | None,
    group_by: GroupBy | None,
    fmt: str,
) -> SummaryFile:
    """The follow-up summary (`app.commitments.service.summary`) as `fmt` ("csv" or "xlsx"),
    named by grouping and date."""
    result = summary(session=session, principal=principal, edition_id=edition_id, group_by=group_by)
    name = f"seguimiento-compromisos-{group_by or 'total'}-{result.as_of:%Y%m%d}.{fmt}"
    if fmt == "csv":
        return SummaryFile(summary_csv(result), CSV_TYPE, name)
    return SummaryFile(summary_xlsx(result), XLSX_TYPE, name)
