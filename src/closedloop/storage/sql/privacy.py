"""The SQL store's privacy records: the contact details erasure searches in, the conversations retention
erases, and erasure records.

An erasure looks for one customer among every conversation's contact details; the database reads them out of
each conversation's JSON document itself, so no conversation is decoded whole in Python to find them.
Erasure records are JSON documents by id, beside the time each was made (the order they are listed in) and
the time it is kept until (what forgetting them looks up).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Text, cast, delete, func, select
from sqlalchemy.dialects.postgresql import JSON

from closedloop.domain.conversation import Folder
from closedloop.domain.errors import AlreadyStored
from closedloop.domain.moments import microseconds
from closedloop.domain.privacy import ErasureRecord
from closedloop.ports.store import ContactRow
from closedloop.serialization import encode
from closedloop.storage.sql import schema
from closedloop.storage.sql.documents import read_document
from closedloop.storage.sql.duplicates import insert_new


def _contact(connection: Connection) -> Any:
    """The SQL for a conversation's contact details as one JSON text: the document is parsed once a row,
    where asking for each field apart parses it once a field."""
    document = schema.conversations.c.document
    if connection.dialect.name == "postgresql":
        return cast(cast(document, JSON)[("feedback", "contact")], Text).label("contact")  # document #> '{...}'
    return func.json_extract(document, "$.feedback.contact").label("contact")


class _Contact(msgspec.Struct):
    """The contact fields as the document holds them; a field it lacks is empty."""

    name: str = ""
    email: str = ""
    tel: str = ""


_read_contact = msgspec.json.Decoder(_Contact).decode


def _row(conversation_id: str, place_id: str, contact: str | None) -> ContactRow:
    try:
        found = _read_contact(contact) if contact else _Contact()
    except msgspec.ValidationError:  # altered outside closedloop: no contact to match, rather than no search
        found = _Contact()
    return ContactRow(
        conversation_id=conversation_id, place_id=place_id, name=found.name, email=found.email, tel=found.tel
    )


class SqlPrivacy:
    """Contacts and untouched conversations read from ``cl_conversations``; erasure records in ``cl_erasures``."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def contacts(self, after: str | None, limit: int) -> Sequence[ContactRow]:
        table = schema.conversations
        statement = select(table.c.id, table.c.place_id, _contact(self.connection))
        if after is not None:
            statement = statement.where(table.c.id > after)
        rows = self.connection.execute(statement.order_by(table.c.id).limit(max(limit, 0)))
        return [_row(*row) for row in rows]

    def untouched(self, folder: Folder, before: datetime, after: str | None, limit: int) -> Sequence[str]:
        table = schema.conversations
        statement = select(table.c.id).where(table.c.folder == folder.value, table.c.updated_us < microseconds(before))
        if after is not None:
            statement = statement.where(table.c.id > after)
        return list(self.connection.execute(statement.order_by(table.c.id).limit(max(limit, 0))).scalars())

    def add_erasure(self, record: ErasureRecord) -> None:
        row = {
            "id": record.id,
            "at_us": microseconds(record.at),
            "keep_until_us": microseconds(record.keep_until),
            "document": encode(record),
        }
        refusal = AlreadyStored(f"an erasure record with id {record.id!r} is already kept")
        insert_new(self.connection, schema.erasures, row, refusal)

    def erasures(self) -> Sequence[ErasureRecord]:
        table = schema.erasures
        rows = self.connection.execute(select(table.c.id, table.c.document).order_by(table.c.at_us, table.c.id))
        fix = "restore its row in cl_erasures from a backup, or delete that row"
        return [read_document(row.document, ErasureRecord, f"erasure record {row.id!r}", fix) for row in rows]

    def forget_erasures(self, now: datetime) -> int:
        """Those kept until a moment before ``now``; one kept until ``now`` itself stays for this run."""
        table = schema.erasures
        statement = delete(table).where(table.c.keep_until_us < microseconds(now))
        return int(self.connection.execute(statement.execution_options(preserve_rowcount=True)).rowcount)
