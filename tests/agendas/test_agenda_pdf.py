from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from agenda_samples import REGIONS, build_agenda

from app.agendas.render.fmt import format_soles, to_latin1
from app.agendas.render.pdf import render_grid_pdf, render_pdf, render_room_sheet_pdf

HOSTILE_TITLE = "Ampliación “urgente” — fase 2… ‘A’ 🚑 中文 Łódź\x07\ttab €5 №3"


def stream(data: bytes) -> str:
    """Uncompressed PDF as text: core-font strings are latin-1 literals in the page streams."""
    assert data.startswith(b"%PDF-")
    # fpdf2 writes the "{nb}" page-count alias as its own string: join adjacent strings.
    text = data.decode("latin-1").replace(") Tj (", "")
    return text.replace("\\(", "(").replace("\\)", ")").replace("\\\\", "\\")


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
        "Compromisos pendientes con esta delegación",
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


def test_hostile_text_is_replaced_not_fatal(make_agenda):
    agenda = make_agenda(first_topic_title=HOSTILE_TITLE)
    text = stream(render_pdf(agenda, compress=False))
    assert 'Ampliación "urgente" - fase 2... ' in text
    assert "Lódz" in text  # Ł has no decomposition: mapped; ź loses its accent
    assert "EUR5" in text
    for fn in (render_room_sheet_pdf, render_grid_pdf):
        assert fn(agenda).startswith(b"%PDF-")


def test_to_latin1_never_raises():
    assert to_latin1("Año 12.º — “ñandú” ü") == 'Año 12.º - "ñandú" ü'
    out = to_latin1("".join(chr(c) for c in range(0, 0x3000, 7)) + "🚑\U0010ffff")
    out.encode("latin-1")


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
    assert "/F2 34" in text or "34.00 Tf" in text  # the large room name


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
    pieces = re.findall(r"\(([PROYECT]{4,})\) Tj", text)
    assert len(pieces) > 1 and "".join(pieces) == word
    assert pages(data) >= 2
    assert text.count("(Código CUI) Tj") == pages(data)  # the heading on every page
    assert "Total solicitado" in text
