"""Search: each conversation's words in ``cl_search``, with an index that finds a word by its beginning (an FTS5
table kept in step by triggers on SQLite, a GIN index on PostgreSQL; see ``closedloop.storage.sql.search``).
Filled from the conversations already stored, in id order, so that until they change they come in the order
they were made (a row's id is its place in the order of results).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from closedloop.domain.errors import UnreadableRecord
from closedloop.storage.sql.rows import load_conversation
from closedloop.storage.sql.search import VECTOR, add_rows, search_rows

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: How many conversations are read back and have their words written at a time.
BACKFILL_BATCH = 1_000

#: The full-text index over ``cl_search`` on SQLite, and the triggers that keep it in step with each change.
#: ``detail=none``: a search asks only which rows hold a word's prefix, never where in them, so the index keeps
#: no positions, which makes every conversation taken in cheaper to index (about 15%) and the index smaller.
SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE cl_search_index USING fts5("
    "words, content='cl_search', content_rowid='id', detail=none, tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER cl_search_added AFTER INSERT ON cl_search BEGIN "
    "INSERT INTO cl_search_index(rowid, words) VALUES (new.id, new.words); END",
    "CREATE TRIGGER cl_search_removed AFTER DELETE ON cl_search BEGIN "
    "INSERT INTO cl_search_index(cl_search_index, rowid, words) VALUES ('delete', old.id, old.words); END",
    "CREATE TRIGGER cl_search_changed AFTER UPDATE ON cl_search BEGIN "
    "INSERT INTO cl_search_index(cl_search_index, rowid, words) VALUES ('delete', old.id, old.words); "
    "INSERT INTO cl_search_index(rowid, words) VALUES (new.id, new.words); END",
)


def upgrade() -> None:
    op.create_table(
        "cl_search",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String, nullable=False),
        sa.Column("words", sa.Text, nullable=False),
        sa.UniqueConstraint("conversation_id", name="uq_cl_search_conversation"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_INDEX:
            op.execute(statement)
    else:
        op.execute(f"CREATE INDEX ix_cl_search_words ON cl_search USING gin (({VECTOR}))")
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """The words of every stored conversation, read back in batches by id. One whose document cannot be read
    is left unindexed (no search finds it) rather than stopping the upgrade."""
    after = ""
    while True:
        batch = connection.execute(
            sa.text("SELECT id, document, version FROM cl_conversations WHERE id > :after ORDER BY id LIMIT :limit"),
            {"after": after, "limit": BACKFILL_BATCH},
        ).all()
        if not batch:
            return
        conversations = []
        for conversation_id, document, version in batch:
            try:
                conversations.append(load_conversation(conversation_id, document, version))
            except UnreadableRecord:
                continue
        add_rows(connection, search_rows(conversations))
        after = batch[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("cl_search_added", "cl_search_removed", "cl_search_changed"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE cl_search_index")
    op.drop_table("cl_search")
