"""In the browser, as the SD: the editions list, the dashboard, the set-up page and the
review queue (accept one, reject one with a reason, accept many, counters in place,
generate the requests); axe-core on every page, screenshots as artifacts."""

from __future__ import annotations

from typing import Any

import pytest
from web_support import assert_accessible, screenshot

# The live server has its own SQLite file: nothing to repeat in the PostgreSQL pass.
pytestmark = pytest.mark.nodb

expect = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python").expect


def _login_sd(page: Any, live_server: dict[str, Any]) -> None:
    page.goto("/")
    page.get_by_label("Correo electrónico").fill(live_server["accounts"]["sd"])
    page.get_by_label("Contraseña", exact=True).fill(live_server["password"])
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/editions")


def test_editions_dashboard_and_setup(page, live_server):
    _login_sd(page, live_server)
    assert_accessible(page, "editions")
    screenshot(page, "editions", key=True)
    page.get_by_role("link", name="12.º GORE Ejecutivo").click()
    page.get_by_role("heading", name="Listas de temas por delegación").wait_for()
    assert page.get_by_text("3 de 26").is_visible()
    assert_accessible(page, "dashboard")
    screenshot(page, "dashboard", key=True)
    page.get_by_label("Buscar delegación").fill("cus")
    # a function, not an expression: the pages' CSP refuses the eval of a bare expression
    page.wait_for_function("() => document.querySelectorAll('#delegations tbody tr').length === 1")
    assert "Cusco" in page.inner_text("#delegations")
    page.get_by_role("link", name="Configuración").click()
    page.get_by_role("heading", name="Salas").wait_for()
    assert_accessible(page, "setup")
    screenshot(page, "setup", key=True)
    page.get_by_label("Nombre de la sala").fill("Sala multisectorial A")  # exists already
    page.get_by_role("button", name="Agregar sala").click()
    page.get_by_text("Ya existe una sala llamada «Sala multisectorial A»").wait_for()
    assert_accessible(page, "setup-error")


def test_review_queue_flow(page, live_server):
    _login_sd(page, live_server)
    page.goto(f"/editions/{live_server['edition_id']}/review?delegation=CUS")
    counters = page.locator("#counters")
    expect(counters).to_contain_text("5 pendientes")
    assert_accessible(page, "review")
    screenshot(page, "review", key=True)

    row = page.locator("tr", has_text="CUS: Hospital de Quillabamba")
    row.get_by_role("button", name="Aceptar").click()
    row.get_by_text("aceptado", exact=True).wait_for()
    expect(counters).to_contain_text("4 pendientes")

    row = page.locator("tr", has_text="CUS: Plazas de médicos")
    row.get_by_text("Más").click()
    row.get_by_role("button", name="Rechazar").click()  # no reason: the message in the row
    row.get_by_text("Indique el motivo del rechazo.").wait_for()
    assert_accessible(page, "review-row-error")
    row = page.locator("tr", has_text="CUS: Plazas de médicos")
    row.get_by_label("Motivo del rechazo del tema").fill("Ya financiado por el MEF")
    row.get_by_role("button", name="Rechazar").click()
    row.get_by_text("Motivo: Ya financiado por el MEF").wait_for()

    page.get_by_label("Seleccionar todos los temas de la página").check()
    row.get_by_role("checkbox").uncheck()  # the rejected one stays rejected
    page.get_by_role("button", name="Aceptar los temas seleccionados").click()
    page.get_by_text("tema(s) aceptado(s).").wait_for()
    expect(counters).to_contain_text("0 pendientes")
    expect(counters).to_contain_text("4 aceptados")
    expect(counters).to_contain_text("1 rechazado")
    assert_accessible(page, "review-after-bulk")
    screenshot(page, "review-after-bulk")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Generar solicitudes de reunión").click()
    page.get_by_text("solicitudes de reunión.").wait_for()


def test_the_pages_fit_a_tablet(page, live_server):
    _login_sd(page, live_server)
    page.set_viewport_size({"width": 768, "height": 1024})
    edition = live_server["edition_id"]
    for name, path in (
        ("dashboard-tablet", f"/editions/{edition}"),
        ("setup-tablet", f"/editions/{edition}/setup"),
        ("review-tablet", f"/editions/{edition}/review"),
    ):
        page.goto(path)
        # wide tables scroll inside their own box; the page itself never scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        assert_accessible(page, name)
        screenshot(page, name)
