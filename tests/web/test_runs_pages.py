"""The solve-run pages over HTTP: the Spanish sentences, start from the form (errors beside
the field, the stale state explained), the live page and its panel until "Óptimo
demostrado", the page's own event stream, the unscheduled requests with their reasons,
cancel, roles and CSRF."""

from __future__ import annotations

import pytest
from runs_support import add_request, schedulable_edition
from sqlmodel import Session, select
from web_support import csrf_of

from app.access.models import Role
from app.core import jobs
from app.scheduling.models import SolveRun
from app.scheduling.schemas import SolveRunPublic
from app.web.runs import gap_percent, run_score, run_sentence, stage_sentence


def _runs(session: Session) -> list[SolveRun]:
    session.expire_all()
    return list(session.exec(select(SolveRun).order_by(SolveRun.id)).all())


def _public(**fields) -> SolveRunPublic:
    base = {
        "id": 1,
        "edition_id": 1,
        "status": "running",
        "mode": "plan",
        "options": {},
        "progress": [],
        "result": None,
        "error": None,
        "cancel_requested": False,
        "created_by": "key:1",
        "created_at": "2026-12-01T15:00:00Z",
        "started_at": None,
        "finished_at": None,
        "heartbeat_at": None,
        "attempts": 1,
    }
    return SolveRunPublic.model_validate(base | fields)


@pytest.mark.nodb
def test_the_sentences_of_each_stage_and_status():
    assert (
        stage_sentence("breaks", 12, 8)
        == "Reduciendo tiempos muertos: 12 encontrados, no menos de 8"
    )
    assert stage_sentence("weight", 180, 200) == (
        "Programando reuniones: peso 180 logrado, no más de 200"
    )
    assert "la menos atendida logra el 75.0 % de su peso, no más del 80.0 %" in stage_sentence(
        "fairness", 750, 800
    )
    assert stage_sentence("breaks", 3, 3) == "Tiempos muertos: óptimo demostrado"
    assert gap_percent(12, 8) == pytest.approx(100 * 4 / 12)
    assert gap_percent(None, 3) is None
    point = {"stage": "breaks", "seconds": 1.5, "objective": 12, "bound": 8}
    assert run_sentence(_public(progress=[point])).startswith("Reduciendo tiempos muertos")
    assert run_sentence(_public(status="queued")).startswith("En cola")
    assert run_sentence(_public(progress=[point], cancel_requested=True)).startswith("Cancelando")
    assert run_sentence(_public(status="failed", error="Sin salas.")) == "Sin salas."
    result = {
        "status": "OPTIMAL",
        "scheduled_weight": 30,
        "breaks": 0,
        "seconds": 1.0,
        "stages": [],
        "conflicts": [],
        "unscheduled": [],
    }
    assert run_sentence(_public(status="succeeded", result=result)) == "Óptimo demostrado"
    feasible = result | {
        "status": "FEASIBLE",
        "stages": [
            {
                "name": "breaks",
                "status": "FEASIBLE",
                "objective": 10,
                "bound": 9,
                "gap": 0.1,
                "seconds": 1,
            }
        ],
    }
    assert "brecha de 10.0 %" in run_sentence(_public(status="succeeded", result=feasible))


