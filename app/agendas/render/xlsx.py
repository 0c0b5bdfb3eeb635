"""XLSX rendering (openpyxl): one sheet "Agenda", one row per topic per meeting.

Every text cell is written as a string cell (data_type "s"), including text that starts with
=, +, -, @, tab or CR, so nothing the delegations typed is ever evaluated as a formula; the text
shows exactly as typed. Amounts are numbers with a soles format, dates and times real values.
"""

from __future__ import annotations

import io
from datetime import date, time
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.agendas.render.model import Agenda
from app.agendas.render.rows import COLUMNS, Value, header, rows

SOLES_FORMAT = '"S/ "#,##0.00'
_WIDTHS = {
    "Fecha": 11,
    "Hora inicio": 10,
    "Hora fin": 9,
    "Sala": 14,
    "{delegation}": 26,
    "{authority}": 32,
    "Sectores": 30,
    "Prioridad": 9,
    "Tema": 45,
    "Descripción": 60,
    "Tipo": 22,
    "Código CUI": 12,
    "Monto (S/)": 18,
    "ID reunión": 14,
}
# openpyxl rejects these control characters in cell text.
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def _set(cell: Cell, value: Value) -> None:
    if value is None:
        return
    if isinstance(value, str):
        cell.value = value.translate(_ILLEGAL)
        cell.data_type = "s"  # never "f": text starting with "=" stays text
    elif isinstance(value, Decimal):
        cell.value = value
        cell.number_format = SOLES_FORMAT
    elif isinstance(value, time):
        cell.value = value
        cell.number_format = "hh:mm"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "dd/mm/yyyy"
    else:
        cell.value = value


def render_xlsx(agenda: Agenda) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Agenda"
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="8B1A1A")
    for col, title in enumerate(header(agenda), start=1):
        cell = ws.cell(row=1, column=col)
        _set(cell, title)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    for r, row in enumerate(rows(agenda), start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            _set(cell, value)
            cell.alignment = wrap
    for col, key in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = _WIDTHS[key]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(ws.max_row, 1)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    wb.properties.title = f"Agenda {agenda.owner_name} - {agenda.edition_name}"
    wb.properties.creator = "Articula"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
