"""In the browser: log in with the keyboard only, the pages pass axe-core, log out."""

from __future__ import annotations

import pytest
from web_support import assert_accessible, screenshot

# The live server has its own SQLite file: nothing to repeat in the PostgreSQL pass.
pytestmark = pytest.mark.nodb


def test_login_with_the_keyboard_and_logout(page, live_server):
    page.goto("/")
    assert_accessible(page, "login")
    screenshot(page, "login", key=True)
    assert page.evaluate("document.activeElement.id") == "f-email"  # autofocus
    page.keyboard.type(live_server["accounts"]["sd"])
    page.keyboard.press("Tab")
    page.keyboard.type("no-es-la-clave")
    page.keyboard.press("Enter")
    page.get_by_text("Correo o contraseña incorrectos.").wait_for()
    assert_accessible(page, "login-error")
    page.get_by_label("Contraseña", exact=True).fill(live_server["password"])
    page.get_by_label("Contraseña", exact=True).press("Enter")
    page.wait_for_url("**/editions")
    page.get_by_role("button", name="Cerrar sesión").click()
    page.get_by_text("Cerró su sesión.").wait_for()


def test_change_password_page_is_accessible(page, live_server):
    page.goto("/")
    page.get_by_label("Correo electrónico").fill(live_server["accounts"]["delegation"])
    page.get_by_label("Contraseña", exact=True).fill(live_server["password"])
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/delegations/CUS")
    assert_accessible(page, "home")
    page.goto("/password")
    page.get_by_role("heading", name="Cambiar contraseña").wait_for()
    page.get_by_label("Contraseña actual", exact=True).fill("incorrecta-123")
    page.get_by_label("Nueva contraseña", exact=True).fill("nueva-clave-larga-1")
    page.get_by_label("Repita la nueva contraseña").fill("nueva-clave-larga-1")
    page.get_by_role("button", name="Cambiar contraseña").click()
    page.get_by_text("La contraseña actual no es correcta.").wait_for()
    assert_accessible(page, "password-error")
    screenshot(page, "password-error")
