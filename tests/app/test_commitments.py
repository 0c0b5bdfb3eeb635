"""Commitments: who may read, edit and change the status of which; the status graph and its
history; overdue with a fixed clock (America/Lima)."""

from __future__ import annotations

import datetime as dt

from test_commitments_support import assign, commitment_body, published

LIMA = dt.timezone(dt.timedelta(hours=-5))


def _create(client, p, delegation="D1", **fields) -> int:
    r = client.post(
        f"/api/editions/{p.edition_id}/meetings/{p.request(delegation)}/commitments",
        json=commitment_body(p, delegation, **fields),
        headers=p.sd(),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_permission_matrix_on_commitment_routes(client, session, settings):
    p = published(session, settings)
    assign(client, p, "A", [p.request("D1")])
    assign(client, p, "B", [p.request("D2")])
    cid = _create(client, p, "D1")  # MINSA and D1 responsible, meeting of rapporteur A
    minedu_only = _create(client, p, "D1", sector_id=None)  # D1 only (delegation)
    _ = minedu_only
    missing = 9_999_999

    def status(who, to="in_process", target=cid):
        body = {"to": to} | ({"evidence": "Oficio 45-2030"} if to == "executed" else {})
        return client.post(f"/api/commitments/{target}/status", json=body, headers=p.as_(who))

    # read and history: SD, MINSA, D1, rapporteur A; not MINEDU, D2, rapporteur B
    for who, code in [
        ("SD", 200),
        ("MINSA", 200),
        ("D1", 200),
        ("A", 200),
        ("MINEDU", 404),
        ("D2", 404),
        ("B", 404),
    ]:
        headers = p.sd() if who == "SD" else p.as_(who)
        r = client.get(f"/api/commitments/{cid}", headers=headers)
        assert r.status_code == code, who
        h = client.get(f"/api/commitments/{cid}/history", headers=headers)
        assert h.status_code == code, who
        if code == 404:
            gone = client.get(f"/api/commitments/{missing}", headers=headers).json()
            assert r.json()["detail"] == gone["detail"].replace(str(missing), str(cid))
            assert {k: r.json()[k] for k in ("type", "title", "status")} == {
                k: gone[k] for k in ("type", "title", "status")
            }
    # edit: SD and rapporteur A only
    for who, code in [
        ("MINSA", 404),
        ("D1", 404),
        ("B", 404),
        ("MINEDU", 404),
        ("A", 200),
    ]:
        r = client.patch(
            f"/api/commitments/{cid}", json={"description": f"Texto de {who}"}, headers=p.as_(who)
        )
        assert r.status_code == code, who
    assert (
        client.patch(f"/api/commitments/{cid}", json={"cui": "2222222"}, headers=p.sd())
    ).status_code == 200
    # status: SD and the responsible parties only
    for who in ("A", "B", "MINEDU", "D2"):
        assert status(who).status_code == 404, who
    assert status("MINSA").status_code == 200
    assert status("D1", "executed").status_code == 200
    # creating outside a meeting and importing: SD only
    for who in ("MINSA", "D1", "A"):
        r = client.post("/api/commitments", json=commitment_body(p), headers=p.as_(who))
        assert r.status_code == 404
    assert (
        client.post("/api/commitments", json=commitment_body(p), headers=p.sd()).status_code == 201
    )
    # no key at all: 401
    assert client.get(f"/api/commitments/{cid}").status_code == 401


def test_status_transitions_and_history(client, session, settings, frozen_now):
    p = published(session, settings)
    frozen_now(dt.datetime(2030, 3, 2, 9, 0, tzinfo=LIMA))
    cid = _create(client, p)

    def move(who, to, **extra):
        headers = p.sd() if who == "SD" else p.as_(who)
        return client.post(
            f"/api/commitments/{cid}/status", json={"to": to, **extra}, headers=headers
        )

    assert move("MINSA", "pending").status_code == 409  # no change is not a transition
    frozen_now(dt.datetime(2030, 3, 20, 10, 0, tzinfo=LIMA))
    r = move("MINSA", "in_process", note="Expediente en evaluación", evidence="Oficio 123-2030")
    assert r.status_code == 200 and r.json()["status"] == "in_process"
    assert move("D1", "pending", note="Se devolvió el expediente").status_code == 200
    assert move("D1", "in_process").status_code == 200
    frozen_now(dt.datetime(2030, 4, 30, 23, 30, tzinfo=LIMA))  # 1 May in UTC
    r = move("MINSA", "executed", evidence="https://www.gob.pe/minsa/resolucion-45")
    assert r.status_code == 200
    assert r.json()["executed_at"] == "2030-04-30"  # the Lima date
    # final: the parties cannot move it; the SD reopens, with a note
    r = move("MINSA", "in_process")
    assert r.status_code == 409 and "solo la SD" in r.json()["detail"]
    assert move("D1", "cancelled", note="x").status_code == 409
    assert move("SD", "pending").status_code == 422  # reopening needs a note
    assert move("SD", "cancelled", note="No").status_code == 409  # executed -> cancelled: no
    r = move("SD", "in_process", note="La obra quedó paralizada")
    assert r.status_code == 200 and r.json()["executed_at"] is None
    assert move("MINSA", "cancelled").status_code == 422  # cancelling needs a note
    assert move("MINSA", "cancelled", note="El GORE desistió del proyecto").status_code == 200
    assert move("SD", "pending", note="Se retoma").status_code == 200

    history = client.get(f"/api/commitments/{cid}/history", headers=p.as_("MINSA")).json()
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in history] == [
        ("created", None, "pending"),
        ("status", "pending", "in_process"),
        ("status", "in_process", "pending"),
        ("status", "pending", "in_process"),
        ("status", "in_process", "executed"),
        ("status", "executed", "in_process"),
        ("status", "in_process", "cancelled"),
        ("status", "cancelled", "pending"),
    ]
    second = history[1]
    assert second["note"] == "Expediente en evaluación" and second["evidence"] == "Oficio 123-2030"
    assert second["actor_role"] == "sector" and second["actor_name"].startswith("Clave sector")
    assert second["at"].startswith("2030-03-20T15:00:00")
    assert history[2]["actor_role"] == "delegation"
    assert history[5]["actor_role"] == "sd_admin"
    assert history[4]["at"].startswith("2030-05-01T04:30:00")


