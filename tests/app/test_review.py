"""SD review of the current topics: accept, reject with a reason, merge, re-rank."""

from __future__ import annotations

import pytest
from test_submissions_support import INSIDE, counts, make_world, sample_list, set_status, snapshot

NOT_IN_REVIEW = "La revisión de temas solo es posible cuando la edición está en revisión."


@pytest.fixture
def world(client, session, frozen_now):
    frozen_now(INSIDE)
    world = make_world(session)
    for code in ("CUS", "JUN"):
        r = client.post(world.lists(code), json=sample_list(f"{code} "), headers=world.keys[code])
        assert r.status_code == 201
    set_status(session, world.edition, "in_review")
    return world


def _topics(client, world, code="CUS"):
    return client.get(world.lists(code, "/current"), headers=world.sd).json()["topics"]


def test_accept_and_reject(client, world):
    t = _topics(client, world)
    r = client.post(world.url(f"/topics/{t[0]['id']}/accept"), headers=world.sd)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.json()["reviewed_at"]

    r = client.post(
        world.url(f"/topics/{t[1]['id']}/reject"),
        json={"reason": "Ya fue atendido en la edición anterior."},
        headers=world.sd,
    )
    assert r.json()["status"] == "rejected"
    assert r.json()["review_reason"] == "Ya fue atendido en la edición anterior."
    # the delegation reads the outcome on its current list
    own = {x["id"]: x for x in _topics(client, world)}
    assert own[t[1]["id"]]["review_reason"].startswith("Ya fue atendido")
    # the SD may change its mind: accepting clears the reason
    r = client.post(world.url(f"/topics/{t[1]['id']}/accept"), headers=world.sd)
    assert r.json()["status"] == "accepted" and r.json()["review_reason"] is None


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x", "y": 1}])
def test_reject_needs_a_reason(client, session, world, body):
    t = _topics(client, world)
    before = snapshot(session)
    r = client.post(world.url(f"/topics/{t[0]['id']}/reject"), json=body, headers=world.sd)
    assert r.status_code == 422
    assert snapshot(session) == before


def _by_title(client, world, code="CUS"):
    return {t["title"].removeprefix(f"{code} "): t for t in _topics(client, world, code)}


