"""Solve runs, and the procrastinate job queue schema on PostgreSQL.

`solve_run` holds one solver execution per row (options, live progress, result); a partial
unique index keeps at most one queued or running run per edition (SQLite and PostgreSQL
both support partial indexes).

On PostgreSQL this migration also installs procrastinate's schema (tables procrastinate_*,
its types, functions and triggers) from the SQL the installed procrastinate package ships,
so every table of the database comes from a migration; the scale-out job backend
(ARTICULA_JOBS_BACKEND=procrastinate) uses it. On SQLite it does nothing for the queue.
Upgrading procrastinate to a version with a new schema needs a new migration applying its
`sql/migrations/*.sql` files.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status IN ('queued', 'running')"


def _procrastinate_schema() -> str:
    from importlib import resources

    return (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")


def upgrade() -> None:
    op.create_table(
        "solve_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("assignments", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_solve_run_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solve_run")),
    )
    op.create_index(op.f("ix_solve_run_edition_id"), "solve_run", ["edition_id"])
    op.create_index(op.f("ix_solve_run_status"), "solve_run", ["status"])
    op.create_index(
        "ux_solve_run_active_edition",
        "solve_run",
        ["edition_id"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE),
        postgresql_where=sa.text(_ACTIVE),
    )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # The raw driver connection: the schema's PL/pgSQL must not be parsed for bind
        # parameters, and psycopg runs a parameterless multi-statement script as is.
        bind.connection.driver_connection.execute(_procrastinate_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            """
            DO $$
            DECLARE r record;
            BEGIN
                FOR r IN SELECT tablename FROM pg_tables
                         WHERE schemaname = current_schema()
                           AND tablename LIKE 'procrastinate\\_%' LOOP
                    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
                END LOOP;
                FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                         JOIN pg_namespace n ON n.oid = p.pronamespace
                         WHERE n.nspname = current_schema()
                           AND p.proname LIKE 'procrastinate\\_%' LOOP
                    EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.sig);
                END LOOP;
                FOR r IN SELECT t.typname FROM pg_type t
                         JOIN pg_namespace n ON n.oid = t.typnamespace
                         WHERE n.nspname = current_schema()
                           AND t.typname LIKE 'procrastinate\\_%'
                           AND t.typtype IN ('e', 'c') LOOP
                    EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
                END LOOP;
            END $$;
            """
        )
    op.drop_index("ux_solve_run_active_edition", table_name="solve_run")
    op.drop_index(op.f("ix_solve_run_status"), table_name="solve_run")
    op.drop_index(op.f("ix_solve_run_edition_id"), table_name="solve_run")
    op.drop_table("solve_run")
