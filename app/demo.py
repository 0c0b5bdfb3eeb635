"""`articula demo`: the 26 delegations, the sectors and the "12.º GORE Ejecutivo" edition,
plus the commitment history of the 1st..11th editions (5,712 commitments).

Idempotent: rows are looked up by code or name and only missing ones are created. Keys are
created only on the first load (only their hashes are stored, so they can be printed once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.access.models import ApiKey, Role, User
from app.access.service import create_key
from app.access.users import create_user
from app.commitments.models import CommitmentImport
from app.commitments.service import bulk_insert
from app.core import clock
from app.demo_data import (
    DELEGATIONS,
    EDITION_NAME,
    PRIORITY_SECTORS,
    REGION_OF,
    SECTORS,
    VENUE,
    demo_person,
)
from app.demo_data import commitments as history
from app.editions import service
from app.editions.models import (
    Delegation,
    DelegationCreate,
    Edition,
    EditionCreate,
    EditionStatus,
    ParticipantsIn,
    RoomCreate,
    Sector,
    SectorCreate,
    UnavailabilityCreate,
)

DEMO_KEY_PREFIX = "Demo · "
# One web account per role: (e-mail, name, role, delegation code, sector code).
DEMO_USERS: list[tuple[str, str, Role, str | None, str | None]] = [
    ("sd@pcm.gob.example", "Equipo de articulación SD", Role.sd_admin, None, None),
    ("cusco@regioncusco.gob.example", "Gobierno Regional del Cusco", Role.delegation, "CUS", None),
    ("minsa@minsa.gob.example", "Ministerio de Salud", Role.sector, None, "MINSA"),
    ("relatoria@pcm.gob.example", "Relatoría PCM", Role.rapporteur, None, None),
]


@dataclass
class DemoResult:
    created_delegations: int = 0
    created_sectors: int = 0
    edition_created: bool = False
    keys: list[tuple[str, str]] = field(default_factory=list)  # (name, token), first load only
    # (e-mail, role label, password) of the web accounts created now (passwords shown once)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    commitments_imported: int = 0  # the 2016-2019 history, first load only


def _delegations(session: Session, result: DemoResult) -> dict[str, Delegation]:
    existing = {d.code: d for d in session.exec(select(Delegation)).all()}
    for i, (code, name, kind, ubigeo, slug) in enumerate(DELEGATIONS):
        if code in existing:
            continue
        region = REGION_OF.get(code, re.sub(r"^Gobierno Regional del? ", "", name))
        existing[code] = service.create_delegation(
            session=session,
            delegation_in=DelegationCreate(
                code=code,
                name=name,
                kind=kind,
                authority_title="mayor" if kind == "metropolitan_municipality" else "governor",
                authority_name=demo_person(i),
                region=region,
                ubigeo=ubigeo,
                contact_emails=[
                    f"articulacion@{slug}.gob.example",
                    f"gerencia.planeamiento@{slug}.gob.example",
                ],
            ),
        )
        result.created_delegations += 1
    return existing


def _sectors(session: Session, result: DemoResult) -> dict[str, Sector]:
    existing = {s.code: s for s in session.exec(select(Sector)).all()}
    for i, (code, name, slug) in enumerate(SECTORS):
        if code in existing:
            continue
        existing[code] = service.create_sector(
            session=session,
            sector_in=SectorCreate(
                code=code,
                name=name,
                minister_name=demo_person(100 + i),
                contact_emails=[
                    f"despacho.ministerial@{slug}.gob.example",
                    f"oficina.descentralizacion@{slug}.gob.example",
                ],
            ),
        )
        result.created_sectors += 1
    return existing


def _edition(
    session: Session, sectors: dict[str, Sector], delegations: dict[str, Delegation]
) -> Edition:
    """The demo edition: day 1 bilaterals at the Convention Center, day 2 at the Palace."""
    lima = ZoneInfo("America/Lima")
    today = clock.now().astimezone(lima).date()
    first_day = today + dt.timedelta(days=21)
    open_at = dt.datetime.combine(today - dt.timedelta(days=7), dt.time(9), lima)
    close_at = dt.datetime.combine(today + dt.timedelta(days=10), dt.time(18), lima)
    edition = service.create_edition(
        session=session,
        edition_in=EditionCreate.model_validate(
            {
                "name": EDITION_NAME,
                "kind": "GORE",
                "venue": VENUE,
                "submissions_open_at": open_at,
                "submissions_close_at": close_at,
                "days": [
                    {
                        "date": first_day,
                        "blocks": [
                            {
                                "kind": "plenary",
                                "label": "Sesión plenaria de inauguración",
                                "start_time": "09:00",
                                "end_time": "10:00",
                            },
                            {
                                "kind": "bilateral",
                                "label": "Reuniones bilaterales (mañana)",
                                "start_time": "10:00",
                                "end_time": "13:00",
                            },
                            {
                                "kind": "lunch",
                                "label": "Almuerzo",
                                "start_time": "13:00",
                                "end_time": "14:00",
                            },
                            {
                                "kind": "bilateral",
                                "label": "Reuniones bilaterales (tarde)",
                                "start_time": "14:00",
                                "end_time": "18:00",
                            },
                        ],
                    },
                    {
                        "date": first_day + dt.timedelta(days=1),
                        "blocks": [
                            {
                                "kind": "political_meeting",
                                "label": "Reunión política en Palacio de Gobierno",
                                "start_time": "10:00",
                                "end_time": "13:00",
                            },
                        ],
                    },
                ],
            }
        ),
    )
    service.add_participants(
        session=session,
        edition=edition,
        participants_in=ParticipantsIn(
            delegation_codes=[code for code, *_ in DELEGATIONS], sector_codes=PRIORITY_SECTORS
        ),
    )
    for code in PRIORITY_SECTORS:
        service.create_room(
            session=session,
            edition=edition,
            room_in=RoomCreate(
                name=f"Sala {code}", capacity=20, reserved_sector_id=sectors[code].id
            ),
        )
    for name in ("Sala multisectorial A", "Sala multisectorial B"):
        service.create_room(
            session=session, edition=edition, room_in=RoomCreate(name=name, capacity=30)
        )

    def at(hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(first_day, dt.time(hour, minute), lima)

    for unavailable in (
        UnavailabilityCreate(
            sector_id=sectors["MINEM"].id,
            starts_at=at(10),
            ends_at=at(11),
            reason="El ministro sustenta ante la Comisión de Energía del Congreso",
        ),
        UnavailabilityCreate(
            sector_id=sectors["MTC"].id,
            starts_at=at(16),
            ends_at=at(18),
            reason="Viaje a la zona de emergencia",
        ),
        UnavailabilityCreate(
            delegation_id=delegations["LOR"].id,
            starts_at=at(10),
            ends_at=at(11, 20),
            reason="Llegada del vuelo desde Iquitos",
        ),
        UnavailabilityCreate(
            delegation_id=delegations["PUN"].id,
            starts_at=at(17),
            ends_at=at(18),
            reason="Retorno anticipado a Puno",
        ),
    ):
        service.create_unavailability(
            session=session, edition=edition, unavailability_in=unavailable
        )
    service.transition(
        session=session, edition=edition, to_status=EditionStatus.open_for_submissions
    )
    return edition


def _keys(
    session: Session, delegations: dict[str, Delegation], sectors: dict[str, Sector]
) -> list[tuple[str, str]]:
    wanted: list[tuple[str, Role, int | None, int | None]] = [
        ("Equipo de articulación SD", Role.sd_admin, None, None),
        *(
            (d.code, Role.delegation, d.id, None)
            for d in sorted(delegations.values(), key=lambda d: d.code)
        ),
        *((code, Role.sector, None, sectors[code].id) for code in PRIORITY_SECTORS),
        ("Relatoría", Role.rapporteur, None, None),
    ]
    out = []
    for label, role, delegation_id, sector_id in wanted:
        name = f"{DEMO_KEY_PREFIX}{label}"
        _, token = create_key(
            session=session, role=role, name=name, delegation_id=delegation_id, sector_id=sector_id
        )
        out.append((f"{role.value:<11} {label}", token))
    return out


def load_demo(*, session: Session) -> DemoResult:
    """Load the demo catalogue, edition and keys (only what is missing)."""
    result = DemoResult()
    delegations = _delegations(session, result)
    sectors = _sectors(session, result)
    session.flush()
    if session.exec(select(Edition).where(Edition.name == EDITION_NAME)).first() is None:
        _edition(session, sectors, delegations)
        result.edition_created = True
    demo_keys = session.exec(
        select(ApiKey).where(ApiKey.name.startswith(DEMO_KEY_PREFIX))  # type: ignore[attr-defined]
    ).first()
    if demo_keys is None:
        demo_delegations = {code: delegations[code] for code, *_ in DELEGATIONS}
        result.keys = _keys(session, demo_delegations, sectors)
    result.accounts = _accounts(session, delegations, sectors)
    result.commitments_imported = _history(session, sectors, delegations, result)
    return result


def _accounts(
    session: Session, delegations: dict[str, Delegation], sectors: dict[str, Sector]
) -> list[tuple[str, str, str]]:
    """The demo's web accounts that do not exist yet, each with a random password."""
    out = []
    for email, name, role, delegation_code, sector_code in DEMO_USERS:
        if session.exec(select(User).where(User.email == email)).first() is not None:
            continue
        password = secrets.token_urlsafe(12)
        create_user(
            session=session,
            email=email,
            name=name,
            password=password,
            role=role,
            delegation_id=delegations[delegation_code].id if delegation_code else None,
            sector_id=sectors[sector_code].id if sector_code else None,
        )
        out.append((email, name, password))
    return out


