"""The in-memory store: a real backend with the same errors and transactions as the SQL one.

Writes go straight into dictionaries and are recorded in an undo log; a transaction that raises is undone
from that log, so a failing use case leaves the store exactly as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs

from closedloop.domain.conversation import Category, Conversation, Folder
from closedloop.domain.customer import ReplyToken
from closedloop.domain.errors import ConcurrentUpdate, DuplicateFeedback, InvalidInput, NotFound, UsedToken
from closedloop.domain.inbox import InboxQuery, inbox_key
from closedloop.domain.messages import Delivery, OutboundMessage, RetryPolicy
from closedloop.domain.people import Place, PlaceGroup, User
from closedloop.domain.templates import Template
from closedloop.hookspecs import hookimpl
from closedloop.ports import FeedbackKey
from closedloop.registry import Registry
from closedloop.settings import Settings

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

    @classmethod
    def from_url(cls, url: str, settings: Settings) -> MemoryStore:
        if url not in ("memory://", "memory:"):
            raise InvalidInput(f"the memory store takes no path or options; use 'memory://', not {url!r}")
        return cls()

    @contextmanager
    def transaction(self) -> Iterator[MemoryTransaction]:
        with self._lock:
            transaction = MemoryTransaction(self)
            try:
                yield transaction
            except BaseException:
                transaction.undo()
                raise

    def close(self) -> None:
        """Nothing to release; present so every store closes the same way."""


class MemoryTransaction:
    """One use case's view of a :class:`MemoryStore`; undone as a whole if the use case fails."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._undo: list[tuple[dict[Any, Any], Any, Any]] = []

    def _set(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        self._undo.append((table, key, table.get(key, _MISSING)))
        if value is _MISSING:
            del table[key]
        else:
            table[key] = value

    def undo(self) -> None:
        for table, key, previous in reversed(self._undo):
            if previous is _MISSING:
                table.pop(key, None)
            else:
                table[key] = previous
        self._undo.clear()

    def places(self) -> Mapping[str, Place]:
        return dict(self._store.places)

    def place_ids(self) -> frozenset[str]:
        return frozenset(self._store.places)

    def groups(self) -> Mapping[str, PlaceGroup]:
        return dict(self._store.groups)

    def put_place(self, place: Place) -> None:
        self._set(self._store.places, place.id, place)

    def put_group(self, group: PlaceGroup) -> None:
        self._set(self._store.groups, group.id, group)

    def get_user(self, user_id: str) -> User | None:
        return self._store.users.get(user_id)

    def put_user(self, user: User) -> None:
        self._set(self._store.users, user.id, user)

    def find_conversations(self, keys: Sequence[FeedbackKey]) -> Mapping[FeedbackKey, str]:
        return {key: self._store.keys[key] for key in keys if key in self._store.keys}

    def add_conversations(self, conversations: Sequence[Conversation]) -> None:
        for conversation in conversations:
            key = conversation.feedback.key
            if conversation.id in self._store.conversations or key in self._store.keys:
                raise DuplicateFeedback(f"feedback {key} is already stored")
            self._set(self._store.conversations, conversation.id, conversation)
            self._set(self._store.keys, key, conversation.id)

    def get_conversation(self, conversation_id: str) -> Conversation:
        try:
            return self._store.conversations[conversation_id]
        except KeyError:
            raise NotFound(f"no conversation has id {conversation_id!r}") from None

    def save_conversation(self, conversation: Conversation) -> Conversation:
        current = self.get_conversation(conversation.id)
        if current.version != conversation.version:
            raise ConcurrentUpdate(
                f"conversation {conversation.id} was changed by someone else (version {current.version}, "
                f"yours {conversation.version}); load it again and retry"
            )
        saved = attrs.evolve(conversation, version=conversation.version + 1)
        self._set(self._store.conversations, conversation.id, saved)
        return saved

    def list_conversations(self, query: InboxQuery) -> list[Conversation]:
        matching = [conversation for conversation in self._store.conversations.values() if query.matches(conversation)]
        matching.sort(key=inbox_key, reverse=True)
        return matching[: query.limit]

    def count_conversations(self, place_ids: frozenset[str] | None) -> Mapping[tuple[Folder, Category], int]:
        counts: dict[tuple[Folder, Category], int] = {}
        for conversation in self._store.conversations.values():
            if place_ids is None or conversation.place_id in place_ids:
                pair = (conversation.folder, conversation.category)
                counts[pair] = counts.get(pair, 0) + 1
        return counts

    def get_common_replies(self, user_id: str) -> tuple[str, ...]:
        return self._store.common_replies.get(user_id, ())

    def put_common_replies(self, user_id: str, replies: tuple[str, ...]) -> None:
        self._set(self._store.common_replies, user_id, replies)

    def templates(self) -> Sequence[Template]:
        return list(self._store.templates.values())

    def put_template(self, template: Template) -> None:
        self._set(self._store.templates, template.id, template)

    def delete_template(self, template_id: str) -> None:
        if template_id not in self._store.templates:
            raise NotFound(f"no template has id {template_id!r}")
        self._set(self._store.templates, template_id, _MISSING)

    def add_messages(self, messages: Sequence[OutboundMessage]) -> None:
        for message in messages:
            if message.id in self._store.messages:
                raise InvalidInput(f"message {message.id} is already in the outbox")
            self._set(self._store.messages, message.id, message)

    def get_message(self, message_id: str) -> OutboundMessage:
        try:
            return self._store.messages[message_id]
        except KeyError:
            raise NotFound(f"no outbound message has id {message_id!r}") from None

    def put_message(self, message: OutboundMessage) -> None:
        self.get_message(message.id)
        self._set(self._store.messages, message.id, message)

    def list_messages(
        self, *, status: Delivery | None, conversation_id: str | None, limit: int | None
    ) -> list[OutboundMessage]:
        found = [
            message
            for message in self._store.messages.values()
            if (status is None or message.status is status)
            and (conversation_id is None or message.conversation_id == conversation_id)
        ]
        found.sort(key=lambda message: message.created_at)
        return found if limit is None else found[:limit]

    def claim_messages(self, now: datetime, policy: RetryPolicy, limit: int | None) -> list[OutboundMessage]:
        due = sorted(
            (message for message in self._store.messages.values() if message.due(now)),
            key=lambda message: (message.due_at or now, message.id),
        )
        claimed = [policy.claim(message, now) for message in (due if limit is None else due[:limit])]
        for message in claimed:
            self._set(self._store.messages, message.id, message)
        return claimed

    def get_marker(self, name: str) -> str | None:
        return self._store.markers.get(name)

    def put_marker(self, name: str, value: str) -> None:
        self._set(self._store.markers, name, value)

    def add_token(self, token: ReplyToken) -> None:
        self._set(self._store.tokens, token.token_hash, token)

    def get_token(self, token_hash: str) -> ReplyToken | None:
        return self._store.tokens.get(token_hash)

    def use_token(self, token_hash: str, now: datetime) -> None:
        token = self._store.tokens.get(token_hash)
        if token is None:
            raise NotFound("no such reply link")
        if token.used_at is not None:
            raise UsedToken("this reply link was already used to send a message; each link works once")
        self._set(self._store.tokens, token_hash, attrs.evolve(token, used_at=now))


@hookimpl
def closedloop_register_stores(registry: Registry) -> None:
    registry.add_store("memory", MemoryStore.from_url)
