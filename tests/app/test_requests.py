"""Meeting requests: generation from accepted topics, weights, edits and pins, merge, withdraw."""

from __future__ import annotations

import pytest
from factories import create_edition
from test_submissions_support import INSIDE, counts, make_world, sample_list, set_status

from app.editions.models import Room


@pytest.fixture
def world(client, session, frozen_now):
    """CUS accepts all five sample topics; JUN only its second MINSA topic (rank 2)."""
    frozen_now(INSIDE)
    world = make_world(session)
    for code in ("CUS", "JUN"):
        r = client.post(world.lists(code), json=sample_list(f"{code} "), headers=world.keys[code])
        assert r.status_code == 201
    set_status(session, world.edition, "in_review")
    cus = client.get(world.lists("CUS", "/current"), headers=world.sd).json()["topics"]
    jun = client.get(world.lists("JUN", "/current"), headers=world.sd).json()["topics"]
    for t in cus:
        assert (
            client.post(world.url(f"/topics/{t['id']}/accept"), headers=world.sd).status_code == 200
        )
    client.post(world.url(f"/topics/{jun[1]['id']}/accept"), headers=world.sd)
    client.post(
        world.url(f"/topics/{jun[0]['id']}/reject"), json={"reason": "No"}, headers=world.sd
    )
    world.cus, world.jun = cus, jun
    return world


def _generate(client, world, query=""):
    return client.post(world.url(f"/meeting-requests/generate{query}"), headers=world.sd)


def _by_key(requests):
    return {(r["delegation"], tuple(r["sectors"])): r for r in requests}


def test_generate_counts_weights_and_multisector(client, world):
    r = _generate(client, world)
    assert r.status_code == 201, r.text
    got = _by_key(r.json())
    assert set(got) == {
        ("CUS", ("MINSA",)),
        ("CUS", ("MINEDU",)),
        ("CUS", ("MINSA", "MTC")),
        ("JUN", ("MINSA",)),
    }
    # weight = sum of max(1, 10 + 1 - rank); a multisector topic counts its best rank
    assert got[("CUS", ("MINSA",))]["weight"] == 10 + 9
    assert got[("CUS", ("MINEDU",))]["weight"] == 10 + 9
    assert got[("CUS", ("MINSA", "MTC"))]["weight"] == 10  # ranks MTC 1, MINSA 3
    assert got[("JUN", ("MINSA",))]["weight"] == 9
    assert got[("CUS", ("MINSA", "MTC"))]["topic_ids"] == [world.cus[4]["id"]]
    assert got[("CUS", ("MINSA",))]["topic_ids"] == sorted(t["id"] for t in world.cus[:2])
    # attendees: 3 per party + rapporteur and SD staff
    assert got[("CUS", ("MINSA",))]["attendees"] == 8
    assert got[("CUS", ("MINSA", "MTC"))]["attendees"] == 11
    assert all(
        r["duration_slots"] == 1 and not r["mandatory"] and r["pin"] is None for r in got.values()
    )
    assert all(r["status"] == "active" and r["source"] == "generated" for r in got.values())


def test_rerank_changes_the_weight(client, world):
    minsa = [world.cus[0]["id"], world.cus[1]["id"], world.cus[4]["id"]]
    client.put(
        world.url("/delegations/CUS/sectors/MINSA/ranking"),
        json={"topic_ids": [minsa[2], minsa[0], minsa[1]]},
        headers=world.sd,
    )
    got = _by_key(_generate(client, world).json())
    assert got[("CUS", ("MINSA",))]["weight"] == 9 + 8


def test_regenerate_replaces_unedited_requests(client, session, world):
    first = _generate(client, world).json()
    second = _generate(client, world)
    assert second.status_code == 201
    assert len(second.json()) == len(first) == counts(session)["meeting_request"]
    assert {r["id"] for r in first}.isdisjoint(r["id"] for r in second.json())