def test_edits_are_kept_in_history(client, session, settings):
    p = published(session, settings)
    cid = _create(client, p)
    r = client.patch(
        f"/api/commitments/{cid}",
        json={"deadline": "2030-08-15", "amount": "2000000.00"},
        headers=p.sd(),
    )
    assert r.status_code == 200
    assert (
        client.patch(f"/api/commitments/{cid}", json={"amount": None}, headers=p.sd()).status_code
        == 422
    )  # budgetary keeps an amount
    assert (
        client.patch(
            f"/api/commitments/{cid}", json={"status": "executed"}, headers=p.sd()
        ).status_code
        == 422
    )  # status only through /status
    events = client.get(f"/api/commitments/{cid}/history", headers=p.sd()).json()
    assert events[-1]["kind"] == "edited"
    assert events[-1]["changes"] == {
        "deadline": ["2030-06-30", "2030-08-15"],
        "amount": ["1500000.00", "2000000.00"],
    }


def test_overdue_with_a_fixed_clock(client, session, settings, frozen_now):
    p = published(session, settings)
    late = _create(client, p, deadline="2030-04-09")
    due_today = _create(client, p, deadline="2030-04-10")
    done_late = _create(client, p, deadline="2030-04-01")
    in_process_late = _create(client, p, "D2", deadline="2030-04-05")
    done = {"to": "executed", "evidence": "Acta de entrega"}
    assert (
        client.post(f"/api/commitments/{done_late}/status", json=done, headers=p.sd())
    ).status_code == 200
    client.post(
        f"/api/commitments/{in_process_late}/status", json={"to": "in_process"}, headers=p.sd()
    )
    # 22:00 in Lima on 10 April is already 11 April in UTC: the deadline of the 10th holds
    frozen_now(dt.datetime(2030, 4, 11, 3, 0, tzinfo=dt.UTC))
    flags = {
        c: client.get(f"/api/commitments/{c}", headers=p.sd()).json()["overdue"]
        for c in (late, due_today, done_late, in_process_late)
    }
    assert flags == {late: True, due_today: False, done_late: False, in_process_late: True}
    r = client.get("/api/commitments", params={"overdue": "true"}, headers=p.sd()).json()
    assert sorted(c["id"] for c in r["items"]) == sorted([late, in_process_late])
    r = client.get("/api/commitments", params={"overdue": "false"}, headers=p.sd()).json()
    assert sorted(c["id"] for c in r["items"]) == sorted([due_today, done_late])
    # a day later (in Lima) the one due on the 10th is overdue too
    frozen_now(dt.datetime(2030, 4, 11, 5, 1, tzinfo=dt.UTC))
    assert client.get(f"/api/commitments/{due_today}", headers=p.sd()).json()["overdue"] is True
    summary = client.get("/api/commitments/summary", headers=p.sd()).json()
    assert summary["total"]["overdue"] == 3 and summary["as_of"] == "2030-04-11"


