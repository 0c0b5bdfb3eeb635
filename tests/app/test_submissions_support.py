"""Shared helpers for the submission, review, request and tenant-matrix tests (no tests here).

The default test edition (factories.edition_payload) opens for submissions on 2030-01-30
09:00 and closes on 2030-02-19 18:00, Lima time; its bilateral blocks on 2030-03-01 are
10:00-13:00 and 14:00-18:00 with 20-minute slots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from factories import (
    LIMA,
    add_participants,
    auth,
    create_delegation,
    create_edition,
    create_key,
    create_sector,
)
from sqlalchemy import func
from sqlmodel import Session, select

from app.access.models import IdempotencyRecord
from app.editions import service as editions_service
from app.editions.models import Delegation, Edition, EditionStatus, Sector
from app.scheduling.models import MeetingRequest, MeetingRequestSector, MeetingRequestTopic
from app.submissions.models import Topic, TopicListVersion, TopicSector

BEFORE_OPEN = dt.datetime(2030, 1, 29, 12, 0, tzinfo=LIMA)
INSIDE = dt.datetime(2030, 2, 10, 12, 0, tzinfo=LIMA)
AFTER_CLOSE = dt.datetime(2030, 2, 19, 18, 0, tzinfo=LIMA)  # close is exclusive
SECTOR_CODES = ("MINSA", "MINEDU", "MTC")
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


@dataclass
class World:
    edition: Edition
    delegations: dict[str, Delegation]
    sectors: dict[str, Sector]
    sd: dict[str, str]
    keys: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> auth header

    def url(self, rest: str = "") -> str:
        return f"/api/editions/{self.edition.id}{rest}"

    def lists(self, code: str, rest: str = "") -> str:
        return self.url(f"/delegations/{code}/topic-lists{rest}")


def make_world(
    session: Session,
    *,
    delegation_codes: tuple[str, ...] = ("CUS", "JUN"),
    sector_codes: tuple[str, ...] = SECTOR_CODES,
    extra_sectors: tuple[str, ...] = ("MINEM",),
    status: str = "open_for_submissions",
) -> World:
    """An edition with delegations and sectors taking part, each with its own key, plus
    sectors that exist but do not take part (`extra_sectors`)."""
    edition = create_edition(session, status=status)
    delegations = {c: create_delegation(session, c) for c in delegation_codes}
    sectors = {c: create_sector(session, c) for c in sector_codes}
    for code in extra_sectors:
        create_sector(session, code)
    add_participants(session, edition, delegations.values(), sectors.values())
    _, sd = create_key(session)
    world = World(edition, delegations, sectors, auth(sd))
    for code, d in delegations.items():
        world.keys[code] = auth(create_key(session, "delegation", delegation=d)[1])
    for code, s in sectors.items():
        world.keys[code] = auth(create_key(session, "sector", sector=s)[1])
    return world


def topic(
    title: str,
    *sectors: tuple[str, int],
    kind: str = "other",
    cui: str | None = None,
    amount: str | None = None,
    description: str = "",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "description": description,
        "kind": kind,
        "sectors": [{"sector": code, "rank": rank} for code, rank in sectors],
    }
    if cui is not None:
        body["cui"] = cui
    if amount is not None:
        body["amount"] = amount
    return body


def sample_list(prefix: str = "") -> dict[str, Any]:
    """Five topics: two for MINSA, two for MINEDU (one a project), one multisector."""
    return {
        "topics": [
            topic(
                f"{prefix}Hospital de Quillabamba",
                ("MINSA", 1),
                kind="investment_project",
                cui="2345678",
                amount="150000000.00",
            ),
            topic(f"{prefix}Plazas de médicos especialistas", ("MINSA", 2), kind="budget_request"),
            topic(
                f"{prefix}Saneamiento de colegios", ("MINEDU", 1), kind="administrative_blockage"
            ),
            topic(
                f"{prefix}Colegio emblemático",
                ("MINEDU", 2),
                kind="investment_project",
                cui="2198765",
                amount="42000000",
            ),
            topic(f"{prefix}Corredor vial y postas", ("MTC", 1), ("MINSA", 3)),
        ]
    }


def set_status(session: Session, edition: Edition, status: str) -> None:
    """Walk the edition forward to `status` through the lifecycle."""
    order = [s.value for s in EditionStatus]
    session.refresh(edition)
    while edition.status != status:
        nxt = order[order.index(edition.status) + 1]
        editions_service.transition(session=session, edition=edition, to_status=nxt)
    session.commit()


def counts(session: Session) -> dict[str, int]:
    """Row counts of every table of this area (nothing may change on a refused request)."""
    session.expire_all()
    models = (
        TopicListVersion,
        Topic,
        TopicSector,
        IdempotencyRecord,
        MeetingRequest,
        MeetingRequestSector,
        MeetingRequestTopic,
    )
    return {
        m.__tablename__: session.exec(select(func.count()).select_from(m)).one() for m in models
    }


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    """Every topic's review state and every version's current flag, in id order."""
    session.expire_all()
    topics = session.exec(
        select(Topic.id, Topic.status, Topic.merged_into_id, Topic.review_reason).order_by(Topic.id)
    ).all()
    ranks = session.exec(select(TopicSector.id, TopicSector.rank).order_by(TopicSector.id)).all()
    versions = session.exec(
        select(TopicListVersion.id, TopicListVersion.is_current).order_by(TopicListVersion.id)
    ).all()
    return [tuple(r) for r in (*topics, *ranks, *versions)]


def without_instance(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "instance"}
