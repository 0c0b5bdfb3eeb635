"""In the browser, as the SD: the meeting requests page (inline edit with a pin, the error
beside its field, merge) and a solve started from the page and watched live until
"Óptimo demostrado", on a small edition of its own (three demo regions, two sectors);
axe-core on every page, at 1280 px and on a tablet; screenshots as artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from factories import add_participants, create_edition
from runs_support import add_request
from sqlmodel import Session, select
from web_support import assert_accessible, screenshot

from app.core.db import make_engine
from app.editions.models import Delegation, Edition, Room, Sector

# The live server has its own SQLite file: nothing to repeat in the PostgreSQL pass.
pytestmark = pytest.mark.nodb

expect = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python").expect


@pytest.fixture
def small_edition(live_server: dict[str, Any]) -> Iterator[int]:
    """An edition in scheduling with CUS, JUN and PUN and MINSA and MINEDU (one request
    each), two rooms; removed afterwards so the other browser tests see the demo only."""
    engine = make_engine(live_server["database_url"])
    with Session(engine, expire_on_commit=False) as session:
        edition = create_edition(session, status="scheduling", name="Prueba del cálculo en vivo")
        delegations = [
            session.exec(select(Delegation).where(Delegation.code == code)).one()
            for code in ("CUS", "JUN", "PUN")
        ]
        sectors = [
            session.exec(select(Sector).where(Sector.code == code)).one()
            for code in ("MINSA", "MINEDU")
        ]
        add_participants(session, edition, delegations, sectors)
        session.add_all(
            Room(edition_id=edition.id, name=name, capacity=14)
            for name in ("Sala Pachacútec", "Sala Túpac Amaru")
        )
        session.commit()
        for d in delegations:
            for s in sectors:
                add_request(session, edition, d, [s], weight=10 if s.code == "MINSA" else 8)
        edition_id = edition.id
    try:
        yield edition_id
    finally:
        with engine.begin() as conn:
            conn.execute(sa.delete(Edition.__table__).where(Edition.__table__.c.id == edition_id))
        engine.dispose()


def _login_sd(page: Any, live_server: dict[str, Any]) -> None:
    page.goto("/")
    page.get_by_label("Correo electrónico").fill(live_server["accounts"]["sd"])
    page.get_by_label("Contraseña", exact=True).fill(live_server["password"])
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/editions")


def test_requests_edit_merge_and_a_live_solve(page, live_server, small_edition):
    _login_sd(page, live_server)
    base = f"/editions/{small_edition}"
    page.goto(f"{base}/requests")
    table = page.locator("#requests-table")
    expect(table).to_contain_text("Gobierno Regional del Cusco")
    assert_accessible(page, "requests")

    row = page.locator("tbody tr", has_text="Cusco").filter(has_text="Salud").first
    row.get_by_role("button", name="Editar").click()
    form = page.locator("tr.editing")
    form.get_by_label("Duración (turnos de 20 min)").fill("3")
    pin = form.get_by_label("Fijar en (hora de Lima)")
    pin.select_option(index=8)  # 12:20: three slots end after the block's 13:00
    form.get_by_role("button", name="Guardar").click()
    page.get_by_text("no cabe en el bloque de bilaterales").wait_for()
    assert_accessible(page, "requests-row-error")
    form = page.locator("tr.editing")
    form.get_by_label("Duración (turnos de 20 min)").fill("1")
    form.get_by_label("Fijar en (hora de Lima)").select_option(index=3)  # 10:40
    form.get_by_label("Sala fijada").select_option(label="Sala Pachacútec")
    form.get_by_label("Obligatoria").check()
    form.get_by_role("button", name="Guardar").click()
    expect(page.locator("tr.editing")).to_have_count(0)
    saved = page.locator("tbody tr", has_text="Sala Pachacútec")
    expect(saved).to_contain_text("10:40")
    expect(saved).to_contain_text("Sí")
    screenshot(page, "sd-requests", key=True)

    juliaca = page.locator("tbody tr", has_text="Puno")
    juliaca.nth(0).get_by_role("checkbox").check()
    juliaca.nth(1).get_by_role("checkbox").check()
    page.get_by_role("button", name="Fusionar las seleccionadas").click()
    page.get_by_text("fusionadas en la reunión multisectorial").wait_for()
    expect(page.locator("#requests-table")).to_contain_text("multisectorial")
    assert_accessible(page, "requests-after-merge")

    page.get_by_role("link", name="Cálculos").click()
    page.get_by_role("heading", name="Calcular un cronograma").wait_for()
    assert_accessible(page, "runs")
    page.get_by_label("Tiempo máximo de cálculo (segundos)").fill("30")
    page.get_by_role("button", name="Calcular", exact=True).click()
    page.get_by_role("heading", name="Evolución del cálculo").wait_for()
    expect(page.locator("#run-sentence")).to_have_text("Óptimo demostrado", timeout=60_000)
    page.wait_for_selector("#run-chart .uplot")
    expect(page.get_by_role("button", name="Ver el cronograma de este cálculo")).to_be_visible()
    expect(page.locator("#run-gap")).to_have_text("0.0 %")
    assert_accessible(page, "run-live")
    screenshot(page, "sd-solve-live", key=True)

    page.get_by_role("link", name="Volver a los cálculos").click()
    expect(page.locator("tbody")).to_contain_text("Terminado")
    expect(page.locator("tbody")).to_contain_text("reuniones programadas")

    page.set_viewport_size({"width": 768, "height": 1024})
    for name, path in (("requests-tablet", f"{base}/requests"), ("runs-tablet", f"{base}/runs")):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        assert_accessible(page, name)
        screenshot(page, name)
