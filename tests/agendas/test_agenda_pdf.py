from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from datetime import timedelta
from decimal import Decimal

import pytest
from agenda_samples import REGIONS, build_agenda

from app.agendas.render.fmt import clean_text, format_soles
from app.agendas.render.model import CancelledMeeting
from app.agendas.render.pdf import render_grid_pdf, render_pdf, render_room_sheet_pdf

HOSTILE_TITLE = "Ampliación “urgente” — fase 2… ‘A’ 🚑 中文 Łódź\x07\ttab €5 №3"


pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def stream(data: bytes, *, first: int | None = None, last: int | None = None) -> str:
    """The PDF's text as pdftotext reads it (the TrueType font's strings are glyph ids), in
    reading order, pages separated by form feeds."""
    assert data.startswith(b"%PDF-")
    pages_ = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(
        ["pdftotext", *pages_, "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", data))


def test_agenda_pdf_holds_every_meeting_in_time_order(agenda):
    text = stream(render_pdf(agenda, compress=False))
    for label in (
        "Agenda de reuniones bilaterales",
        "Sector: Ministerio de Salud (MINSA)",
        "12.º GORE Ejecutivo - Centro de Convenciones de Lima",
        "Versión 1 - generada el 26/02/2026 18:30",
        "Sala",
        "Hora",
        "Región",
        "Gobernador(a)",
        "Temas priorizados",
        "Código CUI",
        "Monto (S/)",
        "Compromisos pendientes de ediciones anteriores",
        "Sin compromisos pendientes",
        "Total solicitado",
        "Oficina General de Planeamiento",
        "30/04/2026",
        "En proceso",
        "Proyecto de inversión",
    ):
        assert label in text, label
    positions = []
    for i, (_, name, _, person) in enumerate(REGIONS):
        start = f"{9 + (25 * i) // 60:02d}:{(25 * i) % 60:02d}"
        assert f"{start} - " in text
        assert name in text and person in text
        assert f"{2300000 + i * 1111:07d}" in text
        assert format_soles(Decimal("45678901.25") + i) in text
        positions.append(text.index(f"{name}"))
    assert positions == sorted(positions)  # input was reversed: sections follow the time
    assert "S/ 1,234,567.00" in text
    n = pages(render_pdf(agenda, compress=False))
    assert f"Página 1 de {n}" in text and f"Página {n} de {n}" in text


def test_many_meetings_paginate(make_agenda):
    small = render_pdf(make_agenda(2), compress=False)
    large = render_pdf(make_agenda(30), compress=False)
    assert pages(small) < pages(large)
    assert pages(large) >= 10
    n = pages(large)
    assert f"Página {n} de {n}" in stream(large)
    assert "Reunión 30" in stream(large)


def test_characters_outside_latin1_survive(make_agenda):
    """The embedded TrueType font prints what was typed, curly quotes, dashes, ř and € too;
    control characters are dropped; glyphs the font lacks do not stop the document."""
    agenda = make_agenda(first_topic_title=HOSTILE_TITLE)
    text = stream(render_pdf(agenda))
    assert "Ampliación “urgente” — fase 2… ‘A’" in text
    assert "Łódź" in text and "€5 №3" in text
    assert "\x07" not in text
    plain = make_agenda(first_topic_title="Ñuñoa – Áncash “ok” ř €")
    assert "Ñuñoa – Áncash “ok” ř €" in stream(render_pdf(plain))
    for fn in (render_room_sheet_pdf, render_grid_pdf):
        assert fn(agenda).startswith(b"%PDF-")


def test_clean_text_drops_control_characters_only():
    assert clean_text("Año\x07 12.º\t— “ñandú”\r\nü\u200b") == "Año 12.º    — “ñandú”\nü"
    out = clean_text("".join(chr(c) for c in range(0, 0x3000, 7)))
    assert not [c for c in out if unicodedata.category(c) == "Cc" and c != "\n"]


def test_soles_format():
    assert format_soles(Decimal("1234567")) == "S/ 1,234,567.00"
    assert format_soles(Decimal("0.5")) == "S/ 0.50"
    assert format_soles(Decimal("999.99"), symbol=False) == "999.99"


def test_empty_agenda_and_default_compression(make_agenda):
    empty = render_pdf(make_agenda(0), compress=False)
    assert "No hay reuniones programadas" in stream(empty)
    assert pages(empty) == 1
    compressed = render_pdf(make_agenda())
    assert compressed.startswith(b"%PDF-")
    assert len(compressed) < len(render_pdf(make_agenda(), compress=False))


def _edition(n_rooms: int, per_room: int = 3):
    base = build_agenda(n_rooms * per_room)
    meetings = []
    for k, m in enumerate(base.meetings_in_order()):
        room, slot = divmod(k, per_room)
        start = m.start.replace(hour=9, minute=0) + timedelta(minutes=25 * slot)
        meetings.append(
            m.model_copy(
                update={
                    "room": f"Sala {room + 1:02d}",
                    "start": start,
                    "end": start + timedelta(minutes=20),
                }
            )
        )
    return base.model_copy(
        update={
            "kind": "edition",
            "owner_code": "gore-12",
            "owner_name": "12.º GORE Ejecutivo",
            "meetings": tuple(meetings),
        }
    )


def test_room_sheet_one_page_per_room():
    agenda = _edition(3)
    data = render_room_sheet_pdf(agenda, compress=False)
    text = stream(data)
    assert pages(data) == 3
    for room in ("Sala 01", "Sala 02", "Sala 03"):
        assert room in text
    assert "Programa de la sala" in text
    assert "09:00 - 09:20" in text and "09:50 - 10:10" in text
    assert "Gobierno Regional de Cusco" in text
    assert "Jean Carlos Huamán Ríos" in text
    assert re.search(rb"/F\d+ 34(\.00)? Tf", data)  # the large room name


