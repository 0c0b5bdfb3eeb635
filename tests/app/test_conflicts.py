"""A 409 from the database says what conflicted and whether a retry helps: real constraint
violations and real lost races on the test database (SQLite, or PostgreSQL with
ARTICULA_TEST_DATABASE_URL), through the app's own error handlers."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from dbutil import is_postgres
from factories import auth, create_delegation, create_edition, create_key
from fastapi import FastAPI, Request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app.core import clock
from app.core.conflicts import describe
from app.core.db import SessionDep
from app.editions.models import Delegation, Room
from app.scheduling.versions import ScheduleVersion

PROBLEM = "application/problem+json"


def _conflict(response) -> dict:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


def _probe(app: FastAPI, path: str, write: Callable[[Session], None]) -> None:
    """A route of the test app that runs `write(session)` in the request's own transaction
    (the app's session dependency), so its errors reach the app's real handlers."""

    def route(session: SessionDep, request: Request) -> dict:
        write(session)
        return {}

    app.add_api_route(path, route, methods=["GET"])


def _delegation(code: str) -> Delegation:
    return Delegation(
        code=code,
        name=f"Gobierno Regional {code}",
        kind="regional_government",
        authority_title="governor",
        authority_name="Gobernador",
    )


def test_a_duplicate_names_what_conflicted_and_is_not_retryable(app, client, session):
    create_delegation(session, "CUS")
    edition = create_edition(session)
    session.add(Room(edition_id=edition.id, name="Sala 1", capacity=10))
    session.commit()

    def duplicate_code(s: Session) -> None:
        s.add(_delegation("CUS"))
        s.flush()

    def duplicate_room(s: Session) -> None:
        s.add(Room(edition_id=edition.id, name="Sala 1", capacity=5))
        s.flush()

    _probe(app, "/api/_probe/duplicate-code", duplicate_code)
    _probe(app, "/api/_probe/duplicate-room", duplicate_room)
    r = client.get("/api/_probe/duplicate-code")
    body = _conflict(r)
    assert body["detail"] == "Ya existe una delegación con ese código."
    assert body["retryable"] is False and "Retry-After" not in r.headers
    body = _conflict(client.get("/api/_probe/duplicate-room"))
    assert body["detail"] == "Ya existe una sala con ese nombre en esta edición."
    assert body["retryable"] is False
    assert len(session.exec(select(Room)).all()) == 1


def test_a_lost_version_number_race_is_retryable(app, client, session):
    """Two writers take the same next version number: the second is told to retry."""
    edition = create_edition(session)

    def version_one(s: Session) -> None:
        s.add(
            ScheduleVersion(
                edition_id=edition.id, number=1, published_by="SD", delivery_due_at=clock.now()
            )
        )
        s.flush()

    _probe(app, "/api/_probe/version", version_one)
    assert client.get("/api/_probe/version").status_code == 200
    r = client.get("/api/_probe/version")
    body = _conflict(r)
    assert body["retryable"] is True and r.headers["Retry-After"] == "1"
    assert body["detail"] == "Otra solicitud publicó una versión del cronograma al mismo tiempo."


def test_a_domain_conflict_says_it_is_not_retryable(client, session):
    """A 409 of the services themselves (here an illegal lifecycle step) carries the member too."""
    edition = create_edition(session)
    r = client.post(
        f"/api/editions/{edition.id}/status",
        json={"to": "published"},
        headers=auth(create_key(session)[1]),
    )
    assert _conflict(r)["retryable"] is False and "Retry-After" not in r.headers


def test_a_locked_database_is_a_retryable_409(app, client, settings, engine, session):
    """The request's write waits for a lock another transaction holds and gives up: 409,
    retryable, with Retry-After, and nothing stored."""
    url = settings.database_url
    create_delegation(session, "CUS", name="Cusco")
    if is_postgres(url):

        def locked(s: Session) -> None:
            s.exec(text("SET LOCAL lock_timeout = '200ms'"))
            s.exec(text("UPDATE delegation SET name = 'Otro nombre' WHERE code = 'CUS'"))

        holder = engine.connect()
        holder.execute(text("SELECT id FROM delegation WHERE code = 'CUS' FOR UPDATE"))
    else:
        impatient = create_engine(url, connect_args={"timeout": 0.2})

        def locked(_: Session) -> None:
            with Session(impatient) as s:
                s.exec(text("UPDATE delegation SET name = 'Otro nombre' WHERE code = 'CUS'"))
                s.commit()

        holder = sqlite3.connect(make_url(url).database)
        holder.execute("BEGIN IMMEDIATE")
    _probe(app, "/api/_probe/locked", locked)
    try:
        r = client.get("/api/_probe/locked")
    finally:
        holder.rollback()
        holder.close()
    body = _conflict(r)
    assert body["retryable"] is True and r.headers["Retry-After"] == "1"
    assert body["detail"].startswith("Otra operación modificaba los mismos datos")
    session.expire_all()
    assert session.exec(select(Delegation.name)).all() == ["Cusco"]


def test_a_serialization_failure_on_postgresql_is_retryable(settings, engine, session):
    """Two SERIALIZABLE transactions each read what the other writes (write skew): PostgreSQL
    fails the second commit (40001), and a retry of that request may succeed."""
    if not is_postgres(settings.database_url):
        pytest.skip("PostgreSQL only (ARTICULA_TEST_DATABASE_URL)")
    create_delegation(session, "CUS")
    create_delegation(session, "JUN")
    names = text("SELECT code, name FROM delegation ORDER BY code")
    rename = text("UPDATE delegation SET name = :n WHERE code = :c")
    first = engine.connect().execution_options(isolation_level="SERIALIZABLE")
    second = engine.connect().execution_options(isolation_level="SERIALIZABLE")
    try:
        first.execute(names).all()
        second.execute(names).all()
        first.execute(rename, {"c": "CUS", "n": "Cusco"})
        second.execute(rename, {"c": "JUN", "n": "Junín"})
        first.commit()
        with pytest.raises(OperationalError) as failed:
            second.commit()
    finally:
        first.close()
        second.close()
    assert getattr(failed.value.orig, "sqlstate", None) == "40001"
    assert describe(failed.value).retryable is True
