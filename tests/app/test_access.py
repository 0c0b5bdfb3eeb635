"""API keys: authentication, hashing, and SD-only routes hidden from other roles."""

from __future__ import annotations

import pytest
from factories import auth, create_delegation, create_edition, create_key, create_sector
from sqlalchemy import text

from app.access.service import hash_token

PROBLEM = "application/problem+json"


def _assert_401(response):
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401 and body["title"] == "No autenticado"
    return body


def test_missing_key_is_401(client):
    body = _assert_401(client.get("/api/editions"))
    assert "Authorization" in body["detail"]


@pytest.mark.parametrize(
    "header", ["Bearer nope", "Bearer ", "Basic dXNlcjpwYXNz", "token-without-scheme"]
)
def test_wrong_key_is_401(client, session, header):
    create_key(session)
    _assert_401(client.get("/api/editions", headers={"Authorization": header}))


def test_revoked_key_is_401(client, session):
    _, sd = create_key(session)
    key, token = create_key(session, "rapporteur")
    assert client.get("/api/me", headers=auth(token)).status_code == 200
    r = client.post(f"/api/keys/{key.id}/revoke", headers=auth(sd))
    assert r.status_code == 200 and r.json()["revoked_at"]
    body = _assert_401(client.get("/api/me", headers=auth(token)))
    assert "revocada" in body["detail"]


def test_keys_are_stored_hashed(client, session):
    _, sd = create_key(session)
    delegation = create_delegation(session)
    r = client.post(
        "/api/keys",
        json={"role": "delegation", "name": "Enlace Cusco", "delegation_id": delegation.id},
        headers=auth(sd),
    )
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert "key_hash" not in r.json()
    rows = session.execute(text("SELECT * FROM api_key")).all()
    dump = repr(rows)
    for plaintext in (sd, token):
        assert plaintext not in dump
        assert hash_token(plaintext) in dump
    listing = client.get("/api/keys", headers=auth(sd)).json()
    assert listing["total"] == 2
    assert all("token" not in k and "key_hash" not in k for k in listing["items"])
    me = client.get("/api/me", headers=auth(token)).json()
    assert me["role"] == "delegation" and me["delegation_id"] == delegation.id


def test_key_owner_must_match_role(client, session):
    _, sd = create_key(session)
    sector = create_sector(session)
    r = client.post(
        "/api/keys",
        json={"role": "delegation", "name": "x", "sector_id": sector.id},
        headers=auth(sd),
    )
    assert r.status_code == 422
    r = client.post(
        "/api/keys", json={"role": "sector", "name": "x", "sector_id": 999_999}, headers=auth(sd)
    )
    assert r.status_code == 422


@pytest.fixture
def other_roles(session):
    delegation = create_delegation(session)
    sector = create_sector(session)
    return {
        "delegation": create_key(session, "delegation", delegation=delegation)[1],
        "sector": create_key(session, "sector", sector=sector)[1],
        "rapporteur": create_key(session, "rapporteur")[1],
    }


@pytest.mark.parametrize("role", ["delegation", "sector", "rapporteur"])
def test_sd_only_routes_are_404_for_other_roles(client, session, other_roles, role):
    edition = create_edition(session)
    token = other_roles[role]
    calls = [
        ("GET", "/api/keys", None),
        ("POST", "/api/keys", {"role": "sd_admin", "name": "intruso"}),
        ("POST", "/api/keys/1/revoke", None),
        (
            "POST",
            "/api/delegations",
            {"code": "XXX", "name": "Nueva", "kind": "municipality", "authority_title": "mayor"},
        ),
        ("POST", "/api/sectors", {"code": "NEW", "name": "Nuevo sector"}),
        ("POST", "/api/editions", {"name": "Edición intrusa"}),
        ("PATCH", f"/api/editions/{edition.id}", {"name": "Cambio"}),
        ("POST", f"/api/editions/{edition.id}/status", {"to": "open_for_submissions"}),
        ("POST", f"/api/editions/{edition.id}/rooms", {"name": "Sala"}),
    ]
    for method, path, body in calls:
        r = client.request(method, path, json=body, headers=auth(token))
        assert r.status_code == 404, (method, path, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
    # and nothing was created
    sd = create_key(session)[1]
    assert client.get("/api/keys", headers=auth(sd)).json()["total"] == 4


def test_revoke_unknown_key_is_404(client, session):
    _, sd = create_key(session)
    assert client.post("/api/keys/999999/revoke", headers=auth(sd)).status_code == 404
