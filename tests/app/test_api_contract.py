"""The API as a client written against /openapi.json alone sees it: typed run results,
declared download media types, documented replays and problems, codes in /api/me, and one
identifier (the request id) for one meeting everywhere."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from factories import auth, create_delegation, create_key, create_sector
from test_publication_support import LIMA, make_world, solve_run

from app.access.models import Role
from app.agendas.render.json import FORMAT
from app.agendas.schemas import AgendaJson

INSIDE = dt.datetime(2030, 2, 26, 9, 0, tzinfo=LIMA)
TOPIC_LISTS = "/api/editions/{edition_id}/delegations/{delegation_code}/topic-lists"
AGENDAS = [
    "/api/editions/{edition_id}/agendas/sectors/{code}",
    "/api/editions/{edition_id}/agendas/delegations/{code}",
    "/api/editions/{edition_id}/agendas/rooms/{room_id}",
    "/api/editions/{edition_id}/agendas/grid",
]


@pytest.fixture
def openapi(app):
    return app.openapi()


def _schema(openapi, ref: str) -> dict:
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_run_result_and_options_are_typed_down_to_the_unscheduled_reasons(openapi):
    result = _schema(openapi, "SolveRunPublic")["properties"]["result"]
    refs = [s["$ref"] for s in result["anyOf"] if "$ref" in s]
    assert refs == ["#/components/schemas/RunResult"]
    run_result = _schema(openapi, refs[0])
    assert {"status", "stages", "conflicts", "unscheduled"} <= set(run_result["required"])
    item = _schema(openapi, run_result["properties"]["unscheduled"]["items"]["$ref"])
    assert set(item["required"]) == {"request_id", "code", "reason", "detail"}
    assert item["properties"]["request_id"]["type"] == "integer"
    options = _schema(openapi, "SolveRunPublic")["properties"]["options"]
    assert options["$ref"].endswith("/RunOptions")


def test_agenda_downloads_declare_their_media_types(openapi):
    for path in AGENDAS:
        ok = openapi["paths"][path]["get"]["responses"]["200"]
        assert set(ok["content"]) == {
            "application/json",
            "application/pdf",
            "text/calendar",
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }, path
        assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/AgendaJson")
        assert "Content-Disposition" in ok["headers"]
    meeting = _schema(openapi, "AgendaMeeting")
    assert meeting["properties"]["request_id"]["type"] == "integer"
    assert "meeting_id" not in meeting["properties"]


def test_idempotent_replay_is_documented_beside_the_creation(openapi):
    responses = openapi["paths"][TOPIC_LISTS]["post"]["responses"]
    assert responses["201"]["content"] == responses["200"]["content"]
    assert responses["200"]["headers"]["Idempotency-Replayed"]["schema"]["enum"] == ["true"]


def test_every_api_operation_documents_its_problems(openapi):
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in openapi["paths"].items():
        if not path.startswith("/api"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "404", "409", "422", "500"):
                assert responses[status]["content"] == problem, (method, path, status)
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    imported = openapi["paths"]["/api/commitments/import"]["post"]["responses"]
    assert imported["413"]["content"] == problem


def test_a_validation_error_matches_the_documented_problem(client, session):
    _, sd = create_key(session)
    r = client.post("/api/editions", json={"name": 5}, headers=auth(sd))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(body)
    assert all({"loc", "msg", "type"} == set(e) for e in body["errors"])


def test_me_gives_the_codes_the_routes_take(client, session):
    delegation = create_delegation(session, "CUS")
    sector = create_sector(session, "MINSA")
    _, d = create_key(session, Role.delegation, delegation=delegation)
    _, s = create_key(session, Role.sector, sector=sector)
    _, sd = create_key(session)
    me = client.get("/api/me", headers=auth(d)).json()
    assert (me["delegation_id"], me["delegation_code"], me["sector_code"]) == (
        delegation.id,
        "CUS",
        None,
    )
    me = client.get("/api/me", headers=auth(s)).json()
    assert (me["sector_id"], me["sector_code"], me["delegation_code"]) == (sector.id, "MINSA", None)
    me = client.get("/api/me", headers=auth(sd)).json()
    assert me["role"] == "sd_admin" and me["delegation_code"] is me["sector_code"] is None


def test_one_meeting_one_identifier_in_runs_and_agendas(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    run_id = solve_run(session, world)
    base = f"/api/editions/{world.edition.id}"
    sd = auth(world.sd_token)
    assert client.post(f"{base}/publications", json={"run_id": run_id}, headers=sd).is_success
    planned = client.get(f"{base}/runs/{run_id}/meetings", headers=sd).json()
    grid = client.get(f"{base}/agendas/grid", params={"format": "json"}, headers=sd)
    doc = json.loads(grid.content)
    AgendaJson.model_validate(doc)  # the body is what the schema says
    assert doc["format"] == FORMAT
    assert sorted(m["request_id"] for m in doc["meetings"]) == sorted(
        m["request_id"] for m in planned
    )
    assert all(type(m["request_id"]) is int for m in doc["meetings"])
    mine = client.get(f"{base}/agendas/sectors/MINSA", headers=auth(world.tokens["MINSA"])).json()
    assert {m["request_id"] for m in mine["meetings"]} == {
        rid for (_d, s), rid in world.requests.items() if s == "MINSA"
    }
