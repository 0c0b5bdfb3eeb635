"""Topic lists: the submission window, versions, idempotency, validation, scoped reads."""

from __future__ import annotations

import pytest
from test_submissions_support import (
    AFTER_CLOSE,
    BEFORE_OPEN,
    INSIDE,
    counts,
    make_world,
    sample_list,
    set_status,
    topic,
)

WINDOW_CLOSED = "El plazo de envío de temas para esta edición está cerrado."


@pytest.fixture
def world(session, frozen_now):
    frozen_now(INSIDE)
    return make_world(session)


def test_submit_creates_version_one_with_ranked_topics(client, world):
    r = client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["number"] == 1 and body["is_current"] and body["delegation"] == "CUS"
    assert body["topic_count"] == 5
    first = body["topics"][0]
    assert first["cui"] == "2345678" and first["kind"] == "investment_project"
    assert first["sectors"] == [{"sector": "MINSA", "rank": 1, "submitted_rank": 1}]
    assert float(first["amount"]) == 150_000_000
    multi = body["topics"][4]
    assert [s["sector"] for s in multi["sectors"]] == ["MINSA", "MTC"]
    assert all(t["status"] == "pending" for t in body["topics"])
    # the answer is built from the rows in memory: it is what reading the version gives back
    read = client.get(world.lists("CUS", "/current"), headers=world.keys["CUS"])
    assert read.json() == body


def test_sd_may_submit_on_behalf_of_a_delegation(client, world):
    r = client.post(world.lists("JUN"), json=sample_list(), headers=world.sd)
    assert r.status_code == 201, r.text
    assert r.json()["delegation"] == "JUN"


@pytest.mark.parametrize("at", [BEFORE_OPEN, AFTER_CLOSE], ids=["before-open", "after-close"])
def test_outside_the_window_is_409_and_stores_nothing(client, session, world, frozen_now, at):
    frozen_now(at)
    before = counts(session)
    r = client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"])
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == WINDOW_CLOSED
    assert counts(session) == before


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_wrong_edition_status_is_409(client, session, frozen_now, status):
    frozen_now(INSIDE)
    world = make_world(session, status=status)
    r = client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"])
    assert r.status_code == 409
    assert r.json()["detail"] == WINDOW_CLOSED
    assert counts(session)["topic_list_version"] == 0


def test_window_boundaries(client, world, frozen_now):
    opens = world.edition.submissions_open_at
    frozen_now(opens)
    assert (
        client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"]).status_code
        == 201
    )
    frozen_now(world.edition.submissions_close_at)
    assert (
        client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"]).status_code
        == 409
    )


def test_replacements_are_new_versions_and_old_ones_stay_readable(client, world):
    headers = world.keys["CUS"]
    v1 = client.post(world.lists("CUS"), json=sample_list("v1 "), headers=headers).json()
    second = {"topics": [topic("Solo un tema", ("MTC", 1))]}
    v2 = client.post(world.lists("CUS"), json=second, headers=headers)
    assert v2.status_code == 201
    assert v2.json()["number"] == 2

    versions = client.get(world.lists("CUS"), headers=headers).json()
    assert [(v["number"], v["is_current"], v["topic_count"]) for v in versions] == [
        (1, False, 5),
        (2, True, 1),
    ]
    old = client.get(world.lists("CUS", "/1"), headers=headers).json()
    assert old["topics"] == v1["topics"] and not old["is_current"]
    current = client.get(world.lists("CUS", "/current"), headers=headers).json()
    assert current["number"] == 2 and current["topics"][0]["title"] == "Solo un tema"
    assert client.get(world.lists("CUS", "/3"), headers=headers).status_code == 404
    # the scoped topic list only shows the current version
    page = client.get(world.url("/topics"), headers=headers).json()
    assert page["total"] == 1


def test_current_before_any_submission_is_404(client, world):
    r = client.get(world.lists("CUS", "/current"), headers=world.keys["CUS"])
    assert r.status_code == 404
    assert client.get(world.lists("CUS"), headers=world.keys["CUS"]).json() == []


