"""The SQLAlchemy store: SQLite by default, PostgreSQL at scale, with the same behaviour as the memory store.

Each desk use case runs in one database transaction. Conversations are saved with optimistic versioning
(``UPDATE ... WHERE version = :seen``), so two processes never silently overwrite each other, and reply
links are used up with a conditional update, so a link works once even under concurrent posts.
"""

from __future__ import annotations

import functools
import operator
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from closedloop.domain.conversation import CATEGORY_ORDER, Category, Conversation, Folder
from closedloop.domain.customer import ReplyToken
from closedloop.domain.errors import ConcurrentUpdate, DuplicateFeedback, NotFound, UsedToken
from closedloop.domain.inbox import InboxQuery, priority
from closedloop.domain.messages import Delivery, OutboundMessage, RetryPolicy
from closedloop.domain.moments import from_microseconds, microseconds
from closedloop.domain.people import Place, PlaceGroup, User
from closedloop.domain.templates import Template
from closedloop.ports import FeedbackKey
from closedloop.serialization import (
    decode,
    encode,
    encode_plain,
    encode_record,
    encode_record_into,
)
from closedloop.storage.sql import schema
from closedloop.storage.sql.checkpoints import Checkpointer
from closedloop.storage.sql.engine import READ_ONLY, make_engine
from closedloop.storage.sql.migrate import ensure_current

_COLUMNS = [column.name for column in schema.conversations.columns]
#: Where a conversation row holds what the inbox counts are counted by.
_PLACE_FOLDER_PRIORITY = slice(_COLUMNS.index("place_id"), _COLUMNS.index("priority") + 1)
assert _COLUMNS[_PLACE_FOLDER_PRIORITY] == ["place_id", "folder", "priority"]

#: Where a conversation row holds its feedback's key; rows are inserted in key order.
_FEEDBACK_KEY = operator.itemgetter(*(_COLUMNS.index(name) for name in ("source", "platform", "external_id")))

_MARKS = (("qmark", "?"), ("format", "%s"), ("pyformat", "%s"))

#: The bulk insert of intake, in the driver's own SQL: it skips SQLAlchemy's per-row parameter handling.
_INSERT_CONVERSATION = {
    style: f"INSERT INTO cl_conversations ({', '.join(_COLUMNS)}) VALUES ({', '.join([mark] * len(_COLUMNS))})"
    for style, mark in _MARKS
}

#: SQLite takes a whole batch in one statement: the indexed columns as a JSON array of rows, the documents end
#: to end in one blob, each row saying where its document starts and how long it is. SQLite then inserts every
#: row within one call, without coming back to Python between rows, so another thread can run Python meanwhile.
#: The rows are materialized first, so that each is rendered once rather than once per column; the version of
#: a new conversation is 1.
_INSERT_CONVERSATIONS_FROM_JSON = (
    "WITH batch(line) AS MATERIALIZED (SELECT value FROM json_each(?1)) "
    f"INSERT INTO cl_conversations ({', '.join(_COLUMNS)}) SELECT "
    + ", ".join("1" if name == "version" else f"line ->> {index}" for index, name in enumerate(_COLUMNS[:-1]))
    + f", CAST(substr(?2, line ->> {len(_COLUMNS) - 1}, line ->> {len(_COLUMNS)}) AS TEXT) FROM batch"
)
assert _COLUMNS[-1] == "document"
#: The first SQLite with the ``->>`` operator and JSON built in.
_SQLITE_WITH_JSON = (3, 38)


def _takes_json_rows(dialect: Dialect) -> bool:
    """Whether the database inserts many rows from one JSON array (one call instead of one per row)."""
    return dialect.name == "sqlite" and (dialect.server_version_info or ()) >= _SQLITE_WITH_JSON


#: Adding to the inbox counts, also in the driver's SQL (SQLite and PostgreSQL share the upsert syntax).
_ADD_TO_COUNTS = {
    style: "INSERT INTO cl_inbox_counts (place_id, folder, priority, total) "
    f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT (place_id, folder, priority) "
    "DO UPDATE SET total = cl_inbox_counts.total + excluded.total"
    for style, mark in _MARKS
}
#: The same from one JSON array. ``WHERE true`` tells SQLite's parser the ON CONFLICT is the upsert's.
_ADD_TO_COUNTS_FROM_JSON = (
    "INSERT INTO cl_inbox_counts (place_id, folder, priority, total) "
    "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) WHERE true "
    "ON CONFLICT (place_id, folder, priority) DO UPDATE SET total = cl_inbox_counts.total + excluded.total"
)

