"""Agenda documents stored per published version (rendered once, served from the table).

Plain SQLAlchemy types only (no app imports), constraint names from the naming
convention in app/__init__.py. A new table only, so the same script runs on SQLite and PostgreSQL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agenda_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["schedule_version.id"],
            name=op.f("fk_agenda_document_version_id_schedule_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_document")),
        sa.UniqueConstraint(
            "version_id",
            "kind",
            "owner_id",
            "format",
            name=op.f("uq_agenda_document_version_id_kind_owner_id_format"),
        ),
    )
    op.create_index(
        op.f("ix_agenda_document_version_id"), "agenda_document", ["version_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_agenda_document_version_id"), table_name="agenda_document")
    op.drop_table("agenda_document")
