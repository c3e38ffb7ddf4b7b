"""The metrics' facts of each conversation as rows of ``cl_facts``, ``cl_fact_ratings`` and ``cl_fact_concepts``,
written in the same transaction as the conversation, so that a report aggregates them where they are.

New conversations' facts are built with their insert (:class:`FactRows`), on the thread that prepares a batch;
a saved conversation's facts replace the ones stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, delete, select

from closedloop.domain.conversation import Conversation
from closedloop.domain.facts import Facts, facts_of
from closedloop.domain.metrics import is_detractor
from closedloop.domain.moments import microseconds
from closedloop.storage.sql import schema
from closedloop.storage.sql.rows import MARKS

TABLES = (schema.facts, schema.fact_ratings, schema.fact_concepts)
if [column.name for column in schema.facts.columns][:3] != ["place_id", "received_us", "conversation_id"]:
    raise RuntimeError("closedloop.storage.sql.facts does not know the facts columns")


def _names(table: Table) -> list[str]:
    return [column.name for column in table.columns]


def _inserts(table: Table) -> dict[str, str]:
    names = _names(table)
    return {
        style: f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
        for style, mark in MARKS
    }


_INSERT = {table.name: _inserts(table) for table in TABLES}


def _moment(value: Any) -> int | None:
    return microseconds(value) if value is not None else None


class FactRows:
    """The rows of some conversations' facts, one list per table, in table column order."""

    def __init__(self, facts: Iterable[Facts] = ()) -> None:
        self.facts: list[tuple[Any, ...]] = []
        self.ratings: list[tuple[Any, ...]] = []
        self.concepts: list[tuple[Any, ...]] = []
        for item in facts:
            self.add(item)

    @classmethod
    def of(cls, conversations: Iterable[Conversation]) -> FactRows:
        return cls(facts_of(conversation) for conversation in conversations)

    def add_conversation(self, conversation: Conversation) -> None:
        self.add(facts_of(conversation))

    def add(self, item: Facts) -> None:
        received = microseconds(item.received_at)
        counted = int(item.counted)
        source = item.source.value
        responder = item.first_responder or ""
        self.facts.append(
            (
                item.place_id,
                received,
                item.conversation_id,
                source,
                item.platform,
                item.status.value,
                item.category.value,
                int(item.test),
                item.alert_status.value if item.alert_status is not None else None,
                _moment(item.first_response_at),
                item.first_responder,
                _moment(item.first_contact_at),
                _moment(item.done_at),
                item.customer_messages,
                int(is_detractor(item)),
            )
        )
        where = (item.place_id, received, item.conversation_id)
        shared = (counted, source, responder)
        self.ratings.extend(
            (*where, position, *shared, rating.key, rating.kind.value, rating.value)
            for position, rating in enumerate(item.ratings)
        )
        self.concepts.extend(
            (*where, position, *shared, concept.name, concept.sentiment)
            for position, concept in enumerate(item.concepts)
        )

    def write(self, connection: Connection) -> None:
        """Insert every row with the driver's ``executemany``: measured quicker on SQLite than one statement
        reading a JSON array, whose every column re-reads its row's JSON."""
        for table, rows in zip(TABLES, (self.facts, self.ratings, self.concepts), strict=True):
            if rows:
                connection.exec_driver_sql(_INSERT[table.name][connection.dialect.paramstyle], rows)


def replace_facts(connection: Connection, conversation: Conversation) -> None:
    """Make the stored facts of a saved conversation say what it says now. Its ratings and concepts are found
    by the place and time its stored facts row gives, which begin their primary key."""
    facts = schema.facts
    stored = connection.execute(
        select(facts.c.place_id, facts.c.received_us).where(facts.c.conversation_id == conversation.id)
    ).first()
    if stored is not None:
        for table in TABLES[1:]:
            connection.execute(
                delete(table).where(
                    table.c.place_id == stored.place_id,
                    table.c.received_us == stored.received_us,
                    table.c.conversation_id == conversation.id,
                )
            )
        connection.execute(delete(facts).where(facts.c.conversation_id == conversation.id))
    FactRows.of([conversation]).write(connection)
