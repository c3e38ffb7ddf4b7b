"""Erasure: erasure records as documents with the time each was made and the time it is kept until, and an
index of reply links by conversation, so that erasing a conversation removes its links without a scan. The
table is new and empty until a customer is erased.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cl_erasures",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("at_us", sa.BigInteger, nullable=False),
        sa.Column("keep_until_us", sa.BigInteger, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("ix_cl_erasures_keep_until", "cl_erasures", ["keep_until_us"])
    op.create_index("ix_cl_tokens_conversation", "cl_tokens", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_cl_tokens_conversation", table_name="cl_tokens")
    op.drop_table("cl_erasures")
