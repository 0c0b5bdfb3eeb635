"""In the browser, as the parties of an edition: Cusco submits its topic list with the form
and later sees the SD's outcome and its requested meeting left out with the reason; MINSA
downloads its agenda, subscribes to the calendar feed and adds evidence to a commitment; a
rapporteur records a meeting with two commitments. axe-core on every page.

The server is its own uvicorn over a demo database (the submission window is open now).
Between the journeys the test plays the SD directly on that database: review, requests, a
publication whose day is yesterday (so the meeting has started) with one request left out.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from dbutil import sqlite_url
from sqlmodel import Session, col, select
from web_support import PASSWORD, assert_accessible, make_user, screenshot

from app.access.models import Role
from app.access.principal import Principal
from app.agendas.delivery import publish_meetings
from app.core import clock
from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrations import upgrade
from app.demo import load_demo
from app.editions.models import (
    Delegation,
    Edition,
    EditionStatus,
    RapporteurAssignment,
    Room,
    Sector,
)
from app.editions.service import transition
from app.scheduling.models import MeetingRequest, MeetingRequestSector, RunStatus, SolveRun
from app.scheduling.plan import PlannedMeeting
from app.scheduling.service import bilateral_grid, generate_requests
from app.submissions.service import accept_topic, list_topics, reject_topic

pytestmark = pytest.mark.nodb
LIMA = ZoneInfo("America/Lima")
REASON = "Corresponde al MEF; se verá en la mesa técnica de presupuesto."
LEFT_OUT = (
    "La agenda de MINEDU está llena: tiene 0 turnos libres y 9 reuniones de igual o mayor "
    "prioridad."
)
SECRET = "clave-secreta-de-las-pruebas-de-las-partes-0123456789"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def parties_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("parties")
    url = sqlite_url(folder, "parties.db")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        load_demo(session=session)
        session.commit()
        cusco = session.exec(select(Delegation).where(Delegation.code == "CUS")).one()
        minsa = session.exec(select(Sector).where(Sector.code == "MINSA")).one()
        accounts = {
            "delegation": make_user(
                session, Role.delegation, email="cusco.partes@gob.example", delegation_id=cusco.id
            ).email,
            "sector": make_user(
                session, Role.sector, email="minsa.partes@gob.example", sector_id=minsa.id
            ).email,
        }
        relator = make_user(session, Role.rapporteur, email="relator.partes@pcm.gob.example")
        accounts["rapporteur"] = relator.email
    engine.dispose()
    port = _free_port()
    env = os.environ | {
        "ARTICULA_DATABASE_URL": url,
        "ARTICULA_SECRET_KEY": SECRET,
        "ARTICULA_JOBS_PERIODIC": "false",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=folder,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield {
            "url": base,
            "database_url": url,
            "accounts": accounts,
            "rapporteur_key": relator.key_id,
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def party_page(browser: Any, parties_server: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(
        base_url=parties_server["url"],
        viewport={"width": 1280, "height": 900},
        locale="es-PE",
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _login(page: Any, email: str) -> None:
    page.goto("/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(lambda url: not url.endswith(":0/") and "/inicio" not in url)


def _play_the_sd(url: str, rapporteur_key: int) -> None:
    """Review (one topic rejected), requests, and a publication dated yesterday in which
    Cusco's MINSA meeting is placed and its MINEDU request is left out."""
    engine = make_engine(url)
    sd = Principal(key_id=0, role=Role.sd_admin, name="SD de prueba")
    now = clock.now()
    with Session(engine, expire_on_commit=False) as s:
        edition = s.exec(select(Edition)).one()
        transition(session=s, edition=edition, to_status=EditionStatus.in_review)
        topics = list_topics(
            session=s,
            edition=edition,
            principal=sd,
            delegation_code="CUS",
            sector_code=None,
            status=None,
            limit=500,
            offset=0,
        ).items
        for t in topics:
            if t.title.startswith("Plazas"):
                reject_topic(
                    session=s, edition=edition, topic_id=t.id, reason=REASON, principal=sd, now=now
                )
            else:
                accept_topic(session=s, edition=edition, topic_id=t.id, principal=sd, now=now)
        transition(session=s, edition=edition, to_status=EditionStatus.scheduling)
        generate_requests(session=s, edition=edition, replace=True, now=now)
        yesterday = now.astimezone(LIMA).date() - dt.timedelta(days=1)
        first = min(d.date for d in edition.days)
        for day in edition.days:  # the edition took place yesterday
            day.date = yesterday + (day.date - first)
            s.add(day)
        s.flush()
        cusco = s.exec(select(Delegation).where(Delegation.code == "CUS")).one()
        sectors = dict(s.exec(select(Sector.id, Sector.code)).all())
        requests = s.exec(
            select(MeetingRequest)
            .where(
                MeetingRequest.edition_id == edition.id, MeetingRequest.delegation_id == cusco.id
            )
            .order_by(col(MeetingRequest.id))
        ).all()
        codes = {
            r.id: {
                sectors[x]
                for x in s.exec(
                    select(MeetingRequestSector.sector_id).where(
                        MeetingRequestSector.request_id == r.id
                    )
                ).all()
            }
            for r in requests
        }
        placed = next(rid for rid, c in codes.items() if c == {"MINSA"})
        left_out = next(rid for rid, c in codes.items() if c == {"MINEDU"})
        slot = bilateral_grid(session=s, edition=edition)[0]
        room = s.exec(select(Room).where(Room.edition_id == edition.id)).first()
        start = dt.datetime.combine(slot.date, slot.start, LIMA)
        plan = [
            PlannedMeeting(
                placed, room.id, start, start + dt.timedelta(minutes=edition.slot_minutes)
            )
        ]
        run = SolveRun(
            edition_id=edition.id,
            status=RunStatus.succeeded,
            created_by="prueba",
            assignments=[m.to_json() for m in plan],
            result={
                "status": "FEASIBLE",
                "unscheduled": [
                    {
                        "request_id": left_out,
                        "code": "party_capacity",
                        "reason": "MINEDU is full",
                        "detail": LEFT_OUT,
                    }
                ],
            },
        )
        s.add(run)
        s.flush()
        publish_meetings(
            session=s,
            edition=edition,
            meetings=plan,
            published_by="SD",
            now=now,
            settings=Settings(database_url=url, _env_file=None),  # type: ignore[call-arg]
            run_id=run.id,
            force=True,
            reason="Prueba de las páginas de las partes",
        )
        s.add(
            RapporteurAssignment(
                edition_id=edition.id, request_id=placed, key_id=rapporteur_key, assigned_by="SD"
            )
        )
        s.commit()
    engine.dispose()


