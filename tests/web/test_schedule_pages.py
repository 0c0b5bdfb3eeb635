"""The schedule pages over HTTP: the grid by room, sector and delegation with day tabs, the
unscheduled requests with their reasons, the comparison of two runs, moving a meeting
(conflicts in Spanish before anything is saved, a legal move saved as a new run), pinning,
and the HTML 404 for foreign or missing objects."""

from __future__ import annotations

import re

import pytest
from adjust_support import add_run, solved_edition
from factories import create_edition
from sqlmodel import Session, col, func, select
from web_support import csrf_of

from app.access.models import Role
from app.scheduling.models import MeetingRequest, RunMode, SolveRun

HX = {"HX-Request": "true"}


@pytest.fixture
def solved(session):
    return solved_edition(session)


def _runs(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(SolveRun)).one()


def _meeting_url(solved, key: str, run_id: int | None = None) -> str:
    run_id = run_id or solved.run.id
    return f"/editions/{solved.edition.id}/schedule/{run_id}/meetings/{solved.requests[key].id}"


def _cells(html: str) -> list[str]:
    return re.findall(r'<article class="meeting-card[^"]*" id="meeting-(\d+)"', html)


def test_the_grid_by_room_sector_and_delegation(login_as, session, solved):
    sd = login_as(Role.sd_admin)
    base = f"/editions/{solved.edition.id}/schedule"
    page = sd.get(base)  # the newest succeeded run
    assert page.status_code == 200
    assert f"Cálculo N.º {solved.run.id}" in page.text
    assert "<strong>4</strong> reuniones programadas" in page.text
    assert '<th scope="col">10:00</th>' in page.text and '<th scope="col">17:40</th>' in page.text
    assert '<th scope="row">Sala 1</th>' in page.text
    assert len(_cells(page.text)) == 4
    d0, s0 = solved.delegations[0], solved.sectors[0]
    assert f"<strong>{d0.code}</strong> · {s0.code}" in page.text
    assert "El cálculo programó todas las solicitudes." in page.text
    by_sector = sd.get(f"{base}?run={solved.run.id}&view=sector")
    assert f'<abbr title="Ministerio de Salud">{s0.code}</abbr>' in by_sector.text
    assert len(_cells(by_sector.text)) == 4
    by_delegation = sd.get(f"{base}?run={solved.run.id}&view=delegation")
    assert f'<abbr title="Gobierno Regional del Cusco">{d0.code}</abbr>' in by_delegation.text
    other_day = sd.get(f"{base}?run={solved.run.id}&day=2030-03-02")  # no bilaterals: day 1
    assert other_day.status_code == 200 and len(_cells(other_day.text)) == 4


def test_unscheduled_requests_show_their_spanish_reason(login_as, session, solved):
    r = solved.requests
    run = add_run(session, solved.edition, [(r["00"], "10:00", solved.rooms[0])])
    run.result = run.result | {
        "unscheduled": [
            {
                "request_id": r["11"].id,
                "code": "no_common_slot",
                "reason": "no common slot",
                "detail": "Las partes no tienen un turno libre en común.",
            }
        ]
    }
    session.add(run)
    session.commit()
    sd = login_as(Role.sd_admin)
    page = sd.get(f"/editions/{solved.edition.id}/schedule?run={run.id}")
    assert "<strong>1</strong> sin programar" in page.text
    assert "Las partes no tienen un turno libre en común." in page.text
    assert f'Programar a mano<span class="visually-hidden"> la solicitud {r["11"].id}' in page.text


def test_compare_marks_moved_added_and_dropped_in_words(login_as, session, solved):
    r, rooms = solved.requests, solved.rooms
    other = add_run(
        session,
        solved.edition,
        [
            (r["00"], "10:00", rooms[0]),
            (r["11"], "10:00", rooms[1]),
            (r["01"], "11:00", rooms[2]),  # moved
        ],  # 10 dropped relative to the base run
    )
    sd = login_as(Role.sd_admin)
    page = sd.get(f"/editions/{solved.edition.id}/schedule?run={solved.run.id}&compare={other.id}")
    assert page.status_code == 200
    assert (
        "<strong>1</strong> movida(s), <strong>1</strong> nueva(s), <strong>0</strong>" in page.text
    )
    assert "Movida: antes 01/03 11:00 en Sala 3" in page.text
    assert "Nueva: no estaba en el cálculo comparado" in page.text
    back = sd.get(f"/editions/{solved.edition.id}/schedule?run={other.id}&compare={solved.run.id}")
    assert "Retiradas frente al cálculo" in back.text and "Retirada: " in back.text


def test_a_conflicting_move_is_explained_and_nothing_is_saved(login_as, session, solved):
    sd = login_as(Role.sd_admin)
    url = _meeting_url(solved, "10")
    page = sd.get(url)
    assert page.status_code == 200
    assert "Gobierno Regional de Junín con Ministerio de Salud" in page.text
    assert '<label for="f-start">Hora' in page.text  # a form, no drag and drop
    token = csrf_of(sd, url)
    busy = {
        "csrf_token": token,
        "day": "2030-03-01",
        "start": "10:00",
        "room_id": solved.rooms[0].id,
    }
    before = _runs(session)
    r = sd.post(f"{url}/check", data=busy, headers=HX | {"HX-Target": "move-result"})
    assert r.status_code == 200 and "<html" not in r.text
    assert (
        "Ministerio de Salud ya tiene una reunión a las 10:00 con Gobierno Regional del" in r.text
    )
    assert "La Sala 1 ya está ocupada a las 10:00" in r.text
    assert "Guardar" not in r.text
    forced = sd.post(f"{url}/move", data=busy)  # posted anyway: refused, with the reasons
    assert forced.status_code == 409 and "No se puede mover ahí" in forced.text
    assert _runs(session) == before
    off = sd.post(f"{url}/check", data=busy | {"start": "13:20"})
    assert off.status_code == 422 and "no empieza un turno de bilaterales" in off.text
    nonsense = sd.post(f"{url}/check", data=busy | {"room_id": "x"})
    assert nonsense.status_code == 422 and "Elija la sala de la reunión." in nonsense.text


