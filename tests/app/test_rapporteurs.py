"""Rapporteurs: assignments (SD only), records and commitments in their own meetings only,
until the SD closes the edition's records (then 409); everyone else gets a 404."""

from __future__ import annotations

import datetime as dt

from test_commitments_support import assign, commitment_body, published
from test_publication_support import LIMA, at

from app.agendas.delivery import publish_meetings

AFTER_THE_MEETINGS = at(19, 0)  # the evening of day 1: every meeting has started

RECORD = {
    "held": True,
    "attendees": [
        {"name": "Ana Quispe", "role": "Ministra de Salud", "party": "MINSA"},
        {"name": "Luis Núñez", "role": "Gobernador regional", "party": "D1"},
    ],
    "notes": "Se revisó el saldo de obra del hospital.",
}


def _problem(r) -> dict:
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    return {k: body[k] for k in ("type", "title", "status")}


def test_assignments_are_sd_only(client, session, settings):
    p = published(session, settings)
    r1, r2 = p.request("D1"), p.request("D2")
    url = f"/api/editions/{p.edition_id}/rapporteur-assignments"
    body = {"rapporteur_key_id": p.rapporteur_a[0], "request_ids": [r1]}
    for who in ("MINSA", "D1", "A"):
        r = client.post(url, json=body, headers=p.as_(who))
        assert r.status_code == 404, who
    assign(client, p, "A", [r1])
    assign(client, p, "B", [r2])
    # unknown meeting, and a key that is not a rapporteur's: 422
    r = client.post(
        url,
        json={"rapporteur_key_id": p.rapporteur_a[0], "request_ids": [999999]},
        headers=p.sd(),
    )
    assert r.status_code == 422 and r.json()["request_ids"] == [999999]
    sd_key = client.get("/api/me", headers=p.sd()).json()["key_id"]
    r = client.post(url, json={"rapporteur_key_id": sd_key, "request_ids": [r1]}, headers=p.sd())
    assert r.status_code == 422
    # reads: SD all, a rapporteur its own, parties 404
    assert [a["request_id"] for a in client.get(url, headers=p.sd()).json()] == sorted([r1, r2])
    mine = client.get(url, headers=p.as_("A")).json()
    assert [(a["request_id"], a["rapporteur_name"]) for a in mine] == [(r1, "Relatora A")]
    assert client.get(url, headers=p.as_("MINSA")).status_code == 404
    # re-assigning replaces the rapporteur: A, left without meetings here, no longer sees
    # the edition
    assign(client, p, "B", [r1])
    assert client.get(url, headers=p.as_("A")).status_code == 404
    assert [a["request_id"] for a in client.get(url, headers=p.as_("B")).json()] == sorted([r1, r2])


def test_assignment_needs_a_published_schedule(client, session, settings):
    from factories import create_key
    from test_publication_support import make_world

    from app.access.models import Role

    world = make_world(session)
    key, _ = create_key(session, Role.rapporteur)
    r = client.post(
        f"/api/editions/{world.edition.id}/rapporteur-assignments",
        json={"rapporteur_key_id": key.id, "request_ids": [world.plan[0].request_id]},
        headers={"Authorization": f"Bearer {world.sd_token}"},
    )
    assert r.status_code == 409


