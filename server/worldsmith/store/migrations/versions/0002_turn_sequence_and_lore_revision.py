"""Each session keeps the sequence number of its next turn, and lore writes raise a shared revision.

Two fronts appending to one session both raise `sessions.next_seq` under the row's lock, so neither
takes a number the other took; `lore_revision` tells every front that another changed the lore.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("next_seq", sa.BigInteger, nullable=False, server_default="0"))
    # Sessions written before this step continue after their last turn.
    op.execute(
        "UPDATE sessions SET next_seq = COALESCE((SELECT MAX(seq) + 1 FROM turns WHERE turns.session_id = sessions.id), 0)"
    )
    revisions = op.create_table(
        "lore_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(revisions, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("lore_revision")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("next_seq")
