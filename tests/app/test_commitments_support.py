"""A published edition with rapporteurs for the commitments tests.

`published` builds `make_world` (delegations D1..D3 meeting MINSA and MINEDU), publishes its
plan with the publication service and adds two rapporteur keys (A and B).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from factories import auth, create_key
from sqlmodel import Session
from test_publication_support import World, make_world

from app.access.models import Role
from app.agendas.delivery import publish_meetings
from app.core.config import Settings

PUBLISHED_AT = dt.datetime(2030, 1, 10, 15, 0, tzinfo=dt.UTC)


@dataclass
class Published:
    world: World
    rapporteur_a: tuple[int, str]  # (key id, token)
    rapporteur_b: tuple[int, str]

    @property
    def edition_id(self) -> int:
        return self.world.edition.id  # type: ignore[return-value]

    def request(self, delegation: str, sector: str = "MINSA") -> int:
        return self.world.requests[(delegation, sector)]

    def sd(self) -> dict[str, str]:
        return auth(self.world.sd_token)

    def as_(self, who: str) -> dict[str, str]:
        if who == "A":
            return auth(self.rapporteur_a[1])
        if who == "B":
            return auth(self.rapporteur_b[1])
        return auth(self.world.tokens[who])


def published(session: Session, settings: Settings, *, tag: str = "") -> Published:
    world = make_world(session, tag=tag)
    publish_meetings(
        session=session,
        edition=world.edition,
        meetings=world.plan,
        published_by="SD",
        now=PUBLISHED_AT,
        settings=settings,
    )
    session.commit()
    a_key, a_token = create_key(session, Role.rapporteur, name="Relatora A")
    b_key, b_token = create_key(session, Role.rapporteur, name="Relator B")
    return Published(world, (a_key.id, a_token), (b_key.id, b_token))  # type: ignore[arg-type]


def assign(client, p: Published, who: str, request_ids: list[int]) -> None:
    key_id = p.rapporteur_a[0] if who == "A" else p.rapporteur_b[0]
    r = client.post(
        f"/api/editions/{p.edition_id}/rapporteur-assignments",
        json={"rapporteur_key_id": key_id, "request_ids": request_ids},
        headers=p.sd(),
    )
    assert r.status_code == 200, r.text


def commitment_body(p: Published, delegation: str = "D1", **fields) -> dict:
    d = next(x for x in p.world.delegations if x.code == delegation)
    body = {
        "description": "Transferir recursos para el saldo de obra del hospital",
        "sector_id": p.world.sectors["MINSA"].id,
        "delegation_id": d.id,
        "type": "budgetary",
        "deadline": "2030-06-30",
        "amount": "1500000.00",
    }
    return body | fields


def test_published_world(session, settings):
    p = published(session, settings)
    assert len(p.world.plan) == 6 and p.rapporteur_a[0] != p.rapporteur_b[0]
