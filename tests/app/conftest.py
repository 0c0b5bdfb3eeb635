"""Database-backed fixtures: one database per test session, built by the Alembic migrations.

ARTICULA_TEST_DATABASE_URL chooses the server (PostgreSQL gets a fresh uniquely named
database, dropped at the end, so concurrent runs never collide); without it a temporary
SQLite file is used. Every test starts from empty tables: the rows are deleted after each
test, children before parents.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
from dbutil import create_postgres_database, drop_postgres_database, is_postgres, sqlite_url
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, delete
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.core import clock
from app.core.config import Settings
from app.core.db import make_engine
from app.core.migrations import upgrade
from app.main import create_app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("ARTICULA_TEST_DATABASE_URL")
    if server and is_postgres(server):
        url = create_postgres_database(server)
        try:
            upgrade(url)
            yield url
        finally:
            drop_postgres_database(url)
    else:
        url = server or sqlite_url(tmp_path_factory.mktemp("db"))
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Periodic jobs off: a test dispatches the outbox itself, never a 30-second tick behind it.
    # The session cookie's key file lives in a temporary folder, not in the working directory.
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        jobs_periodic=False,
        secret_key_file=tmp_path_factory.mktemp("secret") / "articula.secret",
        _env_file=None,
    )


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _tables(engine: Engine) -> list:
    """Every migrated table (reflected, so tables of later migrations are included)."""
    metadata = MetaData()
    metadata.reflect(engine)
    return [t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]


@pytest.fixture(autouse=True)
def _clean_tables(engine: Engine, _tables: list) -> Iterator[None]:
    yield
    with engine.begin() as conn:
        for table in _tables:
            conn.execute(delete(table))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging data and checking results; commit to make rows visible."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def frozen_now() -> Iterator[object]:
    """Call the fixture's value with an aware datetime to freeze `app.core.clock.now()`."""

    def _freeze(at: datetime) -> datetime:
        clock.freeze(at)
        return at

    yield _freeze
    clock.freeze(None)
