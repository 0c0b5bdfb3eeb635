from __future__ import annotations

import csv
import io
import json
from datetime import date, time
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.agendas.render.csv import render_csv
from app.agendas.render.json import agenda_from_dict, agenda_to_dict, render_json
from app.agendas.render.xlsx import render_xlsx

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def load(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return wb, wb["Agenda"]


def test_xlsx_rows_types_and_layout(agenda):
    wb, ws = load(render_xlsx(agenda))
    assert wb.sheetnames == ["Agenda"]
    header = [c.value for c in ws[1]]
    assert header[:9] == [
        "Fecha",
        "Hora inicio",
        "Hora fin",
        "Sala",
        "Región",
        "Gobernador(a)",
        "Sectores",
        "Prioridad",
        "Tema",
    ]
    assert "Código CUI" in header and "Monto (S/)" in header
    assert ws.max_row == 1 + 6 * 3  # one row per topic per meeting
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["I"].width == 45
    col = {name: i for i, name in enumerate(header)}
    first = list(ws[2])
    assert first[col["Región"]].value == "Gobierno Regional de Cusco"  # time order
    assert first[col["Hora inicio"]].value == time(9, 0)
    assert first[col["Fecha"]].value.date() == date(2026, 3, 2)
    amount = first[col["Monto (S/)"]]
    assert amount.data_type == "n" and amount.value == pytest.approx(45678901.25)
    assert "S/" in amount.number_format
    assert first[col["Código CUI"]].value == "2300000"
    assert first[col["Código CUI"]].data_type == "s"
    assert ws[2 + 2][col["Monto (S/)"]].value is None  # topic without an amount
    regions = [ws.cell(row=r, column=col["Región"] + 1).value for r in range(2, ws.max_row + 1, 3)]
    assert regions[-1] == "Gobierno Regional de Huánuco"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_xlsx_never_stores_a_formula(make_agenda, hostile):
    _, ws = load(render_xlsx(make_agenda(first_topic_title=hostile)))
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    title = ws.cell(row=2, column=9)
    assert title.data_type == "s"
    assert title.value == hostile.replace("\r", "\n")  # XML turns a stored CR into LF


def test_csv_rows_bom_and_neutralised_formulas(make_agenda):
    data = render_csv(make_agenda(first_topic_title='=HYPERLINK("http://x","y")'))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][4:6] == ["Región", "Gobernador(a)"]
    assert len(rows) == 1 + 18
    col = {name: i for i, name in enumerate(rows[0])}
    first = rows[1]
    assert first[col["Fecha"]] == "02/03/2026"
    assert first[col["Hora inicio"]] == "09:00" and first[col["Hora fin"]] == "09:20"
    assert first[col["Tema"]] == '\'=HYPERLINK("http://x","y")'
    assert first[col["Código CUI"]] == "2300000"
    assert first[col["Monto (S/)"]] == "45678901.25"
    assert Decimal(rows[2][col["Monto (S/)"]]) == Decimal("1234567.00")
    assert first[col["Tipo"]] == "Proyecto de inversión"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("hostile", HOSTILE)
def test_csv_neutralises_every_trigger(make_agenda, hostile):
    rows = list(
        csv.reader(
            io.StringIO(render_csv(make_agenda(first_topic_title=hostile)).decode("utf-8-sig"))
        )
    )
    assert rows[1][rows[0].index("Tema")] == "'" + hostile


def test_json_round_trip_and_stable(agenda):
    d = agenda_to_dict(agenda)
    assert d["format"] == "articula.agenda/2"
    assert d["edition_name"] == "12.º GORE Ejecutivo"
    first = d["meetings"][0]
    assert first["start"] == "2026-03-02T09:00:00-05:00"
    assert first["topics"][0]["amount_soles"] == "45678901.25"
    assert first["topics"][0]["cui"] == "2300000"
    assert first["open_commitments"][0]["deadline"] == "2026-04-30"
    text = render_json(agenda)
    assert json.loads(text) == d
    assert "Huánuco" in text.decode("utf-8")
    back = agenda_from_dict(json.loads(text))
    assert agenda_to_dict(back) == d
    assert back.meetings[0].start.utcoffset().total_seconds() == -5 * 3600
    assert render_json(back) == text