def test_regenerate_after_edits_needs_replace(client, session, world):
    first = _generate(client, world).json()
    client.patch(
        world.url(f"/meeting-requests/{first[0]['id']}"), json={"weight": 99}, headers=world.sd
    )
    before = counts(session)
    r = _generate(client, world)
    assert r.status_code == 409
    assert "replace=true" in r.json()["detail"]
    assert counts(session) == before
    r = _generate(client, world, "?replace=true")
    assert r.status_code == 201
    assert 99 not in {x["weight"] for x in r.json()}
    assert counts(session)["meeting_request"] == 4


def test_generate_only_in_review_or_scheduling(client, session, world):
    set_status(session, world.edition, "scheduling")
    assert _generate(client, world).status_code == 201
    set_status(session, world.edition, "published")
    before = counts(session)
    r = _generate(client, world, "?replace=true")
    assert r.status_code == 409
    assert counts(session) == before


def test_list_and_filters(client, world):
    _generate(client, world)
    url = world.url("/meeting-requests")
    page = client.get(url, headers=world.sd).json()
    assert page["total"] == 4
    assert client.get(f"{url}?delegation=JUN", headers=world.sd).json()["total"] == 1
    assert client.get(f"{url}?sector=MINSA", headers=world.sd).json()["total"] == 3
    assert client.get(f"{url}?sector=MTC&delegation=CUS", headers=world.sd).json()["total"] == 1
    assert client.get(f"{url}?limit=2", headers=world.sd).json()["items"].__len__() == 2
    assert client.get(f"{url}?status=withdrawn", headers=world.sd).json()["total"] == 0


def test_patch_fields(client, world):
    rid = _generate(client, world).json()[0]["id"]
    r = client.patch(
        world.url(f"/meeting-requests/{rid}"),
        json={"weight": 50, "duration_slots": 2, "mandatory": True, "attendees": 12},
        headers=world.sd,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["weight"], body["duration_slots"], body["mandatory"], body["attendees"]) == (
        50,
        2,
        True,
        12,
    )
    assert body["edited"] is True
    # only the fields sent change
    r = client.patch(world.url(f"/meeting-requests/{rid}"), json={"weight": 7}, headers=world.sd)
    assert (r.json()["weight"], r.json()["duration_slots"]) == (7, 2)


@pytest.mark.parametrize(
    "body",
    [
        {"weight": -1},
        {"duration_slots": 0},
        {"duration_slots": 49},
        {"weight": None},
        {"colour": "red"},
        {"pin": {"date": "2030-03-01", "start_time": "10:00", "slot": 3}},
    ],
)
def test_patch_invalid_payloads(client, session, world, body):
    rid = _generate(client, world).json()[0]["id"]
    r = client.patch(world.url(f"/meeting-requests/{rid}"), json=body, headers=world.sd)
    assert r.status_code == 422
    got = client.get(world.url(f"/meeting-requests/{rid}"), headers=world.sd).json()
    assert got["edited"] is False and got["weight"] == 19


def test_pin_on_the_grid(client, session, world):
    room = Room(edition_id=world.edition.id, name="Sala 1", capacity=20)
    session.add(room)
    session.commit()
    rid = _by_key(_generate(client, world).json())[("CUS", ("MINSA",))]["id"]
    url = world.url(f"/meeting-requests/{rid}")
    # 10:00-13:00 holds slots 0..8, 14:00-18:00 slots 9..20
    r = client.patch(
        url,
        json={"pin": {"date": "2030-03-01", "start_time": "14:20", "room_id": room.id}},
        headers=world.sd,
    )
    assert r.status_code == 200, r.text
    assert r.json()["pin"] == {
        "date": "2030-03-01",
        "start_time": "14:20:00",
        "room_id": room.id,
        "slot": 10,
    }
    r = client.patch(
        url, json={"pin": {"date": "2030-03-01", "start_time": "10:00"}}, headers=world.sd
    )
    assert r.json()["pin"]["slot"] == 0 and r.json()["pin"]["room_id"] is None
    r = client.patch(url, json={"pin": None}, headers=world.sd)
    assert r.json()["pin"] is None


