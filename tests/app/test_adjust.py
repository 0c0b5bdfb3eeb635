"""Manual adjustments: moving a meeting of a run is checked against every hard rule, each
conflict explained in Spanish; a legal move becomes a new manual run (service and API)."""

from __future__ import annotations

import datetime as dt

import pytest
from adjust_support import add_run, solved_edition
from factories import auth, create_edition, create_key
from sqlmodel import Session, col, func, select

from app.access.models import Role
from app.core import clock
from app.core.errors import Conflict, Invalid, NotFound
from app.editions.models import Room, Unavailability
from app.scheduling import adjust, runs
from app.scheduling.models import RunMode, RunStatus, SolveRun

T = dt.time.fromisoformat


@pytest.fixture
def solved(session):
    return solved_edition(session)


@pytest.fixture
def sd(session):
    return auth(create_key(session, Role.sd_admin)[1])


def _target(solved, key: str, hhmm: str, room: int) -> adjust.MoveTarget:
    return adjust.MoveTarget(
        request_id=solved.requests[key].id,
        day=solved.day,
        start=T(hhmm),
        room_id=solved.rooms[room].id,
    )


def _check(session: Session, solved, key: str, hhmm: str, room: int) -> adjust.MoveCheck:
    return adjust.check_move(
        session=session,
        edition=solved.edition,
        run_id=solved.run.id,
        target=_target(solved, key, hhmm, room),
    )


def _runs(session: Session) -> int:
    return session.exec(select(func.count()).select_from(SolveRun)).one()


def test_a_move_onto_busy_parties_and_a_busy_room_is_explained_in_spanish(session, solved):
    # Junín with Salud at 10:00 in Sala 1: Salud meets Cusco there, Junín meets Educación.
    check = _check(session, solved, "10", "10:00", 0)
    assert not check.legal
    assert check.conflicts == [
        "Gobierno Regional de Junín ya tiene una reunión a las 10:00 con Ministerio de "
        "Educación en la Sala 2.",
        "Ministerio de Salud ya tiene una reunión a las 10:00 con Gobierno Regional del "
        "Cusco en la Sala 1.",
        "La Sala 1 ya está ocupada a las 10:00 por la reunión de Gobierno Regional del Cusco "
        "con Ministerio de Salud.",
    ]


def test_a_legal_move_has_no_conflicts_and_a_dry_check_writes_nothing(session, solved):
    before = _runs(session)
    check = _check(session, solved, "10", "10:40", 2)
    assert check.legal and check.conflicts == []
    assert check.moved.starts_at == dt.datetime(2030, 3, 1, 15, 40, tzinfo=dt.UTC)
    assert check.previous is not None and check.previous.room_id == solved.rooms[1].id
    assert _runs(session) == before


def test_unavailable_party_reserved_room_capacity_and_block_end(session, solved):
    edition = solved.edition
    session.add(
        Unavailability(
            edition_id=edition.id,
            sector_id=solved.sectors[0].id,
            starts_at=dt.datetime(2030, 3, 1, 16, 0, tzinfo=dt.UTC),  # 11:00 in Lima
            ends_at=dt.datetime(2030, 3, 1, 17, 0, tzinfo=dt.UTC),
        )
    )
    small, reserved = solved.rooms[1], solved.rooms[2]
    small.capacity = 4
    reserved.reserved_sector_id = solved.sectors[1].id
    session.add_all([small, reserved])
    request = solved.requests["10"]
    request.duration_slots = 2
    session.add(request)
    session.commit()
    assert _check(session, solved, "10", "11:20", 0).conflicts == [
        "Ministerio de Salud no está disponible a las 11:20."
    ]
    assert _check(session, solved, "10", "14:00", 1).conflicts == [
        "La Sala 2 tiene capacidad para 4 personas y la reunión reúne a 6."
    ]
    assert _check(session, solved, "10", "14:00", 2).conflicts == [
        "La Sala 3 está reservada para Ministerio de Educación."
    ]
    assert _check(session, solved, "10", "12:40", 0).conflicts == [
        "La reunión de 2 turno(s) que empieza a las 12:40 termina después del fin del "
        "bloque de bilaterales."
    ]


def test_a_pinned_meeting_cannot_move_elsewhere(session, solved):
    request = solved.requests["10"]
    request.pin_date, request.pin_start_time = solved.day, T("10:20")
    session.add(request)
    session.commit()
    assert _check(session, solved, "10", "10:40", 0).conflicts == [
        "La reunión está fijada a otro horario o sala (01/03 a las 10:20); quite la fijación "
        "antes de moverla."
    ]


def test_conflicts_already_in_the_run_are_not_blamed_on_the_move(session, solved):
    # A run where Cusco has two meetings at 10:00 (the grid changed since): moving another
    # meeting elsewhere is still legal.
    r = solved.requests
    clash = add_run(
        session,
        solved.edition,
        [(r["00"], "10:00", solved.rooms[0]), (r["01"], "10:00", solved.rooms[1])],
    )
    check = adjust.check_move(
        session=session,
        edition=solved.edition,
        run_id=clash.id,
        target=_target(solved, "11", "11:00", 2),
    )
    assert check.legal and check.previous is None  # placing a meeting the run left out


