"""The store port: one small repository per aggregate, all reached through one transaction.

A use case opens ``store.transaction()`` and reaches each kind of record through its repository
(``tx.directory``, ``tx.conversations``, ``tx.outbox``, ``tx.tokens``, ``tx.markers``, ``tx.library``,
``tx.reports``, ``tx.quality``, ``tx.privacy``, ``tx.search``), so
everything it reads and writes is kept, or undone, together.

Every store raises the same errors for the same situations, and the shipped contract suite
(:mod:`closedloop.testing.contract`) checks it:

- a duplicate insert raises :class:`closedloop.AlreadyStored` (for feedback, its subclass
  :class:`closedloop.DuplicateFeedback`) and writes nothing of the batch, while the transaction goes on (a
  use case may catch it and carry on; a database store has a single row skipped on conflict, and takes a
  savepoint around a batch where the database needs one);
- a row that must exist and does not raises :class:`closedloop.NotFound`;
- a conversation saved from a stale version raises :class:`closedloop.ConcurrentUpdate`.
- a stored record that cannot be read back (its document was altered outside closedloop) raises
  :class:`closedloop.UnreadableRecord` naming it; in an inbox page it comes as an
  :class:`~closedloop.domain.inbox.UnreadableConversation` in its place instead, so the rest of the page shows.

``put_*`` methods insert or replace; ``add`` methods only insert.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from closedloop.domain.conversation import Category, Conversation, Folder
from closedloop.domain.customer import ReplyToken
from closedloop.domain.inbox import InboxQuery, UnreadableConversation
from closedloop.domain.messages import Delivery, OutboundMessage, RetryPolicy
from closedloop.domain.metrics import Bucketing, MetricsQuery
from closedloop.domain.people import Place, PlaceGroup, User
from closedloop.domain.privacy import ErasureRecord
from closedloop.domain.quality import Review, Scorecard
from closedloop.domain.reports import Report
from closedloop.domain.sampling import Cycle, Handled
from closedloop.domain.search import Found, SearchQuery
from closedloop.domain.templates import Template

#: What tells feedback items apart: ``(source, platform, external_id)``.
FeedbackKey = tuple[str, str, str]


class Directory(Protocol):
    """Places, groups of places, and users."""

    def places(self) -> Mapping[str, Place]:
        """Every place, by id."""

    def place_ids(self) -> frozenset[str]:
        """The ids of every place: what intake checks each item against, without building the places."""

    def groups(self) -> Mapping[str, PlaceGroup]:
        """Every group, by id."""

    def put_place(self, place: Place) -> None: ...
    def put_group(self, group: PlaceGroup) -> None: ...

    def get_user(self, user_id: str) -> User | None:
        """The user, or None when no user has that id."""

    def users(self) -> Mapping[str, User]:
        """Every user, by id: whom a conversation can be handed to."""

    def put_user(self, user: User) -> None: ...


class Conversations(Protocol):
    """Conversations, the inbox's order over them, and its counts."""

    def find(self, keys: Sequence[FeedbackKey]) -> Mapping[FeedbackKey, str]:
        """The ids of the conversations whose feedback has one of these keys."""

    def add(self, conversations: Sequence[Conversation]) -> None:
        """Store new conversations at version 1; :class:`DuplicateFeedback` (nothing written) when one's id or
        feedback key is stored already or given twice."""

    def get(self, conversation_id: str, *, lock: bool = False) -> Conversation:
        """The conversation; :class:`NotFound` when there is none, :class:`UnreadableRecord` naming it when
        what is stored cannot be read back. With ``lock``, other transactions that get it with ``lock`` or save
        it wait until this one ends (a row lock where the database has them), so that an action that must not
        conflict waits its turn instead of failing."""

    def save(self, conversation: Conversation) -> Conversation:
        """Store a changed conversation whose ``version`` is the stored one; return it with the next version.
        :class:`ConcurrentUpdate` when the stored version moved on, :class:`NotFound` when it is not stored."""

    def page(self, query: InboxQuery) -> Sequence[Conversation | UnreadableConversation]:
        """Up to ``query.limit`` conversations in inbox order, past ``query.after``. One that is stored but
        cannot be read back comes as an :class:`UnreadableConversation` in its place, so that one damaged row
        never fails a page; a store that keeps objects, not documents, never has one."""

    def counts(self, place_ids: frozenset[str] | None) -> Mapping[tuple[Folder, Category], int]:
        """How many conversations of these places (None: all) are in each folder and category."""


