"""The SQL store's smaller repositories: reply links, markers and the library (the directory: :mod:`.directory`).

Most of what they keep is a JSON document by key, only ever read whole; a reply link is used up with a
conditional update, so that it works exactly once even when two posts race. A document that cannot be read
back raises :class:`closedloop.UnreadableRecord` naming it, also when it is one of a list: groups decide
what a user may see and templates what a customer is told, so a list is never shown with one left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Table, and_, delete, select, update

from closedloop.domain.customer import ReplyToken
from closedloop.domain.errors import AlreadyStored, NotFound, UsedToken
from closedloop.domain.moments import from_microseconds, microseconds
from closedloop.domain.templates import Template
from closedloop.serialization import encode
from closedloop.storage.sql import schema
from closedloop.storage.sql.documents import read_document
from closedloop.storage.sql.duplicates import insert_new
from closedloop.storage.sql.lookups import value_by_key
from closedloop.storage.sql.upserts import upsert

T = TypeVar("T")


def _read(document: str, cls: type[T], table: Table, record: str) -> T:
    """A document of ``table``; ``record`` names it when it cannot be read."""
    return read_document(document, cls, record, f"restore its row in {table.name} from a backup, or delete that row")


class SqlTokens:
    """Reply links by the hash of their token, never the token; in columns rather than a document, so that
    using one up is a conditional update that works once even when two posts race."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, token: ReplyToken) -> None:
        row = {
            "token_hash": token.token_hash,
            "conversation_id": token.conversation_id,
            "created_us": microseconds(token.created_at),
            "expires_us": microseconds(token.expires_at),
            "used_us": None if token.used_at is None else microseconds(token.used_at),
        }
        insert_new(self.connection, schema.tokens, row, AlreadyStored("a reply link with this token is already stored"))

    def get(self, token_hash: str) -> ReplyToken | None:
        table = schema.tokens
        row = self.connection.execute(select(table).where(table.c.token_hash == token_hash)).first()
        if row is None:
            return None
        return ReplyToken(
            token_hash=row.token_hash,
            conversation_id=row.conversation_id,
            created_at=from_microseconds(row.created_us),
            expires_at=from_microseconds(row.expires_us),
            used_at=None if row.used_us is None else from_microseconds(row.used_us),
        )

    def use(self, token_hash: str, now: datetime) -> None:
        table = schema.tokens
        changed = self.connection.execute(
            update(table)
            .where(and_(table.c.token_hash == token_hash, table.c.used_us.is_(None)))
            .values(used_us=microseconds(now))
        )
        if changed.rowcount == 1:
            return
        if self.get(token_hash) is None:
            raise NotFound("no such reply link")
        raise UsedToken("this reply link was already used to send a message; each link works once")

    def remove(self, conversation_id: str) -> int:
        table = schema.tokens
        removed = self.connection.execute(
            delete(table).where(table.c.conversation_id == conversation_id).execution_options(preserve_rowcount=True)
        )
        return int(removed.rowcount)


class SqlMarkers:
    """Named values, one row each, written with an upsert: each run records how far it got over what the run
    before recorded."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get(self, name: str) -> str | None:
        return value_by_key(self.connection, schema.markers.c.value, name)

    def put(self, name: str, value: str) -> None:
        upsert(self.connection, schema.markers, {"name": name, "value": value}, ["name"])


class SqlLibrary:
    """Common replies by user and templates by id, as JSON documents: they are only ever read whole."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def common_replies(self, user_id: str) -> tuple[str, ...]:
        table = schema.common_replies
        document = value_by_key(self.connection, table.c.document, user_id)
        return (
            ()
            if document is None
            else tuple(_read(document, list[str], table, f"the common replies of user {user_id!r}"))
        )

    def put_common_replies(self, user_id: str, replies: tuple[str, ...]) -> None:
        row = {"user_id": user_id, "document": encode(list(replies))}
        upsert(self.connection, schema.common_replies, row, ["user_id"])

    def templates(self) -> Sequence[Template]:
        table = schema.templates
        rows = self.connection.execute(select(table.c.id, table.c.document))
        return [_read(row.document, Template, table, f"template {row.id!r}") for row in rows]

    def get_template(self, template_id: str) -> Template | None:
        table = schema.templates
        document = value_by_key(self.connection, table.c.document, template_id)
        return None if document is None else _read(document, Template, table, f"template {template_id!r}")

    def put_template(self, template: Template) -> None:
        upsert(self.connection, schema.templates, {"id": template.id, "document": encode(template)}, ["id"])

    def delete_template(self, template_id: str) -> None:
        table = schema.templates
        if self.connection.execute(delete(table).where(table.c.id == template_id)).rowcount != 1:
            raise NotFound(f"no template has id {template_id!r}")