def test_start_a_run_and_follow_it_to_the_optimum(login_as, session):
    setup = schedulable_edition(session)
    crowded = setup.delegations[0]
    for _ in range(22):  # more meetings than 21 slots
        add_request(session, setup.edition, crowded, [setup.sectors[0]], weight=1)
    sd = login_as(Role.sd_admin)
    with sd:  # the lifespan starts the jobs that run the solve
        base = f"/editions/{setup.edition.id}/runs"
        page = sd.get(base)
        assert page.status_code == 200 and "Todavía no se calculó ningún cronograma." in page.text
        token = csrf_of(sd, base)

        bad = sd.post(base, data={"csrf_token": token, "mode": "plan", "time_limit_s": "0"})
        assert bad.status_code == 422 and "Debe ser mayor que 0." in bad.text
        assert 'id="f-time-limit-error"' in bad.text and _runs(session) == []
        replan = sd.post(base, data={"csrf_token": token, "mode": "replan", "time_limit_s": "5"})
        assert replan.status_code == 409 and "cronograma publicado" in replan.text
        data = {"csrf_token": token, "mode": "replan", "time_limit_s": "5", "release": "12; x"}
        bad = sd.post(base, data=data)
        assert bad.status_code == 422 and 'id="f-release-error"' in bad.text
        assert "separados por comas" in bad.text and 'value="12; x"' in bad.text
        assert _runs(session) == []

        assert 'name="rooms"' in page.text and "Una sala por ministerio" in page.text
        data = {"csrf_token": token, "mode": "plan", "time_limit_s": "20", "rooms": "pooled"}
        r = sd.post(base, data=data)
        assert r.status_code == 303
        run_id = _runs(session)[0].id
        assert _runs(session)[0].options["home_rooms"] is False  # the SD's choice
        assert r.headers["location"] == f"{base}/{run_id}"
        assert jobs.drain(60)

        live = sd.get(f"{base}/{run_id}")
        assert live.status_code == 200 and "Óptimo demostrado" in live.text
        grid = f"/editions/{setup.edition.id}/schedule?run={run_id}"
        assert grid in live.text
        assert sd.get(grid).status_code == 200
        # the sector has 21 slots for 25 requests: 4 stay out, each with its reason
        assert "Solicitudes sin programar (4)" in live.text
        assert f"La agenda de {setup.sectors[0].code} está llena" in live.text
        assert crowded.name in live.text and "Cancelar el cálculo" not in live.text
        assert 'hx-trigger="every 1s"' not in live.text  # a finished run stops polling

        panel = sd.get(f"{base}/{run_id}/status", headers={"HX-Request": "true"})
        assert panel.status_code == 200 and "<html" not in panel.text
        assert "Óptimo demostrado" in panel.text and "reuniones programadas" in panel.text

        events = sd.get(f"{base}/{run_id}/events")
        assert events.headers["content-type"].startswith("text/event-stream")
        assert "event: progress" in events.text and "event: done" in events.text

        listing = sd.get(base).text
        assert "Terminado" in listing and "Óptimo demostrado" in listing
        assert "reuniones programadas" in listing and "4 sin programar" in listing

        done = sd.post(f"{base}/{run_id}/cancel", data={"csrf_token": token})
        assert done.status_code == 303
        assert "El cálculo ya terminó; no puede cancelarse." in sd.get(f"{base}/{run_id}").text


def test_cancel_a_queued_run(login_as, session, app):
    setup = schedulable_edition(session)
    sd = login_as(Role.sd_admin)
    base = f"/editions/{setup.edition.id}/runs"
    session.add(SolveRun(edition_id=setup.edition.id, created_by="key:0"))
    session.commit()
    run_id = _runs(session)[0].id
    live = sd.get(f"{base}/{run_id}")
    assert "En cola" in live.text and 'hx-trigger="every 1s"' in live.text
    token = csrf_of(sd, f"{base}/{run_id}")
    r = sd.post(f"{base}/{run_id}/cancel", data={"csrf_token": token})
    assert r.status_code == 303 and _runs(session)[0].status == "cancelled"
    assert "Cálculo cancelado" in sd.get(f"{base}/{run_id}").text


def test_stale_edition_foreign_run_roles_and_csrf(login_as, session):
    setup = schedulable_edition(session, status="in_review")
    sd = login_as(Role.sd_admin)
    base = f"/editions/{setup.edition.id}/runs"
    page = sd.get(base)
    assert page.status_code == 200 and "solo se calcula un cronograma" in page.text
    assert 'name="time_limit_s"' not in page.text
    token = csrf_of(sd, base)
    stale = sd.post(base, data={"csrf_token": token, "mode": "plan", "time_limit_s": "5"})
    assert stale.status_code == 409 and "en programación" in stale.text
    assert _runs(session) == []
    for path in (f"{base}/999999", f"{base}/999999/status", f"{base}/999999/events"):
        missing = sd.get(path)
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]

    no_token = sd.post(base, data={"mode": "plan", "time_limit_s": "5"})
    assert no_token.status_code == 403 and _runs(session) == []
    for role in (Role.delegation, Role.sector, Role.rapporteur):
        other = login_as(role, None if role == Role.rapporteur else _world(setup))
        assert other.get(base).status_code == 404


def _world(setup) -> object:
    class World:
        delegations = {"CUS": setup.delegations[0]}
        sectors = {"MINSA": setup.sectors[0]}

    return World()


@pytest.mark.nodb
def test_the_score_says_one_in_the_singular():
    result = {
        "status": "OPTIMAL",
        "scheduled_weight": 12,
        "breaks": 1,
        "seconds": 1.0,
        "stages": [],
        "conflicts": [],
        "unscheduled": [],
    }
    run = _public(status="succeeded", result=result)
    assert run_score(run, 1) == "1 reunión programada · peso 12 · 1 tiempo muerto · 0 sin programar"
    many = _public(status="succeeded", result=result | {"breaks": 3})
    assert "4 reuniones programadas" in run_score(many, 4) and "3 tiempos muertos" in run_score(
        many, 4
    )
