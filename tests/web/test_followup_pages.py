"""The follow-up page over HTTP on the demo's commitment history: the report's figures in
tables (with their bar charts), the overdue list, the XLSX / CSV downloads, SD only."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.access.models import Role
from app.demo import load_demo
from app.editions.models import Edition, Sector


@pytest.fixture
def demo(session: Session) -> Edition:
    load_demo(session=session)
    session.commit()
    return session.exec(select(Edition)).one()


def _row(html: str, header: str) -> list[str]:
    """The cells of the table row whose header cell starts with `header`."""
    found = re.search(rf"<tr><th scope=\"row\">{header}.*?</tr>", html, re.S)
    assert found, header
    return re.findall(r'<td class="num">([^<]*)</td>', found.group(0))


def test_the_summary_reproduces_the_report_in_tables_and_charts(login_as, demo):
    sd = login_as(Role.sd_admin)
    r = sd.get("/followup")
    assert r.status_code == 200
    html = r.text
    assert "<strong>5,712</strong> compromisos" in html
    assert _row(html, "Ejecutado") == ["4,879", "85.4 %"]
    assert _row(html, "En proceso") == ["506", "8.9 %"]
    assert _row(html, "Pendiente") == ["327", "5.7 %"]
    minsa = _row(html, '<abbr title="Ministerio de Salud">MINSA')
    assert minsa[0] == "1,277" and minsa[2].startswith("94")
    assert _row(html, '<abbr title="[^"]*">MINEDU')[0] == "1,017"
    assert _row(html, '<abbr title="[^"]*">SAM')[0] == "347"
    assert _row(html, "Administrativo") and _row(html, "Técnico") and _row(html, "Presupuestal")
    # each chart is decoration beside its table: the table carries the figures
    assert html.count('<figure class="chart" aria-hidden="true">') == 4
    assert 'class="seg seg-executed"' in html
    assert "(el gráfico muestra los mismos datos)" in html
    overdue = re.search(r"Compromisos vencidos \(([\d,]+)\)", html)
    assert overdue and int(overdue.group(1).replace(",", "")) > 0
    assert "Siguiente" in html  # more than one page of overdue commitments
    assert html.count("<tr><td>") == 20


def test_one_edition_and_foreign_ids(login_as, demo):
    sd = login_as(Role.sd_admin)
    r = sd.get(f"/followup?edition={demo.id}")
    assert r.status_code == 200 and demo.name in r.text
    assert "<strong>0</strong> compromisos" in r.text and "No hay compromisos vencidos." in r.text
    missing = sd.get("/followup?edition=999999")
    assert missing.status_code == 404 and "<html" in missing.text
    assert sd.get("/followup/summary.csv?edition=999999").status_code == 404


def test_downloads(login_as, demo):
    sd = login_as(Role.sd_admin)
    csv = sd.get("/followup/summary.csv?group_by=sector")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Código,Nombre,Total,Ejecutados")
    assert any(line.startswith("MINSA,Ministerio de Salud,1277,") for line in text.splitlines())
    assert text.splitlines()[-1].startswith("total,Total,5712,4879")
    xlsx = sd.get("/followup/summary.xlsx?group_by=type")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:4] == ("Código", "Nombre", "Total", "Ejecutados")
    assert rows[-1][:4] == ("total", "Total", 5712, 4879)
    assert sd.get("/followup/summary.pdf").status_code in (404, 422)


def test_follow_up_is_for_the_sd(login_as, demo, session):
    minsa = session.exec(select(Sector).where(Sector.code == "MINSA")).one()
    ministry = login_as(Role.sector, SimpleNamespace(sectors={"MINSA": minsa}))
    assert ministry.get("/followup").status_code == 404
    assert ministry.get("/followup/summary.csv").status_code == 404
