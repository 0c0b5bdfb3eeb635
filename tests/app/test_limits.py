"""Limits and headers: body size (413), authentication before the body (401 unread),
the throttle of failed keys (429 with Retry-After), security headers, and the 500 that
says it closes the connection."""

from __future__ import annotations

import asyncio
import json

import pytest
from factories import auth, create_key
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.access.throttle import FailureWindow
from app.core.config import Settings
from app.editions.models import Sector
from app.main import create_app

PROBLEM = "application/problem+json"
SECTOR = {"code": "MINSA", "name": "Ministerio de Salud"}


@pytest.fixture
def small_app(settings: Settings, engine) -> FastAPI:
    limits = {"max_body_bytes": 4096, "api_auth_max_failures_per_address": 3}
    return create_app(settings.model_copy(update=limits), engine=engine)


def _post_raw(app: FastAPI, path: str, headers: dict[str, str], chunks: list[bytes]):
    """Call the ASGI app directly; returns (status, headers, body, chunks the app read)."""
    read = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {
                "type": "http.request",
                "body": chunks[read - 1],
                "more_body": read < len(chunks),
            }
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.9", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, json.loads(body), read


def test_a_declared_body_over_the_limit_is_413_without_reading_it(small_app, session):
    token = create_key(session)[1]
    status, headers, body, read = _post_raw(
        small_app,
        "/api/sectors",
        auth(token) | {"content-type": "application/json", "content-length": "5000"},
        [b"x" * 5000],
    )
    assert (status, read) == (413, 0)
    assert headers["content-type"].startswith(PROBLEM) and headers["connection"] == "close"
    assert body["detail"] == "El cuerpo de la solicitud supera el límite de 4 KB."


def test_a_streamed_body_over_the_limit_is_413_and_stores_nothing(small_app, session):
    token = create_key(session)[1]
    payload = json.dumps(SECTOR | {"minister_name": " " * 3000}).encode()
    chunks = [payload[:2000], payload[2000:], b" " * 2000]
    status, headers, body, _ = _post_raw(
        small_app,
        "/api/sectors",
        auth(token) | {"content-type": "application/json", "transfer-encoding": "chunked"},
        chunks,
    )
    assert status == 413 and body["status"] == 413
    assert session.exec(select(func.count()).select_from(Sector)).one() == 0


def test_a_body_without_a_valid_key_is_401_before_a_byte_is_read(small_app, session):
    create_key(session)
    huge = [b"x" * 1024] * 200
    for headers in ({}, auth("not-a-key")):
        status, response_headers, body, read = _post_raw(
            small_app, "/api/sectors", headers | {"transfer-encoding": "chunked"}, huge
        )
        assert (status, read) == (401, 0), body
        assert response_headers["www-authenticate"] == "Bearer"


def test_failed_keys_from_one_address_are_throttled_with_retry_after(small_app, session):
    token = create_key(session)[1]
    with TestClient(small_app, raise_server_exceptions=False) as client:
        for attempt in range(3):
            assert client.get("/api/editions", headers=auth(f"wrong-{attempt}")).status_code == 401
        throttled = client.get("/api/editions", headers=auth("wrong-again"))
        assert throttled.status_code == 429
        assert throttled.headers["content-type"].startswith(PROBLEM)
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        assert "Espere" in throttled.json()["detail"]
        # the valid key from the same address waits too, also for writes (before the body)
        assert client.get("/api/editions", headers=auth(token)).status_code == 429
        assert client.post("/api/sectors", json=SECTOR, headers=auth(token)).status_code == 429


def test_the_failure_window_slides():
    window = FailureWindow(limit=2, window_s=10)
    window.record("a", now=100.0)
    assert window.retry_after("a", now=101.0) is None
    window.record("a", now=104.0)
    assert window.retry_after("a", now=105.0) == 5
    assert window.retry_after("b", now=105.0) is None
    assert window.retry_after("a", now=110.0) is None  # the first failure left the window
    window.record("a", now=110.0)
    assert window.retry_after("a", now=111.0) == 3


def test_the_window_forgets_the_oldest_address_past_its_capacity():
    window = FailureWindow(limit=1, window_s=10, max_addresses=2)
    for address in ("a", "b", "c"):
        window.record(address, now=1.0)
    assert window.retry_after("a", now=2.0) is None
    assert window.retry_after("c", now=2.0) == 9


def test_security_headers(client, session):
    token = create_key(session)[1]
    api = client.get("/api/editions", headers=auth(token))
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["cache-control"] == "no-store"
    assert api.headers["referrer-policy"] == "same-origin"
    page = client.get("/")
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    asset = client.get("/static/app.css")
    assert asset.status_code == 200 and "cache-control" not in asset.headers
    assert asset.headers["x-content-type-options"] == "nosniff"


def test_an_unexpected_error_says_the_connection_closes(app, session):
    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/api/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/boom")
    assert r.status_code == 500 and r.headers["connection"] == "close"
    assert r.headers["content-type"].startswith(PROBLEM)


def test_every_api_operation_documents_its_problems(client):
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        if not path.startswith("/api"):
            continue
        for method, operation in operations.items():
            for status in ("401", "404", "409", "413", "422", "429"):
                content = operation["responses"][status]["content"]
                assert PROBLEM in content, (method, path, status)
