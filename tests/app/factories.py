"""Small helpers that create test data through the services (committed, so the API sees it)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session

from app.access import service as access_service
from app.access.models import ApiKey, Role
from app.editions import service
from app.editions.models import (
    Delegation,
    DelegationCreate,
    Edition,
    EditionCreate,
    EditionStatus,
    ParticipantsIn,
    Sector,
    SectorCreate,
)

_seq = itertools.count(1)
LIMA = dt.timezone(dt.timedelta(hours=-5))

# The classic GORE Ejecutivo day 1: plenary, two bilateral blocks around lunch.
DAY1_BLOCKS = [
    {"kind": "plenary", "label": "Inauguración", "start_time": "09:00", "end_time": "10:00"},
    {
        "kind": "bilateral",
        "label": "Bilaterales mañana",
        "start_time": "10:00",
        "end_time": "13:00",
    },
    {"kind": "lunch", "label": "Almuerzo", "start_time": "13:00", "end_time": "14:00"},
    {"kind": "bilateral", "label": "Bilaterales tarde", "start_time": "14:00", "end_time": "18:00"},
]
DAY2_BLOCKS = [
    {
        "kind": "political_meeting",
        "label": "Palacio de Gobierno",
        "start_time": "10:00",
        "end_time": "13:00",
    },
]


def create_delegation(session: Session, code: str | None = None, **fields: Any) -> Delegation:
    n = next(_seq)
    data = {
        "code": code or f"D{n:03d}",
        "name": f"Gobierno Regional de Prueba {n}",
        "kind": "regional_government",
        "authority_title": "governor",
        "authority_name": f"Gobernador {n}",
        "contact_emails": [f"enlace{n}@region.example.pe"],
    }
    delegation = service.create_delegation(
        session=session, delegation_in=DelegationCreate(**(data | fields))
    )
    session.commit()
    return delegation


def create_sector(session: Session, code: str | None = None, **fields: Any) -> Sector:
    n = next(_seq)
    data = {
        "code": code or f"S{n:03d}",
        "name": f"Ministerio de Prueba {n}",
        "minister_name": f"Ministra {n}",
        "contact_emails": [f"despacho{n}@ministerio.example.pe"],
    }
    sector = service.create_sector(session=session, sector_in=SectorCreate(**(data | fields)))
    session.commit()
    return sector


def edition_payload(
    *,
    first_day: dt.date = dt.date(2030, 3, 1),
    days: int = 2,
    open_at: dt.datetime | None = None,
    close_at: dt.datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A JSON-ready body for POST /api/editions."""
    day_list = [{"date": first_day.isoformat(), "blocks": DAY1_BLOCKS}]
    if days >= 2:
        day_list.append(
            {"date": (first_day + dt.timedelta(days=1)).isoformat(), "blocks": DAY2_BLOCKS}
        )
    open_at = open_at or dt.datetime.combine(first_day - dt.timedelta(days=30), dt.time(9), LIMA)
    close_at = close_at or dt.datetime.combine(first_day - dt.timedelta(days=10), dt.time(18), LIMA)
    body = {
        "name": f"{next(_seq)}.º GORE Ejecutivo",
        "kind": "GORE",
        "venue": "Centro de Convenciones de Lima",
        "submissions_open_at": open_at.isoformat(),
        "submissions_close_at": close_at.isoformat(),
        "days": day_list,
    }
    return body | fields


_PATH: dict[EditionStatus, list[EditionStatus]] = {
    EditionStatus.draft: [],
    EditionStatus.open_for_submissions: [EditionStatus.open_for_submissions],
}
_ORDER = [
    EditionStatus.open_for_submissions,
    EditionStatus.in_review,
    EditionStatus.scheduling,
    EditionStatus.published,
    EditionStatus.held,
    EditionStatus.closed,
]


def create_edition(
    session: Session, status: EditionStatus | str = EditionStatus.draft, **payload: Any
) -> Edition:
    """An edition with days and blocks, walked through the lifecycle up to `status`."""
    edition = service.create_edition(
        session=session, edition_in=EditionCreate.model_validate(edition_payload(**payload))
    )
    status = EditionStatus(status)
    if status != EditionStatus.draft:
        for step in _ORDER[: _ORDER.index(status) + 1]:
            if step in (EditionStatus.held, EditionStatus.closed):
                # Set directly: `held` needs the clock on the first day (test_editions).
                edition.status = step
                session.add(edition)
                continue
            service.transition(session=session, edition=edition, to_status=step)
    session.commit()
    return edition


def add_participants(
    session: Session,
    edition: Edition,
    delegations: Iterable[Delegation] = (),
    sectors: Iterable[Sector] = (),
) -> None:
    """Make delegations and sectors take part (bypasses the status check)."""
    from app.editions.models import EditionDelegation, EditionSector

    for d in delegations:
        session.merge(EditionDelegation(edition_id=edition.id, delegation_id=d.id))
    for s in sectors:
        session.merge(EditionSector(edition_id=edition.id, sector_id=s.id))
    session.commit()


def add_participants_by_code(session: Session, edition: Edition, codes: Sequence[str]) -> None:
    service.add_participants(
        session=session, edition=edition, participants_in=ParticipantsIn(delegation_codes=codes)
    )
    session.commit()


def create_key(
    session: Session,
    role: Role | str = Role.sd_admin,
    *,
    name: str | None = None,
    delegation: Delegation | None = None,
    sector: Sector | None = None,
) -> tuple[ApiKey, str]:
    key, token = access_service.create_key(
        session=session,
        role=role,
        name=name or f"Clave {role} {next(_seq)}",
        delegation_id=delegation.id if delegation else None,
        sector_id=sector.id if sector else None,
    )
    session.commit()
    return key, token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