@pytest.mark.parametrize(
    ("pin", "duration", "fragment"),
    [
        ({"date": "2030-03-01", "start_time": "13:00"}, 1, "no coincide"),  # lunch
        ({"date": "2030-03-01", "start_time": "09:00"}, 1, "no coincide"),  # plenary
        ({"date": "2030-03-01", "start_time": "10:10"}, 1, "no coincide"),  # off the grid
        ({"date": "2030-03-02", "start_time": "10:00"}, 1, "no coincide"),  # political day
        ({"date": "2030-04-01", "start_time": "10:00"}, 1, "no coincide"),  # not an edition day
        ({"date": "2030-03-01", "start_time": "12:40"}, 2, "no cabe"),  # runs into lunch
    ],
)
def test_pin_off_the_grid_is_422(client, world, pin, duration, fragment):
    rid = _generate(client, world).json()[0]["id"]
    url = world.url(f"/meeting-requests/{rid}")
    r = client.patch(url, json={"pin": pin, "duration_slots": duration}, headers=world.sd)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]
    assert client.get(url, headers=world.sd).json()["pin"] is None


def test_pin_room_must_belong_to_the_edition(client, session, world):
    other = create_edition(session)
    foreign = Room(edition_id=other.id, name="Sala ajena", capacity=20)
    reserved = Room(
        edition_id=world.edition.id,
        name="Sala MINEDU",
        capacity=20,
        reserved_sector_id=world.sectors["MINEDU"].id,
    )
    session.add_all([foreign, reserved])
    session.commit()
    rid = _by_key(_generate(client, world).json())[("CUS", ("MINSA",))]["id"]
    url = world.url(f"/meeting-requests/{rid}")
    for room_id in (foreign.id, 999999, reserved.id):
        r = client.patch(
            url,
            json={"pin": {"date": "2030-03-01", "start_time": "10:00", "room_id": room_id}},
            headers=world.sd,
        )
        assert r.status_code == 422, room_id
    assert client.get(url, headers=world.sd).json()["pin"] is None


def test_duration_change_rechecks_the_pin(client, world):
    rid = _generate(client, world).json()[0]["id"]
    url = world.url(f"/meeting-requests/{rid}")
    client.patch(url, json={"pin": {"date": "2030-03-01", "start_time": "12:40"}}, headers=world.sd)
    r = client.patch(url, json={"duration_slots": 2}, headers=world.sd)
    assert r.status_code == 422
    assert client.get(url, headers=world.sd).json()["duration_slots"] == 1


def test_merge_into_multisector(client, session, world):
    got = _by_key(_generate(client, world).json())
    a, b = got[("CUS", ("MINSA",))], got[("CUS", ("MINEDU",))]
    r = client.post(
        world.url("/meeting-requests/merge"),
        json={"request_ids": [a["id"], b["id"]]},
        headers=world.sd,
    )
    assert r.status_code == 201, r.text
    merged = r.json()
    assert merged["sectors"] == ["MINEDU", "MINSA"]
    assert merged["topic_ids"] == sorted(a["topic_ids"] + b["topic_ids"])
    assert merged["weight"] == a["weight"] + b["weight"]
    assert merged["source"] == "merged" and merged["attendees"] == 11
    for old in (a, b):
        now = client.get(world.url(f"/meeting-requests/{old['id']}"), headers=world.sd).json()
        assert now["status"] == "withdrawn" and now["merged_into_id"] == merged["id"]
    active = client.get(world.url("/meeting-requests?status=active"), headers=world.sd).json()
    assert active["total"] == 3
    # a withdrawn request cannot be merged again
    r = client.post(
        world.url("/meeting-requests/merge"),
        json={"request_ids": [a["id"], merged["id"]]},
        headers=world.sd,
    )
    assert r.status_code == 409