def test_permission_matrix_before_and_after_close(client, session, settings, frozen_now):
    p = published(session, settings)
    frozen_now(AFTER_THE_MEETINGS)
    own, foreign = p.request("D1"), p.request("D2")
    assign(client, p, "A", [own])
    assign(client, p, "B", [foreign])
    base = f"/api/editions/{p.edition_id}/meetings"

    def record(rid, who):
        return client.put(f"{base}/{rid}/record", json=RECORD, headers=p.as_(who))

    def commit(rid, who, delegation):
        return client.post(
            f"{base}/{rid}/commitments",
            json=commitment_body(p, delegation),
            headers=p.as_(who),
        )

    # before the close
    assert record(own, "A").status_code == 200
    created = commit(own, "A", "D1")
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    missing = record(987654, "A")
    for r in (record(foreign, "A"), commit(foreign, "A", "D2")):
        assert r.status_code == 404 and _problem(r) == _problem(missing)
        assert r.json()["detail"] == f"No existe la reunión {foreign} en esta edición."
    for who in ("MINSA", "D1"):  # the parties themselves do not write records
        assert record(own, who).status_code == 404
        assert commit(own, who, "D1").status_code == 404
    assert record(own, "D1").json()["detail"] == f"No existe la reunión {own} en esta edición."
    assert client.get(f"{base}/{own}/record", headers=p.as_("A")).json()["notes"]
    assert client.get(f"{base}/{own}/record", headers=p.as_("B")).status_code == 404
    assert client.get(f"{base}/{own}/commitments", headers=p.as_("A")).json()[0]["id"] == cid
    patch = client.patch(
        f"/api/commitments/{cid}", json={"deadline": "2030-07-31"}, headers=p.as_("A")
    )
    assert patch.status_code == 200 and patch.json()["deadline"] == "2030-07-31"
    assert (
        client.patch(f"/api/commitments/{cid}", json={"cui": "2345678"}, headers=p.as_("B"))
    ).status_code == 404
    # rapporteurs never change a status
    r = client.post(f"/api/commitments/{cid}/status", json={"to": "executed"}, headers=p.as_("A"))
    assert r.status_code == 404

    # only the SD closes
    close = f"/api/editions/{p.edition_id}/records/close"
    for who in ("A", "MINSA", "D1"):
        assert client.post(close, headers=p.as_(who)).status_code == 404
    closed = client.post(close, headers=p.sd())
    assert closed.status_code == 200
    assert client.post(close, headers=p.sd()).json()["closed_at"] == closed.json()["closed_at"]

    # after the close: own meeting 409, foreign still 404, the SD still writes
    assert record(own, "A").status_code == 409
    assert commit(own, "A", "D1").status_code == 409
    assert (
        client.patch(f"/api/commitments/{cid}", json={"cui": "2345678"}, headers=p.as_("A"))
    ).status_code == 409
    assert record(foreign, "A").status_code == 404
    assert commit(foreign, "A", "D2").status_code == 404
    assert record(own, "MINSA").status_code == 404
    assert client.get(f"{base}/{own}/record", headers=p.as_("A")).status_code == 200
    assert client.get(f"/api/commitments/{cid}", headers=p.as_("A")).status_code == 200
    r = client.put(f"{base}/{own}/record", json=RECORD, headers=p.sd())
    assert r.status_code == 200
    assert commit(foreign, "B", "D2").status_code == 409
    r = client.post(f"{base}/{foreign}/commitments", json=commitment_body(p, "D2"), headers=p.sd())
    assert r.status_code == 201


def test_record_and_commitment_validation(client, session, settings, frozen_now):
    p = published(session, settings)
    frozen_now(AFTER_THE_MEETINGS)
    own = p.request("D1")
    assign(client, p, "A", [own])
    base = f"/api/editions/{p.edition_id}/meetings/{own}"
    r = client.put(f"{base}/record", json={"held": False}, headers=p.as_("A"))
    assert r.status_code == 422
    r = client.put(
        f"{base}/record",
        json={"held": False, "not_held_reason": "El gobernador no llegó"},
        headers=p.as_("A"),
    )
    assert r.status_code == 200 and r.json()["held"] is False
    assert r.json()["recorded_by"] == "Relatora A"

    def post(**fields):
        return client.post(
            f"{base}/commitments", json=commitment_body(p, "D1", **fields), headers=p.as_("A")
        )

    assert post(amount=None).status_code == 422  # budgetary needs its amount
    assert post(cui="123456").status_code == 422
    assert post(sector_id=p.world.sectors["MINEDU"].id).status_code == 422  # not in the meeting
    d2 = next(d for d in p.world.delegations if d.code == "D2")
    assert post(delegation_id=d2.id).status_code == 422
    assert post(sector_id=None, delegation_id=None).status_code == 422
    assert post(type="technical", amount=None).status_code == 201  # optional otherwise
    assert post(type="technical", amount="12.345").status_code == 422
    # a topic of the meeting lends its CUI
    from app.commitments.service import published_meeting

    meeting = published_meeting(session=session, edition=p.world.edition, request_id=own)
    project = next(t for t in meeting.topic_ids)
    r = post(topic_id=project)
    assert r.status_code == 201
    r = post(topic_id=999999)
    assert r.status_code == 422


