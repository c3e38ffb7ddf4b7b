"""Keep inbox counts per place, folder and priority, so counting does not grow with the conversations.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cl_inbox_counts",
        sa.Column("place_id", sa.String, nullable=False),
        sa.Column("folder", sa.String, nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("place_id", "folder", "priority", name="pk_cl_inbox_counts"),
    )
    op.execute(
        "INSERT INTO cl_inbox_counts (place_id, folder, priority, total) "
        "SELECT place_id, folder, priority, COUNT(*) FROM cl_conversations GROUP BY place_id, folder, priority"
    )


def downgrade() -> None:
    op.drop_table("cl_inbox_counts")