def test_merge_duplicates(client, world):
    topics = _by_title(client, world)
    a = topics["Hospital de Quillabamba"]  # MINSA
    b = topics["Plazas de médicos especialistas"]  # MINSA
    c = topics["Corredor vial y postas"]  # MTC and MINSA
    r = client.post(
        world.url(f"/topics/{b['id']}/merge"), json={"into_topic_id": a["id"]}, headers=world.sd
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "merged" and r.json()["merged_into_id"] == a["id"]
    # merging the target elsewhere carries its duplicates along (no chains)
    r = client.post(
        world.url(f"/topics/{a['id']}/merge"), json={"into_topic_id": c["id"]}, headers=world.sd
    )
    assert r.status_code == 200, r.text
    own = {x["id"]: x for x in _topics(client, world)}
    assert own[b["id"]]["merged_into_id"] == c["id"]
    assert own[a["id"]]["merged_into_id"] == c["id"]
    # merging into a merged topic is refused
    r = client.post(
        world.url(f"/topics/{c['id']}/merge"), json={"into_topic_id": a["id"]}, headers=world.sd
    )
    assert r.status_code == 422


def test_merge_refusals(client, session, world):
    cus = _topics(client, world, "CUS")
    jun = _topics(client, world, "JUN")
    before = snapshot(session)
    same = client.post(
        world.url(f"/topics/{cus[0]['id']}/merge"),
        json={"into_topic_id": cus[0]["id"]},
        headers=world.sd,
    )
    other = client.post(
        world.url(f"/topics/{cus[0]['id']}/merge"),
        json={"into_topic_id": jun[0]["id"]},
        headers=world.sd,
    )
    missing = client.post(
        world.url(f"/topics/{cus[0]['id']}/merge"), json={"into_topic_id": 999999}, headers=world.sd
    )
    assert (same.status_code, other.status_code, missing.status_code) == (422, 422, 404)
    assert "misma delegación" in other.json()["detail"]
    assert snapshot(session) == before


def test_merge_into_a_topic_of_another_sector_is_refused(client, session, world):
    topics = _by_title(client, world)
    minsa = topics["Hospital de Quillabamba"]
    minedu = topics["Saneamiento de colegios"]
    both = topics["Corredor vial y postas"]  # MTC and MINSA
    before = snapshot(session)
    for topic, target, missing in ((minsa, minedu, "MINSA"), (both, minsa, "MTC")):
        r = client.post(
            world.url(f"/topics/{topic['id']}/merge"),
            json={"into_topic_id": target["id"]},
            headers=world.sd,
        )
        assert r.status_code == 422, r.text
        assert f"no está dirigido a {missing}" in r.json()["detail"]
    assert snapshot(session) == before
    # the refused topic keeps its place on the MINSA agenda list
    assert _by_title(client, world)["Hospital de Quillabamba"]["status"] == "pending"


def test_rerank(client, world):
    minsa = [
        t["id"]
        for t in sorted(_topics(client, world), key=lambda t: t["id"])
        if any(s["sector"] == "MINSA" for s in t["sectors"])
    ]
    assert len(minsa) == 3
    new_order = [minsa[2], minsa[0], minsa[1]]
    r = client.put(
        world.url("/delegations/CUS/sectors/MINSA/ranking"),
        json={"topic_ids": new_order},
        headers=world.sd,
    )
    assert r.status_code == 200, r.text
    ranks = {t["id"]: next(s for s in t["sectors"] if s["sector"] == "MINSA") for t in r.json()}
    assert [ranks[i]["rank"] for i in new_order] == [1, 2, 3]
    assert [ranks[i]["submitted_rank"] for i in new_order] == [3, 1, 2]


@pytest.mark.parametrize("which", ["missing-one", "duplicate", "foreign", "unknown"])
def test_rerank_must_be_a_full_order(client, session, world, which):
    cus = _topics(client, world)
    jun = _topics(client, world, "JUN")
    minsa = [t["id"] for t in cus if any(s["sector"] == "MINSA" for s in t["sectors"])]
    ids = {
        "missing-one": minsa[:2],
        "duplicate": [minsa[0], *minsa],
        "foreign": [*minsa[:2], jun[0]["id"]],
        "unknown": [*minsa, 999999],
    }[which]
    before = snapshot(session)
    r = client.put(
        world.url("/delegations/CUS/sectors/MINSA/ranking"),
        json={"topic_ids": ids},
        headers=world.sd,
    )
    assert r.status_code == 422
    assert r.json()["expected_topic_ids"] == sorted(minsa)
    assert snapshot(session) == before


def test_rerank_unknown_sector_is_404(client, world):
    r = client.put(
        world.url("/delegations/CUS/sectors/MINEM/ranking"),
        json={"topic_ids": [1]},
        headers=world.sd,
    )
    assert r.status_code == 404


@pytest.mark.parametrize("status", ["open_for_submissions", "scheduling"])
def test_review_only_in_review(client, session, world, status):
    if status == "open_for_submissions":
        from app.editions import service

        session.refresh(world.edition)
        service.transition(session=session, edition=world.edition, to_status=status)
        session.commit()
    else:
        set_status(session, world.edition, status)
    t = _topics(client, world)
    before = counts(session), snapshot(session)
    calls = [
        client.post(world.url(f"/topics/{t[0]['id']}/accept"), headers=world.sd),
        client.post(
            world.url(f"/topics/{t[0]['id']}/reject"), json={"reason": "no"}, headers=world.sd
        ),
        client.post(
            world.url(f"/topics/{t[0]['id']}/merge"),
            json={"into_topic_id": t[1]["id"]},
            headers=world.sd,
        ),
        client.put(
            world.url("/delegations/CUS/sectors/MTC/ranking"),
            json={"topic_ids": [t[4]["id"]]},
            headers=world.sd,
        ),
    ]
    assert [c.status_code for c in calls] == [409] * 4
    assert {c.json()["detail"] for c in calls} == {NOT_IN_REVIEW}
    assert (counts(session), snapshot(session)) == before


def test_old_versions_are_not_reviewable(client, session, world, frozen_now):
    from app.editions import service

    old = _topics(client, world)
    session.refresh(world.edition)
    service.transition(session=session, edition=world.edition, to_status="open_for_submissions")
    session.commit()
    client.post(world.lists("CUS"), json=sample_list("v2 "), headers=world.keys["CUS"])
    set_status(session, world.edition, "in_review")
    r = client.post(world.url(f"/topics/{old[0]['id']}/accept"), headers=world.sd)
    assert r.status_code == 404


def test_only_the_sd_reviews(client, session, world):
    t = _topics(client, world)
    before = snapshot(session)
    for who in ("CUS", "MINSA"):
        r = client.post(world.url(f"/topics/{t[0]['id']}/accept"), headers=world.keys[who])
        assert r.status_code == 404
    assert snapshot(session) == before


def test_rejecting_a_merge_target_releases_its_duplicates(client, world):
    a, b = _topics(client, world)[:2]
    client.post(
        world.url(f"/topics/{b['id']}/merge"), json={"into_topic_id": a["id"]}, headers=world.sd
    )
    client.post(world.url(f"/topics/{a['id']}/reject"), json={"reason": "No"}, headers=world.sd)
    own = {x["id"]: x for x in _topics(client, world)}
    assert own[b["id"]]["status"] == "pending" and own[b["id"]]["merged_into_id"] is None
