"""Agenda downloads: every format opened for real, ownership, versions, iCalendar updates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import icalendar
import openpyxl
import pytest
from factories import auth
from test_publication_support import LIMA, at, make_world, meeting, pdf_text, solve_run

from app.agendas.service import open_commitments_for

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)


@pytest.fixture
def published(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    run_id = solve_run(session, world)
    response = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": run_id},
        headers=auth(world.sd_token),
    )
    assert response.status_code == 201, response.text
    return world


def _get(client, world, path, token, **params):
    return client.get(
        f"/api/editions/{world.edition.id}/agendas/{path}", params=params, headers=auth(token)
    )


def test_ministry_downloads_its_agenda_in_every_format(client, published):
    world, token = published, published.tokens["MINSA"]
    # JSON: meetings in time order, topics in priority order with CUI and amount
    r = _get(client, world, "sectors/MINSA", token)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == 'inline; filename="agenda-MINSA-v1.json"'
    doc = json.loads(r.content)
    assert doc["kind"] == "sector" and doc["owner_code"] == "MINSA" and doc["version"] == 1
    meetings = doc["meetings"]
    assert [m["delegation"]["code"] for m in meetings] == ["D1", "D2", "D3"]
    assert [m["start"] for m in meetings] == sorted(m["start"] for m in meetings)
    first = meetings[0]
    assert first["room"] == "Sala 1"
    assert first["delegation"]["authority_name"] == "Gobernador Núñez 1"
    assert first["delegation"]["authority_title"] == "Gobernador(a) regional"
    assert [t["rank"] for t in first["topics"]] == [1, 2]
    assert first["topics"][0]["title"] == "Hospital de Cusco: saldo de obra (MINSA)"
    assert first["topics"][0]["cui"] == "2300000"
    assert first["topics"][0]["amount_soles"] == "45678901.25"
    assert first["topics"][1]["kind"] == "administrative_blockage"
    assert first["open_commitments"] == []
    assert first["start"].startswith("2030-03-01T10:00:00-05:00")

    # PDF: the meetings, delegations and topics are in the text
    r = _get(client, world, "sectors/MINSA", token, format="pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="agenda-MINSA-v1.pdf"'
    text = pdf_text(r.content)
    for needle in (
        "Gobierno Regional de Cusco",
        "Gobierno Regional de San Martín",
        "2300000",
        "Hospital de Junín: saldo de obra",
        "Sala 1",
        "10:00",
    ):
        assert needle in text, needle

    # iCalendar: one event per meeting, stable UIDs derived from edition + request
    r = _get(client, world, "sectors/MINSA", token, format="ics")
    assert r.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 3
    uid = f"gore-{world.edition.id}-r{world.requests[('D1', 'MINSA')]}@articula.pe"
    assert uid in {str(e["UID"]) for e in events}
    assert {int(e["SEQUENCE"]) for e in events} == {0}

    # XLSX loads; one row per topic per meeting
    r = _get(client, world, "sectors/MINSA", token, format="xlsx")
    assert r.headers["content-disposition"] == 'attachment; filename="agenda-MINSA-v1.xlsx"'
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Fecha" and len(rows) == 1 + 3 * 2
    assert "Gobierno Regional de Cusco" in rows[1]

    # CSV parses (UTF-8 with BOM)
    r = _get(client, world, "sectors/MINSA", token, format="csv")
    assert r.headers["content-type"].startswith("text/csv")
    parsed = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert parsed[0][0] == "Fecha" and len(parsed) == 7
    assert any("2300000" in row for row in parsed)


def test_delegation_downloads_its_agenda(client, published):
    r = _get(client, published, "delegations/D2", published.tokens["D2"], format="json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["kind"] == "delegation"
    assert [m["sectors"][0]["code"] for m in doc["meetings"]] == ["MINEDU", "MINSA"] or [
        m["sectors"][0]["code"] for m in doc["meetings"]
    ] == ["MINSA", "MINEDU"]
    assert len(doc["meetings"]) == 2
    r = _get(client, published, "delegations/D2", published.tokens["D2"], format="pdf")
    assert "Ministerio de Salud" in pdf_text(r.content)


def test_foreign_agenda_answers_like_a_missing_one(client, published):
    world = published
    foreign = _get(client, world, "sectors/MINSA", world.tokens["MINEDU"])
    missing = _get(client, world, "sectors/NOPE", world.tokens["MINEDU"])
    assert foreign.status_code == missing.status_code == 404

    def strip(body, code):  # `instance` names each request: compare its path only
        return {k: str(v).split("#request=")[0].replace(code, "X") for k, v in body.items()}

    assert strip(foreign.json(), "MINSA") == strip(missing.json(), "NOPE")
    for path, token in [
        ("delegations/D1", world.tokens["D2"]),
        ("delegations/D1", world.tokens["MINSA"]),
        ("sectors/MINSA", world.tokens["D1"]),
    ]:
        assert _get(client, world, path, token).status_code == 404, path
    # the SD sees every agenda
    assert _get(client, world, "sectors/MINSA", world.sd_token).status_code == 200
    assert _get(client, world, "delegations/D1", world.sd_token).status_code == 200


def test_room_sheet_and_grid_are_sd_only(client, published):
    world = published
    room = world.rooms[0]
    r = _get(client, world, f"rooms/{room.id}", world.sd_token)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert (
        r.headers["content-disposition"] == f'attachment; filename="agenda-sala-{room.id}-v1.pdf"'
    )
    text = pdf_text(r.content)
    assert "Sala 1" in text and "Gobierno Regional de Junín" in text
    r = _get(client, world, "grid", world.sd_token)
    assert r.status_code == 200
    assert f"agenda-gore-{world.edition.id}-v1.pdf" in r.headers["content-disposition"]
    assert "Sala 2" in pdf_text(r.content)
    grid = _get(client, world, "grid", world.sd_token, format="json").json()
    assert len(grid["meetings"]) == 6
    for token in (world.tokens["MINSA"], world.tokens["D1"]):
        assert _get(client, world, f"rooms/{room.id}", token).status_code == 404
        assert _get(client, world, "grid", token).status_code == 404
    assert _get(client, world, "rooms/999999", world.sd_token).status_code == 404


def test_no_agenda_before_publication_and_unknown_version(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    r = _get(client, world, "sectors/MINSA", world.tokens["MINSA"])
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_ics_updates_across_versions(client, session, frozen_now, published):
    world = published
    moved = world.requests[("D1", "MINSA")]
    dropped = world.requests[("D2", "MINSA")]
    plan2 = [m for m in world.plan if m.request_id not in (moved, dropped)]
    plan2.append(meeting(moved, world.rooms[1], at(12, 0)))
    r = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": solve_run(session, world, plan2)},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201
    # v3 moves the same meeting again: SEQUENCE counts the versions in which it changed; and
    # D2's MINEDU meeting only changes room (Sala 2 -> Sala 1, free since D2's MINSA meeting
    # was dropped), which is a change too
    room_only = world.requests[("D2", "MINEDU")]
    plan3 = [m for m in plan2 if m.request_id not in (moved, room_only)]
    plan3.append(meeting(moved, world.rooms[1], at(12, 20)))
    plan3.append(meeting(room_only, world.rooms[0], at(10, 20)))
    r = client.post(
        f"/api/editions/{world.edition.id}/publications",
        json={"run_id": solve_run(session, world, plan3)},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201
    token = world.tokens["MINSA"]

    def events(sector: str = "MINSA", **params):
        resp = _get(
            client, world, f"sectors/{sector}", world.tokens[sector], format="ics", **params
        )
        assert resp.status_code == 200
        return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(resp.content).walk("VEVENT")}

    def uid(request_id):
        return f"gore-{world.edition.id}-r{request_id}@articula.pe"

    v1, v2, v3 = events(version=1), events(version=2), events()
    assert set(v1) == set(v2) == set(v3)  # same UIDs, dropped one kept as a cancellation
    assert int(v1[uid(moved)]["SEQUENCE"]) == 0
    assert int(v2[uid(moved)]["SEQUENCE"]) == 1
    assert int(v3[uid(moved)]["SEQUENCE"]) == 2
    assert v3[uid(moved)].decoded("DTSTART") == at(12, 20)
    assert str(v2[uid(dropped)]["STATUS"]) == "CANCELLED"
    assert int(v2[uid(dropped)]["SEQUENCE"]) == 1
    assert str(v1[uid(dropped)]["STATUS"]) == "CONFIRMED"
    unchanged = world.requests[("D3", "MINSA")]
    assert int(v3[uid(unchanged)]["SEQUENCE"]) == 0
    minedu_v2, minedu_v3 = events("MINEDU", version=2), events("MINEDU")
    assert int(minedu_v2[uid(room_only)]["SEQUENCE"]) == 0
    assert int(minedu_v3[uid(room_only)]["SEQUENCE"]) == 1
    assert str(minedu_v3[uid(room_only)]["LOCATION"]).startswith("Sala 1")
    assert minedu_v3[uid(room_only)].decoded("DTSTART") == minedu_v2[uid(room_only)].decoded(
        "DTSTART"
    )
    r = _get(client, world, "sectors/MINSA", token, format="pdf")
    assert r.headers["content-disposition"] == 'attachment; filename="agenda-MINSA-v3.pdf"'
    assert _get(client, world, "sectors/MINSA", token, version=9).status_code == 404


def test_open_commitments_hook_is_empty_for_now(session):
    assert open_commitments_for(session=session, sector_id=1, delegation_id=1) == []
