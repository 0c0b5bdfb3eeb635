"""Agenda documents: format name -> renderer, content type and file name.

The renderers are the colleague's (`app.agendas.render`); this module only picks the right
one (a room gets the door sheet, the edition the grid) and names the file
`agenda-<owner code>-v<version>.<ext>` (e.g. `agenda-MINSA-v2.pdf`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from app.agendas.render import pdf
from app.agendas.render.csv import render_csv
from app.agendas.render.ics import render_ics
from app.agendas.render.json import render_json
from app.agendas.render.model import Agenda
from app.agendas.render.xlsx import render_xlsx


class AgendaFormat(StrEnum):
    json = "json"
    pdf = "pdf"
    ics = "ics"
    xlsx = "xlsx"
    csv = "csv"


CONTENT_TYPES: dict[AgendaFormat, str] = {
    AgendaFormat.json: "application/json",
    AgendaFormat.pdf: "application/pdf",
    AgendaFormat.ics: "text/calendar; charset=utf-8",
    AgendaFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    AgendaFormat.csv: "text/csv; charset=utf-8",
}


def _pdf(agenda: Agenda) -> bytes:
    if agenda.kind == "room":
        return pdf.render_room_sheet_pdf(agenda)
    if agenda.kind == "edition":
        return pdf.render_grid_pdf(agenda)
    return pdf.render_pdf(agenda)


RENDERERS: dict[AgendaFormat, Callable[[Agenda], bytes]] = {
    AgendaFormat.json: render_json,
    AgendaFormat.pdf: _pdf,
    AgendaFormat.ics: render_ics,
    AgendaFormat.xlsx: render_xlsx,
    AgendaFormat.csv: render_csv,
}


def render(agenda: Agenda, fmt: AgendaFormat) -> bytes:
    """The document's bytes in one format."""
    return RENDERERS[AgendaFormat(fmt)](agenda)


def filename(agenda: Agenda, fmt: AgendaFormat) -> str:
    """`agenda-MINSA-v2.pdf`."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in agenda.owner_code)
    return f"agenda-{safe}-v{agenda.version}.{AgendaFormat(fmt).value}"


def content_type(fmt: AgendaFormat) -> str:
    return CONTENT_TYPES[AgendaFormat(fmt)]


def media_type(fmt: AgendaFormat) -> str:
    """The content type without its parameters (`text/csv`), as OpenAPI names media types."""
    return content_type(fmt).split(";")[0]
