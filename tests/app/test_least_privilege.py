"""Least privilege: contact e-mails only for the SD and the party itself; a rapporteur sees
only the editions where it is assigned a meeting, and no unavailability reasons."""

from __future__ import annotations

from factories import (
    add_participants,
    auth,
    create_delegation,
    create_edition,
    create_key,
    create_sector,
)

from app.access.models import Role
from app.editions.models import RapporteurAssignment


def assign(session, edition, key, request_id: int = 1) -> None:
    session.add(
        RapporteurAssignment(
            edition_id=edition.id, request_id=request_id, key_id=key.id, assigned_by="SD"
        )
    )
    session.commit()


def test_contact_emails_only_for_the_sd_and_the_party_itself(client, session):
    cusco = create_delegation(session, "CUS", contact_emails=["gr@cusco.gob.pe"])
    junin = create_delegation(session, "JUN", contact_emails=["gr@junin.gob.pe"])
    minsa = create_sector(session, "MINSA", contact_emails=["despacho@minsa.gob.pe"])
    keys = {
        "SD": create_key(session)[1],
        "CUS": create_key(session, Role.delegation, delegation=cusco)[1],
        "MINSA": create_key(session, Role.sector, sector=minsa)[1],
        "RAPPORTEUR": create_key(session, Role.rapporteur)[1],
    }

    def seen(who: str) -> dict[str, list[str] | None]:
        headers = auth(keys[who])
        rows = client.get("/api/delegations", headers=headers).json()["items"]
        rows += client.get("/api/sectors", headers=headers).json()["items"]
        return {row["code"]: row["contact_emails"] for row in rows}

    assert seen("SD") == {
        "CUS": ["gr@cusco.gob.pe"],
        "JUN": ["gr@junin.gob.pe"],
        "MINSA": ["despacho@minsa.gob.pe"],
    }
    assert seen("CUS") == {"CUS": ["gr@cusco.gob.pe"], "JUN": None, "MINSA": None}
    assert seen("MINSA") == {"CUS": None, "JUN": None, "MINSA": ["despacho@minsa.gob.pe"]}
    assert seen("RAPPORTEUR") == {"CUS": None, "JUN": None, "MINSA": None}
    one = client.get(f"/api/delegations/{junin.id}", headers=auth(keys["CUS"])).json()
    assert one["code"] == "JUN" and one["contact_emails"] is None
    own = client.get(f"/api/sectors/{minsa.id}", headers=auth(keys["MINSA"])).json()
    assert own["contact_emails"] == ["despacho@minsa.gob.pe"]


def test_unavailability_reasons_are_not_shown_to_rapporteurs(client, session):
    edition = create_edition(session)
    cusco = create_delegation(session, "CUS")
    add_participants(session, edition, delegations=[cusco])
    sd = auth(create_key(session)[1])
    body = {
        "delegation_id": cusco.id,
        "starts_at": "2030-03-01T09:00:00-05:00",
        "ends_at": "2030-03-01T11:00:00-05:00",
        "reason": "Viaje a la zona de emergencia",
    }
    url = f"/api/editions/{edition.id}/unavailability"
    assert client.post(url, json=body, headers=sd).status_code == 201
    own = auth(create_key(session, Role.delegation, delegation=cusco)[1])
    assert [u["reason"] for u in client.get(url, headers=own).json()] == [body["reason"]]
    key, token = create_key(session, Role.rapporteur)
    assign(session, edition, key)
    rapporteur = auth(token)
    r = client.get(url, headers=rapporteur)
    assert r.status_code == 200 and r.json() == []


def test_a_rapporteur_sees_only_the_editions_it_is_assigned_to(client, session):
    assigned, other, later = (
        create_edition(session),
        create_edition(session),
        create_edition(session),
    )
    key, token = create_key(session, Role.rapporteur)
    colleague, _ = create_key(session, Role.rapporteur)
    assign(session, assigned, key, request_id=7)
    assign(session, assigned, key, request_id=8)
    assign(session, other, colleague)
    rapporteur = auth(token)

    listed = client.get("/api/editions", headers=rapporteur).json()
    assert [e["id"] for e in listed["items"]] == [assigned.id] and listed["total"] == 1
    assert client.get(f"/api/editions/{assigned.id}", headers=rapporteur).status_code == 200
    for edition in (other, later):
        for path in ("", "/slots", "/participants", "/rooms", "/unavailability"):
            r = client.get(f"/api/editions/{edition.id}{path}", headers=rapporteur)
            assert r.status_code == 404, (edition.id, path)
            assert r.json()["detail"] == f"No existe la edición {edition.id}."
    sd = client.get("/api/editions", headers=auth(create_key(session)[1])).json()
    assert sd["total"] == 3
