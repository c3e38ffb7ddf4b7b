"""The metrics' facts of each conversation, in tables a report aggregates where the data is. Revision 0006
gives them their present shape and fills them from the conversations already stored (this revision filled
them too when it was the newest; 0006 replaces what it wrote).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _details(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("place_id", sa.String, nullable=False),
        sa.Column("received_us", sa.BigInteger, nullable=False),
        sa.Column("conversation_id", sa.String, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("counted", sa.SmallInteger, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("responder", sa.String, nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("place_id", "received_us", "conversation_id", "position", name=f"pk_{name}"),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    """Tables kept in place and time order (``WITHOUT ROWID`` on SQLite), so a report reads its rows together."""
    op.create_table(
        "cl_facts",
        sa.Column("place_id", sa.String, nullable=False),
        sa.Column("received_us", sa.BigInteger, nullable=False),
        sa.Column("conversation_id", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("platform", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("category", sa.String, nullable=False),
        sa.Column("test", sa.SmallInteger, nullable=False),
        sa.Column("alert_status", sa.String, nullable=True),
        sa.Column("first_response_us", sa.BigInteger, nullable=True),
        sa.Column("first_responder", sa.String, nullable=True),
        sa.Column("first_contact_us", sa.BigInteger, nullable=True),
        sa.Column("done_us", sa.BigInteger, nullable=True),
        sa.Column("customer_messages", sa.Integer, nullable=False),
        sa.Column("detractor", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint("place_id", "received_us", "conversation_id", name="pk_cl_facts"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_cl_facts_conversation", "cl_facts", ["conversation_id"], unique=True)
    op.create_index("ix_cl_facts_received", "cl_facts", ["received_us"])
    _details(
        "cl_fact_ratings",
        sa.Column("key", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
    )
    _details(
        "cl_fact_concepts",
        sa.Column("name", sa.String, nullable=False),
        sa.Column("sentiment", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for name in ("cl_fact_concepts", "cl_fact_ratings", "cl_facts"):
        op.drop_table(name)
