"""The outbox repository of the SQL store.

Each message row carries when it is next due (``due_us``, from :attr:`OutboundMessage.due_at`), so that a
dispatcher finds what is due with one index search; on PostgreSQL it skips rows another dispatcher holds.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from closedloop.domain.errors import AlreadyStored, NotFound
from closedloop.domain.messages import Delivery, OutboundMessage, RetryPolicy
from closedloop.domain.moments import microseconds
from closedloop.serialization import encode
from closedloop.storage.sql import schema
from closedloop.storage.sql.documents import read_document
from closedloop.storage.sql.duplicates import insert_new, refused_as
from closedloop.storage.sql.lookups import value_by_key

_table = schema.messages

_UPDATE_MESSAGE = (
    update(_table)
    .where(_table.c.id == bindparam("message_id"))
    .values(status=bindparam("status"), due_us=bindparam("due_us"), document=bindparam("document"))
)

#: The states a due message can be in; the rest have no due time. Named in the query so that it searches
#: the ``(status, due_us)`` index.
_WAITING = [Delivery.PENDING.value, Delivery.SENDING.value]


def _message(message_id: str, document: str) -> OutboundMessage:
    """A stored message; :class:`closedloop.UnreadableRecord` naming it when its document cannot be read, so
    that a dispatcher stops on it rather than pass it over for ever."""
    fix = "restore its row in cl_messages from a backup, or delete that row if the message need not go"
    return read_document(document, OutboundMessage, f"outbound message {message_id!r}", fix)


def due_us(message: OutboundMessage) -> int | None:
    """The ``due_us`` column: :attr:`OutboundMessage.due_at` in microseconds, NULL when it is never due."""
    due = message.due_at
    return None if due is None else microseconds(due)


def _changed_values(message: OutboundMessage) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "status": message.status.value,
        "due_us": due_us(message),
        "document": encode(message),
    }


class SqlOutbox:
    """Messages as JSON documents, beside the columns a dispatcher searches by (status and due time) and the
    conversation they belong to, so that claiming reads only the rows that are due."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, messages: Sequence[OutboundMessage]) -> None:
        if not messages:
            return
        rows = [
            {
                "id": message.id,
                "conversation_id": message.conversation_id,
                "status": message.status.value,
                "created_us": microseconds(message.created_at),
                "due_us": due_us(message),
                "document": encode(message),
            }
            for message in messages
        ]
        refusal = AlreadyStored("a message with one of these ids is already in the outbox; none was added")
        if len(rows) == 1:
            insert_new(self.connection, _table, rows[0], refusal)
            return
        with refused_as(self.connection, refusal, one_statement=False):  # several rows: a savepoint takes all back
            self.connection.execute(insert(_table), rows)

    def get(self, message_id: str) -> OutboundMessage:
        document = value_by_key(self.connection, _table.c.document, message_id)
        if document is None:
            raise NotFound(f"no outbound message has id {message_id!r}")
        return _message(message_id, document)

    def put(self, message: OutboundMessage) -> None:
        if self.connection.execute(_UPDATE_MESSAGE, _changed_values(message)).rowcount != 1:
            raise NotFound(f"no outbound message has id {message.id!r}")

    def list(
        self, *, status: Delivery | None, conversation_id: str | None, limit: int | None
    ) -> builtins.list[OutboundMessage]:
        statement = select(_table.c.id, _table.c.document).order_by(_table.c.created_us, _table.c.id)
        if status is not None:
            statement = statement.where(_table.c.status == status.value)
        if conversation_id is not None:
            statement = statement.where(_table.c.conversation_id == conversation_id)
        if limit is not None:
            statement = statement.limit(limit)
        return [_message(row.id, row.document) for row in self.connection.execute(statement)]

    def claim(self, now: datetime, policy: RetryPolicy, limit: int | None) -> builtins.list[OutboundMessage]:
        """Soonest due first, then by id; the rows found are checked against :meth:`OutboundMessage.due`, the
        rule itself, before they are claimed."""
        statement = (
            select(_table.c.id, _table.c.document)
            .where(_table.c.status.in_(_WAITING))
            .where(_table.c.due_us <= microseconds(now))
            .order_by(_table.c.due_us, _table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL: another dispatcher's rows are passed over
        )
        due = [_message(row.id, row.document) for row in self.connection.execute(statement)]
        claimed = [policy.claim(message, now) for message in due if message.due(now)]
        if claimed:
            self.connection.execute(_UPDATE_MESSAGE, [_changed_values(message) for message in claimed])
        return claimed