def test_no_record_before_the_meeting_starts(client, session, settings, frozen_now):
    p = published(session, settings)
    own = p.request("D1")  # 10:00-10:20 on day 1
    assign(client, p, "A", [own])
    url = f"/api/editions/{p.edition_id}/meetings/{own}/record"
    frozen_now(at(9, 59))
    early = client.put(url, json=RECORD, headers=p.as_("A"))
    assert early.status_code == 409
    assert (
        "aún no empieza: podrá registrarla desde las 10:00 del 01/03/2030"
        in (early.json()["detail"])
    )
    commitment = client.post(
        f"/api/editions/{p.edition_id}/meetings/{own}/commitments",
        json=commitment_body(p, "D1"),
        headers=p.as_("A"),
    )
    assert commitment.status_code == 409
    frozen_now(at(10, 0))
    assert client.put(url, json=RECORD, headers=p.as_("A")).status_code == 200


def test_a_cancelled_meeting_drops_out_of_the_rapporteurs_list(client, session, settings):
    p = published(session, settings)
    own, other = p.request("D1"), p.request("D2")
    assign(client, p, "A", [own, other])
    url = f"/api/editions/{p.edition_id}/rapporteur-meetings"
    mine = client.get(url, headers=p.as_("A")).json()
    assert [m["request_id"] for m in mine] == [own, other]
    assert mine[0]["room"] == "Sala 1" and mine[0]["sectors"] == ["MINSA"]
    assert mine[0]["delegation"] == "D1" and len(mine[0]["topics"]) == 2
    assert client.get(url, headers=p.as_("B")).status_code == 404  # no meeting here
    publish_meetings(  # version 2 cancels D2's MINSA meeting
        session=session,
        edition=p.world.edition,
        meetings=[m for m in p.world.plan if m.request_id != other],
        published_by="SD",
        now=dt.datetime(2030, 1, 12, 15, 0, tzinfo=LIMA),
        settings=settings,
    )
    session.commit()
    assert [m["request_id"] for m in client.get(url, headers=p.as_("A")).json()] == [own]
    gone = client.put(
        f"/api/editions/{p.edition_id}/meetings/{other}/record", json=RECORD, headers=p.as_("A")
    )
    assert gone.status_code == 404


def test_a_closed_record_is_no_longer_a_draft(client, session, settings, frozen_now):
    p = published(session, settings)
    own = p.request("D1")
    assign(client, p, "A", [own])
    frozen_now(AFTER_THE_MEETINGS)
    base = f"/api/editions/{p.edition_id}/meetings/{own}"
    assert client.post(f"{base}/record/close", headers=p.as_("A")).status_code == 404  # none yet
    draft = client.put(f"{base}/record", json=RECORD, headers=p.as_("A"))
    assert draft.status_code == 200 and draft.json()["closed_at"] is None
    closed = client.post(f"{base}/record/close", headers=p.as_("A"))
    assert closed.status_code == 200 and closed.json()["closed_at"] is not None
    again = client.put(f"{base}/record", json=RECORD, headers=p.as_("A"))
    assert again.status_code == 409 and "cerró la relatoría" in again.json()["detail"]
    late = client.post(f"{base}/commitments", json=commitment_body(p, "D1"), headers=p.as_("A"))
    assert late.status_code == 409
    assert client.put(f"{base}/record", json=RECORD, headers=p.sd()).status_code == 200
    listed = client.get(
        f"/api/editions/{p.edition_id}/rapporteur-meetings", headers=p.as_("A")
    ).json()
    assert listed[0]["recorded"] and listed[0]["closed"] and listed[0]["held"]