def test_idempotent_resubmission(client, session, world):
    headers = world.keys["CUS"] | {"Idempotency-Key": "envio-cus-1"}
    first = client.post(world.lists("CUS"), json=sample_list(), headers=headers)
    assert first.status_code == 201
    before = counts(session)
    assert "Idempotency-Replayed" not in first.headers
    again = client.post(world.lists("CUS"), json=sample_list(), headers=headers)
    assert again.status_code == 200  # documented: a replay, told apart from a new version
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert counts(session) == before

    other = client.post(world.lists("CUS"), json=sample_list("otro "), headers=headers)
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]
    assert counts(session) == before

    # another key is another submission; keys are per principal (the SD may reuse the name)
    fresh = client.post(
        world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"] | {"Idempotency-Key": "2"}
    )
    assert fresh.json()["number"] == 2
    sd = client.post(
        world.lists("CUS"),
        json=sample_list(),
        headers=world.sd | {"Idempotency-Key": "envio-cus-1"},
    )
    assert sd.status_code == 201 and sd.json()["number"] == 3


def test_idempotent_replay_survives_the_window_closing(client, world, frozen_now):
    headers = world.keys["CUS"] | {"Idempotency-Key": "k"}
    first = client.post(world.lists("CUS"), json=sample_list(), headers=headers)
    frozen_now(AFTER_CLOSE)
    again = client.post(world.lists("CUS"), json=sample_list(), headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())
    assert again.headers["Idempotency-Replayed"] == "true"


def _post_invalid(client, session, world, body):
    before = counts(session)
    r = client.post(world.lists("CUS"), json=body, headers=world.keys["CUS"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert counts(session) == before
    return r.json()


def test_validation_duplicate_rank(client, session, world):
    body = {"topics": [topic("A", ("MINSA", 1)), topic("B", ("MINSA", 1))]}
    problem = _post_invalid(client, session, world, body)
    assert problem["errors"][0]["index"] == 1
    assert (
        "La prioridad 1 para el sector MINSA ya se usa en el tema 0" in problem["errors"][0]["msg"]
    )


def test_validation_ranks_must_be_contiguous(client, session, world):
    body = {"topics": [topic("A", ("MINSA", 1)), topic("B", ("MINSA", 3))]}
    problem = _post_invalid(client, session, world, body)
    assert "consecutivas desde 1" in problem["errors"][0]["msg"]


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ({"kind": "investment_project"}, "requiere su código CUI"),
        ({"kind": "investment_project", "cui": "12345"}, "exactamente 7 dígitos"),
        ({"kind": "investment_project", "cui": "12345AB"}, "exactamente 7 dígitos"),
        ({"kind": "other", "cui": "1234567"}, "solo corresponde"),
        ({"kind": "administrative_blockage", "amount": "10"}, "El monto solo corresponde"),
        ({"kind": "budget_request", "amount": "-1"}, "no puede ser negativo"),
    ],
)
def test_validation_cui_and_amount(client, session, world, item, fragment):
    body = {"topics": [topic("Bien", ("MINSA", 1)), topic("Mal", ("MINSA", 2), **item)]}
    problem = _post_invalid(client, session, world, body)
    assert [e["index"] for e in problem["errors"]] == [1]
    assert fragment in problem["errors"][0]["msg"]
    assert problem["errors"][0]["loc"][:3] == ["body", "topics", "1"]


def test_validation_unknown_and_non_participating_sector(client, session, world):
    body = {"topics": [topic("A", ("NOEXISTE", 1)), topic("B", ("MINEM", 1))]}
    problem = _post_invalid(client, session, world, body)
    msgs = {e["index"]: e["msg"] for e in problem["errors"]}
    assert msgs == {
        0: "El sector NOEXISTE no existe.",
        1: "El sector MINEM no participa en esta edición.",
    }
    assert problem["detail"].startswith("La lista de temas tiene errores en 2 tema(s)")