def test_a_legal_move_is_saved_as_a_new_run_and_shown_compared(login_as, session, solved):
    sd = login_as(Role.sd_admin)
    url = _meeting_url(solved, "10")
    token = csrf_of(sd, url)
    legal = {
        "csrf_token": token,
        "day": "2030-03-01",
        "start": "10:40",
        "room_id": solved.rooms[2].id,
    }
    r = sd.post(f"{url}/check", data=legal, headers=HX | {"HX-Target": "move-result"})
    assert "cumple todas las reglas" in r.text and ">Guardar</button>" in r.text
    before = _runs(session)
    saved = sd.post(f"{url}/move", data=legal)
    assert saved.status_code == 303
    assert _runs(session) == before + 1
    new = session.exec(select(SolveRun).order_by(col(SolveRun.id).desc())).first()
    assert new.mode == RunMode.manual and new.options["base_run_id"] == solved.run.id
    assert saved.headers["location"].startswith(
        f"/editions/{solved.edition.id}/schedule?run={new.id}"
    )
    grid = sd.get(saved.headers["location"])
    assert f"Se guardó el ajuste como el cálculo {new.id}" in grid.text
    assert "Movida: antes 01/03 10:20 en Sala 2" in grid.text
    assert f"Ajuste sobre el cálculo N.º {solved.run.id}" in grid.text


def test_pin_and_unpin_from_the_meeting_page(login_as, session, solved):
    sd = login_as(Role.sd_admin)
    url = _meeting_url(solved, "10")
    token = csrf_of(sd, url)
    r = sd.post(f"{url}/pin", data={"csrf_token": token, "action": "pin"})
    assert r.status_code == 303
    session.expire_all()
    request = session.get(MeetingRequest, solved.requests["10"].id)
    assert (request.pin_date.isoformat(), f"{request.pin_start_time:%H:%M}") == (
        "2030-03-01",
        "10:20",
    )
    assert request.pin_room_id == solved.rooms[1].id
    page = sd.get(url)
    assert "Reunión fijada el 01/03 a las 10:20 en la Sala 2." in page.text
    assert "Quitar la fijación" in page.text
    moved = sd.post(
        f"{url}/check",
        data={
            "csrf_token": token,
            "day": "2030-03-01",
            "start": "10:40",
            "room_id": solved.rooms[2].id,
        },
    )
    assert "quite la fijación antes de moverla" in moved.text
    sd.post(f"{url}/pin", data={"csrf_token": token, "action": "unpin"})
    session.expire_all()
    assert session.get(MeetingRequest, solved.requests["10"].id).pin_date is None


def test_missing_or_foreign_objects_are_the_html_404(login_as, session, solved):
    sd = login_as(Role.sd_admin)
    other = solved_edition(session)
    for path in (
        f"/editions/{solved.edition.id}/schedule?run={other.run.id}",
        _meeting_url(solved, "10", run_id=other.run.id),
        f"/editions/{solved.edition.id}/schedule/{solved.run.id}/meetings/999999",
        "/editions/999999/schedule",
    ):
        r = sd.get(path)
        assert r.status_code == 404, path
        assert (
            "<h1>Página no encontrada</h1>" in r.text and "{" not in r.text.split("<main")[1][:200]
        )
    bad = sd.get(f"/editions/{solved.edition.id}/schedule?view=nada&day=ayer")
    assert bad.status_code == 404 and bad.headers["content-type"].startswith("text/html")
    rapporteur = login_as(Role.rapporteur)
    assert rapporteur.get(f"/editions/{solved.edition.id}/schedule").status_code == 404
    token = csrf_of(sd, _meeting_url(solved, "10"))
    r = sd.post(
        f"{_meeting_url(solved, '10', run_id=other.run.id)}/move",
        data={
            "csrf_token": token,
            "day": "2030-03-01",
            "start": "10:40",
            "room_id": solved.rooms[2].id,
        },
    )
    assert r.status_code == 404 and "<h1>Página no encontrada</h1>" in r.text


def test_an_edition_without_runs_says_so(login_as, session):
    edition = create_edition(session, status="scheduling")
    page = login_as(Role.sd_admin).get(f"/editions/{edition.id}/schedule")
    assert page.status_code == 200
    assert "La edición aún no tiene un cálculo terminado con éxito." in page.text


def test_a_run_without_figures_still_renders(login_as, session, solved):
    solved.run.result = {}
    session.add(solved.run)
    session.commit()
    page = login_as(Role.sd_admin).get(f"/editions/{solved.edition.id}/schedule")
    assert page.status_code == 200 and "<strong>4</strong> reuniones programadas" in page.text
    assert "puntos de prioridad" not in page.text
