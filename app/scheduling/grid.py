"""A run's schedule laid out for people: the bilateral slots of each day (local times), the
rooms, one card per meeting (delegation, sectors, first topic, pin) and the requests the run
left out with their Spanish reasons.

A fixed handful of queries whatever the size of the edition: the grid, the rooms, the
requests of the run with their delegations, their sectors and their topics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.editions.models import Delegation, Edition, Room, Sector
from app.scheduling.models import (
    MeetingRequest,
    MeetingRequestSector,
    MeetingRequestTopic,
    RunStatus,
    SolveRun,
)
from app.scheduling.runs import get_run, run_meetings
from app.scheduling.service import bilateral_grid
from app.submissions.models import Topic, TopicSector


@dataclass(frozen=True)
class Party:
    id: int
    code: str
    name: str


@dataclass
class Card:
    """One meeting of the run, on the local clock."""

    request_id: int
    delegation: Party
    sectors: list[Party]
    topic: str | None
    room_id: int
    room: str
    day: dt.date
    start: dt.time
    end: dt.time
    slots: int
    pinned: bool


@dataclass
class Unplaced:
    """A request the run did not schedule, and why (Spanish)."""

    request_id: int
    delegation: Party
    sectors: list[Party]
    topic: str | None
    reason: str


@dataclass
class ScheduleGrid:
    run: SolveRun
    times: dict[dt.date, list[dt.time]]  # bilateral slot starts by day, in order
    rooms: list[tuple[int, str]]
    cards: list[Card]
    unscheduled: list[Unplaced] = field(default_factory=list)

    @property
    def days(self) -> list[dt.date]:
        return list(self.times)


@dataclass
class _Request:
    delegation: Party
    sectors: list[Party]
    topic: str | None
    pinned: bool


def _requests(session: Session, request_ids: list[int]) -> dict[int, _Request]:
    """Delegation, sectors, first topic (best rank) and pin of each request."""
    if not request_ids:
        return {}
    sectors: dict[int, list[Party]] = defaultdict(list)
    for rid, sid, code, name in session.exec(
        select(MeetingRequestSector.request_id, Sector.id, Sector.code, Sector.name)
        .join(Sector, col(Sector.id) == col(MeetingRequestSector.sector_id))
        .where(col(MeetingRequestSector.request_id).in_(request_ids))
        .order_by(col(Sector.code))
    ).all():
        sectors[rid].append(Party(sid, code, name))
    topics: dict[int, str] = {}
    for rid, title in session.exec(
        select(MeetingRequestTopic.request_id, Topic.title)
        .join(Topic, col(Topic.id) == col(MeetingRequestTopic.topic_id))
        .join(TopicSector, col(TopicSector.topic_id) == col(Topic.id))
        .where(col(MeetingRequestTopic.request_id).in_(request_ids))
        .order_by(col(TopicSector.rank), col(Topic.position), col(Topic.id))
    ).all():
        topics.setdefault(rid, title)
    out = {}
    for r, d_id, d_code, d_name in session.exec(
        select(MeetingRequest, Delegation.id, Delegation.code, Delegation.name)
        .join(Delegation, col(Delegation.id) == col(MeetingRequest.delegation_id))
        .where(col(MeetingRequest.id).in_(request_ids))
    ).all():
        out[r.id] = _Request(
            delegation=Party(d_id, d_code, d_name),
            sectors=sectors.get(r.id, []),
            topic=topics.get(r.id),
            pinned=r.pin_date is not None,
        )
    return out


def schedule_grid(*, session: Session, edition: Edition, run_id: int) -> ScheduleGrid:
    """The run's meetings as cards on the edition's bilateral grid (404 for a foreign run)."""
    run = get_run(session=session, edition=edition, run_id=run_id)
    tz = ZoneInfo(edition.timezone)
    times: dict[dt.date, list[dt.time]] = defaultdict(list)
    for slot in bilateral_grid(session=session, edition=edition):
        times[slot.date].append(slot.start)
    rooms = list(
        session.exec(
            select(Room.id, Room.name).where(Room.edition_id == edition.id).order_by(col(Room.id))
        ).all()
    )
    room_names = dict(rooms)
    meetings = run_meetings(session=session, run=run)
    left_out = [u for u in (run.result or {}).get("unscheduled", []) if "request_id" in u]
    info = _requests(
        session, [m.request_id for m in meetings] + [u["request_id"] for u in left_out]
    )
    step = dt.timedelta(minutes=edition.slot_minutes)
    cards = []
    for m in meetings:
        r = info.get(m.request_id)
        if r is None:  # the request was deleted by a regeneration since
            continue
        start, end = m.starts_at.astimezone(tz), m.ends_at.astimezone(tz)
        cards.append(
            Card(
                request_id=m.request_id,
                delegation=r.delegation,
                sectors=r.sectors,
                topic=r.topic,
                room_id=m.room_id,
                room=room_names.get(m.room_id, str(m.room_id)),
                day=start.date(),
                start=start.time(),
                end=end.time(),
                slots=max(1, round((end - start) / step)),
                pinned=r.pinned,
            )
        )
    unscheduled = [
        Unplaced(
            request_id=u["request_id"],
            delegation=info[u["request_id"]].delegation,
            sectors=info[u["request_id"]].sectors,
            topic=info[u["request_id"]].topic,
            reason=u.get("detail") or u.get("reason", ""),
        )
        for u in left_out
        if u["request_id"] in info
    ]
    return ScheduleGrid(
        run=run, times=dict(times), rooms=rooms, cards=cards, unscheduled=unscheduled
    )


@dataclass(frozen=True)
class RunChoice:
    id: int
    mode: str
    finished_at: dt.datetime | None


def succeeded_runs(*, session: Session, edition: Edition, limit: int = 50) -> list[RunChoice]:
    """The edition's succeeded runs, newest first (the ones a grid can show); only the
    columns a picker needs, not the schedules."""
    rows = session.exec(
        select(SolveRun.id, SolveRun.mode, SolveRun.finished_at)
        .where(SolveRun.edition_id == edition.id, SolveRun.status == RunStatus.succeeded)
        .order_by(col(SolveRun.id).desc())
        .limit(limit)
    ).all()
    return [RunChoice(id=i, mode=str(mode), finished_at=at) for i, mode, at in rows]
