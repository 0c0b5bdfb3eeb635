"""Throwaway test databases: a temp SQLite file, or a fresh uniquely named PostgreSQL db."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def create_postgres_database(server_url: str) -> str:
    """CREATE DATABASE articula_test_<random> on the server of `server_url`; return its URL."""
    name = f"articula_test_{secrets.token_hex(6)}"
    admin = create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """DROP DATABASE ... WITH (FORCE): closes any connection a failed test left open."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def sqlite_url(directory: Path, name: str = "articula_test.db") -> str:
    return f"sqlite:///{directory / name}"
