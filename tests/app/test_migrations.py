"""The schema comes from the migrations: they go up and down cleanly and match the models."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from dbutil import create_postgres_database, drop_postgres_database, sqlite_url
from sqlalchemy import inspect

from app.core.db import make_engine
from app.core.jobs import QUEUE_TABLE_PREFIX, include_object
from app.core.migrations import downgrade, upgrade
from app.models import metadata


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names()) - {"alembic_version"}
        return {n for n in names if not n.startswith(QUEUE_TABLE_PREFIX)}  # procrastinate
    finally:
        engine.dispose()


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object}
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    upgrade(url)
    assert _tables(url) == set(metadata.tables)
    downgrade(url, "base")
    engine = make_engine(url)
    try:  # nothing left behind, procrastinate's queue tables included
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(url)
    assert _tables(url) == set(metadata.tables)


def test_sqlite_upgrade_downgrade_upgrade(tmp_path):
    _round_trip(sqlite_url(tmp_path, "roundtrip.db"))


def test_postgres_upgrade_downgrade_upgrade():
    server = os.environ.get("ARTICULA_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("set ARTICULA_TEST_POSTGRES_URL to run the PostgreSQL migration test")
    url = create_postgres_database(server)
    try:
        _round_trip(url)
        assert _diff(url) == []
    finally:
        drop_postgres_database(url)


def test_migrated_schema_matches_models(database_url):
    """The session database (SQLite or PostgreSQL) was built by the migrations alone."""
    assert _diff(database_url) == []