def _history(
    session: Session,
    sectors: dict[str, Sector],
    delegations: dict[str, Delegation],
    result: DemoResult,
) -> int:
    """The 5,712 commitments of the 1st..11th GORE Ejecutivo (app/demo_data/commitments.py),
    bulk inserted as one import batch; skipped when that batch already exists."""
    digest = hashlib.sha256(history.MARKER.encode()).hexdigest()
    if session.exec(select(CommitmentImport).where(CommitmentImport.sha256 == digest)).first():
        return 0
    for code, name, slug in history.EXTRA_SECTORS:
        if code in sectors:
            continue
        sectors[code] = service.create_sector(
            session=session,
            sector_in=SectorCreate(
                code=code, name=name, contact_emails=[f"articulacion@{slug}.gob.example"]
            ),
        )
        result.created_sectors += 1
    rows = history.history_rows(
        sector_ids={code: s.id for code, s in sectors.items()},  # type: ignore[misc]
        delegations={code: (d.id, d.name) for code, d in delegations.items()},  # type: ignore[misc]
    )
    batch = CommitmentImport(
        filename=history.FILENAME, sha256=digest, rows=len(rows), imported_by="articula demo"
    )
    return bulk_insert(
        session=session,
        rows=rows,
        batch=batch,
        actor_name="articula demo",
        actor_role="sd_admin",
        actor_key_id=None,
    )
