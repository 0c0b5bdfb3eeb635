"""The whole GORE Ejecutivo journey on the demo edition, through the API only.

Submissions (8 regions, a new version of one list) -> SD review -> meeting requests (a pin, a
mandatory meeting) -> two solve runs followed by GET and SSE, compared -> publication, agendas
e-mailed to a real SMTP server -> every agenda format downloaded by a ministry -> a minister
cancels, re-plan, version 2 e-mailed only to the parties it changes -> rapporteur's record and
a commitment executed by the ministry, visible in the SD's follow-up summary.

The only direct calls besides HTTP are the ones the deployment makes: `load_demo` (what
`articula demo` runs), the frozen service clock, `jobs.drain` (wait for the background solve)
and `dispatch_due` (what the periodic `dispatch_outbox` job runs), pointed at aiosmtpd.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from e2e_support import (
    attachments,
    body_text,
    parse_demo_keys,
    read_sse,
    vevents,
)
from fastapi.testclient import TestClient
from smtp_support import smtp_server
from test_publication_support import pdf_text

from app.core import clock, jobs
from app.demo import load_demo
from app.demo_data import EDITION_NAME, PRIORITY_SECTORS
from app.mail.service import dispatch_due

LIMA = ZoneInfo("America/Lima")
T0 = dt.datetime(2030, 2, 1, 10, 0, tzinfo=LIMA)  # the demo edition opens 7 days before
RUN = {"time_limit_s": 5}
# Eight regions, each with an investment project, a budget request and an administrative
# blockage for three consecutive priority sectors.
REGIONS = ["CUS", "JUN", "PIU", "AYA", "PUN", "LOR", "SAM", "ARE"]


@pytest.fixture
def api(app, monkeypatch):
    """The app with its job engine, without the 30 s periodic jobs (the test dispatches the
    outbox itself, to the SMTP server it starts)."""
    monkeypatch.setenv("ARTICULA_JOBS_PERIODIC", "false")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def H(token: str) -> dict[str, str]:  # noqa: N802
    return {"Authorization": f"Bearer {token}"}


def _topics(i: int, code: str) -> list[dict]:
    s = [PRIORITY_SECTORS[(i + k) % len(PRIORITY_SECTORS)] for k in range(3)]
    return [
        {
            "title": f"Hospital regional de {code}: saldo de obra",
            "description": "Financiamiento del saldo para concluir la obra en 2030.",
            "kind": "investment_project",
            "cui": f"2{i + 1:06d}",
            "amount": f"{(i + 1) * 1_250_000}.50",
            "sectors": [{"sector": s[0], "rank": 1}],
        },
        {
            "title": f"Ampliación presupuestal para {code}",
            "kind": "budget_request",
            "sectors": [{"sector": s[1], "rank": 1}],
        },
        {
            "title": f"Saneamiento de terrenos en {code}",
            "kind": "administrative_blockage",
            "sectors": [{"sector": s[2], "rank": 1}],
        },
    ]


def _wait_run(client, base, sd, run_id) -> dict:
    assert jobs.drain(60)
    run = client.get(f"{base}/runs/{run_id}", headers=sd).json()
    assert run["status"] == "succeeded", run
    return run


def _squash(text: str) -> str:
    """Text without whitespace: the PDF wraps long names inside table cells."""
    return "".join(text.split())


def _local(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).astimezone(LIMA)


def _dispatch(engine, settings, port) -> int:
    config = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    return dispatch_due(engine=engine, settings=config, now=clock.now())


def test_gore_ejecutivo_end_to_end(api, session, engine, settings, frozen_now):
    client = api
    frozen_now(T0)
    demo = load_demo(session=session)
    session.commit()
    keys = parse_demo_keys(demo.keys)
    sd = H(keys["SD"])

    # ------------------------------------------------------------------ the demo edition
    editions = client.get("/api/editions", headers=H(keys["CUS"])).json()["items"]
    edition = next(e for e in editions if e["name"] == EDITION_NAME)
    assert edition["status"] == "open_for_submissions"
    eid = edition["id"]
    base = f"/api/editions/{eid}"
    first_day = dt.date.fromisoformat(edition["days"][0]["date"])
    assert first_day == T0.date() + dt.timedelta(days=21)
    sector_ids = {
        s["code"]: s["id"]
        for s in client.get("/api/sectors", params={"limit": 500}, headers=sd).json()["items"]
    }

    # ------------------------------------------------------------------ 1. submissions
    for i, code in enumerate(REGIONS):
        topics = _topics(i, code)
        if code == "CUS":  # a multisector topic: MINSA (2nd for Cusco) with MVCS
            topics.append(
                {
                    "title": "Agua y desagüe para el Hospital de Quillabamba",
                    "kind": "investment_project",
                    "cui": "2234567",
                    "amount": "45000000.00",
                    "sectors": [{"sector": "MINSA", "rank": 2}, {"sector": "MVCS", "rank": 1}],
                }
            )
        r = client.post(
            f"{base}/delegations/{code}/topic-lists",
            json={"topics": topics},
            headers=H(keys[code]) | {"Idempotency-Key": f"{code}-lista-1"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["number"] == 1 and r.json()["topic_count"] == len(topics)
    # a replay of the same key and body creates nothing
    again = client.post(
        f"{base}/delegations/CUS/topic-lists",
        json={"topics": _topics(0, "CUS")[:1]},
        headers=H(keys["CUS"]) | {"Idempotency-Key": "CUS-lista-1"},
    )
    assert again.status_code == 409  # same key, another body
    # Junín replaces its list: version 2 drops the blockage, adds a second MINSA... topic
    jun_v2 = _topics(1, "JUN")[:2] + [
        {
            "title": "Hospital de La Merced: equipamiento",
            "kind": "investment_project",
            "cui": "2345678",
            "amount": "8750000.00",
            "sectors": [{"sector": "MINSA", "rank": 2}],
        }
    ]
    r = client.post(
        f"{base}/delegations/JUN/topic-lists", json={"topics": jun_v2}, headers=H(keys["JUN"])
    )
    assert r.status_code == 201 and r.json()["number"] == 2, r.text
    versions = client.get(f"{base}/delegations/JUN/topic-lists", headers=H(keys["JUN"])).json()
    assert [(v["number"], v["is_current"]) for v in versions] == [(1, False), (2, True)]
    # a region cannot read another region's list
    foreign = client.get(f"{base}/delegations/JUN/topic-lists/current", headers=H(keys["CUS"]))
    assert foreign.status_code == 404

    # ------------------------------------------------------------------ 2. SD review
    r = client.post(f"{base}/status", json={"to": "in_review"}, headers=sd)
    assert r.status_code == 200 and r.json()["status"] == "in_review", r.text
    late = client.post(
        f"{base}/delegations/CUS/topic-lists", json={"topics": []}, headers=H(keys["CUS"])
    )
    assert late.status_code == 409
    topics = client.get(f"{base}/topics", params={"limit": 500}, headers=sd).json()
    assert topics["total"] == 8 * 3 + 1  # Junín's current list only (v2 has 3 topics too)
    assert {t["version"] for t in topics["items"] if t["delegation"] == "JUN"} == {2}
    rejected = next(
        t
        for t in topics["items"]
        if t["delegation"] == "PUN" and t["kind"] == "administrative_blockage"
    )
    reason = "El saneamiento de terrenos es competencia del gobierno local; coordinar con SBN."
    r = client.post(f"{base}/topics/{rejected['id']}/reject", json={"reason": reason}, headers=sd)
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    for t in topics["items"]:
        if t["id"] != rejected["id"]:
            r = client.post(f"{base}/topics/{t['id']}/accept", headers=sd)
            assert r.status_code == 200, r.text
    pun = client.get(f"{base}/delegations/PUN/topic-lists/current", headers=H(keys["PUN"])).json()
    assert {t["status"] for t in pun["topics"]} == {"accepted", "rejected"}
    assert next(t for t in pun["topics"] if t["status"] == "rejected")["review_reason"] == reason
    # a ministry sees the topics addressed to it, not the others
    minsa_topics = client.get(f"{base}/topics", headers=H(keys["MINSA"])).json()["items"]
    assert minsa_topics and all(
        "MINSA" in {s["sector"] for s in t["sectors"]} for t in minsa_topics
    )

    r = client.post(f"{base}/meeting-requests/generate", headers=sd)
    assert r.status_code == 201, r.text
    requests = r.json()
    # 24 accepted topics: 3 requests per region, Cusco 4 (its MINSA+MVCS topic is one
    # multisector request), Junín 2 (two MINSA topics), Puno 2 (one rejected)
    assert len(requests) == 23
    multi = next(q for q in requests if len(q["sectors"]) == 2)
    assert multi["delegation"] == "CUS" and multi["sectors"] == ["MINSA", "MVCS"]
    jun_minsa = next(q for q in requests if q["delegation"] == "JUN" and q["sectors"] == ["MINSA"])
    assert len(jun_minsa["topic_ids"]) == 2 and jun_minsa["weight"] == 10 + 9
    rooms = {room["name"]: room["id"] for room in client.get(f"{base}/rooms", headers=sd).json()}
    cus_minsa = next(q for q in requests if q["delegation"] == "CUS" and q["sectors"] == ["MINSA"])
    pin = {"date": first_day.isoformat(), "start_time": "14:00", "room_id": rooms["Sala MINSA"]}
    r = client.patch(f"{base}/meeting-requests/{cus_minsa['id']}", json={"pin": pin}, headers=sd)
    assert r.status_code == 200 and r.json()["pin"]["slot"] is not None, r.text
    r = client.patch(f"{base}/meeting-requests/{multi['id']}", json={"mandatory": True}, headers=sd)
    assert r.status_code == 200 and r.json()["mandatory"] is True, r.text
    r = client.post(f"{base}/status", json={"to": "scheduling"}, headers=sd)
    assert r.status_code == 200 and r.json()["status"] == "scheduling", r.text

    # ------------------------------------------------------------------ 3. solve runs
    r = client.post(f"{base}/runs", json=RUN, headers=sd)
    assert r.status_code == 202, r.text
    run1_id = r.json()["id"]
    busy = client.post(f"{base}/runs", json=RUN, headers=sd)
    live = client.get(f"{base}/runs/{run1_id}", headers=sd).json()
    if live["status"] in ("queued", "running"):
        assert busy.status_code == 409 and busy.json()["run_id"] == run1_id
    events = read_sse(client, f"{base}/runs/{run1_id}/events", sd)
    run1 = _wait_run(client, base, sd, run1_id)
    assert events[-1] == ("done", {"status": "succeeded", "run_id": run1_id})
    assert [data for name, data in events if name == "progress"] == run1["progress"]
    assert run1["progress"], "the solver reported progress"
    assert run1["result"]["unscheduled"] == []
    meetings1 = client.get(f"{base}/runs/{run1_id}/meetings", headers=sd).json()
    assert len(meetings1) == len(requests)
    by_request = {m["request_id"]: m for m in meetings1}
    pinned = by_request[cus_minsa["id"]]
    assert pinned["room"] == "Sala MINSA"
    assert dt.datetime.fromisoformat(pinned["starts_at"]) == dt.datetime.combine(
        first_day, dt.time(14), LIMA
    )

    r = client.post(
        f"{base}/runs", json=RUN | {"fairness": False, "sector_keeps_room": True}, headers=sd
    )
    assert r.status_code == 202, r.text
    run2 = _wait_run(client, base, sd, r.json()["id"])
    assert run2["options"]["sector_keeps_room"] is True and run2["options"]["fairness"] is False
    cmp = client.get(f"{base}/runs/{run1_id}/compare/{run2['id']}", headers=sd).json()
    assert cmp["run"]["run_id"] == run1_id and cmp["other"]["run_id"] == run2["id"]
    assert cmp["run"]["scheduled"] == len(meetings1)
    assert cmp["unchanged"] + len(cmp["moved"]) + len(cmp["dropped"]) == len(meetings1)
    listed = client.get(f"{base}/runs", headers=sd).json()
    assert [x["id"] for x in listed["items"]] == [run2["id"], run1_id]

    # ------------------------------------------------------------------ 4. publication
    frozen_now(dt.datetime.combine(first_day - dt.timedelta(days=3), dt.time(9), LIMA))
    r = client.post(f"{base}/publications", json={"run_id": run1_id}, headers=sd)
    assert r.status_code == 201, r.text
    pub1 = r.json()
    assert pub1["number"] == 1 and pub1["meeting_count"] == len(meetings1)
    assert pub1["delivery_status"] == "pending"  # inside the window: due at once
    assert client.get(base, headers=sd).json()["status"] == "published"

    per_sector: dict[str, list[dict]] = defaultdict(list)
    per_delegation: dict[str, list[dict]] = defaultdict(list)
    for m in meetings1:
        per_delegation[m["delegation"]].append(m)
        for s in m["sectors"]:
            per_sector[s].append(m)
    assert set(per_sector) == set(PRIORITY_SECTORS)
    names = {
        d["code"]: d["name"]
        for d in client.get("/api/delegations", params={"limit": 500}, headers=sd).json()["items"]
    }

    with smtp_server() as (sink, port):
        sent = _dispatch(engine, settings, port)
        received = sink.take()
    assert sent == len(received) == len(per_sector) + len(per_delegation)
    by_subject = {m["Subject"]: m for m in received}
    v1_uids: dict[str, set[str]] = {}
    for code, meetings in per_sector.items():
        subject = f"Agenda de reuniones bilaterales \u2013 {EDITION_NAME} \u2013 {code} (versión 1)"
        msg = by_subject.pop(subject)
        assert "despacho.ministerial@" in msg["To"]
        assert f"Reuniones programadas ({len(meetings)})" in body_text(msg)
        files = attachments(msg)
        assert set(files) == {f"agenda-{code}-v1.pdf", f"agenda-{code}-v1.ics"}
        text = _squash(pdf_text(files[f"agenda-{code}-v1.pdf"]))
        for m in meetings:  # every meeting's region and start time is in the PDF
            assert _squash(names[m["delegation"]]) in text, (code, m["delegation"])
            assert _local(m["starts_at"]).strftime("%H:%M") in text
        events = vevents(files[f"agenda-{code}-v1.ics"])
        assert len(events) == len(meetings)
        v1_uids[code] = {str(e["UID"]) for e in events}
        assert {str(e["STATUS"]) for e in events} == {"CONFIRMED"}
    assert all(s.endswith("(versión 1)") for s in by_subject)  # the delegations' agendas
    assert len(by_subject) == len(per_delegation)
    deliveries = client.get(f"{base}/deliveries", headers=sd).json()
    assert {d["status"] for d in deliveries} == {"sent"}

    # ------------------------------------------------------------------ 5. agenda downloads
    minsa = H(keys["MINSA"])
    url = f"{base}/agendas/sectors/MINSA"
    doc = client.get(url, headers=minsa)
    assert doc.status_code == 200 and doc.headers["content-type"] == "application/json"
    doc = doc.json()
    assert doc["kind"] == "sector" and doc["owner_code"] == "MINSA" and doc["version"] == 1
    assert len(doc["meetings"]) == len(per_sector["MINSA"])
    assert [m["start"] for m in doc["meetings"]] == sorted(m["start"] for m in doc["meetings"])
    cus_doc = next(m for m in doc["meetings"] if m["delegation"]["code"] == "CUS")
    assert cus_doc["start"].startswith(f"{first_day.isoformat()}T")
    project = next(
        t for m in doc["meetings"] for t in m["topics"] if t["cui"] == "2234567"
    )  # the multisector topic, in MINSA's agenda too
    assert project["amount_soles"] == "45000000.00" and project["kind"] == "investment_project"

    pdf = client.get(url, params={"format": "pdf"}, headers=minsa)
    assert pdf.headers["content-type"] == "application/pdf"
    text = _squash(pdf_text(pdf.content))
    assert "2234567" in text and _squash(names["CUS"]) in text

    ics = client.get(url, params={"format": "ics"}, headers=minsa)
    assert ics.headers["content-type"].startswith("text/calendar")
    assert {str(e["UID"]) for e in vevents(ics.content)} == v1_uids["MINSA"]

    xlsx = client.get(url, params={"format": "xlsx"}, headers=minsa)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    n_topic_rows = sum(len(m["topics"]) or 1 for m in doc["meetings"])
    assert rows[0][0] == "Fecha" and len(rows) == 1 + n_topic_rows
    assert any(names["CUS"] in row for row in rows[1:])

    raw = client.get(url, params={"format": "csv"}, headers=minsa)
    assert raw.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert table[0][0] == "Fecha" and len(table) == 1 + n_topic_rows
    assert any("2234567" in row for row in table)

    for path in ("agendas/sectors/MINEDU", "agendas/delegations/CUS", "agendas/grid"):
        assert client.get(f"{base}/{path}", headers=minsa).status_code == 404, path
    assert (
        client.get(f"{base}/agendas/sectors/MINEDU", headers=H(keys["MINEDU"])).status_code == 200
    )

    # ------------------------------------------------------------------ 6. cancellation
    cancelled = next(
        q
        for q in requests
        if len(q["sectors"]) == 1
        and q["id"] not in (cus_minsa["id"], multi["id"])
        and q["sectors"][0] != "MINSA"
    )
    c_sector, c_delegation = cancelled["sectors"][0], cancelled["delegation"]
    r = client.delete(f"{base}/meeting-requests/{cancelled['id']}", headers=sd)
    assert r.status_code == 409  # the published schedule is frozen: back to scheduling first
    r = client.post(f"{base}/status", json={"to": "scheduling"}, headers=sd)
    assert r.status_code == 200, r.text
    r = client.delete(f"{base}/meeting-requests/{cancelled['id']}", headers=sd)
    assert r.status_code == 204, r.text
    r = client.post(f"{base}/runs", json=RUN | {"mode": "replan"}, headers=sd)
    assert r.status_code == 202, r.text
    assert len(r.json()["options"]["previous"]) == len(meetings1)
    replan = _wait_run(client, base, sd, r.json()["id"])
    assert replan["mode"] == "replan"
    cmp = client.get(f"{base}/runs/{run1_id}/compare/{replan['id']}", headers=sd).json()
    assert cmp["dropped"] == [cancelled["id"]]
    assert cmp["added"] == [] and cmp["moved"] == []

    frozen_now(dt.datetime.combine(first_day - dt.timedelta(days=2), dt.time(9), LIMA))
    r = client.post(f"{base}/publications", json={"run_id": replan["id"]}, headers=sd)
    assert r.status_code == 201, r.text
    pub2 = r.json()
    assert pub2["number"] == 2 and pub2["meeting_count"] == len(meetings1) - 1
    assert {(c["party_kind"], c["party_code"]) for c in pub2["changes"]} == {
        ("sector", c_sector),
        ("delegation", c_delegation),
    }
    with smtp_server() as (sink, port):
        sent = _dispatch(engine, settings, port)
        received = sink.take()
    subjects = sorted(m["Subject"] for m in received)
    assert sent == 2 and subjects == sorted(
        f"Cambios en la agenda de reuniones bilaterales \u2013 {EDITION_NAME} \u2013 {code} "
        "(versión 2)"
        for code in (c_sector, c_delegation)
    )
    unaffected = next(s for s in PRIORITY_SECTORS if s != c_sector)
    assert not any(f"\u2013 {unaffected} (" in s for s in subjects)
    msg = next(m for m in received if f"\u2013 {c_sector} (" in m["Subject"])
    assert "Reuniones canceladas" in body_text(msg)
    assert names[c_delegation] in body_text(msg)
    uid = f"gore-{eid}-r{cancelled['id']}@articula.pe"
    assert uid in v1_uids[c_sector]
    for ics_bytes in (
        attachments(msg)[f"agenda-{c_sector}-v2.ics"],
        client.get(
            f"{base}/agendas/sectors/{c_sector}",
            params={"format": "ics"},
            headers=H(keys[c_sector]),
        ).content,
    ):
        events = {str(e["UID"]): e for e in vevents(ics_bytes)}
        assert set(events) == v1_uids[c_sector]
        assert str(events[uid]["STATUS"]) == "CANCELLED"
        assert int(events[uid]["SEQUENCE"]) >= 1
        assert {str(e["STATUS"]) for u, e in events.items() if u != uid} == {"CONFIRMED"}
    publications = client.get(f"{base}/publications", headers=sd).json()
    assert [(p["number"], p["current"], p["delivery_status"]) for p in publications] == [
        (2, True, "sent"),
        (1, False, "sent"),
    ]

    # ------------------------------------------------------------------ 7. commitments
    frozen_now(dt.datetime.combine(first_day, dt.time(19), LIMA))
    r = client.post(f"{base}/status", json={"to": "held"}, headers=sd)
    assert r.status_code == 200, r.text
    meeting = by_request[cus_minsa["id"]]
    rid = meeting["request_id"]
    rapporteur = H(keys["RAPPORTEUR"])
    me = client.get("/api/me", headers=rapporteur).json()
    assert me["role"] == "rapporteur"
    r = client.post(
        f"{base}/rapporteur-assignments",
        json={"rapporteur_key_id": me["key_id"], "request_ids": [rid]},
        headers=sd,
    )
    assert r.status_code == 200, r.text
    r = client.put(
        f"{base}/meetings/{rid}/record",
        json={
            "held": True,
            "attendees": [
                {"name": "Gobernador regional", "party": "Gobierno Regional del Cusco"},
                {"name": "Ministra de Salud", "party": "MINSA"},
            ],
            "notes": "Se revisó el saldo de obra del hospital.",
        },
        headers=rapporteur,
    )
    assert r.status_code == 200 and r.json()["held"] is True, r.text
    # another meeting is not the rapporteur's
    other = next(m for m in meetings1 if m["request_id"] not in (rid, cancelled["id"]))
    r = client.put(
        f"{base}/meetings/{other['request_id']}/record", json={"held": True}, headers=rapporteur
    )
    assert r.status_code == 404
    r = client.post(
        f"{base}/meetings/{rid}/commitments",
        json={
            "description": "Transferir S/ 2 500 000 para el saldo de obra del hospital.",
            "type": "budgetary",
            "amount": "2500000.00",
            "topic_id": cus_minsa["topic_ids"][0],
            "sector_id": sector_ids["MINSA"],
            "deadline": (first_day + dt.timedelta(days=60)).isoformat(),
        },
        headers=rapporteur,
    )
    assert r.status_code == 201, r.text
    commitment = r.json()
    assert commitment["status"] == "pending" and commitment["sector_code"] == "MINSA"
    assert commitment["edition_id"] == eid and commitment["request_id"] == rid
    # the ministry responsible executes it, with evidence; another ministry cannot see it
    cid = commitment["id"]
    evidence = "https://www.minsa.gob.pe/transferencias/ds-2030-015"
    r = client.post(
        f"/api/commitments/{cid}/status",
        json={"to": "executed", "evidence": evidence},
        headers=H(keys["MINEDU"]),
    )
    assert r.status_code == 404
    frozen_now(dt.datetime.combine(first_day + dt.timedelta(days=20), dt.time(11), LIMA))
    r = client.post(
        f"/api/commitments/{cid}/status",
        json={"to": "executed", "evidence": evidence, "note": "Decreto supremo publicado."},
        headers=minsa,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "executed"
    assert r.json()["executed_at"] == (first_day + dt.timedelta(days=20)).isoformat()
    history = client.get(f"/api/commitments/{cid}/history", headers=sd).json()
    assert [(h["kind"], h["to_status"]) for h in history] == [
        ("created", "pending"),
        ("status", "executed"),
    ]
    assert history[-1]["evidence"] == evidence and history[-1]["actor_role"] == "sector"
    summary = client.get(
        "/api/commitments/summary", params={"edition_id": eid, "group_by": "sector"}, headers=sd
    ).json()
    assert summary["total"]["total"] == 1 and summary["total"]["executed"] == 1
    assert summary["total"]["pct_executed"] == 100.0
    assert [(g["key"], g["executed"]) for g in summary["groups"]] == [("MINSA", 1)]
    # the ministry sees the same in its own summary (scoped to its commitments)
    own = client.get("/api/commitments/summary", params={"edition_id": eid}, headers=minsa)
    assert own.status_code == 200 and own.json()["total"]["executed"] == 1