def test_the_parties_do_their_part_of_an_edition(party_page: Any, parties_server: dict[str, Any]):
    page, accounts = party_page, parties_server["accounts"]
    page.on("dialog", lambda dialog: dialog.accept())

    # ------------------------------------------------------------------ Cusco submits
    _login(page, accounts["delegation"])
    page.wait_for_url("**/delegations/CUS")
    assert_accessible(page, "delegation-home")
    page.locator("article h2 a").first.click()
    page.get_by_text("Calendario y plazos").wait_for()
    assert "cierra en" in page.locator("#countdown").inner_text()
    assert_accessible(page, "delegation-edition")
    page.get_by_role("button", name="Editar la lista de temas").click()
    page.locator("#t0-title").fill("Hospital de Quillabamba")
    page.locator("#t0-kind").select_option("investment_project")
    page.locator("#t0-cui").type("12")
    assert page.locator("#t0-cui").get_attribute("aria-invalid") == "true"
    assert "7 dígitos" in page.locator("#t0-cui-error").inner_text()
    page.locator("#t0-cui").fill("")
    page.locator("#t0-cui").type("2345678")
    assert page.locator("#t0-cui").get_attribute("aria-invalid") == "false"
    page.locator("#t0-amount").fill("150000000.00")
    page.locator("#t0-rank-MINSA").fill("1")
    page.get_by_role("button", name="Agregar tema").click()
    page.locator("#t1-title").fill("Plazas de médicos especialistas")
    page.locator("#t1-kind").select_option("budget_request")
    page.locator("#t1-rank-MINSA").fill("2")
    page.get_by_role("button", name="Agregar tema").click()
    page.locator("#t2-title").fill("Colegio emblemático de Sicuani")
    page.locator("#t2-kind").select_option("other")
    page.locator("#t2-rank-MINEDU").fill("1")
    assert_accessible(page, "delegation-topics")
    screenshot(page, "delegation-topics", key=True)
    page.get_by_role("button", name="Guardar como nueva versión").click()
    page.get_by_text("Lista de temas guardada como versión 1.").wait_for()
    page.get_by_role("link", name="Versiones").click()
    page.get_by_role("heading", name="Versiones de la lista de temas").wait_for()
    assert_accessible(page, "delegation-versions")

    # ------------------------------------------------------------------ the SD reviews, publishes
    _play_the_sd(parties_server["database_url"], parties_server["rapporteur_key"])

    page.get_by_role("link", name="Resumen y agenda").click()
    page.get_by_text(f"Motivo: {REASON}").wait_for()
    page.get_by_text(LEFT_OUT).wait_for()
    page.get_by_role("heading", name="Su agenda (versión 1)").wait_for()
    assert_accessible(page, "delegation-outcome")
    screenshot(page, "delegation-outcome")
    page.get_by_role("button", name="Cerrar sesión").click()
    page.get_by_text("Cerró su sesión.").wait_for()

    # ------------------------------------------------------------------ MINSA
    _login(page, accounts["sector"])
    page.wait_for_url("**/sectors/MINSA")
    assert_accessible(page, "ministry-home")
    feed = page.locator("#feed-url").input_value()
    calendar = httpx.get(feed)
    assert calendar.status_code == 200 and "BEGIN:VCALENDAR" in calendar.text
    assert "Cusco" in calendar.text
    page.locator("article h2 a").first.click()
    page.get_by_text("Hospital de Quillabamba").first.wait_for()
    assert_accessible(page, "ministry-agenda")
    screenshot(page, "ministry-agenda", key=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_role("link", name="Compromisos").click()
    page.locator("table tbody tr td a").first.click()
    page.get_by_role("heading", name="Evidencia").wait_for()
    assert_accessible(page, "ministry-commitment")
    page.get_by_label("Enlace").fill("https://www.gob.pe/minsa/resolucion-45")
    page.get_by_label("Descripción").fill("Resolución ministerial")
    page.get_by_role("button", name="Agregar evidencia").click()
    page.get_by_text("Evidencia agregada.").wait_for()
    page.locator("#f-file").set_input_files(
        files=[{"name": "oficio.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Agregar evidencia").click()
    page.get_by_role("link", name="oficio.pdf").wait_for()
    assert_accessible(page, "ministry-evidence")
    page.get_by_role("button", name="Cerrar sesión").click()
    page.get_by_text("Cerró su sesión.").wait_for()

    # ------------------------------------------------------------------ the rapporteur
    _login(page, accounts["rapporteur"])
    page.wait_for_url("**/rapporteur")
    assert_accessible(page, "rapporteur-home")
    page.get_by_role("link", name="Registrar").first.click()
    page.get_by_label("Acuerdos").fill("Se priorizó el saldo de obra del hospital.")
    page.get_by_role("button", name="Guardar borrador").click()
    page.get_by_text("Relatoría guardada como borrador.").wait_for()
    for description, responsible, kind, amount in (
        ("Transferir el saldo de obra", "MINSA · Ministerio de Salud", "budgetary", "1500000"),
        ("Mesa técnica del expediente", "MINSA y CUS (ambos)", "technical", ""),
    ):
        page.get_by_label("Compromiso", exact=True).fill(description)
        page.locator("#f-responsible").select_option(label=responsible)
        page.get_by_label("Plazo").fill("2030-06-30")
        page.locator("#f-type").select_option(kind)
        page.locator("#f-amount").fill(amount)
        page.get_by_role("button", name="Registrar compromiso").click()
        page.get_by_text("Compromiso registrado.").wait_for()
    page.get_by_role("heading", name="Compromisos (2)").wait_for()
    assert_accessible(page, "rapporteur-record")
    screenshot(page, "rapporteur-record", key=True)
    page.get_by_role("button", name="Guardar y cerrar").click()
    page.get_by_text("Relatoría guardada y cerrada.").wait_for()
