"""Writing new conversations in bulk, in the driver's own SQL, which skips SQLAlchemy's per-row handling.

The statement and its parameters, and the rows of the conversations' facts and words, are built ahead
(:meth:`EncodedConversations.of`), so that bulk intake can build them on the thread that prepares a batch while
another thread writes the batch before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Dialect

from closedloop.domain.conversation import Conversation
from closedloop.serialization import encode_plain, encode_record_into
from closedloop.storage.sql.counts import CountKey
from closedloop.storage.sql.facts import FactRows
from closedloop.storage.sql.rows import (
    COLUMNS,
    FEEDBACK_KEY,
    MARKS,
    PLACE_FOLDER_PRIORITY,
    conversation_values,
    indexed_values,
    takes_json_rows,
)
from closedloop.storage.sql.search import search_rows

#: One row a statement, run by the driver's ``executemany``.
_INSERT_CONVERSATION = {
    style: f"INSERT INTO cl_conversations ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})"
    for style, mark in MARKS
}

#: SQLite takes a whole batch in one statement: the indexed columns as a JSON array of rows, the documents end
#: to end in one blob, each row saying where its document starts and how long it is. SQLite then inserts every
#: row within one call, without coming back to Python between rows, so another thread can run Python meanwhile.
#: The rows are materialized first, so that each is rendered once rather than once per column; the version of
#: a new conversation is 1.
_INSERT_CONVERSATIONS_FROM_JSON = (
    "WITH batch(line) AS MATERIALIZED (SELECT value FROM json_each(?1)) "
    f"INSERT INTO cl_conversations ({', '.join(COLUMNS)}) SELECT "
    + ", ".join("1" if name == "version" else f"line ->> {index}" for index, name in enumerate(COLUMNS[:-1]))
    + f", CAST(substr(?2, line ->> {len(COLUMNS) - 1}, line ->> {len(COLUMNS)}) AS TEXT) FROM batch"
)


class EncodedConversations(list[Conversation]):
    """New conversations with the statement that inserts them and its parameters already built, so that the
    thread that writes them does only the writing."""

    statement: str
    parameters: Any
    one_statement: bool  # whether the database takes them in one statement, rather than one per row
    rows: list[tuple[Any, ...]]  # their columns, in insertion order: the document or where it lies
    counts: Counter[CountKey]  # what they add to the inbox counts
    facts: FactRows  # what the metrics read of them
    search_rows: list[tuple[str, str]]  # the words they are found by

    @classmethod
    def of(cls, conversations: Sequence[Conversation], dialect: Dialect) -> EncodedConversations:
        """The insert of these conversations at version 1, their rows in feedback key order."""
        encoded = cls(conversations)
        encoded.one_statement = takes_json_rows(dialect)
        if encoded.one_statement:
            documents = bytearray()
            encoded.rows = []
            for values, conversation in sorted(
                ((indexed_values(conversation, 1), conversation) for conversation in conversations),
                key=lambda pair: FEEDBACK_KEY(pair[0]),
            ):
                start = len(documents)
                encode_record_into(conversation, documents)
                encoded.rows.append((*values, start + 1, len(documents) - start))  # substr counts from 1
            encoded.statement = _INSERT_CONVERSATIONS_FROM_JSON
            encoded.parameters = (encode_plain(encoded.rows), documents)
        else:
            encoded.rows = sorted(
                (conversation_values(conversation, 1) for conversation in conversations), key=FEEDBACK_KEY
            )
            encoded.statement = _INSERT_CONVERSATION[dialect.paramstyle]
            encoded.parameters = encoded.rows
        encoded.counts = Counter(row[PLACE_FOLDER_PRIORITY] for row in encoded.rows)
        encoded.facts = FactRows.of(conversations)
        encoded.search_rows = search_rows(conversations)
        return encoded