@pytest.mark.parametrize("case", ["two-delegations", "one-id", "repeated", "unknown", "extra"])
def test_merge_refusals(client, session, world, case):
    got = _by_key(_generate(client, world).json())
    cus, jun = got[("CUS", ("MINSA",))]["id"], got[("JUN", ("MINSA",))]["id"]
    body, status = {
        "two-delegations": ({"request_ids": [cus, jun]}, 422),
        "one-id": ({"request_ids": [cus]}, 422),
        "repeated": ({"request_ids": [cus, cus]}, 422),
        "unknown": ({"request_ids": [cus, 999999]}, 404),
        "extra": ({"request_ids": [cus, jun], "pin": None}, 422),
    }[case]
    before = counts(session)
    r = client.post(world.url("/meeting-requests/merge"), json=body, headers=world.sd)
    assert r.status_code == status
    if case == "two-delegations":
        assert "misma delegación" in r.json()["detail"]
    assert counts(session) == before


def test_withdraw(client, world):
    rid = _generate(client, world).json()[0]["id"]
    url = world.url(f"/meeting-requests/{rid}")
    assert client.delete(url, headers=world.sd).status_code == 204
    assert client.get(url, headers=world.sd).json()["status"] == "withdrawn"
    assert client.delete(url, headers=world.sd).status_code == 204
    r = client.patch(url, json={"weight": 3}, headers=world.sd)
    assert r.status_code == 409
    assert client.delete(world.url("/meeting-requests/999999"), headers=world.sd).status_code == 404


def test_requests_of_another_edition_are_404(client, session, world):
    rid = _generate(client, world).json()[0]["id"]
    other = create_edition(session, status="in_review")
    url = f"/api/editions/{other.id}/meeting-requests/{rid}"
    assert client.get(url, headers=world.sd).status_code == 404
    assert client.patch(url, json={"weight": 1}, headers=world.sd).status_code == 404
    assert client.delete(url, headers=world.sd).status_code == 404


def test_only_the_sd_manages_requests(client, session, world):
    rid = _generate(client, world).json()[0]["id"]
    before = counts(session)
    base = world.url("/meeting-requests")
    for who in ("CUS", "MINSA"):
        h = world.keys[who]
        calls = [
            client.get(base, headers=h),
            client.get(f"{base}/{rid}", headers=h),
            client.post(f"{base}/generate", headers=h),
            client.patch(f"{base}/{rid}", json={"weight": 1}, headers=h),
            client.post(f"{base}/merge", json={"request_ids": [rid, rid + 1]}, headers=h),
            client.delete(f"{base}/{rid}", headers=h),
        ]
        assert [c.status_code for c in calls] == [404] * 6
    assert counts(session) == before


def test_only_accepted_topics_feed_requests(client, world):
    """Merged and rejected topics add nothing; a delegation with none accepted gets none."""
    cus = world.cus
    client.post(
        world.url(f"/topics/{cus[1]['id']}/merge"),
        json={"into_topic_id": cus[0]["id"]},
        headers=world.sd,
    )
    client.post(
        world.url(f"/topics/{cus[2]['id']}/reject"), json={"reason": "No"}, headers=world.sd
    )
    client.post(
        world.url(f"/topics/{world.jun[1]['id']}/reject"), json={"reason": "No"}, headers=world.sd
    )
    got = _by_key(_generate(client, world).json())
    assert set(got) == {("CUS", ("MINSA",)), ("CUS", ("MINEDU",)), ("CUS", ("MINSA", "MTC"))}
    assert got[("CUS", ("MINSA",))]["topic_ids"] == [cus[0]["id"]]
    assert got[("CUS", ("MINSA",))]["weight"] == 10
    assert got[("CUS", ("MINEDU",))]["weight"] == 9  # rank 2 only
