"""The conversations repository of the SQL store.

Conversations are saved with optimistic versioning (``UPDATE ... WHERE version = :seen``), so two processes
never silently overwrite each other; getting one with ``lock`` lets a use case that must not conflict wait its
turn instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import attrs
from sqlalchemy import Connection, and_, select, update

from closedloop.domain.conversation import Category, Conversation, Folder
from closedloop.domain.errors import ConcurrentUpdate, DuplicateFeedback, NotFound
from closedloop.domain.inbox import InboxQuery, UnreadableConversation
from closedloop.ports import FeedbackKey
from closedloop.serialization import encode_plain
from closedloop.storage.sql import inbox, schema
from closedloop.storage.sql.bulk import EncodedConversations
from closedloop.storage.sql.cache import TransactionDecodings
from closedloop.storage.sql.counts import CountKey, add_to_counts, read_counts
from closedloop.storage.sql.duplicates import refused_as
from closedloop.storage.sql.facts import replace_facts
from closedloop.storage.sql.rows import FEEDBACK_KEY_COLUMNS, conversation_row, takes_json_rows
from closedloop.storage.sql.search import add_rows, replace_words

_table = schema.conversations
#: The conversations of many external ids, given as one JSON array: SQLite reads it in one call, where a
#: parameter an id would have SQLAlchemy write out and bind a thousand of them a batch.
_FIND_FROM_JSON = (
    f"SELECT {', '.join(FEEDBACK_KEY_COLUMNS)}, id FROM {_table.name} "
    "WHERE external_id IN (SELECT value FROM json_each(?))"
)
#: What saving a conversation changes besides its document: the columns the inbox orders and counts by.
_SAVED_COLUMNS = ("folder", "priority", "updated_us", "version", "document")


class SqlConversations:
    """Conversations as the columns the inbox orders, counts and finds duplicates by, beside the whole
    conversation as one JSON document: what is read back, decoded once per version through the cache. Their
    facts for the metrics (:mod:`.facts`) and their words for searching (:mod:`.search`) are written with them."""

    def __init__(self, connection: Connection, decodings: TransactionDecodings) -> None:
        self.connection = connection
        self.decodings = decodings

    def find(self, keys: Sequence[FeedbackKey]) -> Mapping[FeedbackKey, str]:
        """Looked up by external id alone, which the unique index begins with; the rest of the key is
        compared here."""
        if not keys:
            return {}
        wanted = set(keys)
        external_ids = sorted({external_id for _source, _platform, external_id in wanted})
        if takes_json_rows(self.connection.dialect):  # a batch's ids as one JSON array, not a parameter each
            rows = self.connection.exec_driver_sql(_FIND_FROM_JSON, (encode_plain(external_ids).decode(),))
        else:
            rows = self.connection.execute(
                select(*(_table.c[name] for name in FEEDBACK_KEY_COLUMNS), _table.c.id).where(
                    _table.c.external_id.in_(external_ids)
                )
            )
        found = {(source, platform, external_id): found_id for source, platform, external_id, found_id in rows}
        return {key: conversation_id for key, conversation_id in found.items() if key in wanted}

    def add(self, conversations: Sequence[Conversation]) -> None:
        if not conversations:
            return
        self.decodings.wrote(conversation.id for conversation in conversations)
        if not isinstance(conversations, EncodedConversations):
            conversations = EncodedConversations.of(conversations, self.connection.dialect)
        refusal = DuplicateFeedback(
            "some of this feedback is already stored, or given twice (same id, or same source, platform and "
            "external id); none of it was written"
        )
        with refused_as(self.connection, refusal, one_statement=conversations.one_statement):
            self.connection.exec_driver_sql(conversations.statement, conversations.parameters)
        add_to_counts(self.connection, conversations.counts)
        conversations.facts.write(self.connection)
        add_rows(self.connection, conversations.search_rows)

    def get(self, conversation_id: str, *, lock: bool = False) -> Conversation:
        """With ``lock``, ``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite leaves the clause out, and needs none,
        since its ``BEGIN IMMEDIATE`` already lets one writer in at a time."""
        statement = select(_table.c.document, _table.c.version).where(_table.c.id == conversation_id)
        row = self.connection.execute(statement.with_for_update() if lock else statement).first()
        if row is None:
            raise NotFound(f"no conversation has id {conversation_id!r}")
        return self.decodings.conversation(conversation_id, row.version, row.document)

    def save(self, conversation: Conversation) -> Conversation:
        before = self.connection.execute(
            select(_table.c.place_id, _table.c.folder, _table.c.priority, _table.c.updated_us).where(
                _table.c.id == conversation.id
            )
        ).first()
        if before is None:
            raise NotFound(f"no conversation has id {conversation.id!r}")
        row = conversation_row(conversation, conversation.version + 1)
        self.decodings.rewrote(conversation.id)
        changed = self.connection.execute(
            update(_table)
            .where(and_(_table.c.id == conversation.id, _table.c.version == conversation.version))
            .values({name: row[name] for name in _SAVED_COLUMNS})
        )
        if changed.rowcount != 1:
            raise ConcurrentUpdate(
                f"conversation {conversation.id} was changed by someone else since version "
                f"{conversation.version}; load it again and retry"
            )
        moved: Counter[CountKey] = Counter()
        moved[(before.place_id, before.folder, before.priority)] -= 1
        moved[(conversation.place_id, row["folder"], row["priority"])] += 1
        add_to_counts(self.connection, moved)
        replace_facts(self.connection, conversation)
        replace_words(self.connection, conversation, moved=before.updated_us != row["updated_us"])
        return attrs.evolve(conversation, version=conversation.version + 1)

    def page(self, query: InboxQuery) -> list[Conversation | UnreadableConversation]:
        return inbox.page(self.connection, self.decodings, query)

    def counts(self, place_ids: frozenset[str] | None) -> Mapping[tuple[Folder, Category], int]:
        return read_counts(self.connection, place_ids)
