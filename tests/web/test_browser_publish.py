"""In the browser, as the SD: publish a run (late: forced with a reason), the delivery log
("enviar ahora", then "reenviar" on the message just sent), and the follow-up page on the
demo's commitment history; axe-core on every page, screenshots as artifacts.

The publication uses an edition of its own in the live server's database (a succeeded run
of two rooms, first day tomorrow): the demo edition stays in review for the review test.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from sqlmodel import Session
from test_publication_support import make_world, solve_run
from web_support import assert_accessible, screenshot

from app.core.db import make_engine
from app.web.format import LIMA

# The live server has its own SQLite file: nothing to repeat in the PostgreSQL pass.
pytestmark = pytest.mark.nodb

expect = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python").expect


@pytest.fixture(scope="module")
def late_edition(live_server: dict[str, Any]) -> dict[str, int]:
    """An edition in scheduling whose first day is tomorrow, with one succeeded run."""
    engine = make_engine(live_server["database_url"])
    with Session(engine, expire_on_commit=False) as session:
        world = make_world(session, n_delegations=3, tag="P")
        world.edition.name = "13.º GORE Ejecutivo"
        tomorrow = dt.datetime.now(LIMA).date() + dt.timedelta(days=1)
        for i, day in enumerate(sorted(world.edition.days, key=lambda d: d.date)):
            day.date = tomorrow + dt.timedelta(days=i + 30)  # out of the way of the unique key
            session.add(day)
        session.flush()
        for i, day in enumerate(sorted(world.edition.days, key=lambda d: d.date)):
            day.date = tomorrow + dt.timedelta(days=i)
            session.add(day)
        session.add(world.edition)
        session.commit()
        run_id = solve_run(session, world)
        out = {"edition_id": world.edition.id, "run_id": run_id}
    engine.dispose()
    return out


def _login_sd(page: Any, live_server: dict[str, Any]) -> None:
    page.goto("/")
    page.get_by_label("Correo electrónico").fill(live_server["accounts"]["sd"])
    page.get_by_label("Contraseña", exact=True).fill(live_server["password"])
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/editions")


def _reload_until(page: Any, row: str, text: str, tries: int = 40) -> None:
    """The dispatcher runs after the request that kicked it: reload until the row that
    contains `row` shows `text`."""
    for _ in range(tries):
        if text in page.locator("tr", has_text=row).inner_text():
            return
        time.sleep(0.25)
        page.reload()
    raise AssertionError(f"{text!r} never appeared in the delivery log")


def test_publish_forced_then_delivery_log(page, live_server, late_edition):
    _login_sd(page, live_server)
    edition_id = late_edition["edition_id"]
    page.goto(f"/editions/{edition_id}/publish")
    page.get_by_text("El plazo ya pasó").wait_for()
    assert page.get_by_label("Corrida que se publica").input_value() == str(late_edition["run_id"])
    assert_accessible(page, "publish")
    page.get_by_role("button", name="Publicar la versión 1").click()
    page.get_by_text("marque «Forzar» e indique el motivo").first.wait_for()
    page.get_by_label("Forzar la publicación fuera de plazo").check()
    page.get_by_label("Motivo para forzar").fill("La sede se confirmó recién hoy")
    assert_accessible(page, "publish-force")
    page.get_by_role("button", name="Publicar la versión 1").click()
    page.get_by_role("heading", name="Versión vigente: 1").wait_for()
    expect(page.locator("main")).to_contain_text("Motivo: La sede se confirmó recién hoy")
    assert_accessible(page, "publish-done")
    screenshot(page, "sd-publish", key=True)

    page.get_by_role("link", name="Ver el registro de envíos de la versión 1").click()
    page.get_by_role("heading", name="13.º GORE Ejecutivo").wait_for()
    log = page.locator("#deliveries")
    expect(log).to_contain_text("Ministerio de Salud")
    assert log.locator("tbody tr").count() == 5
    row = page.locator("tr", has_text="agenda@minsa.example.pe")
    row.get_by_role("button", name="Enviar ahora").click()
    page.get_by_text("se enviará ahora").wait_for()
    _reload_until(page, "agenda@minsa.example.pe", "enviado")
    row = page.locator("tr", has_text="agenda@minsa.example.pe")
    row.get_by_role("button", name="Reenviar").click()
    page.get_by_text("se reenviará como el mensaje").wait_for()
    assert log.locator("tbody tr").count() == 6
    assert_accessible(page, "deliveries")
    screenshot(page, "sd-deliveries", key=True)

    page.locator("#f-status").select_option("sent")
    page.get_by_role("button", name="Filtrar").click()
    page.wait_for_url("**status=sent")
    assert "en cola" not in log.locator("tbody").inner_text()
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    assert_accessible(page, "deliveries-tablet")


def test_follow_up_page(page, live_server):
    _login_sd(page, live_server)
    page.get_by_role("link", name="Seguimiento").click()
    page.get_by_role("heading", name="Seguimiento de compromisos").wait_for()
    main = page.locator("main")
    expect(main).to_contain_text("5,712")
    expect(main).to_contain_text("4,879")
    expect(page.get_by_role("table", name="Compromisos por estado")).to_contain_text("85.4 %")
    expect(page.get_by_role("heading", name="Compromisos vencidos")).to_be_visible()
    assert_accessible(page, "followup")
    screenshot(page, "sd-followup", key=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar resumen (XLSX)").click()
    assert download.value.suggested_filename.startswith("seguimiento-compromisos-total-")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    assert_accessible(page, "followup-tablet")
