"""The in-memory store: a real backend with the same errors and transactions as the SQL one.

Writes go straight into dictionaries and are recorded in one undo log per transaction, shared by all of its
repositories; a transaction that raises is undone from that log, so a failing use case leaves the store
exactly as it was. Every check of a batch runs before its first write, so a refused batch writes nothing.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs

from closedloop.domain.conversation import Category, Conversation, Folder
from closedloop.domain.customer import ReplyToken
from closedloop.domain.errors import (
    AlreadyStored,
    ConcurrentUpdate,
    DuplicateFeedback,
    InvalidInput,
    NotFound,
    UsedToken,
)
from closedloop.domain.facts import facts_of
from closedloop.domain.inbox import InboxQuery, inbox_key
from closedloop.domain.messages import Delivery, OutboundMessage, RetryPolicy
from closedloop.domain.metrics import Bucketing, MetricsQuery
from closedloop.domain.people import Place, PlaceGroup, User
from closedloop.domain.privacy import ErasureRecord
from closedloop.domain.quality import Review, Scorecard
from closedloop.domain.reports import Report, report_of
from closedloop.domain.sampling import Cycle
from closedloop.domain.templates import Template
from closedloop.hookspecs import hookimpl
from closedloop.ports import FeedbackKey
from closedloop.registry import Registry
from closedloop.settings import Settings
from closedloop.storage.memory_privacy import MemoryPrivacy
from closedloop.storage.memory_quality import MemoryQuality
from closedloop.storage.memory_search import MemorySearch, place_in_search

_MISSING = object()


class MemoryStore:
    """Keeps everything in this process; ``memory://`` opens a new, empty one."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.places: dict[str, Place] = {}
        self.groups: dict[str, PlaceGroup] = {}
        self.users: dict[str, User] = {}
        self.conversations: dict[str, Conversation] = {}
        self.keys: dict[FeedbackKey, str] = {}
        self.common_replies: dict[str, tuple[str, ...]] = {}
        self.templates: dict[str, Template] = {}
        self.messages: dict[str, OutboundMessage] = {}
        self.tokens: dict[str, ReplyToken] = {}
        self.markers: dict[str, str] = {}
        self.scorecards: dict[str, Scorecard] = {}
        self.reviews: dict[str, Review] = {}
        self.cycles: dict[str, Cycle] = {}
        self.erasures: dict[str, ErasureRecord] = {}
        self.search_positions: dict[str, int] = {}

    @classmethod
    def from_url(cls, url: str, settings: Settings) -> MemoryStore:
        if url not in ("memory://", "memory:"):
            raise InvalidInput(f"the memory store takes no path or options; use 'memory://', not {url!r}")
        return cls()

    @contextmanager
    def transaction(self) -> Iterator[MemoryTransaction]:
        """One transaction at a time: the lock serialises them, as a database's write lock would."""
        with self._lock:
            transaction = MemoryTransaction(self)
            try:
                yield transaction
            except BaseException:
                transaction.undo()
                raise

    def close(self) -> None:
        """Nothing to release; present so every store closes the same way."""