class Outbox(Protocol):
    """Messages waiting to leave, and what became of them."""

    def add(self, messages: Sequence[OutboundMessage]) -> None:
        """Queue new messages; :class:`AlreadyStored` (nothing written) when one's id is taken."""

    def get(self, message_id: str) -> OutboundMessage:
        """The message; :class:`NotFound` when there is none."""

    def put(self, message: OutboundMessage) -> None:
        """Replace a stored message with a newer state of it; :class:`NotFound` when it is not stored."""

    def list(
        self, *, status: Delivery | None, conversation_id: str | None, limit: int | None
    ) -> builtins.list[OutboundMessage]:
        """Messages oldest first, optionally only those of one status or one conversation."""

    def claim(self, now: datetime, policy: RetryPolicy, limit: int | None) -> builtins.list[OutboundMessage]:
        """Take the messages due at ``now`` (:meth:`OutboundMessage.due`), soonest ``due_at`` first, for one
        dispatcher, and store them claimed (``policy.claim``). Two dispatchers never get the same message while
        its lease runs."""


class Tokens(Protocol):
    """Customers' reply links, stored by the hash of their token."""

    def add(self, token: ReplyToken) -> None:
        """Store a new link; :class:`AlreadyStored` when its hash is taken."""

    def get(self, token_hash: str) -> ReplyToken | None:
        """The link, or None when no link has that hash."""

    def use(self, token_hash: str, now: datetime) -> None:
        """Mark a link used, atomically; :class:`UsedToken` if it already was, :class:`NotFound` if unknown."""

    def remove(self, conversation_id: str) -> int:
        """Remove every link of the conversation (its customer was erased); how many there were."""


class Markers(Protocol):
    """Small named values a use case keeps between runs, such as how far a review sync got."""

    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...


class Library(Protocol):
    """Users' common replies and the shared response library."""

    def common_replies(self, user_id: str) -> tuple[str, ...]:
        """The user's common replies, newest first; empty when they have none."""

    def put_common_replies(self, user_id: str, replies: tuple[str, ...]) -> None: ...

    def templates(self) -> Sequence[Template]:
        """Every template, in no particular order."""

    def get_template(self, template_id: str) -> Template | None:
        """The template, or None when no template has that id."""

    def put_template(self, template: Template) -> None: ...

    def delete_template(self, template_id: str) -> None:
        """Remove a template; :class:`NotFound` when there is none."""


@attrs.frozen(kw_only=True)
class ReviewQuery:
    """Which reviews to list: of conversations received in ``[since, until)`` at the given places (every
    place when None), optionally of one agent, by one reviewer, or of one conversation."""

    place_ids: frozenset[str] | None
    since: datetime
    until: datetime
    agent_id: str | None = None
    reviewer_id: str | None = None
    conversation_id: str | None = None


class Quality(Protocol):
    """Scorecards, quality reviews and review cycles."""

    def scorecards(self) -> Sequence[Scorecard]:
        """Every scorecard, by id."""

    def get_scorecard(self, scorecard_id: str) -> Scorecard | None: ...
    def put_scorecard(self, scorecard: Scorecard) -> None: ...

    def get_review(self, review_id: str) -> Review | None: ...

    def put_review(self, review: Review) -> None:
        """Store a new review, or replace the one with its id (a revision, a dispute, a resolution)."""

    def reviews(self, query: ReviewQuery) -> Sequence[Review]:
        """The reviews the query asks for, oldest conversation first."""

    def get_cycle(self, cycle_id: str) -> Cycle | None: ...
    def put_cycle(self, cycle: Cycle) -> None: ...

    def handled(self, place_ids: frozenset[str] | None, since: datetime, until: datetime) -> Sequence[Handled]:
        """The conversations received in ``[since, until)`` at those places (every place when None) that an
        agent handled, tests and spam left out, in conversation id order."""


