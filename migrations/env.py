"""Alembic environment: the metadata of every package (app.models), the URL from Settings.

URL precedence: a `url` attribute set by the caller (tests, `articula db`), then
`-x url=...` on the alembic command line, then ARTICULA_DATABASE_URL / Settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from app.core.config import Settings
from app.core.db import make_engine
from app.core.jobs import include_object
from app.models import metadata

config = context.config


def _url() -> str:
    return (
        config.attributes.get("url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or Settings().database_url
    )


def _configure(**kwargs: object) -> None:
    url = _url()
    context.configure(
        target_metadata=metadata,
        render_as_batch=url.startswith("sqlite"),  # SQLite cannot ALTER most things
        compare_type=True,
        include_object=include_object,  # procrastinate's queue tables are not models
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
