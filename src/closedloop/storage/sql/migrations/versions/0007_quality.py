"""Quality reviews: scorecards and review cycles as documents by id, and reviews with the columns a listing
filters on (place and time received, agent, conversation). New tables, empty until reviews are written.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("cl_scorecards", "cl_review_cycles"):
        op.create_table(
            name,
            sa.Column("id", sa.String, primary_key=True),
            sa.Column("document", sa.Text, nullable=False),
        )
    op.create_table(
        "cl_reviews",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("conversation_id", sa.String, nullable=False),
        sa.Column("place_id", sa.String, nullable=False),
        sa.Column("agent_id", sa.String, nullable=False),
        sa.Column("reviewer_id", sa.String, nullable=False),
        sa.Column("received_us", sa.BigInteger, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("ix_cl_reviews_place_received", "cl_reviews", ["place_id", "received_us"])
    op.create_index("ix_cl_reviews_received", "cl_reviews", ["received_us"])
    op.create_index("ix_cl_reviews_agent_received", "cl_reviews", ["agent_id", "received_us"])
    op.create_index("ix_cl_reviews_conversation", "cl_reviews", ["conversation_id"])


def downgrade() -> None:
    for name in ("cl_reviews", "cl_review_cycles", "cl_scorecards"):
        op.drop_table(name)
