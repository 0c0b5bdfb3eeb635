"""The demo edition's schedule: one home room per ministry (the GORE default) with its
multisector meetings, and a re-plan after a minister's absence that keeps what was
published and explains, in Spanish, each published meeting it could not keep."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from factories import auth, create_key
from sqlmodel import Session, col, select

from app.access.models import Role
from app.access.principal import Principal
from app.agendas.delivery import publish_run
from app.core import clock, jobs
from app.demo import EDITION_NAME, load_demo
from app.editions.models import (
    Delegation,
    Edition,
    EditionDelegation,
    EditionSector,
    EditionStatus,
    Sector,
    Unavailability,
)
from app.editions.service import transition
from app.scheduling.models import MeetingRequestSector
from app.scheduling.service import generate_requests
from app.submissions.models import Topic, TopicListIn
from app.submissions.service import accept_topic, submit_topics

LIMA = ZoneInfo("America/Lima")
SD = Principal(key_id=0, role=Role.sd_admin, name="test")
RUN = {"time_limit_s": 10}
# delegations (sorted by code) with a multisector topic: the two sectors of their first topics
MULTISECTOR = 3
DELEGATIONS = 8


def _topics(sectors: list[str], offset: int, multisector: bool) -> TopicListIn:
    picks = [sectors[(offset + i) % len(sectors)] for i in range(3)]
    topics = [
        {
            "title": f"Proyecto prioritario {i + 1}",
            "description": "Saldo de obra y equipamiento.",
            "kind": "budget_request",
            "sectors": [{"sector": code, "rank": 1 + picks[:i].count(code)}],
        }
        for i, code in enumerate(picks)
    ]
    if multisector:
        topics.append(
            {
                "title": "Agua y desagüe para el hospital regional",
                "description": "",
                "kind": "other",
                "sectors": [
                    {"sector": picks[0], "rank": 1 + picks.count(picks[0])},
                    {"sector": picks[1], "rank": 1 + picks.count(picks[1])},
                ],
            }
        )
    return TopicListIn.model_validate({"topics": topics})


@pytest.fixture
def demo(session: Session) -> Edition:
    """The demo edition in scheduling, with the topics of 8 regions, 3 of them multisector."""
    load_demo(session=session)
    edition = session.exec(select(Edition).where(Edition.name == EDITION_NAME)).one()
    sector_ids = session.exec(
        select(EditionSector.sector_id).where(EditionSector.edition_id == edition.id)
    ).all()
    sectors = sorted(
        s.code for s in session.exec(select(Sector).where(col(Sector.id).in_(sector_ids))).all()
    )
    delegation_ids = session.exec(
        select(EditionDelegation.delegation_id).where(EditionDelegation.edition_id == edition.id)
    ).all()
    delegations = sorted(
        session.exec(select(Delegation).where(col(Delegation.id).in_(delegation_ids))).all(),
        key=lambda d: d.code,
    )[:DELEGATIONS]
    now = clock.now()
    for i, d in enumerate(delegations):
        submit_topics(
            session=session,
            edition=edition,
            delegation=d,
            topics_in=_topics(sectors, i, i < MULTISECTOR),
            principal=Principal(key_id=0, role=Role.delegation, name=d.code, delegation_id=d.id),
            now=now,
        )
    transition(session=session, edition=edition, to_status=EditionStatus.in_review)
    for topic_id in session.exec(select(Topic.id).where(Topic.edition_id == edition.id)).all():
        accept_topic(session=session, edition=edition, topic_id=topic_id, principal=SD, now=now)
    generate_requests(session=session, edition=edition, replace=False, now=now)
    transition(session=session, edition=edition, to_status=EditionStatus.scheduling)
    session.commit()
    return edition


@pytest.fixture
def sd(session):
    return auth(create_key(session, Role.sd_admin)[1])


def _run(client, edition: Edition, sd, **body) -> dict:
    r = client.post(f"/api/editions/{edition.id}/runs", json=RUN | body, headers=sd)
    assert r.status_code == 202, r.text
    assert jobs.drain(120)
    run = client.get(f"/api/editions/{edition.id}/runs/{r.json()['id']}", headers=sd).json()
    assert run["status"] == "succeeded", run
    return run


def _meetings(client, edition: Edition, sd, run_id: int) -> list[dict]:
    return client.get(f"/api/editions/{edition.id}/runs/{run_id}/meetings", headers=sd).json()


def _sectors_of(session: Session) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for request_id, sector_id in session.exec(
        select(MeetingRequestSector.request_id, MeetingRequestSector.sector_id)
    ).all():
        out[request_id].append(sector_id)
    return out


def test_each_minister_keeps_one_room_with_the_multisector_meetings(client, session, demo, sd):
    sectors_of = _sectors_of(session)
    multisector = {r for r, s in sectors_of.items() if len(s) > 1}
    assert len(multisector) == MULTISECTOR

    pooled = _run(client, demo, sd, home_rooms=False)
    assert pooled["options"]["home_rooms"] is False
    before = {m["request_id"] for m in _meetings(client, demo, sd, pooled["id"])}

    run = _run(client, demo, sd)  # a GORE edition: home rooms by default
    assert run["options"]["home_rooms"] is True
    meetings = _meetings(client, demo, sd, run["id"])
    home: dict[int, set[int]] = defaultdict(set)
    for m in meetings:
        if m["request_id"] not in multisector:
            home[sectors_of[m["request_id"]][0]].add(m["room_id"])
    # no minister changes room for the meetings of its own sector alone
    assert home and all(len(rooms) == 1 for rooms in home.values()), home
    homes = {s: next(iter(rooms)) for s, rooms in home.items()}
    held = {m["request_id"]: m["room_id"] for m in meetings}
    # every multisector meeting scheduled before is scheduled, in one of its sectors' homes
    assert multisector & before <= set(held)
    for r in multisector & set(held):
        assert held[r] in {homes.get(s) for s in sectors_of[r]} or any(
            s not in homes for s in sectors_of[r]
        )


def test_a_replan_keeps_what_was_published(client, session, settings, demo, sd):
    first = _run(client, demo, sd)
    publish_run(
        session=session,
        edition=demo,
        run_id=first["id"],
        published_by="test",
        now=clock.now(),
        settings=settings,
    )
    session.commit()
    published = {m["request_id"]: m for m in _meetings(client, demo, sd, first["id"])}
    sectors_of = _sectors_of(session)
    minsa = session.exec(select(Sector).where(Sector.code == "MINSA")).one()
    minsa_meetings = [r for r in published if minsa.id in sectors_of[r]]
    assert minsa_meetings
    # MINSA is called away for two hours around one of its meetings
    start = dt.datetime.fromisoformat(published[minsa_meetings[0]]["starts_at"])
    away = Unavailability(
        edition_id=demo.id,
        sector_id=minsa.id,
        starts_at=start - dt.timedelta(hours=1),
        ends_at=start + dt.timedelta(hours=1),
    )
    session.add(away)
    session.commit()
    replan = _run(client, demo, sd, mode="replan")
    kept = {m["request_id"] for m in _meetings(client, demo, sd, replan["id"])}
    # the edition has room for all of them: every published meeting is kept
    assert set(published) <= kept
    stages = {s["name"]: s for s in replan["result"]["stages"]}
    assert list(stages)[:3] == ["keep", "changes", "weight"]
    assert stages["keep"]["objective"] == len(published)
    # the SD releases one published meeting: the others are kept, it may move or go
    released = _run(client, demo, sd, mode="replan", release=[minsa_meetings[0]])
    assert released["options"]["release"] == [minsa_meetings[0]]
    stages = {s["name"]: s for s in released["result"]["stages"]}
    assert stages["keep"]["objective"] == len(published) - 1
    kept = {m["request_id"] for m in _meetings(client, demo, sd, released["id"])}
    assert set(published) - {minsa_meetings[0]} <= kept

    # MINSA away all edition long: its published meetings cannot be held
    session.delete(away)
    days = sorted(d.date for d in demo.days)
    session.add(
        Unavailability(
            edition_id=demo.id,
            sector_id=minsa.id,
            starts_at=dt.datetime.combine(days[0], dt.time(0, 0), LIMA),
            ends_at=dt.datetime.combine(days[-1], dt.time(23, 59), LIMA),
        )
    )
    session.commit()
    replan = _run(client, demo, sd, mode="replan")
    kept = {m["request_id"] for m in _meetings(client, demo, sd, replan["id"])}
    assert set(published) - set(minsa_meetings) <= kept
    dropped = {u["request_id"]: u for u in replan["result"]["unscheduled"]}
    for r in minsa_meetings:
        assert dropped[r]["code"] == "previous_dropped"
        detail = dropped[r]["detail"]
        assert detail.startswith("Reunión publicada que no se pudo mantener: MINSA no está")
        assert "no tiene otro horario posible" in detail, detail
