"""A small schedulable edition for the solve-run tests (rows written directly)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from factories import add_participants, create_delegation, create_edition, create_sector
from sqlmodel import Session

from app.editions.models import Delegation, Edition, Room, Sector
from app.scheduling.models import MeetingRequest, MeetingRequestSector

LIMA = dt.timezone(dt.timedelta(hours=-5))


@dataclass
class Setup:
    edition: Edition
    delegations: list[Delegation]
    sectors: list[Sector]
    rooms: list[Room]
    requests: list[MeetingRequest] = field(default_factory=list)


def add_request(
    session: Session,
    edition: Edition,
    delegation: Delegation,
    sectors: list[Sector],
    **fields: object,
) -> MeetingRequest:
    request = MeetingRequest(
        edition_id=edition.id,
        delegation_id=delegation.id,
        **({"weight": 5, "attendees": 6} | fields),
    )
    session.add(request)
    session.flush()
    for s in sectors:
        session.add(MeetingRequestSector(request_id=request.id, sector_id=s.id))
    session.commit()
    return request


def schedulable_edition(
    session: Session,
    *,
    status: str = "scheduling",
    n_delegations: int = 3,
    n_sectors: int = 2,
    n_rooms: int = 2,
) -> Setup:
    """An edition with 21 bilateral slots (10-13 and 14-18 on day 1), rooms and one request
    per (delegation, sector)."""
    edition = create_edition(session, status=status)
    delegations = [create_delegation(session) for _ in range(n_delegations)]
    sectors = [create_sector(session) for _ in range(n_sectors)]
    add_participants(session, edition, delegations, sectors)
    rooms = [Room(edition_id=edition.id, name=f"Sala {i + 1}", capacity=12) for i in range(n_rooms)]
    session.add_all(rooms)
    session.commit()
    setup = Setup(edition, delegations, sectors, rooms)
    for d in delegations:
        for s in sectors:
            setup.requests.append(add_request(session, edition, d, [s]))
    return setup


def wait_for(predicate, timeout: float = 30.0, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
