"""How a conversation becomes a row of ``cl_conversations`` and back, and what each database takes in one call.

The version column is the truth about a conversation's version: the document's copy is ignored on load, so
that saving compares and bumps one integer.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
import msgspec
from sqlalchemy import Connection, Dialect

from closedloop.domain.conversation import Category, Conversation
from closedloop.domain.inbox import priority
from closedloop.domain.moments import EPOCH, microseconds
from closedloop.serialization import encode_record
from closedloop.storage.sql import schema
from closedloop.storage.sql.documents import read_document

COLUMNS = [column.name for column in schema.conversations.columns]
#: The columns that hold a feedback's key, in the order of :attr:`closedloop.Feedback.key`: what makes two
#: items the same feedback, and what the table's unique constraint holds one row per.
FEEDBACK_KEY_COLUMNS = ("source", "platform", "external_id")
#: Where a conversation row holds what the inbox counts are counted by.
PLACE_FOLDER_PRIORITY = slice(COLUMNS.index("place_id"), COLUMNS.index("priority") + 1)
#: Where a conversation row holds its feedback's key; rows are inserted in key order.
FEEDBACK_KEY = operator.itemgetter(*(COLUMNS.index(name) for name in FEEDBACK_KEY_COLUMNS))

if (
    COLUMNS[1:4] != list(FEEDBACK_KEY_COLUMNS)
    or COLUMNS[PLACE_FOLDER_PRIORITY] != ["place_id", "folder", "priority"]
    or COLUMNS[-2:] != ["version", "document"]
):
    raise RuntimeError(f"closedloop.storage.sql.rows does not know the conversation columns {COLUMNS}")

#: How each paramstyle of a driver marks a parameter in its own SQL.
MARKS = (("qmark", "?"), ("format", "%s"), ("pyformat", "%s"))
#: The first SQLite with the ``->>`` operator and JSON built in.
SQLITE_WITH_JSON = (3, 38)
_encode_json = msgspec.json.Encoder().encode


def takes_json_rows(dialect: Dialect) -> bool:
    """Whether the database inserts many rows from one JSON array (one call instead of one per row)."""
    return dialect.name == "sqlite" and (dialect.server_version_info or ()) >= SQLITE_WITH_JSON


class RowsInsert:
    """The insert of many rows into one table, in the form each database takes fastest.

    On SQLite (:func:`takes_json_rows`) the rows go in as one JSON array of arrays read by one statement. One
    statement for the batch takes SQLite a fraction of the time of one statement a row into a table with
    triggers (the search index's), and the thread that runs it does not come back for Python's lock between
    rows, which the thread preparing the next batch holds most of the time. Elsewhere the driver's
    ``executemany`` runs one statement a row.
    """

    def __init__(self, table: str, columns: Sequence[str]) -> None:
        names = ", ".join(columns)
        marks = {style: ", ".join([mark] * len(columns)) for style, mark in MARKS}
        self._by_style = {style: f"INSERT INTO {table} ({names}) VALUES ({marked})" for style, marked in marks.items()}
        values = ", ".join(f"line ->> {index}" for index in range(len(columns)))
        self._from_json = (
            "WITH batch(line) AS MATERIALIZED (SELECT value FROM json_each(?1)) "
            f"INSERT INTO {table} ({names}) SELECT {values} FROM batch"
        )

    def __call__(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if takes_json_rows(connection.dialect):
            connection.exec_driver_sql(self._from_json, (_encode_json(rows),))
        else:
            connection.exec_driver_sql(self._by_style[connection.dialect.paramstyle], list(rows))


def conversation_row(conversation: Conversation, version: int) -> dict[str, Any]:
    """The columns of a conversation, by name."""
    return dict(zip(COLUMNS, conversation_values(conversation, version), strict=True))


def conversation_values(conversation: Conversation, version: int) -> tuple[Any, ...]:
    """The columns of a conversation in table order, as bulk inserts bind them."""
    return (*indexed_values(conversation, version), encode_record(conversation))


def indexed_values(conversation: Conversation, version: int) -> tuple[Any, ...]:
    """The columns of a conversation before its document."""
    return (
        conversation.id,
        *conversation.feedback.key,
        conversation.place_id,
        conversation.folder.value,
        _PRIORITIES[conversation.category],
        _last_update(conversation.last_updated_at),
        version,
    )


_PRIORITIES = {category: priority(category) for category in Category}
#: The last time :func:`_last_update` counted, kept with it: every conversation an intake batch opens was last
#: updated at the same moment, the very same object.
_counted: tuple[datetime, int] = (EPOCH, 0)


def _last_update(moment: datetime) -> int:
    global _counted
    last = _counted  # one read: another thread may count another moment meanwhile
    if moment is last[0]:
        return last[1]
    counted = microseconds(moment)
    _counted = (moment, counted)
    return counted


def load_conversation(conversation_id: str, document: str, version: int) -> Conversation:
    """A stored conversation, at the version its row holds; :class:`closedloop.UnreadableRecord` naming it
    when its document cannot be read."""
    record = f"conversation {conversation_id!r}"
    fix = "restore its row in cl_conversations from a backup, or delete that row if the conversation is lost"
    return attrs.evolve(read_document(document, Conversation, record, fix), version=version)
