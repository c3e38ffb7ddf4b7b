"""The interfaces the core needs from the outside world: store, channel, review source, assistant, analyzer,
clock.

Adapters implement these; plugins hand them to a desk through the registration hooks. They are
``typing.Protocol`` classes, so an adapter needs no closedloop base class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import attrs

from closedloop.domain.conversation import Category, Concept, Conversation, Folder
from closedloop.domain.customer import ReplyToken
from closedloop.domain.inbox import InboxQuery
from closedloop.domain.messages import ChannelLimits, Delivery, MessageKind, OutboundMessage, RetryPolicy
from closedloop.domain.people import Place, PlaceGroup, User
from closedloop.domain.reviews import PlatformReview
from closedloop.domain.templates import Template

FeedbackKey = tuple[str, str, str]


class Clock(Protocol):
    """Where a desk gets the time, so tests can move it."""

    def now(self) -> datetime: ...


class StoreTransaction(Protocol):
    """Everything a use case reads and writes, inside one transaction.

    Stores raise :class:`closedloop.NotFound` for missing conversations and
    :class:`closedloop.ConcurrentUpdate` when a saved conversation's version is not the stored one.
    """

    def places(self) -> Mapping[str, Place]: ...
    def place_ids(self) -> frozenset[str]:
        """The ids of every place: what intake checks each item against, without building the places."""

    def groups(self) -> Mapping[str, PlaceGroup]: ...
    def put_place(self, place: Place) -> None: ...
    def put_group(self, group: PlaceGroup) -> None: ...
    def get_user(self, user_id: str) -> User | None: ...
    def put_user(self, user: User) -> None: ...

    def find_conversations(self, keys: Sequence[FeedbackKey]) -> Mapping[FeedbackKey, str]:
        """The ids of the conversations whose feedback has one of these keys."""

    def add_conversations(self, conversations: Sequence[Conversation]) -> None: ...
    def get_conversation(self, conversation_id: str) -> Conversation: ...

    def save_conversation(self, conversation: Conversation) -> Conversation:
        """Store a changed conversation whose ``version`` is the stored one; return it with the next version."""

    def list_conversations(self, query: InboxQuery) -> list[Conversation]:
        """Up to ``query.limit`` conversations in inbox order, past ``query.after``."""

    def count_conversations(self, place_ids: frozenset[str] | None) -> Mapping[tuple[Folder, Category], int]: ...

    def get_common_replies(self, user_id: str) -> tuple[str, ...]: ...
    def put_common_replies(self, user_id: str, replies: tuple[str, ...]) -> None: ...
    def templates(self) -> Sequence[Template]: ...
    def put_template(self, template: Template) -> None: ...
    def delete_template(self, template_id: str) -> None: ...

    def add_messages(self, messages: Sequence[OutboundMessage]) -> None: ...
    def get_message(self, message_id: str) -> OutboundMessage: ...
    def put_message(self, message: OutboundMessage) -> None: ...

    def list_messages(
        self, *, status: Delivery | None, conversation_id: str | None, limit: int | None
    ) -> list[OutboundMessage]:
        """Messages oldest first, optionally only those of one status or one conversation."""

    def claim_messages(self, now: datetime, policy: RetryPolicy, limit: int | None) -> list[OutboundMessage]:
        """Take the messages due at ``now``, soonest due first, for one dispatcher, and store them claimed
        (``policy.claim``). Two dispatchers never get the same message while its lease runs."""

    def get_marker(self, name: str) -> str | None:
        """A small named value a use case keeps between runs, such as how far a review sync got."""

    def put_marker(self, name: str, value: str) -> None: ...

    def add_token(self, token: ReplyToken) -> None: ...
    def get_token(self, token_hash: str) -> ReplyToken | None: ...

    def use_token(self, token_hash: str, now: datetime) -> None:
        """Mark a token used, atomically; raise :class:`closedloop.UsedToken` if it already was."""


@runtime_checkable
class Store(Protocol):
    """A storage backend. Every use case runs inside one ``transaction()``: all of it is kept, or none."""

    def transaction(self) -> AbstractContextManager[StoreTransaction]: ...
    def close(self) -> None: ...


@runtime_checkable
class ReadsBesideWrites(Protocol):
    """A store whose readers need not wait for a writer in another thread, as a database with snapshot reads.

    Bulk intake then commits one batch on a second thread while it prepares the next, so the database works
    while Python does. Stores without it take batches one after the other.
    """

    def reader(self) -> AbstractContextManager[StoreTransaction] | None:
        """A transaction that only reads and sees what was committed before it began, without waiting for a
        writer; or None when the store cannot give one now (one connection shared by every thread)."""

    def encode_new(self, conversations: Sequence[Conversation]) -> Sequence[Conversation]:
        """The same conversations, with the work of turning them into what the store writes done now, on the
        calling thread; ``add_conversations`` takes the result and then only writes it."""


@runtime_checkable
class WritesInBulk(Protocol):
    """A store that can arrange its upkeep around a long run of writes, as bulk intake makes."""

    def writing_in_bulk(self) -> AbstractContextManager[None]:
        """Held while the run of writes lasts; the store is as usual again when it ends."""


@attrs.frozen(kw_only=True)
class SendResult:
    """What happened to one message handed to a channel; ``permanent`` failures are not retried."""

    message_id: str
    ok: bool
    error: str | None = None
    permanent: bool = False
    retry_after: timedelta | None = None  # the platform asked us to wait this long (e.g. HTTP Retry-After)


@runtime_checkable
class Channel(Protocol):
    """How messages leave: email, a review platform's reply API, ...

    ``kinds`` says which messages it can carry; a channel that cannot express something raises
    :class:`closedloop.ChannelUnavailable` rather than dropping it.
    """

    @property
    def name(self) -> str: ...
    @property
    def kinds(self) -> frozenset[MessageKind]: ...
    @property
    def limits(self) -> ChannelLimits: ...

    def send(self, messages: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        """Deliver a batch, reusing one connection where it can; one result per message, in order."""


@runtime_checkable
class Assistant(Protocol):
    """An AI provider that drafts or rephrases replies; its text is only ever a suggestion."""

    @property
    def name(self) -> str: ...

    def suggest(self, conversation: Conversation, *, agent: User) -> str: ...
    def rephrase(self, text: str, *, tone: str) -> str: ...


@runtime_checkable
class Analyzer(Protocol):
    """Finds concepts and their sentiment in comments, a batch at a time."""

    @property
    def name(self) -> str: ...

    def analyze(self, texts: Sequence[str]) -> Sequence[Iterable[Concept]]: ...


@runtime_checkable
class ReviewSource(Protocol):
    """Where a review platform's reviews are read from, for ``desk.sync(platform)``.

    ``reviews(since=...)`` yields pages of reviews; ``since`` is when the last complete sync started (``None``
    the first time), and a source may stop once the rest is older, or yield everything: a review seen again
    records nothing. Each review's feedback names the desk's place it belongs to.
    """

    @property
    def platform(self) -> str: ...

    def reviews(self, *, since: datetime | None) -> Iterable[Sequence[PlatformReview]]: ...


@runtime_checkable
class Connector(ReviewSource, Channel, Protocol):
    """A review platform's connector: the source of its reviews and the channel of its replies in one object,
    whose channel ``name`` is its ``platform``, so one desk's sync and replies share its state (a token, a
    client)."""
