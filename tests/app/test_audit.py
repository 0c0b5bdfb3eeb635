"""The audit log: the writes that matter leave one row each, with who, before and after, in
the write's transaction; the SD reads it (JSON, XLSX) and nobody can edit it. The request
id of the middleware is on the audit rows, in the problem `instance` and in the log line."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from factories import auth, create_edition
from openpyxl import load_workbook
from sqlmodel import Session, col, func, select
from test_commitments_support import commitment_body, published
from test_publication_support import LIMA, solve_run
from test_publication_support import make_world as publication_world
from test_submissions_support import INSIDE, make_world, sample_list, set_status

from app.access.models import ApiKey, Role
from app.core import context, logs
from app.core.audit import REDACTED, AuditEntry
from app.editions.models import Room
from app.submissions import service as submissions_service


def _entries(session: Session, **where: object) -> list[AuditEntry]:
    session.expire_all()
    query = select(AuditEntry).order_by(col(AuditEntry.id))
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(session.exec(query).all())


def _count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(AuditEntry)).one()


def _sd_key(session: Session) -> ApiKey:
    return session.exec(select(ApiKey).where(ApiKey.role == Role.sd_admin)).one()


@pytest.fixture
def review(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    r = client.post(world.lists("CUS"), json=sample_list("CUS "), headers=world.keys["CUS"])
    assert r.status_code == 201
    set_status(session, world.edition, "in_review")
    topics = client.get(world.lists("CUS", "/current"), headers=world.sd).json()["topics"]
    return world, topics


def test_accepting_and_rejecting_a_topic_leave_one_row_each(client, session, review):
    world, topics = review
    sd = _sd_key(session)
    first, second = topics[0]["id"], topics[1]["id"]
    r = client.post(world.url(f"/topics/{first}/accept"), headers=world.sd)
    assert r.status_code == 200, r.text
    [row] = _entries(session, request_id=r.headers["X-Request-ID"])
    assert (row.object_type, row.object_id, row.action) == ("topic", str(first), "update")
    assert (row.actor_kind, row.actor_id, row.actor_label, row.role) == (
        "api_key",
        sd.id,
        sd.name,
        "sd_admin",
    )
    assert row.edition_id == world.edition.id
    assert row.before["status"] == "pending" and row.after["status"] == "accepted"
    assert set(row.before) == set(row.after) and "title" not in row.after  # changed fields only

    r = client.post(
        world.url(f"/topics/{second}/reject"), json={"reason": "Duplicado"}, headers=world.sd
    )
    [row] = _entries(session, request_id=r.headers["X-Request-ID"])
    assert (row.object_id, row.after["status"], row.after["review_reason"]) == (
        str(second),
        "rejected",
        "Duplicado",
    )
    assert row.before["review_reason"] is None


def test_the_submission_itself_is_recorded_under_the_delegation_key(client, session, review):
    world, _topics = review
    rows = _entries(session, object_type="topic", action="insert")
    assert len(rows) == 5
    assert {r.role for r in rows} == {"delegation"}
    assert {r.edition_id for r in rows} == {world.edition.id}
    # a topic's sectors belong to the edition through their topic
    links = _entries(session, object_type="topic_sector")
    assert links and {r.edition_id for r in links} == {world.edition.id}


def test_changing_a_request_records_the_old_and_new_values(client, session, review):
    world, topics = review
    for t in topics:
        client.post(world.url(f"/topics/{t['id']}/accept"), headers=world.sd)
    generated = client.post(world.url("/meeting-requests/generate"), headers=world.sd).json()
    rid, weight = generated[0]["id"], generated[0]["weight"]
    r = client.patch(world.url(f"/meeting-requests/{rid}"), json={"weight": 77}, headers=world.sd)
    assert r.status_code == 200, r.text
    [row] = _entries(session, request_id=r.headers["X-Request-ID"], object_type="meeting_request")
    assert row.action == "update" and row.object_id == str(rid)
    assert row.before["weight"] == weight and row.after["weight"] == 77
    assert row.edition_id == world.edition.id


def test_regenerating_requests_records_each_deleted_row(client, session, review):
    world, topics = review
    for t in topics:
        client.post(world.url(f"/topics/{t['id']}/accept"), headers=world.sd)
    first = client.post(world.url("/meeting-requests/generate"), headers=world.sd).json()
    r = client.post(world.url("/meeting-requests/generate?replace=true"), headers=world.sd)
    assert r.status_code in (200, 201), r.text
    deleted = _entries(
        session,
        request_id=r.headers["X-Request-ID"],
        object_type="meeting_request",
        action="delete",
    )
    assert sorted(int(row.object_id) for row in deleted) == sorted(m["id"] for m in first)
    assert all(row.before["edition_id"] == world.edition.id for row in deleted)


def test_a_forced_publication_is_recorded_with_its_reason(client, session, frozen_now):
    frozen_now(dt.datetime(2030, 2, 28, 9, 0, tzinfo=LIMA))
    world = publication_world(session)
    run_id = solve_run(session, world)
    url = f"/api/editions/{world.edition.id}/publications"
    before = _count(session)
    late = client.post(url, json={"run_id": run_id}, headers=auth(world.sd_token))
    assert late.status_code == 409
    assert _count(session) == before  # refused: nothing written, nothing audited
    r = client.post(
        url,
        json={"run_id": run_id, "force": True, "reason": "Cambio de sede por lluvias"},
        headers=auth(world.sd_token),
    )
    assert r.status_code == 201, r.text
    [version] = _entries(
        session, request_id=r.headers["X-Request-ID"], object_type="schedule_version"
    )
    assert version.action == "insert" and version.actor_kind == "api_key"
    assert version.after["forced"] is True
    assert version.after["force_reason"] == "Cambio de sede por lluvias"
    assert version.edition_id == world.edition.id
    meetings = _entries(
        session, request_id=r.headers["X-Request-ID"], object_type="scheduled_meeting"
    )
    assert meetings and {m.edition_id for m in meetings} == {world.edition.id}


def test_a_commitment_status_change_is_recorded(client, session, settings, frozen_now):
    p = published(session, settings)
    frozen_now(dt.datetime(2030, 3, 20, 10, 0, tzinfo=LIMA))
    created = client.post(
        f"/api/editions/{p.edition_id}/meetings/{p.request('D1')}/commitments",
        json=commitment_body(p),
        headers=p.sd(),
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    r = client.post(
        f"/api/commitments/{cid}/status",
        json={"to": "in_process", "note": "Expediente en evaluación"},
        headers=p.as_("MINSA"),
    )
    assert r.status_code == 200, r.text
    rows = _entries(session, request_id=r.headers["X-Request-ID"])
    [change] = [x for x in rows if x.object_type == "commitment"]
    assert (change.object_id, change.action) == (str(cid), "update")
    assert change.before["status"] == "pending" and change.after["status"] == "in_process"
    assert change.role == "sector" and change.edition_id == p.edition_id
    [event] = [x for x in rows if x.object_type == "commitment_event"]
    assert event.action == "insert" and event.edition_id == p.edition_id  # via its commitment


def test_a_rolled_back_write_leaves_no_row(session, engine):
    edition = create_edition(session)
    session.commit()
    before = _count(session)
    with Session(engine) as other:
        other.add(Room(edition_id=edition.id, name="Sala que no queda", capacity=10))
        other.flush()
        [row] = other.exec(select(AuditEntry).where(AuditEntry.object_type == "room")).all()
        assert row.actor_kind == "system" and row.actor_label == "sistema"  # no request
        other.rollback()
    assert _count(session) == before


def test_a_failing_request_leaves_no_row(client, session, review, monkeypatch):
    """The write is flushed (and audited), then the request fails: both are rolled back."""
    world, topics = review
    real = submissions_service.accept_topic

    def accept_then_fail(**kwargs):
        real(**kwargs)
        kwargs["session"].flush()
        raise RuntimeError("falla después de escribir")

    monkeypatch.setattr(submissions_service, "accept_topic", accept_then_fail)
    before = _count(session)
    r = client.post(world.url(f"/topics/{topics[0]['id']}/accept"), headers=world.sd)
    assert r.status_code == 500
    assert _count(session) == before
    assert r.json()["instance"].endswith(f"#request={r.headers['X-Request-ID']}")


def test_secrets_are_redacted(client, session, review):
    world, _topics = review
    r = client.post("/api/keys", json={"name": "Integración", "role": "sd_admin"}, headers=world.sd)
    assert r.status_code == 201, r.text
    [row] = _entries(session, request_id=r.headers["X-Request-ID"], object_type="api_key")
    assert row.after["key_hash"] == REDACTED and row.after["name"] == "Integración"
    assert r.json()["token"] not in str(row.after)


# --------------------------------------------------------------------------- reading


def test_the_sd_reads_and_filters_the_log(client, session, review):
    world, topics = review
    accepted = client.post(world.url(f"/topics/{topics[0]['id']}/accept"), headers=world.sd)
    sd = _sd_key(session)
    r = client.get("/api/audit", params={"edition_id": world.edition.id}, headers=world.sd)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(_entries(session, edition_id=world.edition.id)) > 1
    assert body["items"][0]["request_id"] == accepted.headers["X-Request-ID"]  # newest first
    by_object = client.get(
        "/api/audit",
        params={"object_type": "topic", "object_id": str(topics[0]["id"])},
        headers=world.sd,
    ).json()
    assert [i["action"] for i in by_object["items"]] == ["update", "insert"]
    by_actor = client.get("/api/audit", params={"actor": sd.name}, headers=world.sd).json()
    assert {i["actor_label"] for i in by_actor["items"]} == {sd.name}
    by_id = client.get("/api/audit", params={"actor": f"api_key:{sd.id}"}, headers=world.sd)
    assert by_id.json()["total"] == by_actor["total"]
    future = client.get("/api/audit", params={"from": "2100-01-01T00:00:00Z"}, headers=world.sd)
    assert future.json()["total"] == 0
    paged = client.get("/api/audit", params={"limit": 2}, headers=world.sd).json()
    assert len(paged["items"]) == 2 and paged["total"] == _count(session)


def test_only_the_sd_sees_the_log(client, review):
    world, _topics = review
    assert client.get("/api/audit", headers=world.keys["CUS"]).status_code == 404
    assert client.get("/api/audit.xlsx", headers=world.keys["MINSA"]).status_code == 404
    assert client.get("/api/audit").status_code == 401


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_the_log_cannot_be_edited(client, session, review, method):
    world, _topics = review
    before = [(e.id, e.before, e.after) for e in _entries(session)]
    for path in ("/api/audit", "/api/audit.xlsx"):
        r = client.request(method, path, json={"after": {}}, headers=world.sd)
        assert r.status_code == 405, (path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
    assert [(e.id, e.before, e.after) for e in _entries(session)] == before


def test_the_export_opens_with_the_rows(client, session, review):
    world, topics = review
    client.post(world.url(f"/topics/{topics[0]['id']}/accept"), headers=world.sd)
    r = client.get("/api/audit.xlsx", params={"object_type": "topic"}, headers=world.sd)
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith('attachment; filename="auditoria-')
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Fecha y hora (UTC)", "Solicitud", "Tipo de actor", "Actor")
    topic_rows = _entries(session, object_type="topic")
    assert len(rows) - 1 == len(topic_rows) == 6
    assert [row[7] for row in rows[1:]] == [e.object_id for e in topic_rows]
    assert rows[-1][8] == "cambio" and '"accepted"' in rows[-1][10]


# --------------------------------------------------------------------------- request id


def test_a_failing_request_can_be_followed_by_its_id(client, session, review, caplog):
    world, _topics = review
    caplog.set_level(logging.INFO, logger="articula.access")
    r = client.get("/api/editions/999999", headers=world.sd | {"X-Request-ID": "cliente-1234abcd"})
    assert r.status_code == 404
    assert r.headers["X-Request-ID"] == "cliente-1234abcd"
    assert r.json()["instance"] == "/api/editions/999999#request=cliente-1234abcd"
    [line] = [x for x in caplog.records if getattr(x, "request_id", None) == "cliente-1234abcd"]
    assert (line.method, line.path, line.status) == ("GET", "/api/editions/999999", 404)
    assert line.actor.startswith("api_key:") and line.duration_ms >= 0


def test_an_unusable_request_id_is_replaced(client, review):
    world, _topics = review
    r = client.get("/api/editions/999999", headers=world.sd | {"X-Request-ID": "a b\tc"})
    generated = r.headers["X-Request-ID"]
    assert generated != "a b\tc" and len(generated) == 32
    assert r.json()["instance"] == f"/api/editions/999999#request={generated}"
    other = client.get("/api/editions/999999", headers=world.sd)
    assert other.headers["X-Request-ID"] != generated


@pytest.mark.nodb
def test_log_lines_are_json_with_the_request_id():
    stream = io.StringIO()
    logger = logging.getLogger("articula.test_json")
    handler = logs.json_handler(stream)
    logger.addHandler(handler)
    try:
        token = context.begin("registro-0001")
        logger.warning("dentro de %s", "la solicitud")
        context.end(token)
        logger.warning("fuera")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["message"] == "dentro de la solicitud" and inside["level"] == "WARNING"
    assert inside["request_id"] == "registro-0001" and inside["time"].endswith("+00:00")
    assert outside["request_id"] is None
