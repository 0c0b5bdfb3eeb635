"""A small published-ready edition for the publication, agenda and delivery tests.

`make_world` builds an edition in `scheduling` with rooms, two ministries (MINSA, MINEDU),
delegations with accepted topics (CUI, amounts, ranks) and one meeting request per
(delegation, sector), plus a plan (list of PlannedMeeting) placing every request; `solve_run`
stores that plan as a succeeded SolveRun so the API's run-based path can publish it.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from factories import add_participants, create_delegation, create_edition, create_key, create_sector
from sqlmodel import Session

from app.access.models import Role
from app.editions.models import Delegation, Edition, EditionStatus, Room, Sector
from app.scheduling.models import (
    MeetingRequest,
    MeetingRequestSector,
    MeetingRequestTopic,
    RunStatus,
    SolveRun,
)
from app.scheduling.plan import PlannedMeeting
from app.submissions.models import Topic, TopicListVersion, TopicSector, TopicStatus

LIMA = ZoneInfo("America/Lima")
FIRST_DAY = dt.date(2030, 3, 1)


@dataclass
class World:
    edition: Edition
    rooms: list[Room]
    sectors: dict[str, Sector]
    delegations: list[Delegation]
    requests: dict[tuple[str, str], int]  # (delegation code, sector code) -> request id
    plan: list[PlannedMeeting]
    sd_token: str
    tokens: dict[str, str] = field(default_factory=dict)  # party code -> API key


def at(hour: int, minute: int = 0, day: dt.date = FIRST_DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LIMA)


def meeting(request_id: int, room: Room, start: dt.datetime, minutes: int = 20) -> PlannedMeeting:
    return PlannedMeeting(request_id, room.id, start, start + dt.timedelta(minutes=minutes))


def make_world(session: Session, *, n_delegations: int = 3, tag: str = "") -> World:
    """Edition in scheduling; delegations D1..Dn each meet MINSA and MINEDU once."""
    edition = create_edition(session, EditionStatus.scheduling, first_day=FIRST_DAY)
    edition.name = "12.º GORE Ejecutivo"
    session.add(edition)
    minsa = create_sector(
        session,
        f"MINSA{tag}",
        name="Ministerio de Salud",
        minister_name="Dra. Ana María Quispe",
        contact_emails=["agenda@minsa.example.pe", "despacho@minsa.example.pe"],
    )
    minedu = create_sector(
        session,
        f"MINEDU{tag}",
        name="Ministerio de Educación",
        contact_emails=["agenda@minedu.example.pe"],
    )
    regions = ["Cusco", "Junín", "San Martín", "Áncash", "Piura", "Puno"]
    delegations = [
        create_delegation(
            session,
            f"D{i + 1}{tag}",
            name=f"Gobierno Regional de {regions[i % len(regions)]}",
            authority_name=f"Gobernador Núñez {i + 1}",
            contact_emails=[f"gore{i + 1}@region.example.pe"],
        )
        for i in range(n_delegations)
    ]
    add_participants(session, edition, delegations, [minsa, minedu])
    rooms = [Room(edition_id=edition.id, name=f"Sala {n}", capacity=20) for n in (1, 2)]
    session.add_all(rooms)
    session.flush()
    now = dt.datetime(2030, 1, 10, tzinfo=dt.UTC)
    requests: dict[tuple[str, str], int] = {}
    plan: list[PlannedMeeting] = []
    for i, d in enumerate(delegations):
        version = TopicListVersion(
            edition_id=edition.id,
            delegation_id=d.id,
            number=1,
            is_current=True,
            submitted_at=now,
            submitted_by="test",
        )
        session.add(version)
        session.flush()
        for j, sector in enumerate((minsa, minedu)):
            topics = []
            for k, (title, kind, cui, amount) in enumerate(
                [
                    (
                        "Saneamiento del terreno del puesto de salud",
                        "administrative_blockage",
                        None,
                        None,
                    ),
                    (
                        f"Hospital de {regions[i % len(regions)]}: saldo de obra",
                        "investment_project",
                        f"{2300000 + i * 10 + j:07d}",
                        Decimal("45678901.25"),
                    ),
                ]
            ):
                topic = Topic(
                    version_id=version.id,
                    edition_id=edition.id,
                    delegation_id=d.id,
                    position=j * 2 + k,
                    title=f"{title} ({sector.code})",
                    description=f"Descripción del tema {k + 1} para {sector.code}.",
                    kind=kind,
                    cui=cui,
                    amount=amount,
                    status=TopicStatus.accepted,
                )
                session.add(topic)
                session.flush()
                # the project (position 1) is the delegation's priority 1 for the sector
                session.add(
                    TopicSector(
                        topic_id=topic.id, sector_id=sector.id, rank=2 - k, submitted_rank=2 - k
                    )
                )
                topics.append(topic)
            request = MeetingRequest(edition_id=edition.id, delegation_id=d.id, weight=10)
            session.add(request)
            session.flush()
            session.add(MeetingRequestSector(request_id=request.id, sector_id=sector.id))
            session.add_all(
                MeetingRequestTopic(request_id=request.id, topic_id=t.id) for t in topics
            )
            requests[(d.code, sector.code)] = request.id
            plan.append(meeting(request.id, rooms[j], at(10, 0) + dt.timedelta(minutes=20 * i)))
    session.commit()
    _key, sd_token = create_key(session, Role.sd_admin)
    tokens = {}
    for s in (minsa, minedu):
        tokens[s.code] = create_key(session, Role.sector, sector=s)[1]
    for d in delegations:
        tokens[d.code] = create_key(session, Role.delegation, delegation=d)[1]
    return World(
        edition=edition,
        rooms=rooms,
        sectors={"MINSA": minsa, "MINEDU": minedu},
        delegations=delegations,
        requests=requests,
        plan=plan,
        sd_token=sd_token,
        tokens=tokens,
    )


def solve_run(session: Session, world: World, plan: list[PlannedMeeting] | None = None) -> int:
    """A succeeded SolveRun holding `plan` (the solver is not run)."""
    run = SolveRun(
        edition_id=world.edition.id,
        status=RunStatus.succeeded,
        created_by="test",
        assignments=[
            {
                "request_id": m.request_id,
                "room_id": m.room_id,
                "starts_at": m.starts_at.astimezone(dt.UTC).isoformat(),
                "ends_at": m.ends_at.astimezone(dt.UTC).isoformat(),
            }
            for m in (plan if plan is not None else world.plan)
        ],
        result={
            "status": "OPTIMAL",
            "scheduled_weight": len(plan if plan is not None else world.plan),
            "breaks": 0,
            "seconds": 0.0,
            "stages": [],
            "conflicts": [],
            "unscheduled": [],
        },
    )
    session.add(run)
    session.commit()
    return run.id


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pdftotext (poppler-utils) reads it: the agenda's embedded
    TrueType font writes glyph ids, not characters, in the content streams."""
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    return subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")


def test_world_builds(session):
    world = make_world(session)
    assert len(world.plan) == 6
    assert len({m.request_id for m in world.plan}) == 6
