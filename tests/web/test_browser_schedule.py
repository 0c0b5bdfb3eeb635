"""In the browser, as the SD: the schedule grid of a solved GORE-like edition, a move onto
a busy minister refused with the Spanish reason, a legal move saved as a new run and shown
compared with the old one; keyboard-only (a form, no drag and drop); axe-core on each page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from factories import add_participants, create_edition
from sqlmodel import Session, select
from test_submissions_support import INSIDE, sample_list
from web_support import assert_accessible, screenshot

import solver
from app.access.models import Role
from app.access.principal import Principal
from app.core import clock
from app.core.db import make_engine
from app.editions.models import Delegation, EditionStatus, Room, Sector
from app.editions.service import transition
from app.scheduling import adjust
from app.scheduling.grid import schedule_grid
from app.scheduling.mapping import build_instance
from app.scheduling.models import RunStatus, SolveRun
from app.scheduling.service import generate_requests
from app.submissions.models import TopicListIn
from app.submissions.service import accept_topic, list_topics, submit_topics

pytestmark = pytest.mark.nodb

expect = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python").expect

CODES = ("CUS", "JUN", "PUN", "ARE", "PIU", "LOR")
SD = Principal(key_id=0, role=Role.sd_admin, name="SD")


@pytest.fixture(scope="module")
def solved(live_server: dict[str, Any]) -> dict[str, Any]:
    """A second edition in the live database (the demo's stays in review for the other
    tests): six demo regions submit the sample list, the SD accepts it all, generates the
    requests and a run solves them; with the CUS-MINSA meeting, a busy and a legal target."""
    engine = make_engine(live_server["database_url"])
    with Session(engine, expire_on_commit=False) as session:
        edition = create_edition(
            session, status="open_for_submissions", name="Edición de prueba del cronograma"
        )
        delegations = session.exec(select(Delegation).where(Delegation.code.in_(CODES))).all()  # type: ignore[attr-defined]
        sectors = session.exec(
            select(Sector).where(Sector.code.in_(("MINSA", "MINEDU", "MTC")))  # type: ignore[attr-defined]
        ).all()
        add_participants(session, edition, list(delegations), list(sectors))
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
        transition(session=session, edition=edition, to_status=EditionStatus.in_review)
        for t in list_topics(
            session=session, edition=edition, principal=SD, limit=500, offset=0
        ).items:
            accept_topic(
                session=session, edition=edition, topic_id=t.id, principal=SD, now=clock.now()
            )
        transition(session=session, edition=edition, to_status=EditionStatus.scheduling)
        session.add_all(
            [Room(edition_id=edition.id, name=f"Sala {i}", capacity=20) for i in (1, 2, 3, 4)]
        )
        session.flush()
        generate_requests(session=session, edition=edition, replace=False, now=clock.now())
        options = {"time_limit_s": 5, "workers": 1}
        instance, slot_map = build_instance(session=session, edition=edition, options_in=options)
        solution = solver.solve(instance)
        planned = slot_map.to_planned(solution)
        run = SolveRun(
            edition_id=edition.id,
            status=RunStatus.succeeded,
            options=options,
            result={
                "status": solution.status.value,
                "scheduled_weight": solution.scheduled_weight,
                "breaks": solution.breaks,
                "seconds": 1.0,
                "stages": [],
                "conflicts": [],
                "unscheduled": [],
            },
            assignments=[m.to_json() for m in planned],
            created_by="test",
            created_at=clock.now(),
            finished_at=clock.now(),
        )
        session.add(run)
        session.commit()
        grid = schedule_grid(session=session, edition=edition, run_id=run.id)
        cus = next(
            c
            for c in grid.cards
            if c.delegation.code == "CUS" and [s.code for s in c.sectors] == ["MINSA"]
        )
        busy = next(
            c
            for c in grid.cards
            if "MINSA" in [s.code for s in c.sectors] and c.delegation.code != "CUS"
        )
        legal = None
        for t in grid.times[cus.day]:
            for room_id, _ in grid.rooms:
                target = adjust.MoveTarget(cus.request_id, cus.day, t, room_id)
                if (t, room_id) != (cus.start, cus.room_id) and adjust.check_move(
                    session=session, edition=edition, run_id=run.id, target=target
                ).legal:
                    legal = (t, room_id)
                    break
            if legal:
                break
        assert legal is not None
        rooms = dict(grid.rooms)
        out = {
            "edition_id": edition.id,
            "run_id": run.id,
            "cus_start": f"{cus.start:%H:%M}",
            "busy_start": f"{busy.start:%H:%M}",
            "busy_room": rooms[busy.room_id],
            "legal_start": f"{legal[0]:%H:%M}",
            "legal_room": rooms[legal[1]],
        }
    engine.dispose()
    return out


def _login_sd(page: Any, live_server: dict[str, Any]) -> None:
    page.goto("/")
    page.get_by_label("Correo electrónico").fill(live_server["accounts"]["sd"])
    page.get_by_label("Contraseña", exact=True).fill(live_server["password"])
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/editions")


def test_move_a_meeting_onto_a_busy_minister_then_somewhere_legal(page, live_server, solved):
    _login_sd(page, live_server)
    page.goto(f"/editions/{solved['edition_id']}/schedule")
    page.get_by_role("heading", name=f"Cálculo N.º {solved['run_id']}").wait_for()
    assert_accessible(page, "schedule-grid")
    screenshot(page, "sd-schedule-grid", key=True)

    page.get_by_role(
        "link",
        name=re.compile(f"Mover o fijar la reunión de CUS con MINSA de las {solved['cus_start']}"),
    ).click()
    page.get_by_role(
        "heading", name=re.compile("Reunión de Gobierno Regional del Cusco")
    ).wait_for()
    # keyboard only: the fields are plain selects
    page.get_by_label("Hora").focus()
    page.get_by_label("Hora").select_option(solved["busy_start"])
    page.get_by_label("Sala").select_option(label=solved["busy_room"])
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        f"Ministerio de Salud ya tiene una reunión a las {solved['busy_start']}"
    )
    expect(page.get_by_role("button", name="Guardar")).to_have_count(0)
    assert_accessible(page, "schedule-conflict")
    screenshot(page, "sd-schedule-conflict", key=True)

    page.get_by_label("Hora").select_option(solved["legal_start"])
    page.get_by_label("Sala").select_option(label=solved["legal_room"])
    page.get_by_text("El movimiento cumple todas las reglas.").wait_for()
    page.wait_for_load_state("networkidle")  # the check of the last change has answered
    page.get_by_role("button", name="Guardar").press("Enter")
    page.get_by_text("Se guardó el ajuste como el cálculo").wait_for()
    expect(page.locator("body")).to_contain_text("Movida: antes")
    expect(page.locator("body")).to_contain_text(f"Ajuste sobre el cálculo N.º {solved['run_id']}")
    assert_accessible(page, "schedule-after-move")
    screenshot(page, "schedule-after-move")
