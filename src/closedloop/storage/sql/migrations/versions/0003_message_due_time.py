"""Outbox messages carry when they are next due, so dispatchers claim due ones with one index search.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cl_messages", sa.Column("due_us", sa.BigInteger, nullable=True))
    op.execute("UPDATE cl_messages SET due_us = created_us WHERE status = 'pending'")
    op.create_index("ix_cl_messages_due", "cl_messages", ["status", "due_us"])


def downgrade() -> None:
    op.drop_index("ix_cl_messages_due", table_name="cl_messages")
    with op.batch_alter_table("cl_messages") as table:
        table.drop_column("due_us")
