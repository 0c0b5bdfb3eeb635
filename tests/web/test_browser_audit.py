"""In the browser, as the SD: accept a topic, then find that write in the audit log page
(navigation link, filters swapped in place by HTMX, the XLSX download); axe-core on it."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from web_support import assert_accessible, screenshot

# The live server has its own SQLite file: nothing to repeat in the PostgreSQL pass.
pytestmark = pytest.mark.nodb

expect = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python").expect


def test_the_audit_log_shows_who_accepted_a_topic(page, live_server):
    sd = live_server["accounts"]["sd"]
    page.goto("/")
    page.get_by_label("Correo electrónico").fill(sd)
    page.get_by_label("Contraseña", exact=True).fill(live_server["password"])
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/editions")

    page.goto(f"/editions/{live_server['edition_id']}/review?delegation=PUN")
    row = page.locator("tr", has_text="PUN: Corredor vial y postas")
    row.get_by_role("button", name="Aceptar").click()
    row.get_by_text("aceptado", exact=True).wait_for()

    page.get_by_role("link", name="Auditoría").click()
    page.get_by_role("heading", name="Registro de auditoría").wait_for()
    assert_accessible(page, "audit")
    table = page.locator("#audit-table")
    page.get_by_label("Actor (clave o correo)").fill(sd)
    page.get_by_role("button", name="Filtrar").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("cambio")
    expect(table).to_contain_text("accepted")
    page.locator("#f-objeto").select_option("edition")  # HTMX: the table alone changes
    expect(table).to_contain_text("No hay registros con estos filtros.")
    page.locator("#f-objeto").select_option("topic")
    page.wait_for_url("**objeto=topic**")
    expect(table).to_contain_text("accepted")
    expect(table.locator("tbody tr")).to_have_count(1)
    assert_accessible(page, "audit-filtered")
    screenshot(page, "audit", key=True)

    with page.expect_download() as info:
        page.get_by_role("button", name="Descargar XLSX").click()
    path = info.value.path()
    rows = list(load_workbook(io.BytesIO(path.read_bytes())).active.iter_rows(values_only=True))
    assert [(r[3], r[6], r[8]) for r in rows[1:]] == [(sd, "topic", "cambio")]
