"""Parallel submissions of the same delegation's list: each is its own version, and an
identical retry with the same Idempotency-Key replays the stored answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select
from test_submissions_support import INSIDE, make_world, sample_list

from app.submissions.models import TopicListVersion

PARALLEL = 30


@pytest.fixture
def world(session, frozen_now):
    frozen_now(INSIDE)
    return make_world(session)


def _parallel(client, world, headers_of) -> list:
    barrier = threading.Barrier(PARALLEL)

    def post(i: int):
        barrier.wait()
        return client.post(world.lists("CUS"), json=sample_list(f"{i} "), headers=headers_of(i))

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(post, range(PARALLEL)))


def _numbers(session) -> list[int]:
    session.expire_all()
    return sorted(session.exec(select(TopicListVersion.number)).all())


@pytest.mark.parametrize("with_keys", [True, False], ids=["distinct-keys", "no-keys"])
def test_parallel_submissions_each_become_a_version(client, session, world, with_keys):
    def headers_of(i: int) -> dict[str, str]:
        key = {"Idempotency-Key": f"envio-{i}"} if with_keys else {}
        return world.keys["CUS"] | key

    answers = _parallel(client, world, headers_of)
    assert [r.status_code for r in answers] == [201] * PARALLEL, [
        r.json() for r in answers if r.status_code != 201
    ]
    assert sorted(r.json()["number"] for r in answers) == list(range(1, PARALLEL + 1))
    assert _numbers(session) == list(range(1, PARALLEL + 1))
    session.expire_all()
    current = session.exec(
        select(TopicListVersion).where(TopicListVersion.is_current == True)  # noqa: E712
    ).all()
    assert [v.number for v in current] == [PARALLEL]


def test_parallel_identical_retries_replay_one_version(client, session, world):
    body = sample_list()

    def post(_: int):
        barrier.wait()
        return client.post(
            world.lists("CUS"),
            json=body,
            headers=world.keys["CUS"] | {"Idempotency-Key": "el-mismo-envio"},
        )

    barrier = threading.Barrier(PARALLEL)
    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(post, range(PARALLEL)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * (PARALLEL - 1) + [201]
    assert {r.json()["number"] for r in answers} == {1}
    assert all(r.json() == answers[0].json() for r in answers)
    assert _numbers(session) == [1]