#: How many decoded conversations a store keeps, by id and version.
CACHE_SIZE = 4096
#: Above this many places a scoped inbox reads one index and filters, instead of merging one query per place.
MERGE_PLACES_UP_TO = 64

CATEGORY_OF_PRIORITY = {priority(category): category for category in CATEGORY_ORDER}


@functools.lru_cache(maxsize=256)
def _inbox_keys(mode: str, place_count: int, by_category: bool, after: bool) -> Any:
    """The statement that finds a page's ids, built once per shape and then reused with new parameters.

    ``all`` walks the inbox index in order; ``merge`` takes the first page of each place from the
    per-place index and merges them, so the work depends on the page size and the number of places, not on
    how many conversations there are; ``in`` walks the inbox index keeping the listed places.
    """
    table = schema.conversations
    order = (table.c.priority.desc(), table.c.updated_us.desc(), table.c.id.desc())

    def page(place: Any) -> Any:
        statement = select(table.c.id, table.c.priority, table.c.updated_us).where(
            table.c.folder == bindparam("folder")
        )
        if place is not None:
            statement = statement.where(place)
        if by_category:
            statement = statement.where(table.c.priority == bindparam("priority"))
        if after:
            cursor = tuple_(bindparam("after_priority"), bindparam("after_updated"), bindparam("after_id"))
            statement = statement.where(tuple_(table.c.priority, table.c.updated_us, table.c.id) < cursor)
        return statement.order_by(*order).limit(bindparam("limit", type_=Integer))

    if mode == "all":
        return page(None)
    if mode == "in":
        return page(table.c.place_id.in_(bindparam("places", expanding=True)))
    merged = union_all(
        *(page(table.c.place_id == bindparam(f"place_{number}")).subquery().select() for number in range(place_count))
    ).subquery()
    return (
        select(merged.c.id)
        .order_by(merged.c.priority.desc(), merged.c.updated_us.desc(), merged.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


class SqlStore:
    """A store in an SQL database reached through SQLAlchemy; ``sqlite:///path`` or ``postgresql+psycopg://``."""

    def __init__(self, engine: Engine, cache_size: int = CACHE_SIZE) -> None:
        self.engine = engine
        self.cache = ConversationCache(cache_size)
        # an in-memory SQLite database is one connection: threads take turns with it, a transaction each
        self.one_connection = isinstance(engine.pool, StaticPool)
        self.turns: AbstractContextManager[object] = threading.Lock() if self.one_connection else nullcontext()
        self.checkpoints = Checkpointer(engine) if engine.dialect.name == "sqlite" and not self.one_connection else None

    @classmethod
    def from_url(cls, url: str, settings: object = None) -> SqlStore:
        """Open the database at ``url``: create the schema in a new one, refuse one that needs upgrading."""
        engine = make_engine(url)
        try:
            ensure_current(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.turns, self.engine.connect() as connection:
            if self.checkpoints is not None:
                self.checkpoints.before_transaction(connection)
            with connection.begin():
                transaction = SqlTransaction(connection, self.cache)
                yield transaction
        self.cache.publish(transaction.decoded)  # only once committed: a rolled-back read may not be the truth
        if self.checkpoints is not None:
            self.checkpoints.committed()

    def writing_in_bulk(self) -> AbstractContextManager[None]:
        """On a SQLite file, checkpoint the write-ahead log on a thread of its own meanwhile."""
        return nullcontext() if self.checkpoints is None else self.checkpoints.writing_in_bulk()

    def encode_new(self, conversations: Sequence[Conversation]) -> EncodedConversations:
        """Build the insert of new conversations now, on this thread, for a writer thread to run."""
        return EncodedConversations.of(conversations, self.engine.dialect)

    def reader(self) -> AbstractContextManager[SqlTransaction] | None:
        """A read-only snapshot beside the writers; None for an in-memory SQLite database, whose one
        connection every thread shares."""
        return None if self.one_connection else self._reading()

    @contextmanager
    def _reading(self) -> Iterator[SqlTransaction]:
        with self.engine.connect() as connection:
            connection.execution_options(**{READ_ONLY: True, "postgresql_readonly": True})
            with connection.begin():
                transaction = SqlTransaction(connection, self.cache)
                yield transaction
        self.cache.publish(transaction.decoded)

    def close(self) -> None:
        self.engine.dispose()


def _conversation_row(conversation: Conversation, version: int) -> dict[str, Any]:
    """The columns of a conversation. The version column is the truth: the document's copy is ignored on load."""
    return dict(zip(_COLUMNS, _conversation_values(conversation, version), strict=True))


def _conversation_values(conversation: Conversation, version: int) -> tuple[Any, ...]:
    """The columns of a conversation in table order, as bulk inserts bind them."""
    return (*_indexed_values(conversation, version), encode_record(conversation))


def _indexed_values(conversation: Conversation, version: int) -> tuple[Any, ...]:
    """The columns of a conversation before its document."""
    feedback = conversation.feedback
    return (
        conversation.id,
        feedback.source.value,
        feedback.platform,
        feedback.external_id,
        conversation.place_id,
        conversation.folder.value,
        priority(conversation.category),
        microseconds(conversation.last_updated_at),
        version,
    )


class EncodedConversations(list[Conversation]):
    """New conversations with the statement that inserts them and its parameters already built, so that the
    thread that writes them does only the writing."""

    statement: str
    parameters: Any
    rows: list[tuple[Any, ...]]  # their columns, in insertion order: the document or where it lies
    counts: Counter[tuple[str, str, int]]  # what they add to the inbox counts

    @classmethod
    def of(cls, conversations: Sequence[Conversation], dialect: Dialect) -> EncodedConversations:
        encoded = cls(conversations)
        if _takes_json_rows(dialect):
            documents = bytearray()
            encoded.rows = []
            for values, conversation in sorted(
                ((_indexed_values(conversation, 1), conversation) for conversation in conversations),
                key=lambda pair: _FEEDBACK_KEY(pair[0]),
            ):
                start = len(documents)
                encode_record_into(conversation, documents)
                encoded.rows.append((*values, start + 1, len(documents) - start))  # substr counts from 1
            encoded.statement = _INSERT_CONVERSATIONS_FROM_JSON
            encoded.parameters = (encode_plain(encoded.rows), documents)
        else:
            encoded.rows = sorted(
                (_conversation_values(conversation, 1) for conversation in conversations), key=_FEEDBACK_KEY
            )
            encoded.statement = _INSERT_CONVERSATION[dialect.paramstyle]
            encoded.parameters = encoded.rows
        encoded.counts = Counter(row[_PLACE_FOLDER_PRIORITY] for row in encoded.rows)
        return encoded


_UPDATE_MESSAGE = (
    update(schema.messages)
    .where(schema.messages.c.id == bindparam("message_id"))
    .values(status=bindparam("status"), due_us=bindparam("due_us"), document=bindparam("document"))
)


def _message_values(message: OutboundMessage) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "status": message.status.value,
        "due_us": _due_us(message),
        "document": encode(message),
    }


def _due_us(message: OutboundMessage) -> int | None:
    due = message.due_at
    return None if due is None else microseconds(due)


def _load_conversation(document: str, version: int) -> Conversation:
    """The version lives in its own column, which the store compares when saving, not in the document."""
    return attrs.evolve(decode(document, Conversation), version=version)


class ConversationCache:
    """Decoded conversations by (id, version). A version never changes once committed, so an entry is
    never stale; it saves decoding the same documents each time an inbox page is shown again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[str, int], Conversation] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> Conversation | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def publish(self, decoded: Mapping[tuple[str, int], Conversation]) -> None:
        with self.lock:
            self.entries.update(decoded)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


class SqlTransaction:
    """One use case's connection, inside one database transaction."""

    def __init__(self, connection: Connection, cache: ConversationCache) -> None:
        self.connection = connection
        self.cache = cache
        self.decoded: dict[tuple[str, int], Conversation] = {}
        self.written: set[str] = set()

    def _conversation(self, conversation_id: str, version: int, document: str) -> Conversation:
        key = (conversation_id, version)
        found = self.decoded.get(key) or self.cache.get(key)
        if found is None:
            found = _load_conversation(document, version)
            if conversation_id not in self.written:
                self.decoded[key] = found
        return found

    def _execute(self, statement: Any, parameters: Any = None) -> Any:
        return self.connection.execute(statement, parameters)

    def _upsert(self, table: Any, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> None:
        """Insert rows, or replace the existing ones with the same ``keys``. One statement for all rows, so
        its compiled form is cached."""
        if not rows:
            return
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table)
        columns = [name for name in rows[0] if name not in keys]
        changes = {name: statement.excluded[name] for name in columns}
        self._execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes), list(rows))

    # -- places and people ---------------------------------------------------------------------------------

    def places(self) -> Mapping[str, Place]:
        rows = self._execute(select(schema.places.c.id, schema.places.c.name))
        return {row.id: Place(id=row.id, name=row.name) for row in rows}

    def place_ids(self) -> frozenset[str]:
        return frozenset(self._execute(select(schema.places.c.id)).scalars())

    def groups(self) -> Mapping[str, PlaceGroup]:
        rows = self._execute(select(schema.groups.c.document))
        found = (decode(row.document, PlaceGroup) for row in rows)
        return {group.id: group for group in found}

    def put_place(self, place: Place) -> None:
        self._upsert(schema.places, [{"id": place.id, "name": place.name}], ["id"])

    def put_group(self, group: PlaceGroup) -> None:
        self._upsert(schema.groups, [{"id": group.id, "document": encode(group)}], ["id"])

    def get_user(self, user_id: str) -> User | None:
        document = self._execute(select(schema.users.c.document).where(schema.users.c.id == user_id)).scalar()
        return None if document is None else decode(document, User)

    def put_user(self, user: User) -> None:
        self._upsert(schema.users, [{"id": user.id, "document": encode(user)}], ["id"])

    # -- conversations ---------------------------------------------------------------------------------------

    def find_conversations(self, keys: Sequence[FeedbackKey]) -> Mapping[FeedbackKey, str]:
        if not keys:
            return {}
        table = schema.conversations
        wanted = set(keys)
        rows = self._execute(
            select(table.c.source, table.c.platform, table.c.external_id, table.c.id).where(
                table.c.external_id.in_(sorted({external_id for _source, _platform, external_id in wanted}))
            )
        )
        found = {(row.source, row.platform, row.external_id): row.id for row in rows}
        return {key: conversation_id for key, conversation_id in found.items() if key in wanted}

    def add_conversations(self, conversations: Sequence[Conversation]) -> None:
        if not conversations:
            return
        self.written.update(conversation.id for conversation in conversations)
        if not isinstance(conversations, EncodedConversations):
            conversations = EncodedConversations.of(conversations, self.connection.dialect)
        try:
            self.connection.exec_driver_sql(conversations.statement, conversations.parameters)
        except IntegrityError:
            raise DuplicateFeedback(
                "some of this feedback is already stored (same source, platform and external id)"
            ) from None
        self._count(conversations.counts)

    def _count(self, changes: Mapping[tuple[str, str, int], int]) -> None:
        """Add to the inbox counts, in key order so that concurrent writers lock rows in the same order."""
        rows = [(*key, number) for key, number in sorted(changes.items()) if number]
        if not rows:
            return
        dialect = self.connection.dialect
        if _takes_json_rows(dialect):
            self.connection.exec_driver_sql(_ADD_TO_COUNTS_FROM_JSON, (encode_plain(rows),))
        else:
            self.connection.exec_driver_sql(_ADD_TO_COUNTS[dialect.paramstyle], rows)

    def get_conversation(self, conversation_id: str) -> Conversation:
        table = schema.conversations
        row = self._execute(select(table.c.document, table.c.version).where(table.c.id == conversation_id)).first()
        if row is None:
            raise NotFound(f"no conversation has id {conversation_id!r}")
        return self._conversation(conversation_id, row.version, row.document)

    def save_conversation(self, conversation: Conversation) -> Conversation:
        table = schema.conversations
        before = self._execute(
            select(table.c.place_id, table.c.folder, table.c.priority).where(table.c.id == conversation.id)
        ).first()
        if before is None:
            raise NotFound(f"no conversation has id {conversation.id!r}")
        row = _conversation_row(conversation, conversation.version + 1)
        self.written.add(conversation.id)
        changed = self._execute(
            update(table)
            .where(and_(table.c.id == conversation.id, table.c.version == conversation.version))
            .values({name: row[name] for name in ("folder", "priority", "updated_us", "version", "document")})
        )
        if changed.rowcount != 1:
            raise ConcurrentUpdate(
                f"conversation {conversation.id} was changed by someone else since version "
                f"{conversation.version}; load it again and retry"
            )
        moved: Counter[tuple[str, str, int]] = Counter()
        moved[(before.place_id, before.folder, before.priority)] -= 1
        moved[(conversation.place_id, row["folder"], row["priority"])] += 1
        self._count(moved)
        return attrs.evolve(conversation, version=conversation.version + 1)

    def list_conversations(self, query: InboxQuery) -> list[Conversation]:
        places = query.place_ids
        if places is not None and not places:
            return []
        parameters: dict[str, Any] = {"folder": query.folder.value, "limit": query.limit}
        if query.category is not None:
            parameters["priority"] = priority(query.category)
        if query.after is not None:
            parameters["after_priority"], parameters["after_updated"], parameters["after_id"] = query.after.key
        if places is None:
            mode = "all"
        elif len(places) <= MERGE_PLACES_UP_TO:
            mode = "merge"
            parameters.update({f"place_{number}": place for number, place in enumerate(sorted(places))})
        else:
            mode = "in"
            parameters["places"] = sorted(places)
        statement = _inbox_keys(mode, len(places or ()), query.category is not None, query.after is not None)
        ids = [row.id for row in self._execute(statement, parameters)]
        if not ids:
            return []
        table = schema.conversations
        versions = {
            row.id: row.version for row in self._execute(select(table.c.id, table.c.version).where(table.c.id.in_(ids)))
        }
        loaded = {key[0]: found for key in versions.items() if (found := self.cache.get(key)) is not None}
        missing = [conversation_id for conversation_id in ids if conversation_id not in loaded]
        if missing:
            rows = self._execute(select(table.c.id, table.c.version, table.c.document).where(table.c.id.in_(missing)))
            loaded.update({row.id: self._conversation(row.id, row.version, row.document) for row in rows})
        return [loaded[conversation_id] for conversation_id in ids]

    def count_conversations(self, place_ids: frozenset[str] | None) -> Mapping[tuple[Folder, Category], int]:
        table = schema.inbox_counts
        statement = select(table.c.folder, table.c.priority, func.sum(table.c.total).label("total")).group_by(
            table.c.folder, table.c.priority
        )
        if place_ids is not None:
            if not place_ids:
                return {}
            statement = statement.where(table.c.place_id.in_(sorted(place_ids)))
        return {
            (Folder(row.folder), CATEGORY_OF_PRIORITY[row.priority]): int(row.total)
            for row in self._execute(statement)
            if row.total
        }

    # -- common replies and templates ------------------------------------------------------------------------

    def get_common_replies(self, user_id: str) -> tuple[str, ...]:
        table = schema.common_replies
        document = self._execute(select(table.c.document).where(table.c.user_id == user_id)).scalar()
        return () if document is None else tuple(decode(document, list[str]))

    def put_common_replies(self, user_id: str, replies: tuple[str, ...]) -> None:
        self._upsert(schema.common_replies, [{"user_id": user_id, "document": encode(list(replies))}], ["user_id"])

    def templates(self) -> Sequence[Template]:
        return [decode(row.document, Template) for row in self._execute(select(schema.templates.c.document))]

    def put_template(self, template: Template) -> None:
        self._upsert(schema.templates, [{"id": template.id, "document": encode(template)}], ["id"])

    def delete_template(self, template_id: str) -> None:
        table = schema.templates
        if self._execute(delete(table).where(table.c.id == template_id)).rowcount != 1:
            raise NotFound(f"no template has id {template_id!r}")

    # -- the outbox ------------------------------------------------------------------------------------------

    def add_messages(self, messages: Sequence[OutboundMessage]) -> None:
        if messages:
            rows = [
                {
                    "id": message.id,
                    "conversation_id": message.conversation_id,
                    "status": message.status.value,
                    "created_us": microseconds(message.created_at),
                    "due_us": _due_us(message),
                    "document": encode(message),
                }
                for message in messages
            ]
            self._execute(insert(schema.messages), rows)

    def get_message(self, message_id: str) -> OutboundMessage:
        table = schema.messages
        document = self._execute(select(table.c.document).where(table.c.id == message_id)).scalar()
        if document is None:
            raise NotFound(f"no outbound message has id {message_id!r}")
        return decode(document, OutboundMessage)

    def put_message(self, message: OutboundMessage) -> None:
        changed = self._execute(_UPDATE_MESSAGE, _message_values(message))
        if changed.rowcount != 1:
            raise NotFound(f"no outbound message has id {message.id!r}")

    def list_messages(
        self, *, status: Delivery | None, conversation_id: str | None, limit: int | None
    ) -> list[OutboundMessage]:
        table = schema.messages
        statement = select(table.c.document).order_by(table.c.created_us, table.c.id)
        if status is not None:
            statement = statement.where(table.c.status == status.value)
        if conversation_id is not None:
            statement = statement.where(table.c.conversation_id == conversation_id)
        if limit is not None:
            statement = statement.limit(limit)
        return [decode(row.document, OutboundMessage) for row in self._execute(statement)]

    def claim_messages(self, now: datetime, policy: RetryPolicy, limit: int | None) -> list[OutboundMessage]:
        table = schema.messages
        statement = (
            select(table.c.document)
            .where(table.c.status.in_([Delivery.PENDING.value, Delivery.SENDING.value]))
            .where(table.c.due_us <= microseconds(now))
            .order_by(table.c.due_us, table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL: another dispatcher's rows are passed over
        )
        due = [decode(row.document, OutboundMessage) for row in self._execute(statement)]
        claimed = [policy.claim(message, now) for message in due if message.due(now)]
        if claimed:
            self._execute(_UPDATE_MESSAGE, [_message_values(message) for message in claimed])
        return claimed

    # -- markers ---------------------------------------------------------------------------------------------

    def get_marker(self, name: str) -> str | None:
        value: str | None = self._execute(select(schema.markers.c.value).where(schema.markers.c.name == name)).scalar()
        return value

    def put_marker(self, name: str, value: str) -> None:
        self._upsert(schema.markers, [{"name": name, "value": value}], ["name"])

    # -- reply links -----------------------------------------------------------------------------------------

    def add_token(self, token: ReplyToken) -> None:
        self._execute(
            insert(schema.tokens),
            {
                "token_hash": token.token_hash,
                "conversation_id": token.conversation_id,
                "created_us": microseconds(token.created_at),
                "expires_us": microseconds(token.expires_at),
                "used_us": None if token.used_at is None else microseconds(token.used_at),
            },
        )

    def get_token(self, token_hash: str) -> ReplyToken | None:
        table = schema.tokens
        row = self._execute(select(table).where(table.c.token_hash == token_hash)).first()
        if row is None:
            return None
        return ReplyToken(
            token_hash=row.token_hash,
            conversation_id=row.conversation_id,
            created_at=from_microseconds(row.created_us),
            expires_at=from_microseconds(row.expires_us),
            used_at=None if row.used_us is None else from_microseconds(row.used_us),
        )

    def use_token(self, token_hash: str, now: datetime) -> None:
        table = schema.tokens
        changed = self._execute(
            update(table)
            .where(and_(table.c.token_hash == token_hash, table.c.used_us.is_(None)))
            .values(used_us=microseconds(now))
        )
        if changed.rowcount == 1:
            return
        if self.get_token(token_hash) is None:
            raise NotFound("no such reply link")
        raise UsedToken("this reply link was already used to send a message; each link works once")
