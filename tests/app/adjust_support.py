"""A small solved edition for the manual-adjustment tests: two delegations, two sectors,
two rooms and a succeeded run placing the four requests at 10:00 and 10:20 of day 1."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from factories import add_participants, create_delegation, create_edition, create_sector
from runs_support import add_request
from sqlmodel import Session

from app.core import clock
from app.editions.models import Delegation, Edition, Room, Sector
from app.scheduling.models import MeetingRequest, RunStatus, SolveRun
from app.scheduling.plan import PlannedMeeting

LIMA = dt.timezone(dt.timedelta(hours=-5))


@dataclass
class Solved:
    edition: Edition
    day: dt.date
    delegations: list[Delegation]
    sectors: list[Sector]
    rooms: list[Room]
    requests: dict[str, MeetingRequest]  # "00" = delegation 0 with sector 0
    run: SolveRun


def at(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), LIMA)


def add_run(
    session: Session, edition: Edition, placed: list[tuple[MeetingRequest, str, Room]]
) -> SolveRun:
    """A succeeded run with the given meetings (request, local HH:MM on day 1, room)."""
    day = edition.days[0].date
    meetings = [
        PlannedMeeting(
            request_id=r.id,
            room_id=room.id,
            starts_at=at(day, hhmm).astimezone(dt.UTC),
            ends_at=(at(day, hhmm) + dt.timedelta(minutes=20 * r.duration_slots)).astimezone(
                dt.UTC
            ),
        )
        for r, hhmm, room in placed
    ]
    run = SolveRun(
        edition_id=edition.id,
        status=RunStatus.succeeded,
        options={"time_limit_s": 3, "workers": 1},
        result={
            "status": "OPTIMAL",
            "scheduled_weight": 5 * len(meetings),
            "breaks": 0,
            "seconds": 0.1,
            "stages": [],
            "conflicts": [],
            "unscheduled": [],
        },
        assignments=[m.to_json() for m in meetings],
        created_by="test",
        created_at=clock.now(),
        finished_at=clock.now(),
    )
    session.add(run)
    session.commit()
    return run


def solved_edition(session: Session, *, status: str = "scheduling") -> Solved:
    edition = create_edition(session, status=status)
    delegations = [
        create_delegation(session, name="Gobierno Regional del Cusco"),
        create_delegation(session, name="Gobierno Regional de Junín"),
    ]
    sectors = [
        create_sector(session, name="Ministerio de Salud"),
        create_sector(session, name="Ministerio de Educación"),
    ]
    add_participants(session, edition, delegations, sectors)
    rooms = [Room(edition_id=edition.id, name=f"Sala {i + 1}", capacity=12) for i in range(3)]
    session.add_all(rooms)
    session.commit()
    requests = {
        f"{d}{s}": add_request(session, edition, delegations[d], [sectors[s]])
        for d in range(2)
        for s in range(2)
    }
    run = add_run(
        session,
        edition,
        [
            (requests["00"], "10:00", rooms[0]),
            (requests["11"], "10:00", rooms[1]),
            (requests["01"], "10:20", rooms[0]),
            (requests["10"], "10:20", rooms[1]),
        ],
    )
    session.refresh(edition)
    return Solved(edition, edition.days[0].date, delegations, sectors, rooms, requests, run)
