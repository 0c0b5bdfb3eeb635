"""Printable PDF documents of an agenda (fpdf2, A4, Spanish).

* `render_pdf`: the agenda a ministry (or delegation) receives 2 to 5 days before the edition,
  one section per meeting in time order with the prioritised topics and open commitments.
* `render_room_sheet_pdf`: the sheet posted at a room's door, large type, one page per room.
* `render_grid_pdf`: the edition grid, time x room, A4 landscape.

Font: Lato, a TrueType font embedded (subset) in every document (`fonts.py`), so any
character of Latin, Greek or Cyrillic script and the typographic signs print as typed.
Control characters are dropped at fpdf2's single normalisation point (`clean_text`).

`compress=False` leaves the page content streams readable (used by the tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.agendas.render.fmt import (
    authority_text,
    clean_text,
    format_date_long,
    format_soles,
    format_span,
    format_time,
    format_timestamp,
)
from app.agendas.render.fonts import FAMILY, font_files
from app.agendas.render.model import (
    AUTHORITY_LABELS,
    COMMITMENT_STATUS_LABELS,
    DELEGATION_LABELS,
    TOPIC_KIND_LABELS,
    Agenda,
    AgendaMeeting,
)

FONT = FAMILY
ACCENT = (139, 26, 26)  # dark red, the colour of the State's documents
INK = (33, 33, 33)
MUTED = (100, 100, 100)
LIGHT = (242, 236, 236)
ZEBRA = (248, 246, 246)

OWNER_LABELS = {
    "sector": "Sector",
    "delegation": "Delegación",
    "room": "Sala",
    "edition": "Edición",
}


@dataclass(frozen=True)
class _Column:
    width: float
    align: str = "L"  # "L", "C" or "R"


@dataclass(frozen=True)
class _Row:
    cells: tuple[str, ...]
    style: str = ""  # "" or "B"
    fill: tuple[int, int, int] | None = None
    spans: tuple[int, ...] | None = None  # columns each cell covers (default 1 each)
    sizes: tuple[float, ...] | None = None  # per-cell font size (default the table's)
    styles: tuple[str, ...] | None = None  # per-cell style (default `style`)
    aligns: tuple[str, ...] | None = None  # per-cell alignment (default the column's)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class _AgendaPDF(FPDF):
    """A4 document with the edition header and "Página X de N" footer on every page."""

    def __init__(self, agenda: Agenda, *, title: str, landscape: bool = False, compress: bool):
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.agenda = agenda
        self.doc_title = title
        self.set_compression(compress)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        for style, path in font_files().items():
            self.add_font(FONT, style, path)
        self.set_title(f"{title} - {agenda.owner_name} - {agenda.edition_name}")
        self.set_author("Presidencia del Consejo de Ministros - Secretaría de Descentralización")
        self.set_creator("Articula")
        self.set_lang("es-PE")
        self.set_creation_date(agenda.generated_at)
        self.set_text_color(*INK)

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(clean_text(text))

    def header(self) -> None:
        a = self.agenda
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(
            self.epw / 2,
            4,
            "Presidencia del Consejo de Ministros - Secretaría de Descentralización",
        )
        self.cell(
            self.epw / 2,
            4,
            f"Versión {a.version} - generada el {format_timestamp(a.generated_at)}",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_font(FONT, "B", 11)
        self.set_text_color(*ACCENT)
        venue = f" - {a.edition_venue}" if a.edition_venue else ""
        self.cell(0, 6, f"{a.edition_name}{venue}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.set_line_width(0.2)
        self.set_draw_color(0, 0, 0)
        self.set_text_color(*INK)
        self.ln(5)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(
            self.epw / 2,
            5,
            f"{self.doc_title} - {self.agenda.owner_name}",
        )
        self.cell(self.epw / 2, 5, f"Página {self.page_no()} de {{nb}}", align="R")
        self.set_text_color(*INK)

    # building blocks ---------------------------------------------------------------------
    def title_block(self, title: str, subtitle: str, note: str = "") -> None:
        self.set_font(FONT, "B", 17)
        self.cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 6, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if note:
            self.set_font(FONT, "", 9)
            self.set_text_color(*MUTED)
            self.multi_cell(0, 4.5, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(*INK)
        self.ln(3)

    def band(self, left: str, right: str = "", size: float = 11) -> None:
        self.set_fill_color(*ACCENT)
        self.set_text_color(255, 255, 255)
        self.set_font(FONT, "B", size)
        h = size * 0.6
        right_w = self.get_string_width(right) + 4 if right else 0
        self.cell(self.epw - right_w, h, f" {left}", fill=True)
        self.cell(right_w, h, right, fill=True, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        # fpdf2 tables restore the previous fill colour after each filled cell, and PDF shares
        # the fill and text colour: leaving the accent as fill colour bleeds into table rows.
        self.set_fill_color(255, 255, 255)
        self.set_text_color(*INK)

    def field(self, label: str, value: str, label_w: float = 36) -> None:
        """Bold label, then the value wrapped in the rest of the line."""
        line_h = 5.5
        self.set_font(FONT, "", 9.5)
        lines = self.wrap(value, self.epw - label_w - 2 * self.c_margin)
        if self.get_y() + line_h * len(lines) > self.page_break_trigger:
            self.add_page()
        y = self.get_y()
        baseline = line_h / 2 + 0.3 * self.font_size
        for i, line in enumerate(lines):
            self.text(self.l_margin + label_w + self.c_margin, y + i * line_h + baseline, line)
        self.set_font(FONT, "B", 9.5)
        self.text(self.l_margin + self.c_margin, y + baseline, label)
        self.set_xy(self.l_margin, y + line_h * len(lines))

    # fast text layout ---------------------------------------------------------------------
    # fpdf2's multi_cell and table measure every line by re-summing the widths of all its
    # characters once per character added (quadratic), twice per table cell. Here a line is
    # measured once, from the font's width table (keyed by code point).

    def text_width(self, text: str) -> float:
        """Width (mm) of `text` in the current font."""
        cw = self.current_font.cw  # type: ignore[union-attr]
        return sum(cw[ord(c)] for c in text) * self.font_size_pt * 0.001 / self.k

    def wrap(self, text: str, width: float) -> list[str]:
        """`text` as lines no wider than `width` mm in the current font: explicit newlines
        kept, words packed greedily, a word wider than a line cut."""
        cw = self.current_font.cw  # type: ignore[union-attr]
        limit = width * self.k / (self.font_size_pt * 0.001)  # in font units
        space = cw[32]
        lines: list[str] = []
        for paragraph in clean_text(text).split("\n"):
            line: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                w = sum(cw[ord(c)] for c in word)
                if line and used + space + w <= limit:
                    line.append(word)
                    used += space + w
                    continue
                if line:
                    lines.append(" ".join(line))
                line, used = [], 0.0
                while w > limit and len(word) > 1:  # cut an over-long word
                    cut, acc = 0, 0.0
                    while cut < len(word) - 1 and acc + cw[ord(word[cut])] <= limit:
                        acc += cw[ord(word[cut])]
                        cut += 1
                    cut = max(cut, 1)
                    lines.append(word[:cut])
                    word = word[cut:]
                    w = sum(cw[ord(c)] for c in word)
                line, used = [word], w
            lines.append(" ".join(line))
        return lines

    def table_rows(
        self,
        columns: Sequence[_Column],
        heading: Sequence[str],
        rows: Sequence[_Row],
        *,
        size: float,
        line_h: float,
        padding: float,
        zebra: bool = False,
        v_align: str = "TOP",
    ) -> None:
        """A bordered table drawn row by row with precomputed heights: heading row on LIGHT
        (repeated after a page break), optional zebra rows, cells aligned L/C/R."""
        head = _Row(tuple(heading), style="B", fill=LIGHT)
        self._table_row(columns, head, size, line_h, padding, v_align)
        for i, row in enumerate(rows):
            if zebra and row.fill is None and i % 2 == 1:
                row = _Row(row.cells, row.style, ZEBRA, row.spans, row.sizes, row.styles)
            height = self._row_height(columns, row, size, line_h, padding)
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                self._table_row(columns, head, size, line_h, padding, v_align)
            self._table_row(columns, row, size, line_h, padding, v_align, height)
        self.set_x(self.l_margin)

    def _cells(self, columns: Sequence[_Column], row: _Row, size: float):
        """(x offset, width, align, style, size, text) of each cell of `row`."""
        spans = row.spans or (1,) * len(row.cells)
        col, x = 0, 0.0
        for k, (text, span) in enumerate(zip(row.cells, spans, strict=True)):
            width = sum(c.width for c in columns[col : col + span])
            align = row.aligns[k] if row.aligns else columns[col].align
            style = row.styles[k] if row.styles else row.style
            cell_size = row.sizes[k] if row.sizes else size
            yield x, width, align, style, cell_size, text
            col += span
            x += width

    def _row_lines(self, columns, row, size, padding) -> list[tuple]:
        out = []
        for x, width, align, style, cell_size, text in self._cells(columns, row, size):
            self.set_font(FONT, style, cell_size)
            out.append((x, width, align, style, cell_size, self.wrap(text, width - 2 * padding)))
        return out

    def _row_height(self, columns, row, size, line_h, padding) -> float:
        cells = self._row_lines(columns, row, size, padding)
        return max(len(c[5]) * line_h * c[4] / size for c in cells) + 2 * padding

    def _table_row(self, columns, row, size, line_h, padding, v_align, height=None) -> None:
        cells = self._row_lines(columns, row, size, padding)
        if height is None:
            height = max(len(c[5]) * line_h * c[4] / size for c in cells) + 2 * padding
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
        top, left = self.get_y(), self.l_margin
        self.set_line_width(0.2)
        self.set_draw_color(0, 0, 0)
        if row.fill is not None:
            self.set_fill_color(*row.fill)
        for x, width, align, style, cell_size, lines in cells:
            self.rect(left + x, top, width, height, style="DF" if row.fill else "D")
            self.set_font(FONT, style, cell_size)
            lh = line_h * cell_size / size
            y = top + padding
            if v_align == "MIDDLE":
                y += (height - 2 * padding - len(lines) * lh) / 2
            for line in lines:
                if align == "L":
                    tx = left + x + padding
                else:
                    tw = self.text_width(line)
                    tx = (
                        left + x + (width - tw) / 2
                        if align == "C"
                        else left + x + width - padding - tw
                    )
                self.text(tx, y + lh / 2 + 0.3 * self.font_size, line)
                y += lh
        self.set_fill_color(255, 255, 255)
        self.set_xy(left, top + height)

    def subheading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 10.5)
        self.set_text_color(*ACCENT)
        self.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)


def _dates(meetings: Iterable[AgendaMeeting]) -> list[date]:
    return sorted({m.start.date() for m in meetings})


TOPIC_COLUMNS = (_Column(9, "C"), _Column(78), _Column(36), _Column(20, "C"), _Column(37, "R"))
ROOM_COLUMNS = (_Column(44), _Column(84), _Column(52))
COMMITMENT_COLUMNS = (_Column(88), _Column(50), _Column(20), _Column(22))


SUMMARY_COLUMNS = (_Column(24, "C"), _Column(30), _Column(58), _Column(68))
CHANGE_LABELS = {"added": "Nueva", "moved": "Reprogramada"}


def _first_topic(m: AgendaMeeting) -> str:
    return m.topics[0].title if m.topics else "Sin temas registrados"


def _previous(m: AgendaMeeting) -> str:
    """`antes 09:00, Sala 2` for a moved meeting (what changed only)."""
    parts = []
    if m.previous_start is not None and m.previous_start != m.start:
        day = (
            ""
            if m.previous_start.date() == m.start.date()
            else (f"{format_date_long(m.previous_start.date())} ")
        )
        parts.append(f"{day}{format_time(m.previous_start)}")
    if m.previous_room is not None and m.previous_room != m.room:
        parts.append(m.previous_room)
    return "antes " + ", ".join(parts) if parts else ""


def _summary_page(pdf: _AgendaPDF, agenda: Agenda, meetings: list[AgendaMeeting]) -> None:
    """One page (per day, if it fits) with each meeting's time, room, counterpart and first
    topic; a re-planned version marks new and moved meetings and lists the cancelled ones."""
    counterpart = "Delegación" if agenda.kind == "sector" else "Contraparte"
    if agenda.kind == "delegation":
        counterpart = "Sector"
    for day in _dates(meetings):
        pdf.subheading(f"Resumen del día: {format_date_long(day)}")
        rows = []
        for m in meetings:
            if m.start.date() != day:
                continue
            mark = CHANGE_LABELS.get(m.change or "", "")
            when = format_span(m) + (f"\n{mark}" if mark else "")
            room = m.room + (f"\n({_previous(m)})" if m.change == "moved" and _previous(m) else "")
            rows.append(
                _Row(
                    (when, room, m.counterpart(agenda.kind), _first_topic(m)),
                    styles=("B", "", "B", ""),
                    fill=LIGHT if mark else None,
                )
            )
        pdf.table_rows(
            SUMMARY_COLUMNS,
            ("Hora", "Sala", counterpart, "Primer tema"),
            rows,
            size=8.5,
            line_h=4.2,
            padding=1.2,
        )
    if agenda.cancelled:
        pdf.subheading("Reuniones canceladas")
        pdf.table_rows(
            (_Column(70), _Column(110)),
            ("Horario que tenía", "Reunión"),
            [
                _Row((f"{format_date_long(c.start.date())}, {format_time(c.start)}", c.summary))
                for c in agenda.cancelled
            ],
            size=8.5,
            line_h=4.2,
            padding=1.2,
        )


def _meeting_section(pdf: _AgendaPDF, agenda: Agenda, m: AgendaMeeting, number: int) -> None:
    if pdf.will_page_break(60):
        pdf.add_page()
    mark = CHANGE_LABELS.get(m.change or "", "")
    right = f"{mark} - Reunión {number} " if mark else f"Reunión {number} "
    pdf.band(f"{format_span(m)}   {m.counterpart(agenda.kind)}", right)
    pdf.ln(1.5)
    pdf.field("Hora", f"{format_span(m)} ({_cap(format_date_long(m.start.date()))})")
    pdf.field("Sala", m.room)
    if m.change == "moved" and _previous(m):
        pdf.field("Cambio", f"Reprogramada ({_previous(m)})")
    pdf.field(DELEGATION_LABELS[agenda.summit], m.delegation.name)
    if authority_text(m):
        pdf.field(AUTHORITY_LABELS[agenda.summit], authority_text(m))
    sectors = "\n".join(
        f"{s.name} ({s.code})" + (f" - titular: {s.minister}" if s.minister else "")
        for s in m.sectors
    )
    pdf.field("Sector" if len(m.sectors) == 1 else "Sectores", sectors)

    pdf.subheading("Temas priorizados")
    if not m.topics:
        pdf.set_font(FONT, "I", 9.5)
        pdf.cell(0, 5.5, "Sin temas registrados", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        amounts = [t.amount_soles for t in m.topics if t.amount_soles is not None]
        rows = [
            _Row(
                (
                    str(t.rank),
                    f"{t.title}\n{t.description}" if t.description else t.title,
                    TOPIC_KIND_LABELS[t.kind],
                    t.cui or "-",
                    format_soles(t.amount_soles) if t.amount_soles is not None else "-",
                )
            )
            for t in m.topics
        ]
        if amounts:
            total = format_soles(sum(amounts, Decimal(0)))
            rows.append(
                _Row(
                    ("Total solicitado", total),
                    style="B",
                    fill=LIGHT,
                    spans=(4, 1),
                    aligns=("R", "R"),
                )
            )
        pdf.table_rows(
            TOPIC_COLUMNS,
            ("N.º", "Tema", "Tipo", "Código CUI", "Monto (S/)"),
            rows,
            size=8.5,
            line_h=4.2,
            padding=1.2,
            zebra=True,
        )

    pdf.subheading("Compromisos pendientes de ediciones anteriores")
    if not m.open_commitments:
        pdf.set_font(FONT, "I", 9.5)
        pdf.cell(0, 5.5, "Sin compromisos pendientes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.table_rows(
            COMMITMENT_COLUMNS,
            ("Compromiso", "Responsable", "Plazo", "Estado"),
            [
                _Row(
                    (
                        c.description,
                        c.responsible or "-",
                        c.deadline.strftime("%d/%m/%Y") if c.deadline else "Sin plazo",
                        COMMITMENT_STATUS_LABELS[c.status],
                    )
                )
                for c in m.open_commitments
            ],
            size=8.5,
            line_h=4.2,
            padding=1.2,
        )
    if m.more_commitments:
        pdf.set_font(FONT, "I", 9)
        more = (
            "1 compromiso abierto más antiguo"
            if m.more_commitments == 1
            else f"{m.more_commitments} compromisos abiertos más antiguos"
        )
        pdf.cell(
            0,
            5.5,
            f"Y {more} con esta contraparte, en el sistema de seguimiento.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(7)


def render_pdf(agenda: Agenda, *, compress: bool = True) -> bytes:
    """The agenda: a summary of the day first, then every meeting's prioritised topics and
    open commitments."""
    title = "Agenda de reuniones bilaterales"
    pdf = _AgendaPDF(agenda, title=title, compress=compress)
    pdf.add_page()
    meetings = agenda.meetings_in_order()
    days = ", ".join(format_date_long(d) for d in _dates(meetings))
    count = f"{len(meetings)} reunión" if len(meetings) == 1 else f"{len(meetings)} reuniones"
    note = (
        f"{count}" + (f" - {days}" if days else "") + ". Temas en el orden de prioridad "
        "presentado por cada delegación; montos en soles."
    )
    owner = f"{agenda.owner_name} ({agenda.owner_code})"
    pdf.title_block(title, f"{OWNER_LABELS[agenda.kind]}: {owner}", note)
    if not meetings:
        pdf.set_font(FONT, "I", 11)
        pdf.cell(
            0,
            8,
            "No hay reuniones programadas en esta agenda.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    _summary_page(pdf, agenda, meetings)
    current_day: date | None = None
    for number, m in enumerate(meetings, start=1):
        if number == 1:
            pdf.add_page()
        if len(_dates(meetings)) > 1 and m.start.date() != current_day:
            current_day = m.start.date()
            if pdf.will_page_break(70):
                pdf.add_page()
            pdf.set_font(FONT, "B", 13)
            pdf.cell(0, 8, _cap(format_date_long(current_day)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _meeting_section(pdf, agenda, m, number)
    return bytes(pdf.output())


def render_room_sheet_pdf(agenda: Agenda, *, compress: bool = True) -> bytes:
    """Door sheet in large type: one page (or more) per room, its meetings and participants."""
    title = "Programa de la sala"
    pdf = _AgendaPDF(agenda, title=title, compress=compress)
    rooms: dict[str, list[AgendaMeeting]] = {}
    for m in agenda.meetings_in_order():
        rooms.setdefault(m.room, []).append(m)
    if not rooms:
        pdf.add_page()
        pdf.title_block(title, agenda.owner_name, "No hay reuniones programadas.")
    for room in sorted(rooms):
        pdf.add_page()
        pdf.set_font(FONT, "B", 34)
        pdf.cell(0, 16, room, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 13)
        pdf.cell(0, 7, "Reuniones bilaterales", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        for day in _dates(rooms[room]):
            pdf.band(_cap(format_date_long(day)), size=15)
            pdf.ln(2)
            pdf.table_rows(
                ROOM_COLUMNS,
                ("Hora", DELEGATION_LABELS[agenda.summit], "Sector"),
                [
                    _Row(
                        (
                            format_span(m),
                            "\n".join(filter(None, (m.delegation.name, authority_text(m)))),
                            "\n".join(f"{s.code} - {s.name}" for s in m.sectors),
                        ),
                        sizes=(16, 13, 13),
                        styles=("B", "", ""),
                    )
                    for m in rooms[room]
                    if m.start.date() == day
                ],
                size=13,
                line_h=6.2,
                padding=2,
                zebra=True,
                v_align="MIDDLE",
            )
            pdf.ln(5)
    return bytes(pdf.output())


def render_grid_pdf(agenda: Agenda, *, compress: bool = True, rooms_per_page: int = 7) -> bytes:
    """The edition grid (A4 landscape): one table per day of start time x room."""
    title = "Cuadro de reuniones por sala"
    pdf = _AgendaPDF(agenda, title=title, landscape=True, compress=compress)
    meetings = agenda.meetings_in_order()
    rooms = sorted({m.room for m in meetings})
    chunks = [rooms[i : i + rooms_per_page] for i in range(0, len(rooms), rooms_per_page)]
    if not meetings:
        pdf.add_page()
        pdf.title_block(title, agenda.owner_name, "No hay reuniones programadas.")
    for day in _dates(meetings):
        todays = [m for m in meetings if m.start.date() == day]
        starts = sorted({m.start for m in todays})
        for part, chunk in enumerate(chunks, start=1):
            pdf.add_page()
            suffix = f" (salas, parte {part} de {len(chunks)})" if len(chunks) > 1 else ""
            pdf.title_block(title, _cap(format_date_long(day)) + suffix)
            time_w = 18
            room_w = (pdf.epw - time_w) / rooms_per_page
            columns = (_Column(time_w, "C"), *(_Column(room_w, "C") for _ in chunk))
            rows = []
            for start in starts:
                cells = [format_time(start)]
                for room in chunk:
                    cell = [m for m in todays if m.start == start and m.room == room]
                    cells.append("\n".join(f"{m.delegation.name}\n{m.sector_codes}" for m in cell))
                rows.append(_Row(tuple(cells), styles=("B", *("" for _ in chunk))))
            pdf.table_rows(
                columns,
                ("Hora", *chunk),
                rows,
                size=8,
                line_h=3.8,
                padding=1,
                v_align="MIDDLE",
            )
    return bytes(pdf.output())