@attrs.frozen(kw_only=True)
class ContactRow:
    """One conversation's contact details as the feedback gave them, and its place."""

    conversation_id: str
    place_id: str
    name: str
    email: str
    tel: str


class Privacy(Protocol):
    """What erasing customers and forgetting on schedule read and keep (:mod:`closedloop.domain.privacy`)."""

    def contacts(self, after: str | None, limit: int) -> Sequence[ContactRow]:
        """Up to ``limit`` conversations' contact details, in conversation id order past ``after``: what an
        erasure searches a customer's conversations in, without reading each conversation whole."""

    def untouched(self, folder: Folder, before: datetime, after: str | None, limit: int) -> Sequence[str]:
        """The ids of up to ``limit`` conversations in ``folder`` last updated before ``before``, in id order
        past ``after``: what a retention policy erases."""

    def add_erasure(self, record: ErasureRecord) -> None:
        """Keep an erasure record; :class:`AlreadyStored` when its id is taken."""

    def erasures(self) -> Sequence[ErasureRecord]:
        """Every erasure record kept, oldest first."""

    def forget_erasures(self, now: datetime) -> int:
        """Remove the erasure records whose ``keep_until`` is past at ``now``; how many there were."""


class Reports(Protocol):
    """The read side: figures aggregated where the data is, never by reading conversations back one by one."""

    def metrics(self, query: MetricsQuery, by: Bucketing | None, groups: Mapping[str, PlaceGroup]) -> Report:
        """The figures of the conversations ``query`` covers, overall and per bucket of ``by`` (``groups`` are
        the desk's, for ``by=GROUP``); the same numbers as ``closedloop.domain.reports.report_of`` gives from
        their facts, which the contract suite checks."""


class Search(Protocol):
    """Conversations found by their customer or their text (:mod:`closedloop.domain.search`). A store keeps
    what it searches in step with each conversation it adds or saves, in the same transaction, so an erased
    customer is no longer found, and nothing of them is left in what it searches."""

    def find(self, query: SearchQuery) -> Sequence[Found]:
        """Up to ``query.limit`` conversations matching every word of the query, highest position first, below
        ``query.after``. A conversation's position rises each time it is added or saved with a new last update,
        and never otherwise; one that cannot be read back comes as an :class:`UnreadableConversation`."""


class StoreTransaction(Protocol):
    """One use case's view of the store: each aggregate's repository, inside one transaction."""

    @property
    def directory(self) -> Directory: ...
    @property
    def conversations(self) -> Conversations: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def tokens(self) -> Tokens: ...
    @property
    def markers(self) -> Markers: ...
    @property
    def library(self) -> Library: ...
    @property
    def reports(self) -> Reports: ...
    @property
    def quality(self) -> Quality: ...
    @property
    def privacy(self) -> Privacy: ...
    @property
    def search(self) -> Search: ...


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
        calling thread; ``conversations.add`` takes the result and then only writes it."""


@runtime_checkable
class Scrubs(Protocol):
    """A store whose files may keep deleted data until told otherwise, as SQLite's free pages and its log."""

    def scrub(self) -> None:
        """Make what was deleted or overwritten unreadable from the store's files; called after an erasure."""


@runtime_checkable
class WritesInBulk(Protocol):
    """A store that can arrange its upkeep around a long run of writes, as bulk intake makes."""

    def writing_in_bulk(self) -> AbstractContextManager[None]:
        """Held while the run of writes lasts; the store is as usual again when it ends."""
