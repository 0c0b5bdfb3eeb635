"""Every error is RFC 9457 problem+json, never a 500, and a rejected request changes nothing."""

from __future__ import annotations

from factories import auth, create_delegation, create_key, edition_payload
from sqlmodel import func, select

from app.editions.models import Delegation, Edition

PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_unknown_route_is_404(client, session):
    sd = create_key(session)[1]
    body = _problem(client.get("/api/nothing-here", headers=auth(sd)), 404)
    assert body["detail"] == "El recurso solicitado no existe."
    _problem(client.get("/api/editions/999999", headers=auth(sd)), 404)
    _problem(client.get("/api/editions/not-a-number", headers=auth(sd)), 422)


def test_wrong_method_is_405(client, session):
    sd = create_key(session)[1]
    body = _problem(client.put("/api/editions", json={}, headers=auth(sd)), 405)
    assert "Método" in body["detail"]


def test_malformed_json_is_422(client, session):
    sd = create_key(session)[1]
    r = client.post(
        "/api/delegations",
        content=b'{"code": "CUS", "name": ',
        headers=auth(sd) | {"Content-Type": "application/json"},
    )
    body = _problem(r, 422)
    assert body["errors"]
    assert session.exec(select(func.count()).select_from(Delegation)).one() == 0


def test_oversized_strings_are_422(client, session):
    sd = create_key(session)[1]
    huge = "x" * 100_000
    for path, body in (
        (
            "/api/delegations",
            {
                "code": "CUS",
                "name": huge,
                "kind": "regional_government",
                "authority_title": "governor",
            },
        ),
        ("/api/sectors", {"code": "MINSA", "name": "Salud", "minister_name": huge}),
        ("/api/editions", edition_payload(venue=huge)),
        ("/api/keys", {"role": "sd_admin", "name": huge}),
    ):
        _problem(client.post(path, json=body, headers=auth(sd)), 422)
    _problem(client.get("/api/delegations", params={"q": "x" * 500}, headers=auth(sd)), 422)
    _problem(client.get("/api/delegations", params={"limit": 10_000}, headers=auth(sd)), 422)
    assert session.exec(select(func.count()).select_from(Edition)).one() == 0


def test_duplicate_code_is_409_and_changes_nothing(client, session):
    sd = create_key(session)[1]
    create_delegation(session, "CUS", name="Gobierno Regional del Cusco")
    r = client.post(
        "/api/delegations",
        json={
            "code": "CUS",
            "name": "Otro Cusco",
            "kind": "regional_government",
            "authority_title": "governor",
        },
        headers=auth(sd),
    )
    body = _problem(r, 409)
    assert "CUS" in body["detail"]
    names = session.exec(select(Delegation.name)).all()
    assert names == ["Gobierno Regional del Cusco"]


def test_invalid_email_and_unknown_field_are_422(client, session):
    sd = create_key(session)[1]
    base = {
        "code": "CUS",
        "name": "Cusco",
        "kind": "regional_government",
        "authority_title": "governor",
    }
    _problem(
        client.post(
            "/api/delegations", json=base | {"contact_emails": ["no-es-correo"]}, headers=auth(sd)
        ),
        422,
    )
    body = _problem(
        client.post("/api/delegations", json=base | {"budget": 1}, headers=auth(sd)), 422
    )
    assert any(e["type"] == "extra_forbidden" for e in body["errors"])
    assert session.exec(select(func.count()).select_from(Delegation)).one() == 0