class UndoLog:
    """Every write of one transaction, with what it replaced, so that all of them can be taken back."""

    def __init__(self) -> None:
        self._entries: list[tuple[dict[Any, Any], Any, Any]] = []

    def set(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        self._entries.append((table, key, table.get(key, _MISSING)))
        table[key] = value

    def delete(self, table: dict[Any, Any], key: Any) -> None:
        self._entries.append((table, key, table.pop(key)))

    def undo(self) -> None:
        for table, key, previous in reversed(self._entries):
            if previous is _MISSING:
                table.pop(key, None)
            else:
                table[key] = previous
        self._entries.clear()


class MemoryTransaction:
    """One use case's view of a :class:`MemoryStore`; undone as a whole if the use case fails."""

    def __init__(self, store: MemoryStore) -> None:
        self._log = UndoLog()
        self.directory = MemoryDirectory(store, self._log)
        self.conversations = MemoryConversations(store, self._log)
        self.outbox = MemoryOutbox(store, self._log)
        self.tokens = MemoryTokens(store, self._log)
        self.markers = MemoryMarkers(store, self._log)
        self.library = MemoryLibrary(store, self._log)
        self.reports = MemoryReports(store, self._log)
        self.quality = MemoryQuality(store, self._log)
        self.privacy = MemoryPrivacy(store, self._log)
        self.search = MemorySearch(store)

    def undo(self) -> None:
        self._log.undo()


class _Repository:
    """What every repository of a memory transaction shares: the store's dictionaries, and the transaction's
    undo log that each write goes through, so that a failed use case is taken back whole."""

    def __init__(self, store: MemoryStore, log: UndoLog) -> None:
        self._store = store
        self._log = log


class MemoryDirectory(_Repository):
    """Places, groups and users by id; listings are copies, so a caller never sees the dictionaries change."""

    def places(self) -> Mapping[str, Place]:
        return dict(self._store.places)

    def place_ids(self) -> frozenset[str]:
        return frozenset(self._store.places)

    def groups(self) -> Mapping[str, PlaceGroup]:
        return dict(self._store.groups)

    def put_place(self, place: Place) -> None:
        self._log.set(self._store.places, place.id, place)

    def put_group(self, group: PlaceGroup) -> None:
        self._log.set(self._store.groups, group.id, group)

    def get_user(self, user_id: str) -> User | None:
        return self._store.users.get(user_id)

    def users(self) -> Mapping[str, User]:
        return dict(self._store.users)

    def put_user(self, user: User) -> None:
        self._log.set(self._store.users, user.id, user)


class MemoryConversations(_Repository):
    """Conversations by id, with their ids by feedback key so that intake finds duplicates without a scan; the
    inbox order and counts are worked out when asked, which the few conversations of a memory store allow."""

    def find(self, keys: Sequence[FeedbackKey]) -> Mapping[FeedbackKey, str]:
        stored = self._store.keys
        return {key: stored[key] for key in keys if key in stored}

    def add(self, conversations: Sequence[Conversation]) -> None:
        ids: set[str] = set()
        keys: set[FeedbackKey] = set()
        for conversation in conversations:
            key = conversation.feedback.key
            if conversation.id in self._store.conversations or conversation.id in ids:
                raise DuplicateFeedback(f"a conversation with id {conversation.id!r} is already stored")
            if key in self._store.keys or key in keys:
                raise DuplicateFeedback(f"feedback {key} is already stored")
            ids.add(conversation.id)
            keys.add(key)
        for conversation in conversations:
            stored = conversation if conversation.version == 1 else attrs.evolve(conversation, version=1)
            self._log.set(self._store.conversations, conversation.id, stored)
            self._log.set(self._store.keys, conversation.feedback.key, conversation.id)
            place_in_search(self._store, self._log, stored, None)

    def get(self, conversation_id: str, *, lock: bool = False) -> Conversation:
        """``lock`` needs nothing more here: the store's lock already keeps other transactions waiting."""
        try:
            return self._store.conversations[conversation_id]
        except KeyError:
            raise NotFound(f"no conversation has id {conversation_id!r}") from None

    def save(self, conversation: Conversation) -> Conversation:
        current = self.get(conversation.id)
        if current.version != conversation.version:
            raise ConcurrentUpdate(
                f"conversation {conversation.id} was changed by someone else (version {current.version}, "
                f"yours {conversation.version}); load it again and retry"
            )
        saved = attrs.evolve(conversation, version=conversation.version + 1)
        self._log.set(self._store.conversations, conversation.id, saved)
        place_in_search(self._store, self._log, saved, current)
        return saved

    def page(self, query: InboxQuery) -> list[Conversation]:
        matching = [conversation for conversation in self._store.conversations.values() if query.matches(conversation)]
        matching.sort(key=inbox_key, reverse=True)
        return matching[: query.limit]

    def counts(self, place_ids: frozenset[str] | None) -> Mapping[tuple[Folder, Category], int]:
        counts: dict[tuple[Folder, Category], int] = {}
        for conversation in self._store.conversations.values():
            if place_ids is None or conversation.place_id in place_ids:
                pair = (conversation.folder, conversation.category)
                counts[pair] = counts.get(pair, 0) + 1
        return counts


def _claim_order(message: OutboundMessage) -> tuple[datetime | None, str]:
    """Soonest due first, then by id: the order every store claims in. Only due messages are ordered, and
    every one of them has a ``due_at``."""
    return (message.due_at, message.id)


class MemoryOutbox(_Repository):
    """Messages by id; claiming sorts the due ones each time, which the small outbox of a memory store allows."""

    def add(self, messages: Sequence[OutboundMessage]) -> None:
        ids: set[str] = set()
        for message in messages:
            if message.id in self._store.messages or message.id in ids:
                raise AlreadyStored(f"message {message.id} is already in the outbox")
            ids.add(message.id)
        for message in messages:
            self._log.set(self._store.messages, message.id, message)

    def get(self, message_id: str) -> OutboundMessage:
        try:
            return self._store.messages[message_id]
        except KeyError:
            raise NotFound(f"no outbound message has id {message_id!r}") from None

    def put(self, message: OutboundMessage) -> None:
        self.get(message.id)
        self._log.set(self._store.messages, message.id, message)

    def list(
        self, *, status: Delivery | None, conversation_id: str | None, limit: int | None
    ) -> builtins.list[OutboundMessage]:
        found = [
            message
            for message in self._store.messages.values()
            if (status is None or message.status is status)
            and (conversation_id is None or message.conversation_id == conversation_id)
        ]
        found.sort(key=lambda message: (message.created_at, message.id))
        return found if limit is None else found[:limit]

    def claim(self, now: datetime, policy: RetryPolicy, limit: int | None) -> builtins.list[OutboundMessage]:
        due = sorted((message for message in self._store.messages.values() if message.due(now)), key=_claim_order)
        claimed = [policy.claim(message, now) for message in (due if limit is None else due[:limit])]
        for message in claimed:
            self._log.set(self._store.messages, message.id, message)
        return claimed


class MemoryTokens(_Repository):
    """Reply links by the hash of their token, as every store keeps them, so that the token itself is never
    stored."""

    def add(self, token: ReplyToken) -> None:
        if token.token_hash in self._store.tokens:
            raise AlreadyStored("a reply link with this token is already stored")
        self._log.set(self._store.tokens, token.token_hash, token)

    def get(self, token_hash: str) -> ReplyToken | None:
        return self._store.tokens.get(token_hash)

    def use(self, token_hash: str, now: datetime) -> None:
        token = self._store.tokens.get(token_hash)
        if token is None:
            raise NotFound("no such reply link")
        if token.used_at is not None:
            raise UsedToken("this reply link was already used to send a message; each link works once")
        self._log.set(self._store.tokens, token_hash, attrs.evolve(token, used_at=now))

    def remove(self, conversation_id: str) -> int:
        hashes = [token.token_hash for token in self._store.tokens.values() if token.conversation_id == conversation_id]
        for token_hash in hashes:
            self._log.delete(self._store.tokens, token_hash)
        return len(hashes)


class MemoryMarkers(_Repository):
    """Named values; written through the undo log like every other record, so they go back with a failed use
    case."""

    def get(self, name: str) -> str | None:
        return self._store.markers.get(name)

    def put(self, name: str, value: str) -> None:
        self._log.set(self._store.markers, name, value)


class MemoryLibrary(_Repository):
    """Common replies by user and templates by id, kept as the immutable records they are."""

    def common_replies(self, user_id: str) -> tuple[str, ...]:
        return self._store.common_replies.get(user_id, ())

    def put_common_replies(self, user_id: str, replies: tuple[str, ...]) -> None:
        self._log.set(self._store.common_replies, user_id, replies)

    def templates(self) -> Sequence[Template]:
        return list(self._store.templates.values())

    def get_template(self, template_id: str) -> Template | None:
        return self._store.templates.get(template_id)

    def put_template(self, template: Template) -> None:
        self._log.set(self._store.templates, template.id, template)

    def delete_template(self, template_id: str) -> None:
        if template_id not in self._store.templates:
            raise NotFound(f"no template has id {template_id!r}")
        self._log.delete(self._store.templates, template_id)


@hookimpl
def closedloop_register_stores(registry: Registry) -> None:
    registry.add_store("memory", MemoryStore.from_url)


class MemoryReports(_Repository):
    """The reference figures, from every stored conversation's facts: the in-memory store holds them all in
    memory anyway, and the SQL store's aggregates must give the same numbers."""

    def metrics(self, query: MetricsQuery, by: Bucketing | None, groups: Mapping[str, PlaceGroup]) -> Report:
        facts = (facts_of(conversation) for conversation in self._store.conversations.values())
        return report_of(facts, query, by, groups)
