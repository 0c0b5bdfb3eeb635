"""Least privilege: contact e-mails only for the SD and the party itself; unavailability
reasons not for rapporteurs."""

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
    rapporteur = auth(create_key(session, Role.rapporteur)[1])
    assert client.get(url, headers=rapporteur).json() == []
