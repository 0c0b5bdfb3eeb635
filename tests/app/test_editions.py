"""Editions: creation with days and blocks, validation, lifecycle, rooms, unavailability,
participation and visibility."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from factories import (
    DAY1_BLOCKS,
    LIMA,
    add_participants,
    auth,
    create_delegation,
    create_edition,
    create_key,
    create_sector,
    edition_payload,
)
from sqlmodel import select

from app.editions.models import Edition, EditionStatus
from app.editions.service import edition_slots, submissions_open

PROBLEM = "application/problem+json"


@pytest.fixture
def sd(session):
    return create_key(session)[1]


def test_create_edition_with_days_and_blocks(client, sd):
    r = client.post(
        "/api/editions", json=edition_payload(name="11.º GORE Ejecutivo"), headers=auth(sd)
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "draft"
    assert body["slot_minutes"] == 20 and body["timezone"] == "America/Lima"
    assert [d["position"] for d in body["days"]] == [1, 2]
    assert [b["kind"] for b in body["days"][0]["blocks"]] == [
        "plenary",
        "bilateral",
        "lunch",
        "bilateral",
    ]
    slots = client.get(f"/api/editions/{body['id']}/slots", headers=auth(sd)).json()
    assert len(slots) == 9 + 12  # 10:00-13:00 and 14:00-18:00 in 20-minute slots
    assert slots[0]["starts_at"].startswith("2030-03-01T10:00:00")
    assert slots[9]["starts_at"].startswith("2030-03-01T14:00:00")


def _blocks(*spans, kind="bilateral"):
    return [{"kind": kind, "start_time": a, "end_time": b} for a, b in spans]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"days": []}, None),
        ({"days": [{"date": f"2030-03-0{i}", "blocks": DAY1_BLOCKS} for i in range(1, 5)]}, None),
        ({"days": [{"date": "2030-03-01", "blocks": DAY1_BLOCKS}] * 2}, "repetidos"),
        (
            {
                "days": [
                    {
                        "date": "2030-03-01",
                        "blocks": _blocks(("10:00", "12:00"), ("11:40", "13:00")),
                    }
                ]
            },
            "superponen",
        ),
        ({"days": [{"date": "2030-03-01", "blocks": _blocks(("10:00", "10:50"))}]}, "múltiplo"),
        (
            {"days": [{"date": "2030-03-01", "blocks": _blocks(("12:00", "10:00"))}]},
            "antes de empezar",
        ),
        (
            {
                "submissions_open_at": "2030-02-20T09:00:00-05:00",
                "submissions_close_at": "2030-02-10T09:00:00-05:00",
            },
            "abrir antes de cerrar",
        ),
        ({"submissions_close_at": "2030-03-01T12:00:00-05:00"}, "antes del primer día"),
        ({"submissions_open_at": "2030-02-01T09:00:00"}, None),  # naive datetime
        ({"agenda_days_before_min": 6}, "mínimo"),
        ({"slot_minutes": 0}, None),
        ({"timezone": "Mars/Olympus"}, None),
        ({"kind": "CONGRESO"}, None),
        ({"colour": "red"}, None),  # unknown field
        ({"days": [{"date": "2030-03-01", "blocks": [DAY1_BLOCKS[0] | {"room": 1}]}]}, None),
    ],
)
def test_invalid_editions_are_422(client, session, sd, change, fragment):
    r = client.post("/api/editions", json=edition_payload() | change, headers=auth(sd))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    if fragment:
        assert fragment in r.json()["detail"]
    assert session.exec(select(Edition)).all() == []


def test_slot_length_changes_the_grid(client, sd):
    r = client.post(
        "/api/editions", json=edition_payload(slot_minutes=30, days=1), headers=auth(sd)
    )
    assert r.status_code == 201, r.text
    assert len(client.get(f"/api/editions/{r.json()['id']}/slots", headers=auth(sd)).json()) == 14


def test_update_draft_replaces_days(client, session, sd):
    edition = create_edition(session)
    r = client.patch(
        f"/api/editions/{edition.id}",
        json={
            "name": "Edición modificada",
            "days": [{"date": "2030-03-02", "blocks": _blocks(("09:00", "10:00"))}],
        },
        headers=auth(sd),
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Edición modificada"
    assert [d["date"] for d in r.json()["days"]] == ["2030-03-02"]


def test_grid_frozen_after_draft_but_window_editable(client, session, sd):
    edition = create_edition(session, status="open_for_submissions")
    r = client.patch(f"/api/editions/{edition.id}", json={"slot_minutes": 30}, headers=auth(sd))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith(PROBLEM)
    r = client.patch(
        f"/api/editions/{edition.id}",
        json={"submissions_close_at": "2030-02-25T18:00:00-05:00"},
        headers=auth(sd),
    )
    assert r.status_code == 200, r.text
    assert r.json()["submissions_close_at"].startswith("2030-02-25T23:00:00")


STATUSES = list(EditionStatus)
# The README's lifecycle, written out: the forward path plus reopen, back to review, re-plan.
ALLOWED = {
    ("draft", "open_for_submissions"),
    ("open_for_submissions", "in_review"),
    ("in_review", "scheduling"),
    ("in_review", "open_for_submissions"),
    ("scheduling", "published"),
    ("scheduling", "in_review"),
    ("published", "held"),
    ("published", "scheduling"),
    ("held", "closed"),
}
ON_THE_FIRST_DAY = dt.datetime(2030, 3, 1, 0, 0, tzinfo=LIMA)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(STATUSES, STATUSES)))
def test_every_transition(client, session, sd, frozen_now, current, target):
    frozen_now(ON_THE_FIRST_DAY)
    edition = create_edition(session)
    edition.status = current
    session.add(edition)
    session.commit()
    r = client.post(f"/api/editions/{edition.id}/status", json={"to": target}, headers=auth(sd))
    if (current.value, target.value) in ALLOWED:
        assert r.status_code == 200, r.text
        assert r.json()["status"] == target
    else:
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["current"] == current
        session.refresh(edition)
        assert edition.status == current


def test_held_only_from_the_first_day(client, session, sd, frozen_now):
    edition = create_edition(session, status="published")
    url = f"/api/editions/{edition.id}/status"
    frozen_now(ON_THE_FIRST_DAY - dt.timedelta(days=21))
    r = client.post(url, json={"to": "held"}, headers=auth(sd))
    assert r.status_code == 409
    assert r.json()["detail"] == (
        "Una edición solo puede marcarse como realizada desde su primer día (01/03/2030)."
    )
    session.refresh(edition)
    assert edition.status == "published"
    frozen_now(ON_THE_FIRST_DAY - dt.timedelta(seconds=1))
    assert client.post(url, json={"to": "held"}, headers=auth(sd)).status_code == 409
    frozen_now(ON_THE_FIRST_DAY)
    assert client.post(url, json={"to": "held"}, headers=auth(sd)).status_code == 200


def test_unknown_status_is_422(client, session, sd):
    edition = create_edition(session)
    r = client.post(
        f"/api/editions/{edition.id}/status", json={"to": "cancelled"}, headers=auth(sd)
    )
    assert r.status_code == 422


def test_opening_needs_a_window(client, session, sd):
    body = edition_payload()
    body.pop("submissions_open_at"), body.pop("submissions_close_at")
    edition_id = client.post("/api/editions", json=body, headers=auth(sd)).json()["id"]
    r = client.post(
        f"/api/editions/{edition_id}/status", json={"to": "open_for_submissions"}, headers=auth(sd)
    )
    assert r.status_code == 409
    assert "ventana" in r.json()["detail"]


def test_submissions_open_follows_status_and_clock(session, frozen_now):
    edition = create_edition(session, status="open_for_submissions")
    open_at, close_at = edition.submissions_open_at, edition.submissions_close_at
    assert not submissions_open(edition, open_at - dt.timedelta(seconds=1))
    assert submissions_open(edition, open_at)
    assert not submissions_open(edition, close_at)
    frozen_now(open_at + dt.timedelta(days=1))
    assert submissions_open(edition)
    edition.status = EditionStatus.in_review
    assert not submissions_open(edition)


def test_edition_slots_are_aware_and_in_order(session):
    edition = create_edition(session, days=1)
    slots = edition_slots(edition)
    assert slots[0] == (
        dt.datetime(2030, 3, 1, 10, tzinfo=LIMA),
        dt.datetime(2030, 3, 1, 10, 20, tzinfo=LIMA),
    )
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(slots))


# --------------------------------------------------------------------------- participation


def test_delegation_sees_only_its_editions(client, session):
    cusco, puno = create_delegation(session, "CUS"), create_delegation(session, "PUN")
    minsa = create_sector(session, "MINSA")
    mine = create_edition(session, status="open_for_submissions")
    other = create_edition(session, status="open_for_submissions")
    add_participants(session, mine, delegations=[cusco], sectors=[minsa])
    add_participants(session, other, delegations=[puno])
    tokens = {
        "delegation": create_key(session, "delegation", delegation=cusco)[1],
        "sector": create_key(session, "sector", sector=minsa)[1],
    }
    for token in tokens.values():
        listing = client.get("/api/editions", headers=auth(token)).json()
        assert [e["id"] for e in listing["items"]] == [mine.id]
        assert client.get(f"/api/editions/{mine.id}", headers=auth(token)).status_code == 200
        for path in ("", "/rooms", "/participants", "/unavailability", "/slots"):
            r = client.get(f"/api/editions/{other.id}{path}", headers=auth(token))
            assert r.status_code == 404, path
            assert r.headers["content-type"].startswith(PROBLEM)
    token = create_key(session, "sd_admin")[1]
    assert client.get("/api/editions", headers=auth(token)).json()["total"] == 2
    assert client.get(f"/api/editions/{other.id}", headers=auth(token)).status_code == 200
    # a rapporteur with no meeting assigned sees none (test_least_privilege: assigned ones)
    token = create_key(session, "rapporteur")[1]
    assert client.get("/api/editions", headers=auth(token)).json()["total"] == 0
    assert client.get(f"/api/editions/{other.id}", headers=auth(token)).status_code == 404


def test_participants_add_list_remove(client, session, sd):
    delegations = [create_delegation(session, f"R{i:02d}") for i in range(5)]
    minsa = create_sector(session, "MINSA")
    edition = create_edition(session)
    r = client.post(
        f"/api/editions/{edition.id}/participants?limit=2",
        json={"delegation_codes": [d.code for d in delegations], "sector_codes": ["MINSA"]},
        headers=auth(sd),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["delegations_total"] == 5 and len(body["delegations"]) == 2
    assert [s["code"] for s in body["sectors"]] == ["MINSA"]
    # idempotent
    r = client.post(
        f"/api/editions/{edition.id}/participants",
        json={"delegation_codes": ["R00"]},
        headers=auth(sd),
    )
    assert r.json()["delegations_total"] == 5
    page = client.get(
        f"/api/editions/{edition.id}/participants?limit=2&offset=4", headers=auth(sd)
    ).json()
    assert [d["code"] for d in page["delegations"]] == ["R04"]
    r = client.delete(
        f"/api/editions/{edition.id}/participants/delegations/{delegations[0].id}", headers=auth(sd)
    )
    assert r.status_code == 204
    r = client.delete(
        f"/api/editions/{edition.id}/participants/sectors/{minsa.id}", headers=auth(sd)
    )
    assert r.status_code == 204
    body = client.get(f"/api/editions/{edition.id}/participants", headers=auth(sd)).json()
    assert body["delegations_total"] == 4 and body["sectors"] == []


def test_unknown_participant_code_rolls_back_everything(client, session, sd):
    create_delegation(session, "CUS")
    edition = create_edition(session)
    r = client.post(
        f"/api/editions/{edition.id}/participants",
        json={"delegation_codes": ["CUS"], "sector_codes": ["NOPE"]},
        headers=auth(sd),
    )
    assert r.status_code == 422
    assert "NOPE" in r.json()["detail"]
    body = client.get(f"/api/editions/{edition.id}/participants", headers=auth(sd)).json()
    assert body["delegations_total"] == 0


def test_participants_frozen_once_published(client, session, sd):
    create_delegation(session, "CUS")
    edition = create_edition(session, status="published")
    r = client.post(
        f"/api/editions/{edition.id}/participants",
        json={"delegation_codes": ["CUS"]},
        headers=auth(sd),
    )
    assert r.status_code == 409


# --------------------------------------------------------------------------- rooms


def test_rooms_crud(client, session, sd):
    minsa, mtc = create_sector(session, "MINSA"), create_sector(session, "MTC")
    edition = create_edition(session)
    add_participants(session, edition, sectors=[minsa])
    url = f"/api/editions/{edition.id}/rooms"
    r = client.post(
        url,
        json={"name": "Sala MINSA", "capacity": 25, "reserved_sector_id": minsa.id},
        headers=auth(sd),
    )
    assert r.status_code == 201, r.text
    room_id = r.json()["id"]
    assert client.post(url, json={"name": "Sala MINSA"}, headers=auth(sd)).status_code == 409
    r = client.post(url, json={"name": "Sala MTC", "reserved_sector_id": mtc.id}, headers=auth(sd))
    assert r.status_code == 422  # MTC does not take part
    assert (
        client.post(url, json={"name": "Sala", "capacity": 0}, headers=auth(sd)).status_code == 422
    )
    r = client.patch(
        f"{url}/{room_id}", json={"capacity": 30, "reserved_sector_id": None}, headers=auth(sd)
    )
    assert r.status_code == 200 and r.json()["capacity"] == 30
    assert r.json()["reserved_sector_id"] is None
    assert [x["name"] for x in client.get(url, headers=auth(sd)).json()] == ["Sala MINSA"]
    assert client.delete(f"{url}/{room_id}", headers=auth(sd)).status_code == 204
    assert client.get(url, headers=auth(sd)).json() == []
    assert client.delete(f"{url}/{room_id}", headers=auth(sd)).status_code == 404


def test_room_of_another_edition_is_404(client, session, sd):
    first, second = create_edition(session), create_edition(session)
    room_id = client.post(
        f"/api/editions/{first.id}/rooms", json={"name": "Sala 1"}, headers=auth(sd)
    ).json()["id"]
    r = client.patch(
        f"/api/editions/{second.id}/rooms/{room_id}", json={"capacity": 5}, headers=auth(sd)
    )
    assert r.status_code == 404


# --------------------------------------------------------------------------- unavailability


def test_unavailability(client, session, sd):
    cusco, puno = create_delegation(session, "CUS"), create_delegation(session, "PUN")
    minsa = create_sector(session, "MINSA")
    edition = create_edition(session, status="open_for_submissions")
    add_participants(session, edition, delegations=[cusco, puno], sectors=[minsa])
    url = f"/api/editions/{edition.id}/unavailability"
    period = {"starts_at": "2030-03-01T10:00:00-05:00", "ends_at": "2030-03-01T11:00:00-05:00"}
    for owner in ({"delegation_id": cusco.id}, {"delegation_id": puno.id}, {"sector_id": minsa.id}):
        r = client.post(url, json=period | owner | {"reason": "Vuelo"}, headers=auth(sd))
        assert r.status_code == 201, r.text
    assert r.json()["starts_at"].startswith("2030-03-01T15:00:00")
    bad = [
        period,  # nobody
        period | {"delegation_id": cusco.id, "sector_id": minsa.id},  # both
        {"starts_at": period["ends_at"], "ends_at": period["starts_at"], "sector_id": minsa.id},
        period | {"sector_id": create_sector(session).id},  # not taking part
        period | {"sector_id": minsa.id, "reason": "x" * 201},
        {
            "starts_at": "2030-03-01T10:00:00",
            "ends_at": "2030-03-01T11:00:00",
            "sector_id": minsa.id,
        },  # naive
    ]
    for body in bad:
        assert client.post(url, json=body, headers=auth(sd)).status_code == 422, body
    assert len(client.get(url, headers=auth(sd)).json()) == 3
    cusco_token = create_key(session, "delegation", delegation=cusco)[1]
    own = client.get(url, headers=auth(cusco_token)).json()
    assert [u["delegation_id"] for u in own] == [cusco.id]
    first_id = own[0]["id"]
    assert client.delete(f"{url}/{first_id}", headers=auth(cusco_token)).status_code == 404
    assert client.delete(f"{url}/{first_id}", headers=auth(sd)).status_code == 204
    assert len(client.get(url, headers=auth(sd)).json()) == 2
