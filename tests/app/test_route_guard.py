"""Every route of the OpenAPI spec, walked generically: no route is open without a key,
and no odd input (unknown ids, unknown codes, empty or malformed bodies) is ever a 500.

The per-area tests check what each route does; this one catches the route someone adds
later without the access dependency, or with an unguarded lookup."""

from __future__ import annotations

import re

import pytest
from factories import (
    add_participants,
    auth,
    create_delegation,
    create_edition,
    create_key,
    create_sector,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.access.models import Role

# /health, and the calendar feed whose secret token in the address is its credential
PUBLIC = {"/health", "/api/feeds/sectors/{token}.ics"}
PROBLEM = "application/problem+json"
ODD_PATH_VALUES = ["999999", "ZZZ", "-1", "0"]
ODD_BODIES: list[object] = [{}, [], {"unexpected": 1}, "no es json"]


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, ops in app.openapi()["paths"].items()
        for method in ops
        if path not in PUBLIC
    ]


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_the_spec_lists_every_area(app: FastAPI) -> None:
    paths = {path for _, path in _operations(app)}
    for prefix in ("/api/keys", "/api/editions", "/api/commitments", "/api/delegations"):
        assert any(p.startswith(prefix) for p in paths), prefix
    assert len(paths) > 40


def test_no_route_answers_without_a_key(app: FastAPI, client: TestClient) -> None:
    for method, path in _operations(app):
        response = client.request(method, _fill(path, "1"))
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["content-type"].startswith(PROBLEM), (method, path)
        assert response.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("role", [Role.sd_admin, Role.delegation, Role.sector, Role.rapporteur])
def test_odd_input_is_never_a_server_error(
    app: FastAPI, client: TestClient, session, role: Role
) -> None:
    delegation = create_delegation(session)
    sector = create_sector(session)
    edition = create_edition(session, status="open_for_submissions")
    add_participants(session, edition, delegations=[delegation], sectors=[sector])
    owner = {"delegation": delegation} if role == Role.delegation else {}
    owner |= {"sector": sector} if role == Role.sector else {}
    _, token = create_key(session, role, **owner)
    headers = auth(token)
    for method, path in _operations(app):
        for value in ODD_PATH_VALUES:
            bodies = ODD_BODIES if method in {"POST", "PUT", "PATCH"} else [None]
            for body in bodies:
                kwargs: dict[str, object] = {"headers": headers}
                if isinstance(body, str):
                    kwargs["content"] = body
                    kwargs["headers"] = headers | {"Content-Type": "application/json"}
                elif body is not None:
                    kwargs["json"] = body
                response = client.request(method, _fill(path, value), **kwargs)
                where = (role.value, method, path, value, body, response.status_code)
                assert response.status_code < 500, where
                if response.status_code >= 400:
                    assert response.headers["content-type"].startswith(PROBLEM), where
