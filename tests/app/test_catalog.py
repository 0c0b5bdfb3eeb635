"""Delegations and sectors: readable by every key, writable by SD, paginated."""

from __future__ import annotations

from factories import auth, create_delegation, create_key, create_sector


def test_catalog_read_by_any_key_and_paginated(client, session):
    for i in range(7):
        create_delegation(
            session,
            f"M{i:03d}",
            kind="municipality",
            authority_title="mayor",
            name=f"Municipalidad Distrital {i}",
        )
    create_delegation(session, "CUS", name="Gobierno Regional del Cusco")
    create_sector(session, "MINSA", name="Ministerio de Salud")
    token = create_key(session, "rapporteur")[1]
    page = client.get("/api/delegations?limit=3&offset=3", headers=auth(token)).json()
    assert page["total"] == 8 and page["limit"] == 3 and page["offset"] == 3
    assert [d["code"] for d in page["items"]] == ["M002", "M003", "M004"]
    only = client.get("/api/delegations?kind=regional_government", headers=auth(token)).json()
    assert [d["code"] for d in only["items"]] == ["CUS"]
    found = client.get("/api/delegations?q=cusco", headers=auth(token)).json()
    assert found["total"] == 1
    sectors = client.get("/api/sectors", headers=auth(token)).json()
    assert sectors["items"][0]["name"] == "Ministerio de Salud"


def test_sd_creates_and_updates(client, session):
    sd = create_key(session)[1]
    r = client.post(
        "/api/delegations",
        json={
            "code": "LIM",
            "name": "Municipalidad Metropolitana de Lima",
            "kind": "metropolitan_municipality",
            "authority_title": "mayor",
            "ubigeo": "1501",
            "contact_emails": ["articulacion@mml.gob.example"],
        },
        headers=auth(sd),
    )
    assert r.status_code == 201, r.text
    delegation_id = r.json()["id"]
    r = client.patch(
        f"/api/delegations/{delegation_id}",
        json={"authority_name": "Alcaldesa de prueba"},
        headers=auth(sd),
    )
    assert r.status_code == 200 and r.json()["authority_name"] == "Alcaldesa de prueba"
    assert r.json()["code"] == "LIM"
    assert (
        client.patch(
            f"/api/delegations/{delegation_id}", json={"code": "X"}, headers=auth(sd)
        ).status_code
        == 422
    )
    r = client.post(
        "/api/sectors", json={"code": "MINEDU", "name": "Ministerio de Educación"}, headers=auth(sd)
    )
    assert r.status_code == 201
    r = client.patch(
        f"/api/sectors/{r.json()['id']}", json={"minister_name": "Ministra X"}, headers=auth(sd)
    )
    assert r.json()["minister_name"] == "Ministra X"
    assert client.get("/api/sectors/999999", headers=auth(sd)).status_code == 404
