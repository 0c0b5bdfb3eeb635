"""Evidence is one table: a `commitment_evidence` row may also be only a note, and the
evidence texts kept so far in `commitment_event.evidence` (given with a status change, a new
commitment or the old one-text route) are copied into it, a link as `url`, anything else as
`note`, so `executed` can rest on the table alone.

The check constraint is replaced in batch mode (SQLite recreates the table).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LINK = (
    "(lower(e.evidence) LIKE 'https://%' OR lower(e.evidence) LIKE 'http://%')"
    " AND e.evidence NOT LIKE '% %'"
)
# The evidence rows copied from (or duplicating) an event's evidence text.
_FROM_EVENTS = (
    "stored_name IS NULL AND EXISTS (SELECT 1 FROM commitment_event e"
    " WHERE e.commitment_id = commitment_evidence.commitment_id"
    " AND e.evidence = COALESCE(commitment_evidence.url, commitment_evidence.note))"
)


def upgrade() -> None:
    with op.batch_alter_table("commitment_evidence", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_commitment_evidence_link_or_file"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_commitment_evidence_link_file_or_note"),
            sa.text("url IS NOT NULL OR stored_name IS NOT NULL OR note IS NOT NULL"),
        )
    op.execute(
        "INSERT INTO commitment_evidence (commitment_id, url, note, added_by, added_at)"
        f" SELECT e.commitment_id, CASE WHEN {_LINK} THEN e.evidence END,"
        f" CASE WHEN {_LINK} THEN NULL ELSE e.evidence END, e.actor_name, e.at"
        " FROM commitment_event e WHERE e.evidence IS NOT NULL ORDER BY e.id"
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM commitment_evidence WHERE {_FROM_EVENTS}")
    op.execute("DELETE FROM commitment_evidence WHERE url IS NULL AND stored_name IS NULL")
    with op.batch_alter_table("commitment_evidence", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_commitment_evidence_link_file_or_note"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_commitment_evidence_link_or_file"),
            sa.text("url IS NOT NULL OR stored_name IS NOT NULL"),
        )