def test_validation_unknown_field_and_long_title(client, session, world):
    bad = topic("A", ("MINSA", 1)) | {"presupuesto": 1}
    problem = _post_invalid(client, session, world, {"topics": [bad]})
    assert problem["errors"][0]["loc"][-1] == "presupuesto"
    problem = _post_invalid(client, session, world, {"topics": [topic("x" * 201, ("MINSA", 1))]})
    assert problem["errors"][0]["loc"][:3] == ["body", "topics", "0"]
    _post_invalid(client, session, world, {"topics": [], "extra": True})


def test_rejected_replacement_keeps_the_current_version(client, session, world):
    client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"])
    _post_invalid(client, session, world, {"topics": [topic("A", ("MINSA", 2))]})
    current = client.get(world.lists("CUS", "/current"), headers=world.keys["CUS"]).json()
    assert current["number"] == 1 and current["topic_count"] == 5


def test_scoped_topic_reads(client, session, world):
    client.post(world.lists("CUS"), json=sample_list("CUS "), headers=world.keys["CUS"])
    client.post(world.lists("JUN"), json=sample_list("JUN "), headers=world.keys["JUN"])

    own = client.get(world.url("/topics"), headers=world.keys["CUS"]).json()
    assert own["total"] == 5 and {t["delegation"] for t in own["items"]} == {"CUS"}
    # a sector sees what is addressed to it, from every delegation
    minsa = client.get(world.url("/topics"), headers=world.keys["MINSA"]).json()
    assert minsa["total"] == 6
    assert all(any(s["sector"] == "MINSA" for s in t["sectors"]) for t in minsa["items"])
    mtc = client.get(world.url("/topics"), headers=world.keys["MTC"]).json()
    assert mtc["total"] == 2
    # the SD sees all, with filters and pagination
    sd = client.get(world.url("/topics?limit=4"), headers=world.sd).json()
    assert sd["total"] == 10 and len(sd["items"]) == 4
    sd = client.get(world.url("/topics?delegation=JUN&sector=MINEDU"), headers=world.sd).json()
    assert sd["total"] == 2
    sd = client.get(world.url("/topics?status=accepted"), headers=world.sd).json()
    assert sd["total"] == 0
    # filters never widen the scope
    assert (
        client.get(world.url("/topics?delegation=JUN"), headers=world.keys["CUS"]).json()["total"]
        == 0
    )
    # a topic addressed elsewhere is a 404 for the sector, like a missing one
    minedu_only = next(t for t in own["items"] if t["sectors"][0]["sector"] == "MINEDU")
    r = client.get(world.url(f"/topics/{minedu_only['id']}"), headers=world.keys["MINSA"])
    missing = client.get(world.url("/topics/999999"), headers=world.keys["MINSA"])
    assert r.status_code == missing.status_code == 404
    assert r.json()["detail"] == missing.json()["detail"]
    ok = client.get(world.url(f"/topics/{minedu_only['id']}"), headers=world.keys["MINEDU"])
    assert ok.status_code == 200


def test_rapporteurs_and_anonymous_see_nothing(client, session, world):
    from factories import auth, create_key

    client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"])
    rapporteur = auth(create_key(session, "rapporteur")[1])
    assert client.get(world.url("/topics"), headers=rapporteur).status_code == 404
    assert client.get(world.lists("CUS", "/current"), headers=rapporteur).status_code == 404
    assert client.get(world.url("/topics")).status_code == 401


def test_later_status_is_also_closed(client, session, world):
    client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"])
    set_status(session, world.edition, "in_review")
    r = client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"])
    assert r.status_code == 409


def test_an_empty_list_is_refused_unless_confirmed(client, session, world):
    client.post(world.lists("CUS"), json=sample_list(), headers=world.keys["CUS"])
    problem = _post_invalid(client, session, world, {"topics": []})
    assert problem["detail"].startswith("La lista no tiene temas")
    assert problem["field"] == "confirm_empty"
    current = client.get(world.lists("CUS", "/current"), headers=world.keys["CUS"]).json()
    assert current["topic_count"] == 5
    r = client.post(
        world.lists("CUS"), json={"topics": [], "confirm_empty": True}, headers=world.keys["CUS"]
    )
    assert r.status_code == 201 and r.json()["topic_count"] == 0, r.text
