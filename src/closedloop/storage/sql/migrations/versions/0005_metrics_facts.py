"""The metrics' facts of each conversation, in tables a report aggregates where the data is; filled from the
conversations already stored.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from closedloop.domain.errors import UnreadableRecord
from closedloop.storage.sql.facts import FactRows
from closedloop.storage.sql.rows import load_conversation

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: How many conversations are read back and have their facts written at a time.
BACKFILL_BATCH = 1_000


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
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """The facts of every stored conversation, read back in batches by id. One whose document cannot be read
    is left without facts (the metrics do not count it) rather than stopping the upgrade."""
    after = ""
    while True:
        batch = connection.execute(
            sa.text("SELECT id, document, version FROM cl_conversations WHERE id > :after ORDER BY id LIMIT :limit"),
            {"after": after, "limit": BACKFILL_BATCH},
        ).all()
        if not batch:
            return
        rows = FactRows()
        for conversation_id, document, version in batch:
            try:
                rows.add_conversation(load_conversation(conversation_id, document, version))
            except UnreadableRecord:
                continue
        rows.write(connection)
        after = batch[-1][0]


def downgrade() -> None:
    for name in ("cl_fact_concepts", "cl_fact_ratings", "cl_facts"):
        op.drop_table(name)
