"""The metrics' facts as one row per conversation: what a report counts of its ratings and concepts moves from
a row each in ``cl_fact_ratings`` and ``cl_fact_concepts`` into tokens on the conversation's ``cl_facts`` row,
which a report reads in one pass without sorting (see ``closedloop.storage.sql.reports``); intake writes one
row per conversation instead of four or five. Filled from the conversations already stored.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from closedloop.domain.errors import UnreadableRecord
from closedloop.storage.sql.facts import FactRows
from closedloop.storage.sql.rows import load_conversation

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: How many conversations are read back and have their facts written at a time.
BACKFILL_BATCH = 1_000


def upgrade() -> None:
    for name in ("cl_fact_concepts", "cl_fact_ratings", "cl_facts"):
        op.execute(f"DROP TABLE IF EXISTS {name}")
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
        sa.Column("counted", sa.SmallInteger, nullable=False),
        sa.Column("alert_status", sa.String, nullable=True),
        sa.Column("first_response_us", sa.BigInteger, nullable=True),
        sa.Column("first_responder", sa.String, nullable=True),
        sa.Column("first_contact_us", sa.BigInteger, nullable=True),
        sa.Column("done_us", sa.BigInteger, nullable=True),
        sa.Column("customer_messages", sa.Integer, nullable=False),
        sa.Column("detractor", sa.SmallInteger, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("ratings", sa.Text, nullable=True),
        sa.Column("concepts", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("place_id", "received_us", "conversation_id", name="pk_cl_facts"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_cl_facts_conversation", "cl_facts", ["conversation_id"], unique=True)
    op.create_index("ix_cl_facts_received", "cl_facts", ["received_us"])
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
    """Back to 0005's tables, empty: upgrading again fills them."""
    op.drop_table("cl_facts")
    path = Path(__file__).with_name("0005_metrics_facts.py")
    spec = importlib.util.spec_from_file_location("closedloop_migration_0005", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot read {path}")
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    previous.upgrade()
