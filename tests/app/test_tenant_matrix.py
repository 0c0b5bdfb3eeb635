"""The tenant matrix: every demo delegation against every other delegation's topic lists,
versions and topics, with every verb, and every sector against what is not addressed to it.

A foreign resource must answer exactly like a missing one (404, same problem+json body but
for `instance`), and nothing stored may change. One edition, one app, data reused; the
thousands of matrix calls go through one ASGI client a few at a time (`_run`), which keeps
the file fast on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from factories import auth, create_key
from test_submissions_support import (
    INSIDE,
    PROBLEM_KEYS,
    counts,
    make_world,
    sample_list,
    snapshot,
    without_instance,
)

from app.demo_data import DELEGATIONS

CODES = tuple(code for code, *_ in DELEGATIONS)
MISSING_CODE = "ZZZ"
MISSING_ID = 999_999_999


@pytest.fixture
def world(client, session, frozen_now):
    """26 delegations, each with two versions of its list (v2 current)."""
    assert len(CODES) == 26
    frozen_now(INSIDE)
    world = make_world(session, delegation_codes=CODES)
    world.topics = {}
    for code in CODES:
        for prefix in ("v1 ", "v2 "):
            r = client.post(world.lists(code), json=sample_list(prefix), headers=world.keys[code])
            assert r.status_code == 201, r.text
        world.topics[code] = r.json()["topics"]
    return world


def _calls(world, code: str, topic_id: int, other_topic_id: int, minsa_ids: list[int]):
    """(name, method, url, json) for every verb against delegation `code` / topic `topic_id`."""
    return [
        ("list versions", "GET", world.lists(code), None),
        ("get version", "GET", world.lists(code, "/1"), None),
        ("get current", "GET", world.lists(code, "/current"), None),
        ("submit", "POST", world.lists(code), sample_list("intruso ")),
        ("get topic", "GET", world.url(f"/topics/{topic_id}"), None),
        ("accept", "POST", world.url(f"/topics/{topic_id}/accept"), None),
        ("reject", "POST", world.url(f"/topics/{topic_id}/reject"), {"reason": "intruso"}),
        (
            "merge",
            "POST",
            world.url(f"/topics/{topic_id}/merge"),
            {"into_topic_id": other_topic_id},
        ),
        (
            "rerank",
            "PUT",
            world.url(f"/delegations/{code}/sectors/MINSA/ranking"),
            {"topic_ids": minsa_ids},
        ),
    ]


def _minsa_ids(topics):
    return [t["id"] for t in topics if any(s["sector"] == "MINSA" for s in t["sectors"])]


def _run(app, calls: list[tuple[str, str, Any, dict[str, str]]], concurrency: int = 8):
    """Send (method, url, json, headers) calls to the app, `concurrency` at a time; the
    responses come back in the order of `calls`."""

    async def main() -> list[httpx.Response]:
        limit = asyncio.Semaphore(concurrency)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ac:

            async def one(method: str, url: str, body: Any, headers: dict[str, str]):
                async with limit:
                    return await ac.request(method, url, json=body, headers=headers)

            return await asyncio.gather(*(one(*call) for call in calls))

    return asyncio.run(main())


def _missing_bodies(client, world, headers):
    """What a truly missing resource answers, per verb, for this caller."""
    out = {}
    for name, method, url, body in _calls(world, MISSING_CODE, MISSING_ID, MISSING_ID, [1]):
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == 404, (name, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert set(r.json()) == PROBLEM_KEYS
        out[name] = without_instance(r.json())
    return out


def _assert_like_missing(client, world, headers, target, missing):
    topics = world.topics[target]
    for name, method, url, body in _calls(
        world, target, topics[0]["id"], topics[1]["id"], _minsa_ids(topics)
    ):
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == 404, (name, target, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert without_instance(r.json()) == missing[name], (name, target)
        assert r.json()["instance"] == f"{url.split('?')[0]}#request={r.headers['X-Request-ID']}"


def test_every_delegation_against_every_other(app, client, session, world):
    before = counts(session), snapshot(session)
    missing = {actor: _missing_bodies(client, world, world.keys[actor]) for actor in CODES}
    plan = []  # (actor, target, verb name, url), parallel to `calls`
    calls = []
    for actor in CODES:
        for target in CODES:
            if target == actor:
                continue
            topics = world.topics[target]
            for name, method, url, body in _calls(
                world, target, topics[0]["id"], topics[1]["id"], _minsa_ids(topics)
            ):
                plan.append((actor, target, name, url))
                calls.append((method, url, body, world.keys[actor]))
        # the scoped topic list never shows a foreign topic, whatever the filter
        other = CODES[(CODES.index(actor) + 1) % len(CODES)]
        plan.append((actor, None, "topics", None))
        calls.append(("GET", world.url("/topics?limit=500"), None, world.keys[actor]))
        plan.append((actor, other, "topics filtered", None))
        calls.append(("GET", world.url(f"/topics?delegation={other}"), None, world.keys[actor]))
    assert len(calls) == 26 * 25 * 9 + 26 * 2
    for (actor, target, name, url), r in zip(plan, _run(app, calls), strict=True):
        if name == "topics":
            page = r.json()
            assert {t["delegation"] for t in page["items"]} == {actor}
            assert page["total"] == len(world.topics[actor])
        elif name == "topics filtered":
            assert r.json()["total"] == 0, (actor, target)
        else:
            assert r.status_code == 404, (actor, name, target, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert without_instance(r.json()) == missing[actor][name], (actor, name, target)
            assert (
                r.json()["instance"] == f"{url.split('?')[0]}#request={r.headers['X-Request-ID']}"
            )
    assert (counts(session), snapshot(session)) == before


def test_sectors_rapporteurs_and_outsiders(app, client, session, world):
    before = counts(session), snapshot(session)
    addressed = {"MINSA": 3, "MINEDU": 2, "MTC": 1}  # per delegation, in sample_list
    old_topics = {
        code: client.get(world.lists(code, "/1"), headers=world.sd).json()["topics"]
        for code in CODES
    }
    for sector, per_delegation in addressed.items():
        headers = world.keys[sector]
        missing = _missing_bodies(client, world, headers)
        page = client.get(world.url("/topics?limit=500"), headers=headers).json()
        assert page["total"] == per_delegation * len(CODES)
        assert all(any(s["sector"] == sector for s in t["sectors"]) for t in page["items"])
        plan, calls = [], []
        for target in CODES:
            topics = world.topics[target]
            # lists, versions and every write are closed to sectors
            for name, method, url, body in _calls(
                world, target, topics[0]["id"], topics[1]["id"], _minsa_ids(topics)
            ):
                if name != "get topic":
                    plan.append((name, target, False))
                    calls.append((method, url, body, headers))
            # current topics: only those addressed to the sector
            for t in topics:
                mine = any(s["sector"] == sector for s in t["sectors"])
                plan.append(("get topic", t["title"], mine))
                calls.append(("GET", world.url(f"/topics/{t['id']}"), None, headers))
            # old versions are not "addressed" anymore: a sector reads current topics only
            plan.append(("get topic", "v1", False))
            calls.append(
                ("GET", world.url(f"/topics/{old_topics[target][0]['id']}"), None, headers)
            )
        for (name, what, readable), r in zip(plan, _run(app, calls), strict=True):
            if readable:
                assert r.status_code == 200, (sector, name, what)
            else:
                assert r.status_code == 404, (sector, name, what)
                assert without_instance(r.json()) == missing[name], (sector, name, what)
    _rapporteurs_outsiders_and_idle_sectors(client, session, world)
    assert (counts(session), snapshot(session)) == before


def _rapporteurs_outsiders_and_idle_sectors(client, session, world):
    """Rapporteurs read nothing here; a delegation outside the edition gets 404 everywhere;
    a sector taking part with nothing addressed to it sees an empty list."""
    from factories import add_participants, create_delegation
    from sqlmodel import select

    from app.editions.models import Sector

    minem = session.exec(select(Sector).where(Sector.code == "MINEM")).one()
    add_participants(session, world.edition, sectors=[minem])
    idle = auth(create_key(session, "sector", sector=minem)[1])
    assert client.get(world.url("/topics"), headers=idle).json()["total"] == 0
    rapporteur = auth(create_key(session, "rapporteur")[1])
    outsider = create_delegation(session, "XYZ")
    stranger = auth(create_key(session, "delegation", delegation=outsider)[1])
    for headers in (rapporteur, stranger):
        missing = _missing_bodies(client, world, headers)
        _assert_like_missing(client, world, headers, "CUS", missing)
        assert client.get(world.url("/topics"), headers=headers).status_code == 404