def test_bad_targets_are_422_and_foreign_or_unfinished_runs_refused(session, solved):
    with pytest.raises(Invalid, match="no empieza un turno"):
        _check(session, solved, "10", "13:20", 0)
    with pytest.raises(Invalid, match="no empieza un turno"):
        _check(session, solved, "10", "10:05", 0)
    other = create_edition(session, status="scheduling")
    foreign = Room(edition_id=other.id, name="Sala ajena")
    session.add(foreign)
    session.commit()
    target = _target(solved, "10", "10:40", 0)
    with pytest.raises(Invalid, match="sala no pertenece"):
        adjust.check_move(
            session=session,
            edition=solved.edition,
            run_id=solved.run.id,
            target=adjust.MoveTarget(target.request_id, target.day, target.start, foreign.id),
        )
    with pytest.raises(NotFound):
        adjust.check_move(session=session, edition=other, run_id=solved.run.id, target=target)
    solved.run.status = RunStatus.failed
    session.add(solved.run)
    session.commit()
    with pytest.raises(Conflict, match="terminado con éxito"):
        _check(session, solved, "10", "10:40", 0)


def test_applying_a_legal_move_creates_a_manual_run_derived_from_the_base(session, solved):
    new = adjust.apply_move(
        session=session,
        edition=solved.edition,
        run_id=solved.run.id,
        target=_target(solved, "10", "10:40", 2),
        created_by="user:1",
        now=clock.now(),
    )
    session.commit()
    assert new.id != solved.run.id and new.status == RunStatus.succeeded
    assert new.mode == RunMode.manual
    assert new.options["base_run_id"] == solved.run.id
    assert new.options["note"] == (
        f"Solicitud {solved.requests['10'].id} movida del 01/03 10:20 (Sala 2) al "
        "01/03 10:40 (Sala 3)."
    )
    assert new.result["scheduled_weight"] == 20
    assert len(new.assignments) == 4
    session.refresh(solved.run)
    assert len(solved.run.assignments) == 4  # the base run is unchanged
    diff = runs.compare_runs(
        session=session, edition=solved.edition, run_id=solved.run.id, other_run_id=new.id
    )
    assert [m.request_id for m in diff.moved] == [solved.requests["10"].id]
    assert diff.added == [] and diff.dropped == [] and diff.unchanged == 3


def test_applying_an_illegal_move_saves_nothing(session, solved):
    before = _runs(session)
    with pytest.raises(Conflict) as raised:
        adjust.apply_move(
            session=session,
            edition=solved.edition,
            run_id=solved.run.id,
            target=_target(solved, "10", "10:00", 0),
            created_by="user:1",
            now=clock.now(),
        )
    assert len(raised.value.extensions["conflicts"]) == 3
    session.rollback()
    assert _runs(session) == before


def test_the_moves_route(client, session, solved, sd):
    url = f"/api/editions/{solved.edition.id}/runs/{solved.run.id}/moves"
    body = {
        "request_id": solved.requests["10"].id,
        "day": solved.day.isoformat(),
        "start": "10:00",
        "room_id": solved.rooms[0].id,
    }
    dry = client.post(url, json=body | {"dry_run": True}, headers=sd)
    assert dry.status_code == 200 and dry.json()["legal"] is False
    assert dry.json()["run"] is None and len(dry.json()["conflicts"]) == 3
    refused = client.post(url, json=body, headers=sd)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "Ministerio de Salud ya tiene una reunión a las 10:00" in refused.json()["detail"]
    assert len(refused.json()["conflicts"]) == 3
    off_grid = client.post(url, json=body | {"start": "13:20"}, headers=sd)
    assert off_grid.status_code == 422 and "no empieza un turno" in off_grid.json()["detail"]
    malformed = client.post(url, json=body | {"start": "diez"}, headers=sd)
    assert malformed.status_code == 422
    before = _runs(session)
    ok = client.post(url, json=body | {"start": "10:40", "room_id": solved.rooms[2].id}, headers=sd)
    assert ok.status_code == 200 and ok.json()["legal"] is True
    new = ok.json()["run"]
    assert new["mode"] == "manual" and new["options"]["base_run_id"] == solved.run.id
    assert new["status"] == "succeeded" and "movida del" in new["options"]["note"]
    session.expire_all()
    assert _runs(session) == before + 1
    assert client.post(
        url,
        json=body,
        headers=auth(create_key(session, Role.sector, sector=solved.sectors[0])[1]),
    ).status_code in (403, 404)
    newest = session.exec(select(SolveRun).order_by(col(SolveRun.id).desc())).first()
    assert newest is not None and newest.id == new["id"]


def test_a_manual_mode_cannot_be_queued(client, solved, sd):
    r = client.post(f"/api/editions/{solved.edition.id}/runs", json={"mode": "manual"}, headers=sd)
    assert r.status_code == 422


def test_a_move_out_of_the_ministry_room_under_home_rooms(session, solved):
    # a run with one room per ministry: Salud receives in Sala 1 (its meeting with Cusco)
    solved.run.options = {**solved.run.options, "home_rooms": True}
    session.add(solved.run)
    session.commit()
    check = _check(session, solved, "10", "10:40", 2)
    assert not check.legal
    assert check.conflicts == [
        "Ministerio de Salud recibe a las delegaciones en la Sala 1 (una sala por ministerio, "
        "opción del cálculo)."
    ]
    assert _check(session, solved, "10", "10:40", 0).legal