def test_grid_time_by_room():
    agenda = _edition(10, per_room=2)
    data = render_grid_pdf(agenda, compress=False, rooms_per_page=7)
    text = stream(data)
    assert pages(data) == 2  # 10 rooms, 7 per page
    assert "Cuadro de reuniones por sala" in text
    assert "parte 2 de 2" in text
    for room in range(1, 11):
        assert f"Sala {room:02d}" in text
    assert "09:00" in text and "09:25" in text
    assert "MINSA + MINEDU" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_compressed_pdf(tmp_path, agenda):
    path = tmp_path / "agenda.pdf"
    path.write_bytes(render_pdf(agenda))
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Gobierno Regional de Huánuco" in out
    assert "S/ 45,678,901.25" in out
    assert "Página 1 de" in out


def test_long_words_are_cut_and_long_tables_repeat_their_heading(make_agenda):
    """The agenda's own table layout: a word wider than its column is cut (not drawn over
    the next column), and a table that continues on the next page repeats its heading."""
    word = "PROYECTO" * 30
    agenda = make_agenda(1, first_topic_title=word)
    first, second, third = agenda.meetings[0].topics
    long_description = " ".join(["Saldo de obra y equipamiento biomédico."] * 60)
    topics = (
        first,
        *(t.model_copy(update={"description": long_description}) for t in (second, third)),
    )
    meeting = agenda.meetings[0].model_copy(update={"topics": topics})
    data = render_pdf(agenda.model_copy(update={"meetings": (meeting,)}), compress=False)
    text = stream(data)
    pieces = re.findall(r"[PROYECT]{4,}", stream(data, first=2))  # after the summary
    assert len(pieces) > 1 and "".join(pieces) == word
    assert pages(data) >= 2
    # the heading on every page after the summary
    assert text.count("Código CUI") == pages(data) - 1
    assert "Total solicitado" in text


def test_summary_of_the_day_is_the_first_page(agenda):
    first = stream(render_pdf(agenda), last=1)
    assert "Resumen del día: lunes 2 de marzo de 2026" in first
    assert "Primer tema" in first and "Temas priorizados" not in first
    for i, (_, name, _, _) in enumerate(REGIONS):
        assert name in first
        assert f"Hospital de apoyo de {name.removeprefix('Gobierno Regional de ')}" in first
        assert f"{9 + (25 * i) // 60:02d}:{(25 * i) % 60:02d} - " in first


def test_a_delegations_agenda_names_the_ministry_on_each_meeting(make_agenda):
    base = make_agenda(3)
    cusco = base.meetings[-1].delegation  # meetings are stored in reverse
    meetings = tuple(m.model_copy(update={"delegation": cusco}) for m in base.meetings)
    agenda = base.model_copy(
        update={
            "kind": "delegation",
            "owner_code": "CUS",
            "owner_name": "Gobierno Regional de Cusco",
            "meetings": meetings,
        }
    )
    text = stream(render_pdf(agenda))
    summary, sections = text.split("\f", 1)
    assert "Sector" in summary and summary.count("Ministerio de Salud (MINSA)") == 3
    # each meeting's band names the ministry it meets, not the delegation's own name
    for start in ("09:00 - 09:20", "09:25 - 09:45", "09:50 - 10:10"):
        assert f"{start} Ministerio de Salud (MINSA)" in sections
        assert f"{start} Gobierno Regional de Cusco" not in sections


def test_a_replanned_version_marks_what_moved_and_lists_what_was_cancelled(make_agenda):
    base = make_agenda(3, version=2)
    by_id = {m.request_id: m for m in base.meetings}
    moved = by_id[2].model_copy(
        update={
            "change": "moved",
            "previous_start": by_id[2].start - timedelta(minutes=60),
            "previous_room": "Sala 1 - Educación",
        }
    )
    added = by_id[3].model_copy(update={"change": "added"})
    gone = CancelledMeeting(
        request_id=9,
        start=by_id[1].start + timedelta(hours=3),
        end=by_id[1].start + timedelta(hours=3, minutes=20),
        sequence=1,
        summary="Gobierno Regional de Puno – MINSA",
    )
    agenda = base.model_copy(update={"meetings": (by_id[1], moved, added), "cancelled": (gone,)})
    summary = " ".join(stream(render_pdf(agenda), last=1).split())
    assert "Reprogramada" in summary and "(antes 08:25, Sala 1" in summary
    assert "Nueva" in summary
    assert "Reuniones canceladas" in summary
    assert "Gobierno Regional de Puno – MINSA" in summary and "12:00" in summary
    unchanged = stream(render_pdf(base), last=1)
    assert "Reprogramada" not in unchanged and "Reuniones canceladas" not in unchanged


def test_names_come_from_the_data_and_older_commitments_are_counted(make_agenda):
    base = make_agenda(1)
    m = base.meetings[0]
    nameless = m.delegation.model_copy(update={"authority_name": ""})
    meeting = m.model_copy(update={"delegation": nameless, "more_commitments": 12})
    text = stream(render_pdf(base.model_copy(update={"meetings": (meeting,)})))
    assert "Gobernador" not in text  # no role placeholder without a name
    assert "Y 12 compromisos abiertos más antiguos con esta contraparte" in text
    assert "Jean Carlos Huamán Ríos (Gobernador regional)" in stream(render_pdf(base))