def test_list_is_scoped_and_filtered(client, session, settings):
    p = published(session, settings)
    a = _create(client, p, "D1")
    b = _create(client, p, "D2", type="technical", amount=None)
    c = _create(client, p, "D1", sector_id=None, type="administrative", amount=None)
    done = {"to": "executed", "evidence": "https://www.gob.pe/minsa/acta-7"}
    assert (
        client.post(f"/api/commitments/{a}/status", json=done, headers=p.sd())
    ).status_code == 200

    def ids(who, **params):
        headers = p.sd() if who == "SD" else p.as_(who)
        r = client.get("/api/commitments", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return sorted(x["id"] for x in r.json()["items"])

    assert ids("SD") == sorted([a, b, c])
    assert ids("MINSA") == sorted([a, b])
    assert ids("MINEDU") == []
    assert ids("D1") == sorted([a, c])
    assert ids("D1", open="true") == [c]  # what a delegation reviews before the next edition
    assert ids("D2", delegation_id=p.world.delegations[0].id) == []  # scope wins over filters
    assert ids("SD", type="technical") == [b]
    assert ids("SD", status=["executed", "pending"]) == sorted([a, b, c])
    assert ids("SD", status="executed") == [a]
    assert ids("SD", sector_id=p.world.sectors["MINSA"].id, open="true") == [b]
    assert ids("SD", edition_id=p.edition_id, source="recorded") == sorted([a, b, c])
    r = client.get("/api/commitments", params={"limit": 1}, headers=p.sd()).json()
    assert r["total"] == 3 and len(r["items"]) == 1
    item = client.get(f"/api/commitments/{b}", headers=p.sd()).json()
    assert item["sector_code"] == "MINSA" and item["delegation_code"] == "D2"
    assert item["source"] == "recorded" and item["edition_label"] == "12.º GORE Ejecutivo"


def test_executed_needs_evidence_and_evidence_can_follow_at_any_status(
    client, session, settings, frozen_now
):
    p = published(session, settings)
    frozen_now(dt.datetime(2030, 3, 2, 9, 0, tzinfo=LIMA))
    cid = _create(client, p)
    url = f"/api/commitments/{cid}"
    for body in ({"to": "executed"}, {"to": "executed", "evidence": "   "}):
        r = client.post(f"{url}/status", json=body, headers=p.as_("MINSA"))
        assert r.status_code == 422 and "evidencia" in r.json()["detail"]
    assert client.get(url, headers=p.sd()).json()["status"] == "pending"
    done = {"to": "executed", "evidence": "Oficio 45-2030"}
    assert client.post(f"{url}/status", json=done, headers=p.as_("MINSA")).status_code == 200
    # final, yet the responsible party adds the resolution later; others cannot
    more = {"evidence": "https://www.gob.pe/minsa/resolucion-45", "note": "Resolución firmada"}
    for who in ("MINEDU", "D2", "A"):
        assert client.post(f"{url}/evidence", json=more, headers=p.as_(who)).status_code == 404
    r = client.post(f"{url}/evidence", json=more, headers=p.as_("D1"))
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "evidence" and r.json()["actor_role"] == "delegation"
    assert client.post(f"{url}/evidence", json={"evidence": ""}, headers=p.sd()).status_code == 422
    history = client.get(f"{url}/history", headers=p.sd()).json()
    assert [(e["kind"], e["evidence"]) for e in history][-2:] == [
        ("status", "Oficio 45-2030"),
        ("evidence", "https://www.gob.pe/minsa/resolucion-45"),
    ]
    assert client.get(url, headers=p.sd()).json()["status"] == "executed"
    # the SD creates an executed commitment only with its evidence
    body = commitment_body(p, status="executed")
    assert client.post("/api/commitments", json=body, headers=p.sd()).status_code == 422
    body["evidence"] = "Acta de la sesión"
    assert client.post("/api/commitments", json=body, headers=p.sd()).status_code == 201


def test_a_deadline_in_the_past_is_refused(client, session, settings, frozen_now):
    p = published(session, settings)
    frozen_now(dt.datetime(2030, 7, 1, 10, 0, tzinfo=LIMA))
    body = commitment_body(p, deadline="2030-06-30")
    r = client.post("/api/commitments", json=body, headers=p.sd())
    assert r.status_code == 422 and "ya pasó" in r.json()["detail"]
    meeting = f"/api/editions/{p.edition_id}/meetings/{p.request('D1')}/commitments"
    assert client.post(meeting, json=body, headers=p.sd()).status_code == 422
    cid = _create(client, p, deadline="2030-07-01")  # today is fine
    r = client.patch(f"/api/commitments/{cid}", json={"deadline": "2030-06-01"}, headers=p.sd())
    assert r.status_code == 422
    assert client.get(f"/api/commitments/{cid}", headers=p.sd()).json()["deadline"] == "2030-07-01"
