"""Solve runs: mapping, the in-process job end to end, progress (JSON and SSE), one active
run per edition, compare, cancel, stale-run reaping, access."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import sqlalchemy as sa
from factories import auth, create_key
from runs_support import LIMA, add_request, schedulable_edition, wait_for
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import solver
from app.access.models import Role
from app.core import clock, jobs
from app.editions.models import Edition, Unavailability
from app.scheduling import publication, runs
from app.scheduling.mapping import build_instance
from app.scheduling.models import MeetingRequest, RunStatus, SolveRun

FAST = {"time_limit_s": 3}


def _url(setup, suffix: str = "") -> str:
    return f"/api/editions/{setup.edition.id}/runs{suffix}"


@pytest.fixture
def sd(session):
    return auth(create_key(session, Role.sd_admin)[1])


@pytest.fixture
def setup(session):
    return schedulable_edition(session)


class BlockingSolver:
    """Stands in for `solver.solve`: reports progress, then waits until released."""

    def __init__(self, monkeypatch, points: int = 2) -> None:
        self.release = threading.Event()
        self.calls = 0
        self.points = points
        real = solver.solve

        def fake(instance, options=None, progress=None):
            self.calls += 1
            for i in range(self.points):
                progress(solver.ProgressEvent("weight", 0.1 * (i + 1), 10.0 + i, 20.0))
            assert self.release.wait(30)
            return real(instance, options)

        monkeypatch.setattr(runs.solver, "solve", fake)
        monkeypatch.setenv("ARTICULA_RUN_PROGRESS_EVERY_S", "0")


# --------------------------------------------------------------------------- mapping


def test_mapping_grid_pins_unavailability_reserved_rooms(session, setup):
    edition, (cus, jun, _), (minsa, mtc) = setup.edition, setup.delegations, setup.sectors
    setup.rooms[1].reserved_sector_id = minsa.id
    session.add(setup.rooms[1])
    day = edition.days[0].date
    session.add(
        Unavailability(
            edition_id=edition.id,
            delegation_id=cus.id,
            starts_at=dt.datetime.combine(day, dt.time(10, 10), LIMA),
            ends_at=dt.datetime.combine(day, dt.time(10, 40), LIMA),
        )
    )
    session.commit()
    pinned = add_request(
        session,
        edition,
        jun,
        [minsa, mtc],
        pin_date=day,
        pin_start_time=dt.time(14, 0),
        pin_room_id=setup.rooms[0].id,
        mandatory=True,
    )
    session.refresh(edition)

    instance, slot_map = build_instance(session=session, edition=edition, options_in=FAST)

    assert [d.id for d in instance.grid.days] == [day.isoformat()]
    assert [(b.id, b.slots, b.tag, b.start) for b in instance.grid.days[0].blocks] == [
        ("d1b1", 9, "morning", "10:00"),
        ("d1b2", 12, "afternoon", "14:00"),
    ]
    assert instance.grid.n_slots == len(slot_map.slots) == 21
    assert slot_map.slots[9][0] == dt.datetime.combine(day, dt.time(14), LIMA)
    assert slot_map.slots[9][0].tzinfo == dt.UTC
    # 10:10-10:40 overlaps the 10:00, 10:20 and 10:40? no: 10:00-10:20 and 10:20-10:40 only
    assert instance.party_by_id[f"delegation:{cus.id}"].unavailable == [0, 1]
    assert instance.party_by_id[f"sector:{minsa.id}"].name == minsa.code
    assert instance.room_by_id[f"room:{setup.rooms[1].id}"].reserved_for == f"sector:{minsa.id}"
    req = instance.request_by_id[f"request:{pinned.id}"]
    assert req.parties == [f"delegation:{jun.id}", f"sector:{minsa.id}", f"sector:{mtc.id}"]
    assert req.pin == solver.Pin(slot=9, room=f"room:{setup.rooms[0].id}")
    assert req.mandatory and req.weight == 5 and req.attendees == 6
    assert len(instance.requests) == 7
    assert instance.options.time_limit_s == 3 and instance.options.previous is None

    solution = solver.solve(instance)
    planned = {m.request_id: m for m in slot_map.to_planned(solution)}
    assert planned[pinned.id].starts_at == slot_map.slots[9][0]
    assert planned[pinned.id].room_id == setup.rooms[0].id
    assert planned[pinned.id].ends_at - planned[pinned.id].starts_at == dt.timedelta(minutes=20)


def test_withdrawn_requests_are_not_scheduled(session, setup):
    setup.requests[0].status = "withdrawn"
    session.add(setup.requests[0])
    session.commit()
    instance, _ = build_instance(session=session, edition=setup.edition, options_in=FAST)
    assert f"request:{setup.requests[0].id}" not in instance.request_by_id


def test_spanish_reasons_use_display_codes(session, setup):
    """Two rooms, 3 slots: MINSA and MTC each get 3 requests, one slot too few for 6."""
    edition = setup.edition
    (minsa, _mtc) = setup.sectors
    extra = add_request(session, edition, setup.delegations[0], [minsa], attendees=50)
    instance, slot_map = build_instance(session=session, edition=edition, options_in=FAST)
    solution = solver.solve(instance)
    reasons = slot_map.unscheduled(solution)
    assert reasons[extra.id]["code"] == "no_room"
    assert "capacidad" in reasons[extra.id]["detail"]
    assert reasons[extra.id]["reason"].startswith("no room holds 50")


# --------------------------------------------------------------------------- end to end


def _validate_stored(session: Session, run_id: int) -> solver.ValidationReport:
    run = session.get(SolveRun, run_id)
    session.refresh(run)
    from app.editions.models import Edition

    edition = session.get(Edition, run.edition_id)
    instance, slot_map = build_instance(session=session, edition=edition, options_in=run.options)
    meetings = runs.run_meetings(session=session, run=run)
    solution = solver.Solution(
        instance=instance.name,
        status=run.result["status"],
        assignments=[
            solver.Assignment(
                request=f"request:{m.request_id}",
                slot=slot_map.slot_by_start[m.starts_at],
                room=f"room:{m.room_id}",
            )
            for m in meetings
        ],
        scheduled_weight=run.result["scheduled_weight"],
    )
    return solver.validate(instance, solution)


def test_run_end_to_end_in_process(client, session, setup, sd):
    r = client.post(_url(setup), json=FAST, headers=sd)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] in ("queued", "running", "succeeded")
    assert body["mode"] == "plan" and body["options"]["time_limit_s"] == 3
    assert jobs.drain(60)

    run = client.get(_url(setup, f"/{body['id']}"), headers=sd).json()
    assert run["status"] == "succeeded", run
    assert run["attempts"] == 1 and run["started_at"] and run["finished_at"]
    assert run["result"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert {s["name"] for s in run["result"]["stages"]} >= {"weight"}
    assert run["result"]["unscheduled"] == []
    assert run["progress"], "the solver reported at least one improving solution"

    meetings = client.get(_url(setup, f"/{body['id']}/meetings"), headers=sd).json()
    assert len(meetings) == 6
    codes = {d.code for d in setup.delegations}
    assert {m["delegation"] for m in meetings} == codes
    assert all(len(m["sectors"]) == 1 and m["room"].startswith("Sala") for m in meetings)
    assert _validate_stored(session, body["id"]).ok

    listed = client.get(_url(setup), headers=sd).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]
    planned = runs.run_meetings(session=session, run=session.get(SolveRun, body["id"]))
    assert len(planned) == 6 and all(m.starts_at.tzinfo is not None for m in planned)


def test_run_leaves_requests_untouched(client, session, setup, sd):
    before = session.exec(select(MeetingRequest.id, MeetingRequest.updated_at)).all()
    client.post(_url(setup), json=FAST, headers=sd)
    assert jobs.drain(60)
    session.expire_all()
    assert session.exec(select(MeetingRequest.id, MeetingRequest.updated_at)).all() == before


def test_infeasible_mandatory_run_fails_with_reasons(client, session, setup, sd):
    day = setup.edition.days[0].date
    cus, minsa = setup.delegations[0], setup.sectors[0]
    for _ in range(2):  # two mandatory meetings of CUS pinned at the same time
        add_request(
            session,
            setup.edition,
            cus,
            [minsa],
            mandatory=True,
            pin_date=day,
            pin_start_time=dt.time(10, 0),
        )
    run_id = client.post(_url(setup), json=FAST, headers=sd).json()["id"]
    assert jobs.drain(60)
    run = client.get(_url(setup, f"/{run_id}"), headers=sd).json()
    assert run["status"] == "failed"
    assert run["result"]["status"] == "INFEASIBLE"
    assert "obligatorias" in run["error"]
    assert {u["code"] for u in run["result"]["unscheduled"]} >= {"mandatory_conflict"}


# --------------------------------------------------------------------------- progress


def test_progress_readable_while_running_and_over_sse(client, session, setup, sd, monkeypatch):
    fake = BlockingSolver(monkeypatch, points=3)
    run_id = client.post(_url(setup), json=FAST, headers=sd).json()["id"]
    assert wait_for(
        lambda: len(client.get(_url(setup, f"/{run_id}"), headers=sd).json()["progress"]) == 3
    )
    live = client.get(_url(setup, f"/{run_id}"), headers=sd).json()
    assert live["status"] == "running" and live["heartbeat_at"]
    assert live["progress"][0] == {
        "stage": "weight",
        "seconds": 0.1,
        "objective": 10.0,
        "bound": 20.0,
    }

    events: list[tuple[str, dict]] = []
    threading.Timer(1.0, fake.release.set).start()
    with client.stream("GET", _url(setup, f"/{run_id}/events"), headers=sd) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    assert jobs.drain(60)
    final = client.get(_url(setup, f"/{run_id}"), headers=sd).json()
    kinds = [e[0] for e in events]
    assert kinds[-1] == "done" and events[-1][1]["status"] == "succeeded"
    assert kinds.count("progress") == len(final["progress"]) >= 3
    assert [e[1] for e in events if e[0] == "progress"] == final["progress"]


# --------------------------------------------------------------------------- one active run


def test_one_active_run_per_edition(client, session, setup, sd, monkeypatch):
    fake = BlockingSolver(monkeypatch)
    first = client.post(_url(setup), json=FAST, headers=sd)
    assert first.status_code == 202
    second = client.post(_url(setup), json=FAST, headers=sd)
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json()["run_id"] == first.json()["id"]
    assert "en curso" in second.json()["detail"]

    # The database refuses a second active run even when the service check is bypassed.
    with pytest.raises(IntegrityError):
        session.add(SolveRun(edition_id=setup.edition.id, status="queued", created_by="t"))
        session.commit()
    session.rollback()
    session.add(SolveRun(edition_id=setup.edition.id, status="failed", created_by="t"))
    session.commit()  # finished runs do not count

    fake.release.set()
    assert jobs.drain(60)
    assert client.post(_url(setup), json=FAST, headers=sd).status_code == 202
    assert jobs.drain(60)


def test_start_run_rules(client, session, sd):
    draft = schedulable_edition(session, status="in_review")
    assert client.post(_url(draft), json=FAST, headers=sd).status_code == 409
    setup = schedulable_edition(session)
    r = client.post(_url(setup), json=FAST | {"unknown": 1}, headers=sd)
    assert r.status_code == 422
    r = client.post(_url(setup), json=FAST | {"mode": "replan"}, headers=sd)
    assert r.status_code == 409  # replan needs a published schedule
    published = schedulable_edition(session, status="published")
    r = client.post(_url(published), json=FAST | {"mode": "replan"}, headers=sd)
    assert r.status_code == 409
    assert r.json()["detail"].startswith("La edición no tiene un cronograma publicado")
    no_rooms = schedulable_edition(session, n_rooms=0)
    r = client.post(_url(no_rooms), json=FAST, headers=sd)
    assert r.status_code == 409 and "salas" in r.json()["detail"]
    assert session.exec(select(SolveRun)).all() == []


def test_time_limit_capped_by_settings(client, session, setup, sd, settings):
    r = client.post(_url(setup), json={"time_limit_s": 3600}, headers=sd)
    assert r.json()["options"]["time_limit_s"] == settings.solver_time_limit_s
    client.post(_url(setup, f"/{r.json()['id']}/cancel"), headers=sd)
    assert jobs.drain(120)


# --------------------------------------------------------------------------- compare, cancel


def _stored_run(session, setup, meetings, **fields):
    run = SolveRun(
        edition_id=setup.edition.id,
        status=RunStatus.succeeded,
        created_by="t",
        assignments=[
            {
                "request_id": rid,
                "room_id": room,
                "starts_at": start.isoformat(),
                "ends_at": (start + dt.timedelta(minutes=20)).isoformat(),
            }
            for rid, room, start in meetings
        ],
        result={
            "status": "OPTIMAL",
            "scheduled_weight": 5 * len(meetings),
            "unscheduled": [],
            "stages": [{"name": "weight", "objective": 5.0 * len(meetings)}],
        },
        **fields,
    )
    session.add(run)
    session.commit()
    return run


def test_compare_two_runs(client, session, setup, sd):
    t0 = dt.datetime(2030, 3, 1, 15, tzinfo=dt.UTC)
    t1 = t0 + dt.timedelta(minutes=20)
    r1, r2, r3 = (r.id for r in setup.requests[:3])
    room_a, room_b = (r.id for r in setup.rooms)
    a = _stored_run(session, setup, [(r1, room_a, t0), (r2, room_b, t0)])
    b = _stored_run(session, setup, [(r1, room_a, t0), (r2, room_a, t1), (r3, room_b, t0)])
    body = client.get(_url(setup, f"/{a.id}/compare/{b.id}"), headers=sd).json()
    assert body["added"] == [r3] and body["dropped"] == [] and body["unchanged"] == 1
    assert body["moved"] == [
        {
            "request_id": r2,
            "from_room_id": room_b,
            "from_starts_at": "2030-03-01T15:00:00Z",
            "to_room_id": room_a,
            "to_starts_at": "2030-03-01T15:20:00Z",
        }
    ]
    assert body["run"]["scheduled_weight"] == 10 and body["other"]["scheduled_weight"] == 15
    assert body["other"]["stages"] == {"weight": 15.0} and body["other"]["unscheduled"] == 0
    back = client.get(_url(setup, f"/{b.id}/compare/{a.id}"), headers=sd).json()
    assert back["dropped"] == [r3] and back["added"] == []


def test_compare_two_real_runs(client, session, setup, sd):
    first = client.post(_url(setup), json=FAST, headers=sd).json()["id"]
    assert jobs.drain(60)
    second = client.post(_url(setup), json=FAST | {"sector_keeps_room": True}, headers=sd)
    assert jobs.drain(60)
    body = client.get(_url(setup, f"/{first}/compare/{second.json()['id']}"), headers=sd).json()
    assert body["added"] == body["dropped"] == []
    assert body["unchanged"] + len(body["moved"]) == 6
    assert body["run"]["scheduled_weight"] == body["other"]["scheduled_weight"] == 30


def test_cancel_queued_and_running(client, session, setup, sd, monkeypatch):
    queued = SolveRun(edition_id=setup.edition.id, status="queued", created_by="t")
    session.add(queued)
    session.commit()
    r = client.post(_url(setup, f"/{queued.id}/cancel"), headers=sd)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert runs.execute_run(run_id=queued.id) is None  # its job, if delivered, does nothing
    assert client.post(_url(setup, f"/{queued.id}/cancel"), headers=sd).status_code == 409

    fake = BlockingSolver(monkeypatch)
    run_id = client.post(_url(setup), json=FAST, headers=sd).json()["id"]
    assert wait_for(lambda: fake.calls == 1)
    r = client.post(_url(setup, f"/{run_id}/cancel"), headers=sd)
    assert r.json()["status"] == "running" and r.json()["cancel_requested"]
    fake.release.set()
    assert jobs.drain(60)
    final = client.get(_url(setup, f"/{run_id}"), headers=sd).json()
    assert final["status"] == "cancelled" and final["result"] is None
    assert client.get(_url(setup, f"/{run_id}/meetings"), headers=sd).json() == []


# --------------------------------------------------------------------------- failures


def test_stale_runs_are_reaped(client, session, setup, sd, frozen_now):
    now = frozen_now(dt.datetime(2030, 2, 1, 12, tzinfo=dt.UTC))
    other = schedulable_edition(session)
    dead = SolveRun(
        edition_id=setup.edition.id,
        status="running",
        created_by="t",
        attempts=1,
        started_at=now - dt.timedelta(minutes=10),
        heartbeat_at=now - dt.timedelta(seconds=61),
    )
    alive = SolveRun(
        edition_id=other.edition.id,
        status="running",
        created_by="t",
        attempts=1,
        started_at=now - dt.timedelta(minutes=10),
        heartbeat_at=now - dt.timedelta(seconds=5),
    )
    session.add_all([dead, alive])
    session.commit()
    before = session.exec(select(MeetingRequest.id, MeetingRequest.updated_at)).all()

    assert runs.reap_stale_runs() == 1  # the periodic job
    session.expire_all()
    assert session.get(SolveRun, dead.id).status == "failed"
    assert session.get(SolveRun, dead.id).error == "El proceso de cálculo se interrumpió"
    assert session.get(SolveRun, dead.id).finished_at == now
    assert session.get(SolveRun, alive.id).status == "running"
    assert session.exec(select(MeetingRequest.id, MeetingRequest.updated_at)).all() == before

    # A new request also reaps: the other edition is not blocked forever.
    frozen_now(now + dt.timedelta(minutes=5))
    r = client.post(_url(other), json=FAST, headers=sd)
    assert r.status_code == 202, r.text
    session.expire_all()
    assert session.get(SolveRun, alive.id).status == "failed"
    assert jobs.drain(60)


def test_run_executed_once_when_deferred_twice(client, session, setup, sd, monkeypatch):
    calls = []
    real = runs.solve_run
    monkeypatch.setattr(runs, "solve_run", lambda run_id: calls.append(run_id) or real(run_id))
    run = SolveRun(
        edition_id=setup.edition.id,
        status="queued",
        created_by="t",
        options={"time_limit_s": 3, "workers": 1},
    )
    session.add(run)
    session.commit()
    jobs.defer("execute_run", run_id=run.id)
    jobs.defer("execute_run", run_id=run.id)
    assert jobs.drain(60)
    session.refresh(run)
    assert calls == [run.id]
    assert run.status == "succeeded" and run.attempts == 1


def test_solver_error_fails_the_run(client, session, setup, sd, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("sin memoria")

    monkeypatch.setattr(runs.solver, "solve", boom)
    run_id = client.post(_url(setup), json=FAST, headers=sd).json()["id"]
    assert jobs.drain(60)
    run = client.get(_url(setup, f"/{run_id}"), headers=sd).json()
    assert run["status"] == "failed" and "sin memoria" in run["error"]
    assert client.post(_url(setup), json=FAST, headers=sd).status_code == 202
    assert jobs.drain(60)


# --------------------------------------------------------------------------- access


def test_runs_are_sd_only(client, session, setup, sd):
    run_id = client.post(_url(setup), json=FAST, headers=sd).json()["id"]
    assert jobs.drain(60)
    delegation = auth(create_key(session, Role.delegation, delegation=setup.delegations[0])[1])
    sector = auth(create_key(session, Role.sector, sector=setup.sectors[0])[1])
    for headers in (delegation, sector):
        for method, suffix in [
            ("POST", ""),
            ("GET", ""),
            ("GET", f"/{run_id}"),
            ("GET", f"/{run_id}/events"),
            ("GET", f"/{run_id}/meetings"),
            ("GET", f"/{run_id}/compare/{run_id}"),
            ("POST", f"/{run_id}/cancel"),
        ]:
            r = client.request(method, _url(setup, suffix), json=FAST, headers=headers)
            assert r.status_code == 404, (method, suffix, r.status_code)
    assert client.get(_url(setup, f"/{run_id}")).status_code == 401
    other = schedulable_edition(session)
    assert client.get(_url(other, f"/{run_id}"), headers=sd).status_code == 404
    assert session.exec(sa.select(sa.func.count()).select_from(SolveRun)).scalar_one() == 1


# --------------------------------------------------------------------------- replan


def test_replan_keeps_the_published_schedule(client, session, setup, sd, monkeypatch):
    first = client.post(_url(setup), json=FAST, headers=sd).json()["id"]
    assert jobs.drain(60)
    edition = session.get(Edition, setup.edition.id)
    session.refresh(edition)
    draft = publication.draft_run(
        session=session,
        edition=edition,
        run_id=first,
        published_by="t",
        now=clock.now(),
        force=True,
        reason="prueba",
    )
    publication.publish(session=session, draft=draft)
    edition.status = "published"
    session.add(edition)
    withdrawn = setup.requests[0]
    withdrawn.status = "withdrawn"
    session.add(withdrawn)
    session.commit()
    new = add_request(session, edition, setup.delegations[0], [setup.sectors[0]], weight=9)

    r = client.post(_url(setup), json=FAST | {"mode": "replan"}, headers=sd)
    assert r.status_code == 202, r.text
    assert len(r.json()["options"]["previous"]) == 6
    assert jobs.drain(60)
    replan = client.get(_url(setup, f"/{r.json()['id']}"), headers=sd).json()
    assert replan["status"] == "succeeded" and replan["mode"] == "replan"
    assert [s["name"] for s in replan["result"]["stages"]][:3] == ["keep", "changes", "weight"]
    body = client.get(_url(setup, f"/{first}/compare/{replan['id']}"), headers=sd).json()
    assert body["dropped"] == [withdrawn.id] and body["added"] == [new.id]
    assert body["moved"] == [] and body["unchanged"] == 5
    assert _validate_stored(session, replan["id"]).ok
