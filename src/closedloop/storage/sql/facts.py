"""The metrics' facts of each conversation as a row of ``cl_facts``, written in the same transaction as the
conversation, so that a report aggregates them where they are.

What a report counts is written as JSON tokens: the row's ``signature`` (whether it is left out, its source,
platform, alert status, open category and whether it is a detractor), one token per rating (key, kind, value)
and one per concept (name, sentiment in hundredths). A row's rating tokens are joined by :data:`WITHIN`, so its
ratings as a whole are one token too (most rows share theirs with many others); concept tokens, rarely alike,
are joined by :data:`SEPARATOR`, as a report joins its rows. JSON escapes every control character inside a
text, so neither separator ever occurs inside a token, whatever a key or name holds. A report joins a bucket's
rows and counts the tokens (:mod:`.reports`).

New conversations' facts are built with their insert (:class:`FactRows`), on the thread that prepares a batch;
a saved conversation's facts replace the ones stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from sqlalchemy import Connection, delete

from closedloop.domain.conversation import Conversation, Status
from closedloop.domain.facts import Facts, facts_of
from closedloop.domain.metrics import is_detractor, sentiment_steps
from closedloop.domain.moments import microseconds
from closedloop.storage.sql import schema
from closedloop.storage.sql.rows import MARKS

#: What joins a bucket's rows, and the concept tokens of a row: the record separator.
SEPARATOR = "\x1e"
#: What joins the rating tokens of a row: the unit separator.
WITHIN = "\x1f"
#: How a facts row is left out of the metrics: not at all, as a test, or as spam.
COUNTED, TEST, SPAM = 0, 1, 2

_NAMES = [column.name for column in schema.facts.columns]
if _NAMES[:3] != ["place_id", "received_us", "conversation_id"] or _NAMES[-3:] != ["signature", "ratings", "concepts"]:
    raise RuntimeError("closedloop.storage.sql.facts does not know the facts columns")
_INSERT = {
    style: f"INSERT INTO {schema.facts.name} ({', '.join(_NAMES)}) VALUES ({', '.join([mark] * len(_NAMES))})"
    for style, mark in MARKS
}
_encode = msgspec.json.Encoder().encode


def _moment(value: Any) -> int | None:
    return microseconds(value) if value is not None else None


def _tokens(items: Iterable[tuple[Any, ...]], separator: str) -> str | None:
    joined = separator.join(_encode(item).decode() for item in items)
    return joined or None


def left_out(item: Facts) -> int:
    if item.test:
        return TEST
    return SPAM if item.status is Status.SPAM else COUNTED


def signature(item: Facts, detractor: int) -> str:
    """The token of what a report counts of the row as a whole."""
    alert = item.alert_status.value if item.alert_status is not None else None
    open_category = item.category.value if item.status is not Status.DONE else None
    return _encode((left_out(item), item.source.value, item.platform, alert, open_category, detractor)).decode()


class FactRows:
    """The ``cl_facts`` rows of some conversations, in table column order."""

    def __init__(self, facts: Iterable[Facts] = ()) -> None:
        self.rows: list[tuple[Any, ...]] = []
        for item in facts:
            self.add(item)

    @classmethod
    def of(cls, conversations: Iterable[Conversation]) -> FactRows:
        return cls(facts_of(conversation) for conversation in conversations)

    def add_conversation(self, conversation: Conversation) -> None:
        self.add(facts_of(conversation))

    def add(self, item: Facts) -> None:
        detractor = int(is_detractor(item))
        self.rows.append(
            (
                item.place_id,
                microseconds(item.received_at),
                item.conversation_id,
                item.source.value,
                item.platform,
                item.status.value,
                item.category.value,
                int(item.test),
                int(item.counted),
                item.alert_status.value if item.alert_status is not None else None,
                _moment(item.first_response_at),
                item.first_responder,
                _moment(item.first_contact_at),
                _moment(item.done_at),
                item.customer_messages,
                detractor,
                signature(item, detractor),
                _tokens(((rating.key, rating.kind.value, float(rating.value)) for rating in item.ratings), WITHIN),
                _tokens(((concept.name, sentiment_steps(concept.sentiment)) for concept in item.concepts), SEPARATOR),
            )
        )

    def write(self, connection: Connection) -> None:
        """Insert every row with the driver's ``executemany``: measured quicker on SQLite than one statement
        reading a JSON array, whose every column re-reads its row's JSON."""
        if self.rows:
            connection.exec_driver_sql(_INSERT[connection.dialect.paramstyle], self.rows)


def replace_facts(connection: Connection, conversation: Conversation) -> None:
    """Make the stored facts of a saved conversation say what it says now."""
    connection.execute(delete(schema.facts).where(schema.facts.c.conversation_id == conversation.id))
    FactRows.of([conversation]).write(connection)
