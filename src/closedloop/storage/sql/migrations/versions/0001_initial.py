"""The first schema: places, groups, users, conversations, common replies, templates, outbox, reply links.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cl_places", sa.Column("id", sa.String, primary_key=True), sa.Column("name", sa.String, nullable=False)
    )
    for name, key in (
        ("cl_groups", "id"),
        ("cl_users", "id"),
        ("cl_common_replies", "user_id"),
        ("cl_templates", "id"),
    ):
        op.create_table(
            name, sa.Column(key, sa.String, primary_key=True), sa.Column("document", sa.Text, nullable=False)
        )
    op.create_table(
        "cl_conversations",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("platform", sa.String, nullable=False),
        sa.Column("external_id", sa.String, nullable=False),
        sa.Column("place_id", sa.String, nullable=False),
        sa.Column("folder", sa.String, nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.UniqueConstraint("external_id", "source", "platform", name="uq_cl_conversations_key"),
    )
    op.create_index("ix_cl_conversations_inbox", "cl_conversations", ["folder", "priority", "updated_us", "id"])
    op.create_index(
        "ix_cl_conversations_place_inbox", "cl_conversations", ["place_id", "folder", "priority", "updated_us", "id"]
    )
    op.create_table(
        "cl_messages",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("conversation_id", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("ix_cl_messages_conversation_id", "cl_messages", ["conversation_id"])
    op.create_index("ix_cl_messages_status", "cl_messages", ["status", "created_us"])
    op.create_table(
        "cl_tokens",
        sa.Column("token_hash", sa.String, primary_key=True),
        sa.Column("conversation_id", sa.String, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
        sa.Column("used_us", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    for name in ("cl_tokens", "cl_messages", "cl_conversations", "cl_templates", "cl_common_replies", "cl_users"):
        op.drop_table(name)
    op.drop_table("cl_groups")
    op.drop_table("cl_places")
