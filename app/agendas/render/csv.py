"""CSV rendering: the same rows as the XLSX, UTF-8 with BOM so Excel in Spanish opens it right.

Text that a spreadsheet would evaluate (starting with =, +, -, @, tab or CR) is prefixed with a
single quote. Dates are dd/mm/yyyy, times HH:MM, amounts plain numbers with a decimal point
(`1234567.00`) so they stay numeric on import.
"""

from __future__ import annotations

import csv
import io
from datetime import date, time
from decimal import Decimal

from app.agendas.render.model import Agenda
from app.agendas.render.rows import Value, header, rows
from app.core.spreadsheet import neutralise_formula

BOM = "\ufeff"


def _cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value)
    return neutralise_formula(value)


def render_csv(agenda: Agenda) -> bytes:
    """UTF-8 (with BOM) CSV, comma separated, CRLF line ends, one row per topic per meeting."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header(agenda))
    for row in rows(agenda):
        writer.writerow([_cell(v) for v in row])
    return (BOM + buf.getvalue()).encode("utf-8")
