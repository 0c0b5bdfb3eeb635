"""The SD's whole journey in the browser, by clicking only: log in, open an edition, move it
to review from the dashboard, accept the topics in bulk, generate the meeting requests, move
to scheduling, solve from the runs page and watch the live page reach "Óptimo demostrado",
open the grid, try a move onto a busy minister (the Spanish conflict), move somewhere legal,
publish (before the delivery window: the e-mails wait for it; forcing a late
publication is test_browser_publish's) and read the delivery log.
axe-core on every page; a screenshot of each step as an artifact (the key ones in
docs/screenshots/ with ARTICULA_SCREENSHOTS_TO_DOCS=1).

The edition is one of its own in the live server's database (four demo regions that
submitted the sample list, three sectors, three rooms), built like the demo's but still
open for submissions: the demo edition stays in review for the other browser tests.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

import pytest
from factories import add_participants, create_edition
from sqlmodel import Session, select
from test_submissions_support import INSIDE, sample_list
from web_support import assert_accessible, screenshot

from app.access.models import Role
from app.access.principal import Principal
from app.core.db import make_engine
from app.editions.models import Delegation, Room, Sector
from app.submissions.models import TopicListIn
from app.submissions.service import submit_topics

# The live server has its own SQLite file: nothing to repeat in the PostgreSQL pass.
pytestmark = pytest.mark.nodb

expect = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python").expect

NAME = "14.º GORE Ejecutivo"
CODES = ("CUS", "JUN", "PUN", "ARE")
SECTORS = ("MINSA", "MINEDU", "MTC")
_MOVE_LINK = re.compile(r"Mover o fijar la reunión de (\w+) con ([\w, ]+) de las (\d\d:\d\d)")


@pytest.fixture(scope="module")
def open_edition(live_server: dict[str, Any]) -> None:
    """An edition open for submissions where four demo regions sent the sample list."""
    engine = make_engine(live_server["database_url"])
    with Session(engine, expire_on_commit=False) as session:
        edition = create_edition(session, status="open_for_submissions", name=NAME)
        delegations = session.exec(select(Delegation).where(Delegation.code.in_(CODES))).all()  # type: ignore[attr-defined]
        sectors = session.exec(select(Sector).where(Sector.code.in_(SECTORS))).all()  # type: ignore[attr-defined]
        add_participants(session, edition, list(delegations), list(sectors))
        session.add_all(
            Room(edition_id=edition.id, name=name, capacity=20)
            for name in ("Sala Pachacútec", "Sala Túpac Amaru", "Sala Micaela Bastidas")
        )
        for d in delegations:
            submit_topics(
                session=session,
                edition=edition,
                delegation=d,
                topics_in=TopicListIn.model_validate(sample_list(f"{d.code}: ")),
                principal=Principal(
                    key_id=0, role=Role.delegation, name=d.code, delegation_id=d.id
                ),
                now=INSIDE,
            )
        session.commit()
    engine.dispose()


def _step(page: Any, name: str, *, key: bool = False) -> None:
    assert_accessible(page, f"journey-{name}")
    screenshot(page, f"journey-{name}", key=key)


def _move_links(page: Any) -> list[tuple[str, str, str]]:
    """(delegation, sectors, start) of every "Mover o fijar" link of the grid."""
    names = page.locator("a.small-link").evaluate_all("(as) => as.map(a => a.textContent)")
    return [m.groups() for n in names if (m := _MOVE_LINK.search(" ".join(n.split())))]


def _checks(response: Any, start: str, room: str) -> bool:
    """The answer to checking the move to `start` in `room` (the form's own request)."""
    sent = parse_qs(response.request.post_data or "")
    return (
        response.url.endswith("/check")
        and sent.get("start") == [start]
        and sent.get("room_id") == [room]
    )


def test_the_sd_journey_from_review_to_the_delivery_log(page, live_server, open_edition):
    page.goto("/")
    _step(page, "login")
    page.get_by_label("Correo electrónico").fill(live_server["accounts"]["sd"])
    page.get_by_label("Contraseña", exact=True).fill(live_server["password"])
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/editions")
    _step(page, "editions")

    page.get_by_role("link", name=NAME).click()
    page.get_by_role("heading", name="Listas de temas por delegación").wait_for()
    expect(page.locator("main")).to_contain_text("4 de 4")
    _step(page, "dashboard")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Pasar a «revisión»").click()
    expect(page.locator("#estado")).to_contain_text("revisión")
    _step(page, "dashboard-in-review")

    page.get_by_role("link", name="Revisión de temas").click()
    counters = page.locator("#counters")
    expect(counters).to_contain_text("20 pendientes")
    _step(page, "review")
    page.get_by_label("Seleccionar todos los temas de la página").check()
    page.get_by_role("button", name="Aceptar los temas seleccionados").click()
    page.get_by_text("tema(s) aceptado(s).").wait_for()
    expect(counters).to_contain_text("0 pendientes")
    expect(counters).to_contain_text("20 aceptados")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Generar solicitudes de reunión").click()
    page.get_by_text("solicitudes de reunión.").wait_for()
    _step(page, "review-accepted", key=True)

    page.get_by_role("link", name="Tablero").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Pasar a «programación»").click()
    expect(page.locator("#estado")).to_contain_text("programación")

    page.get_by_role("link", name="Solicitudes").click()
    expect(page.locator("#requests-table")).to_contain_text("Gobierno Regional del Cusco")
    _step(page, "requests")

    page.get_by_role("link", name="Cálculos").click()
    page.get_by_role("heading", name="Calcular un cronograma").wait_for()
    _step(page, "runs")
    page.get_by_label("Tiempo máximo de cálculo (segundos)").fill("60")
    page.get_by_role("button", name="Calcular", exact=True).click()
    page.get_by_role("heading", name="Evolución del cálculo").wait_for()
    expect(page.locator("#run-sentence")).to_have_text("Óptimo demostrado", timeout=90_000)
    page.wait_for_selector("#run-chart .uplot")
    _step(page, "solve-live", key=True)

    page.get_by_role("button", name="Ver el cronograma de este cálculo").click()
    page.get_by_role("heading", name=re.compile(r"Cálculo N\.º \d+")).wait_for()
    _step(page, "schedule-grid", key=True)
    links = _move_links(page)
    mine = next(link for link in links if link[0] == "CUS" and link[1] == "MINSA")
    busy = next(link for link in links if link[1] == "MINSA" and link[0] != "CUS")
    page.get_by_role(
        "link", name=re.compile(f"Mover o fijar la reunión de CUS con MINSA de las {mine[2]}")
    ).click()
    page.get_by_role(
        "heading", name=re.compile("Reunión de Gobierno Regional del Cusco")
    ).wait_for()
    page.get_by_label("Hora").select_option(busy[2])
    page.get_by_role("button", name="Comprobar").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"Ministerio de Salud ya tiene una reunión a las {busy[2]}")
    expect(page.get_by_role("button", name="Guardar")).to_have_count(0)
    _step(page, "schedule-conflict", key=True)

    # a legal place: the first start and room the page itself calls legal
    starts = (
        page.get_by_label("Hora")
        .locator("option")
        .evaluate_all("(os) => os.map(o => o.value).filter(v => v)")
    )
    rooms = (
        page.get_by_label("Sala")
        .locator("option")
        .evaluate_all("(os) => os.map(o => o.value).filter(v => v)")
    )
    found = False
    for start in starts:
        if start in (mine[2], busy[2]):
            continue
        page.get_by_label("Hora").select_option(start)
        for room in rooms:
            page.get_by_label("Sala").select_option(room)
            with page.expect_response(lambda r, s=start, m=room: _checks(r, s, m)) as checked:
                page.get_by_role("button", name="Comprobar").click()
            if "El movimiento cumple todas las reglas." in checked.value.text():
                found = True
                break
        if found:
            break
    assert found, "no legal place for the CUS-MINSA meeting"
    expect(page.get_by_text("El movimiento cumple todas las reglas.")).to_be_visible()
    page.get_by_role("button", name="Guardar").click()
    page.get_by_text("Se guardó el ajuste como el cálculo").wait_for()
    expect(page.locator("body")).to_contain_text("Movida: antes")
    _step(page, "schedule-after-move")

    page.get_by_role("link", name="Publicación").click()
    # the window opens 5 days before the first day (years away): nothing to force, the
    # e-mails wait in the queue for it
    expect(page.locator("main")).to_contain_text("Todavía no empieza el plazo")
    _step(page, "publish")
    page.get_by_role("button", name="Publicar la versión 1").click()
    page.get_by_role("heading", name="Versión vigente: 1").wait_for()
    expect(page.locator("main")).to_contain_text("programado")
    _step(page, "publish-done", key=True)

    page.get_by_role("link", name="Ver el registro de envíos de la versión 1").click()
    page.get_by_role("heading", name=NAME).wait_for()
    log = page.locator("#deliveries")
    expect(log).to_contain_text("Ministerio de Salud")
    expect(log).to_contain_text("Gobierno Regional del Cusco")
    _step(page, "deliveries", key=True)
