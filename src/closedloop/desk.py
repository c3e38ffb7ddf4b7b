"""The ``Desk`` facade: one method per use case, each run in one store transaction.

A use case loads what it needs, asks the domain for the change (the domain does no I/O), saves the change
and any outbound message together, and only then tells the plugins. A refused action raises before
anything is saved, and the transaction undoes whatever was written.
"""

from __future__ import annotations

import contextlib
import random
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import pluggy

from closedloop.contacts import ContactChecker
from closedloop.domain import rules
from closedloop.domain.alerts import AlertStatus, raise_alert
from closedloop.domain.conversation import Category, Concept, Conversation, Folder
from closedloop.domain.customer import TOKEN_BYTES, CustomerView, ReplyToken, customer_view, hash_token
from closedloop.domain.customer_file import CustomerFile
from closedloop.domain.errors import (
    ChannelUnavailable,
    ConcurrentUpdate,
    DuplicateFeedback,
    InvalidInput,
    NotConfigured,
    NotFound,
    UnknownToken,
)
from closedloop.domain.feedback import Feedback
from closedloop.domain.inbox import Counts, Cursor, InboxQuery, Page, check_page_size
from closedloop.domain.messages import NO_LIMITS, Delivery, MessageKind, OutboundMessage
from closedloop.domain.people import Place, PlaceGroup, Scope, User
from closedloop.domain.reviews import PlatformReview, sync_review
from closedloop.events import ConversationChange
from closedloop.intake import (
    BatchWriter,
    Chunk,
    IngestReport,
    OpenedBatch,
    Settled,
    batched,
    check_batch_size,
    collector_paused,
    read_chunk,
)
from closedloop.library import CommonReplies, TemplateLibrary
from closedloop.plugins import make_plugin_manager, plugin_names
from closedloop.ports import (
    Assistant,
    Channel,
    FeedbackKey,
    ReadsBesideWrites,
    SendResult,
    Store,
    StoreTransaction,
    WritesInBulk,
)
from closedloop.registry import Registry
from closedloop.serialization import to_json
from closedloop.settings import Settings
from closedloop.sync import OVERLAP, SyncReport, marker_name

DEFAULT_URL = "memory://"
#: How often a use case is tried when another process changed the same conversation meanwhile.
RETRIES = 5
T = TypeVar("T")

UserRef = str | User
Action = Callable[[Conversation, User, StoreTransaction], rules.Change]


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@attrs.frozen(kw_only=True)
class DispatchReport:
    """What one ``dispatch()`` did: messages sent, failed for good, and left for a later try."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0


def _new_id() -> str:
    """A random id that starts with the time in milliseconds, like UUIDv7: ids made later sort later, so
    database indexes grow at their end instead of being written all over."""
    return _new_ids(1)[0]


def _new_ids(count: int) -> list[str]:
    """``count`` ids as :func:`_new_id` makes them, drawing their randomness in one call rather than one each."""
    stamp = f"{time.time_ns() // 1_000_000:012x}"
    noise = secrets.token_bytes(10 * count).hex()
    return [stamp + noise[start : start + 20] for start in range(0, 20 * count, 20)]


class Desk:
    """Everything an application does with feedback, from intake to closing the loop.

    Open one with :meth:`Desk.open`; it owns its store and plugin manager, so close it (or use it as a
    context manager) when done.
    """

    def __init__(self, store: Store, settings: Settings, plugins: pluggy.PluginManager, registry: Registry) -> None:
        self.store = store
        self.settings = settings
        self.plugins = plugins
        self.registry = registry
        self.clock = settings.clock or SystemClock()
        self.contacts = ContactChecker(settings.default_region)

    @classmethod
    def open(cls, url: str | None = None, *, store: Store | None = None, **settings: Any) -> Desk:
        """Open a desk on the store at ``url`` (default: a new in-memory store), or on an open ``store``
        that other desks may share.

        ``settings`` are the fields of :class:`closedloop.settings.Settings`; unknown names are refused.
        """
        if url is not None and store is not None:
            raise InvalidInput("give Desk.open either a url or a store, not both")
        chosen = Settings.from_keywords(settings)
        manager = make_plugin_manager(chosen)
        registry = Registry()
        hooks = manager.hook
        hooks.closedloop_register_stores(registry=registry)
        hooks.closedloop_register_connectors(registry=registry, settings=chosen)
        hooks.closedloop_register_channels(registry=registry, settings=chosen)
        hooks.closedloop_register_sources(registry=registry, settings=chosen)
        hooks.closedloop_register_assistants(registry=registry, settings=chosen)
        hooks.closedloop_register_analyzers(registry=registry, settings=chosen)
        hooks.closedloop_register_alert_rules(registry=registry, settings=chosen)
        if store is None:
            store = registry.store_for(url or DEFAULT_URL, chosen)
        return cls(store, chosen, manager, registry)

    def close(self) -> None:
        """Close the store, and each registered channel and review source that has a ``close()`` (a
        connector's HTTP client, an SMTP connection); an object registered in both roles is closed once."""
        parts = [*self.registry.channels.values(), *self.registry.sources.values()]
        for part in {id(part): part for part in parts}.values():
            close = getattr(part, "close", None)
            if callable(close):
                close()
        self.store.close()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def plugin_names(self) -> list[str]:
        return plugin_names(self.plugins)

    def channel(self, name: str) -> Channel:
        """The registered channel of that name; :class:`ChannelUnavailable` when there is none."""
        return self.registry.channel(name)

    # -- places and people ---------------------------------------------------------------------------------

    def add_place(self, place: Place) -> Place:
        with self.store.transaction() as tx:
            tx.put_place(place)
        return place

    def add_group(self, group: PlaceGroup) -> PlaceGroup:
        with self.store.transaction() as tx:
            known = tx.places()
            missing = sorted(place_id for place_id in group.place_ids if place_id not in known)
            if missing:
                raise InvalidInput(f"group {group.id!r} names unknown places {missing}; add them first")
            tx.put_group(group)
        return group

    def add_user(self, user: User) -> User:
        if user.email and self.contacts.email(user.email) is None:
            raise InvalidInput(f"user {user.id!r} has an invalid email address {user.email!r}")
        with self.store.transaction() as tx:
            tx.put_user(user)
        return user

    def user(self, ref: UserRef) -> User:
        with self.store.transaction() as tx:
            return self._user(tx, ref)

    def _user(self, tx: StoreTransaction, ref: UserRef) -> User:
        user_id = ref.id if isinstance(ref, User) else ref
        user = tx.get_user(user_id) if isinstance(user_id, str) else None
        if user is None:
            raise NotFound(f"user {user_id!r} is not on this desk; add it with desk.add_user(User(...))")
        return user

    def _scope(self, tx: StoreTransaction, user: User) -> Scope:
        return Scope.of(user, tx.groups())

    def _place(self, tx: StoreTransaction, place_id: str) -> Place:
        place = tx.places().get(place_id)
        if place is None:
            raise NotFound(f"place {place_id!r} is not on this desk")
        return place

    # -- intake ----------------------------------------------------------------------------------------------

    def ingest(self, feedback: Feedback) -> Conversation:
        """Open a conversation for new feedback; the same ``(source, platform, external_id)`` returns the
        conversation already stored, unchanged."""
        if not isinstance(feedback, Feedback):
            raise InvalidInput(f"ingest takes a closedloop.Feedback; got {type(feedback).__name__}")
        batch = self._open_batch([(0, feedback)])
        if batch.unknown_places:
            raise InvalidInput(
                f"feedback {feedback.external_id!r} is for place {feedback.place_id!r}, which this desk "
                "does not know; add it with desk.add_place(Place(...)) first"
            )
        if batch.opened:
            return batch.opened[0]
        with self.store.transaction() as tx:
            return tx.get_conversation(tx.find_conversations([feedback.key])[feedback.key])

    def ingest_many(
        self,
        items: Iterable[Feedback | Mapping[str, Any]],
        *,
        batch_size: int = 1000,
        progress: Callable[[IngestReport], object] | None = None,
    ) -> IngestReport:
        """Take in any number of feedback items, a batch per transaction, in constant memory.

        Items are :class:`Feedback` objects or dicts describing one. Feedback already stored is counted as a
        duplicate and skipped; invalid items are rejected with their reason without stopping the rest.
        Alert rules, analyzers and ``closedloop_feedback_ingested`` run for every batch. ``progress`` is
        called with the report after each batch is committed, so a long import can show how far it got;
        running the same import again after an interruption skips what was already taken in.

        On a store that reads beside its writer (a SQLite file, PostgreSQL), one batch is written on a second
        thread while the next is prepared; the input is then read one batch ahead of what is committed.
        """
        size = check_batch_size(batch_size)
        report = IngestReport()
        bulk = self.store.writing_in_bulk() if isinstance(self.store, WritesInBulk) else contextlib.nullcontext()
        with bulk, BatchWriter(self._write_batch) as writer:
            try:
                for items_of_batch in batched(enumerate(items), size):
                    with collector_paused():
                        chunk = read_chunk(items_of_batch)
                        prepared = self._prepare_beside_writer(chunk.readable, writer.in_flight)
                    self._settle(writer, report, progress)
                    if prepared is None:
                        self._report_batch(chunk, self._open_batch(chunk.readable), report, progress)
                    elif prepared.opened:
                        writer.submit(chunk, prepared)
                    else:
                        self._report_batch(chunk, prepared, report, progress)
            finally:  # the batch in flight is seen through even when the next one failed
                self._settle(writer, report, progress)
        return report

    def _settle(
        self, writer: BatchWriter, report: IngestReport, progress: Callable[[IngestReport], object] | None
    ) -> None:
        """Wait for the batch in flight, if any, and report it once stored."""
        if (settled := writer.settle()) is not None:
            self._report_batch(settled.chunk, self._written(settled), report, progress)

    @staticmethod
    def _report_batch(
        chunk: Chunk, batch: OpenedBatch, report: IngestReport, progress: Callable[[IngestReport], object] | None
    ) -> None:
        for position, item, reason in chunk.unreadable:
            report.reject(position, item, reason)
        report.ingested += len(batch.opened)
        report.duplicates += batch.duplicates
        for position, feedback in batch.unknown_places:
            report.reject(position, feedback, f"unknown place {feedback.place_id!r}; add it with desk.add_place")
        if progress is not None:
            progress(report)

    def sync(
        self, platform: str, *, full: bool = False, progress: Callable[[SyncReport], object] | None = None
    ) -> SyncReport:
        """Bring a review platform up to date: new reviews open conversations (alert rules and plugins run as
        at any intake), a review the customer edited comes back as a customer message, and a reply the
        business made on the platform itself is recorded as the place's reply.

        Each page of reviews is committed on its own and ``progress`` is called after each. Only a complete
        sync moves the mark the next one starts from, so a sync that was interrupted is resumed by running it
        again: what it already took in is seen again and records nothing. ``full=True`` reads every review.
        """
        source = self.registry.source(platform)
        started = self.clock.now()
        with self.store.transaction() as tx:
            mark = tx.get_marker(marker_name(platform))
        since = None if full or mark is None else datetime.fromisoformat(mark) - OVERLAP
        report = SyncReport(platform=platform)
        for page in source.reviews(since=since):
            self._sync_page(list(page), report)
            if progress is not None:
                progress(report)
        with self.store.transaction() as tx:
            tx.put_marker(marker_name(platform), started.isoformat())
        report.complete = True
        return report

    def _sync_page(self, page: Sequence[PlatformReview], report: SyncReport) -> None:
        batch = self._open_batch([(position, review.as_new_feedback()) for position, review in enumerate(page)])
        report.added += len(batch.opened)
        refused = {position for position, _feedback in batch.unknown_places}
        for _position, feedback in batch.unknown_places:
            report.rejected.append(
                (feedback.external_id, f"unknown place {feedback.place_id!r}; add it with desk.add_place")
            )
        opened = {conversation.feedback.key for conversation in batch.opened}
        reviews = [review for position, review in enumerate(page) if position not in refused]
        changes, unchanged = _retrying_on_conflict(lambda: self._fold_reviews(reviews))
        for change in changes:
            report.count(change, new=change.conversation.feedback.key in opened)
        report.unchanged += sum(1 for review in unchanged if review.feedback.key not in opened)
        if changes:
            self._changed(changes)

    def _fold_reviews(self, reviews: Sequence[PlatformReview]) -> tuple[list[ConversationChange], list[PlatformReview]]:
        """Record what the platform shows of each stored review, in one transaction."""
        now = self.clock.now()
        changes: list[ConversationChange] = []
        unchanged: list[PlatformReview] = []
        with self.store.transaction() as tx:
            places = tx.places()
            stored = tx.find_conversations([review.feedback.key for review in reviews])
            for review in reviews:
                before = tx.get_conversation(stored[review.feedback.key])
                change = sync_review(before, review, place=places[before.place_id], now=now)
                if change.conversation is before:
                    unchanged.append(review)
                    continue
                saved = tx.save_conversation(change.conversation)
                changes.append(ConversationChange(conversation=saved, added=change.added_since(before)))
        return changes, unchanged

    def _open_batch(self, feedbacks: Sequence[tuple[int, Feedback]]) -> OpenedBatch:
        """Open conversations for the new feedback of one batch, in one transaction, then tell the plugins.

        Another process may take in the same feedback between our look-up and our insert; the store then
        refuses the whole batch, and looking again sorts the newcomers from the duplicates.
        """
        for attempt in range(RETRIES):
            try:
                with self.store.transaction() as tx:
                    batch = self._open_fresh(*self._sort_batch(tx, feedbacks, in_flight=()))
                    tx.add_conversations(batch.opened)
                break
            except DuplicateFeedback:
                if attempt == RETRIES - 1:
                    raise
        return self._opened(batch)

    def _opened(self, batch: OpenedBatch) -> OpenedBatch:
        if batch.opened:
            self.plugins.hook.closedloop_feedback_ingested(desk=self, conversations=list(batch.opened))
        return batch

    def _prepare_beside_writer(
        self, feedbacks: Sequence[tuple[int, Feedback]], in_flight: Collection[FeedbackKey]
    ) -> OpenedBatch | None:
        """Open one batch's conversations from a snapshot, while the writer may still be storing the batch
        before (whose feedback counts as stored); None when the store cannot read beside its writer."""
        store = self.store
        if not isinstance(store, ReadsBesideWrites) or (reader := store.reader()) is None:
            return None
        with reader as tx:  # only while looking up, so the snapshot is let go of soon
            sorted_batch = self._sort_batch(tx, feedbacks, in_flight)
        batch = self._open_fresh(*sorted_batch)
        batch.opened = store.encode_new(batch.opened)
        return batch

    def _write_batch(self, batch: OpenedBatch) -> None:
        """Store a prepared batch, in a transaction of its own; runs on the writer's thread."""
        with self.store.transaction() as tx:
            tx.add_conversations(batch.opened)

    def _written(self, settled: Settled) -> OpenedBatch:
        """A batch the writer was given, once stored: when another process took in some of the same
        feedback meanwhile, the batch is opened again from what is stored now."""
        if isinstance(settled.error, DuplicateFeedback):
            return self._open_batch(settled.chunk.readable)
        if settled.error is not None:
            raise settled.error
        return self._opened(settled.batch)

    @staticmethod
    def _sort_batch(
        tx: StoreTransaction, feedbacks: Sequence[tuple[int, Feedback]], in_flight: Collection[FeedbackKey]
    ) -> tuple[OpenedBatch, dict[FeedbackKey, Feedback]]:
        """Tell a batch's new feedback from its duplicates (of what is stored or ``in_flight``) and its feedback
        for unknown places."""
        batch = OpenedBatch()
        keyed = [(position, feedback, feedback.key) for position, feedback in feedbacks]
        places = tx.place_ids()
        stored = tx.find_conversations(list({key for _position, _feedback, key in keyed}))
        fresh: dict[FeedbackKey, Feedback] = {}
        for position, feedback, key in keyed:
            if key in stored or key in fresh or key in in_flight:
                batch.duplicates += 1
            elif feedback.place_id not in places:
                batch.unknown_places.append((position, feedback))
            else:
                fresh[key] = feedback
        return batch, fresh

    def _open_fresh(self, batch: OpenedBatch, fresh: Mapping[FeedbackKey, Feedback]) -> OpenedBatch:
        """Open a conversation for each new feedback, with its alert and its analyzers' concepts."""
        now = self.clock.now()
        news = list(fresh.values())
        rules_ = self.registry.alert_rules
        batch.opened = [
            rules.open_conversation(
                conversation_id, feedback, now=now, alert=raise_alert(feedback, rules_, now), analysis=analysis
            )
            for conversation_id, feedback, analysis in zip(_new_ids(len(news)), news, self._analyze(news), strict=True)
        ]
        batch.keys = fresh.keys()
        return batch

    def _analyze(self, batch: Sequence[Feedback]) -> list[tuple[Concept, ...]]:
        if not batch or not self.registry.analyzers:
            return [() for _ in batch]
        found: list[list[Concept]] = [[] for _ in batch]
        texts = [feedback.text for feedback in batch]
        for analyzer in self.registry.analyzers:
            for index, concepts in enumerate(analyzer.analyze(texts)):
                found[index].extend(concepts)
        return [tuple(concepts) for concepts in found]

    # -- reading ---------------------------------------------------------------------------------------------

    def inbox(
        self,
        user: UserRef,
        folder: Folder | str = Folder.INBOX,
        category: Category | str | None = None,
        places: Iterable[str] | str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[Conversation]:
        """A page of the user's conversations in priority order; pass ``page.next`` as ``after``."""
        try:
            folder = Folder(folder)
            category = None if category is None else Category(category)
        except ValueError as error:
            raise InvalidInput(
                f"{error}; folders are inbox, done, spam; categories on_hold, alert, new_message"
            ) from None
        check_page_size(limit)
        cursor = None if after is None else Cursor.decode(after)
        with self.store.transaction() as tx:
            member = self._user(tx, user)
            place_ids = self._narrow(tx, member, places)
            query = InboxQuery(place_ids=place_ids, folder=folder, category=category, limit=limit + 1, after=cursor)
            found = tx.list_conversations(query)
        items = found[:limit]
        more = len(found) > limit
        return Page(items, Cursor.after(items[-1]).encode() if more and items else None)

    def counts(self, user: UserRef, places: Iterable[str] | str | None = None) -> Counts:
        """How many conversations the user sees in each folder, and in each category of the inbox."""
        with self.store.transaction() as tx:
            member = self._user(tx, user)
            return Counts.of(tx.count_conversations(self._narrow(tx, member, places)))

    def _narrow(self, tx: StoreTransaction, member: User, places: Iterable[str] | str | None) -> frozenset[str] | None:
        """The place ids a listing covers: the user's scope, narrowed by a filter of places and groups."""
        groups = tx.groups()
        scope = Scope.of(member, groups)
        if places is None:
            return scope.place_ids
        return scope.narrow(member, places, tx.places(), groups)

    def _visible(self, tx: StoreTransaction, conversation_id: str, by: UserRef) -> tuple[Conversation, User]:
        member = self._user(tx, by)
        conversation = tx.get_conversation(conversation_id)
        self._scope(tx, member).check(member, conversation.place_id)
        return conversation, member

    def conversation(self, conversation_id: str, *, by: UserRef) -> Conversation:
        with self.store.transaction() as tx:
            return self._visible(tx, conversation_id, by)[0]

    def customer_file(self, conversation_id: str, *, by: UserRef) -> CustomerFile:
        with self.store.transaction() as tx:
            conversation, _member = self._visible(tx, conversation_id, by)
            return CustomerFile(place=self._place(tx, conversation.place_id), conversation=conversation)

    def export_file(self, conversation_id: str, *, by: UserRef) -> str:
        """The customer file as JSON, for archiving or handing to another system."""
        return to_json(self.customer_file(conversation_id, by=by))

    # -- acting ----------------------------------------------------------------------------------------------

    def _act(self, conversation_id: str, by: UserRef, action: Action) -> Conversation:
        """Run an action in one transaction. If another process saved the conversation meanwhile, the action
        runs again on the fresh state (the domain is pure, so this is safe) and may then be refused."""

        def attempt() -> tuple[Conversation, ConversationChange | None]:
            with self.store.transaction() as tx:
                conversation, member = self._visible(tx, conversation_id, by)
                change = action(conversation, member, tx)
                if change.conversation is conversation:
                    return conversation, None
                saved = tx.save_conversation(change.conversation)
                tx.add_messages(change.messages)
            return saved, ConversationChange(conversation=saved, added=change.added_since(conversation))

        saved, changed = _retrying_on_conflict(attempt)
        if changed is not None:
            self._changed([changed])
        return saved

    def _changed(self, changes: Sequence[ConversationChange]) -> None:
        self.plugins.hook.closedloop_conversation_changed(desk=self, changes=list(changes))

    def reply(self, conversation_id: str, *, by: UserRef, body: str, channel: str = "email") -> Conversation:
        """Answer the customer: ``channel="email"`` (with a one-time reply link) or ``"review"`` (in public,
        through the connector of the review's platform)."""
        if channel == "email":
            return self._act(conversation_id, by, lambda c, u, tx: self._email_reply(c, u, tx, body))
        if channel == "review":
            return self._act(conversation_id, by, lambda c, u, tx: self._review_reply(c, u, tx, body))
        raise InvalidInput(f"channel must be 'email' or 'review'; got {channel!r}")

    def _email_reply(self, conversation: Conversation, user: User, tx: StoreTransaction, body: str) -> rules.Change:
        channel = self.registry.channel("email")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self.clock.now()
        outgoing = rules.Outgoing(
            message_id=_new_id(),
            channel=channel.name,
            limits=channel.limits,
            place=self._place(tx, conversation.place_id),
            business_name=self.settings.business_name,
            reply_link=self.settings.reply_link_base.rstrip("/") + "/" + token,
        )
        change = rules.reply_by_email(
            conversation, by=user, now=now, body=body, checks=self.contacts, outgoing=outgoing
        )
        tx.add_token(
            ReplyToken(
                token_hash=hash_token(token),
                conversation_id=conversation.id,
                created_at=now,
                expires_at=now + self.settings.token_ttl,
            )
        )
        return change

    def _review_reply(self, conversation: Conversation, user: User, tx: StoreTransaction, body: str) -> rules.Change:
        platform = conversation.feedback.platform
        channel = self.registry.channel(platform) if conversation.feedback.source.is_public else None
        if channel is not None and MessageKind.REVIEW_REPLY not in channel.kinds:
            raise ChannelUnavailable(f"the {platform!r} channel cannot carry review replies")
        outgoing = rules.Outgoing(
            message_id=_new_id(),
            channel=platform,
            limits=channel.limits if channel is not None else NO_LIMITS,
            place=self._place(tx, conversation.place_id),
            business_name=self.settings.business_name,
        )
        return rules.reply_to_review(conversation, by=user, now=self.clock.now(), body=body, outgoing=outgoing)

    def note(
        self, conversation_id: str, *, by: UserRef, body: str, alert_status: AlertStatus | str | None = None
    ) -> Conversation:
        """An internal note, never shown to the customer; may move the alert to in progress or processed."""
        status = _alert_status(alert_status)
        return self._act(
            conversation_id,
            by,
            lambda c, u, tx: rules.add_note(c, by=u, now=self.clock.now(), body=body, alert_status=status),
        )

    def log_call(
        self,
        conversation_id: str,
        *,
        by: UserRef,
        summary: str,
        alert_status: AlertStatus | str | None = None,
        outcome: str = "",
        duration_seconds: int | None = None,
    ) -> Conversation:
        """Record a phone call with the customer; the feedback must carry a valid ``tel``."""
        status = _alert_status(alert_status)

        def action(conversation: Conversation, user: User, tx: StoreTransaction) -> rules.Change:
            self.registry.channel("phone")
            return rules.log_call(
                conversation,
                by=user,
                now=self.clock.now(),
                summary=summary,
                checks=self.contacts,
                alert_status=status,
                outcome=outcome,
                duration_seconds=duration_seconds,
            )

        return self._act(conversation_id, by, action)

    def hold(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return self._act(conversation_id, by, lambda c, u, tx: rules.hold(c, by=u, now=self.clock.now()))

    def release(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return self._act(conversation_id, by, lambda c, u, tx: rules.release(c, by=u, now=self.clock.now()))

    def _handoff(self, tx: StoreTransaction, conversation: Conversation, by: User, note: str) -> rules.Handoff:
        self.registry.channel("email")
        template = self.settings.file_link_template
        return rules.Handoff(
            by=by,
            now=self.clock.now(),
            note=note,
            message_id=_new_id(),
            file_link=template.replace("{id}", conversation.id) if template else None,
            place=self._place(tx, conversation.place_id),
            checks=self.contacts,
        )

    def forward(self, conversation_id: str, *, by: UserRef, to: UserRef, note: str = "") -> Conversation:
        """Hand the conversation to a colleague who can see its place; they become its assignee."""

        def action(conversation: Conversation, user: User, tx: StoreTransaction) -> rules.Change:
            colleague = self._user(tx, to)
            self._scope(tx, colleague).check(colleague, conversation.place_id)
            return rules.forward(conversation, self._handoff(tx, conversation, user, note), to=colleague)

        return self._act(conversation_id, by, action)

    def delegate(self, conversation_id: str, *, by: UserRef, note: str = "") -> Conversation:
        """Hand the conversation to customer service, at the desk's ``customer_service_email``."""

        def action(conversation: Conversation, user: User, tx: StoreTransaction) -> rules.Change:
            address = self.settings.customer_service_email
            if not address:
                raise NotConfigured("delegating needs customer_service_email=... in Desk.open")
            return rules.delegate(conversation, self._handoff(tx, conversation, user, note), address=address)

        return self._act(conversation_id, by, action)

    def share(self, conversation_id: str, *, by: UserRef, to: Sequence[str], note: str = "") -> Conversation:
        """Send the conversation to these addresses for information; it never reaches the customer."""
        return self._act(conversation_id, by, lambda c, u, tx: rules.share(c, self._handoff(tx, c, u, note), to=to))

    def mark_read(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return self._act(conversation_id, by, lambda c, u, tx: rules.mark_read(c, by=u, now=self.clock.now()))

    def mark_done(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return self._act(conversation_id, by, lambda c, u, tx: rules.mark_done(c, by=u, now=self.clock.now()))

    def mark_spam(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return self._act(conversation_id, by, lambda c, u, tx: rules.mark_spam(c, by=u, now=self.clock.now()))

    def reopen(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return self._act(conversation_id, by, lambda c, u, tx: rules.reopen(c, by=u, now=self.clock.now()))

    # -- ready-made replies and AI drafts -------------------------------------------------------------------

    def common_replies(self, user: UserRef) -> CommonReplies:
        """The user's own list of at most ten ready-made replies, newest first."""
        return CommonReplies(self, self.user(user).id)

    def templates(self, user: UserRef) -> TemplateLibrary:
        """The response library as this user sees it: organisation templates and those of their places."""
        return TemplateLibrary(self, self.user(user).id)

    def _assistant(self, name: str | None) -> Assistant:
        assistants = self.registry.assistants
        if name is not None:
            if name not in assistants:
                raise NotConfigured(f"no assistant named {name!r}; registered: {sorted(assistants) or 'none'}")
            return assistants[name]
        if not assistants:
            raise NotConfigured("no assistant is registered; install a plugin that adds one")
        return next(iter(assistants.values()))

    def suggest_reply(self, conversation_id: str, *, by: UserRef, assistant: str | None = None) -> str:
        """A first draft from an AI assistant; nothing is sent or recorded."""
        with self.store.transaction() as tx:
            conversation, member = self._visible(tx, conversation_id, by)
        return self._assistant(assistant).suggest(conversation, agent=member)

    def rephrase(self, text: str, *, tone: str = "friendly", assistant: str | None = None) -> str:
        """The same draft in another tone, or with its mistakes fixed; nothing is sent or recorded."""
        if not text.strip():
            raise InvalidInput("there is nothing to rephrase: the text is empty")
        return self._assistant(assistant).rephrase(text, tone=tone)

    # -- the customer's side ---------------------------------------------------------------------------------

    def _token(self, tx: StoreTransaction, token: str) -> ReplyToken:
        record = tx.get_token(hash_token(token)) if isinstance(token, str) and token else None
        if record is None:
            raise UnknownToken("this reply link is not valid; check that the whole link was copied")
        record.check(self.clock.now())
        return record

    def customer_view(self, token: str) -> CustomerView:
        """What the customer sees through their reply link; opening it does not use the link up."""
        with self.store.transaction() as tx:
            record = self._token(tx, token)
            conversation = tx.get_conversation(record.conversation_id)
            return customer_view(conversation, self._place(tx, conversation.place_id), self.settings.business_name)

    def customer_reply(self, token: str, *, body: str) -> CustomerView:
        """Record the customer's message and use the link up; returns what the customer now sees."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            record = self._token(tx, token)
            before = tx.get_conversation(record.conversation_id)
            change = rules.customer_message(before, now=now, body=body)
            tx.use_token(record.token_hash, now)
            saved = tx.save_conversation(change.conversation)
            view = customer_view(saved, self._place(tx, saved.place_id), self.settings.business_name)
        self._changed([ConversationChange(conversation=saved, added=change.added_since(before))])
        return view

    # -- the outbox ------------------------------------------------------------------------------------------

    def outbox(self, status: Delivery | str | None = None, conversation_id: str | None = None) -> list[OutboundMessage]:
        """Messages queued by replies and hand-offs, oldest first."""
        with self.store.transaction() as tx:
            return tx.list_messages(
                status=None if status is None else Delivery(status), conversation_id=conversation_id, limit=None
            )

    def dispatch(self, limit: int | None = 100) -> DispatchReport:
        """Send what is due in the outbox, a batch per channel, and record what happened.

        Messages are claimed first (committed, with a lease), then sent outside any transaction, then their
        outcome is recorded. A dispatcher that dies in between leaves its messages claimed until the lease
        ends; they are then sent again with the same Message-ID, so nothing is lost. On PostgreSQL, several
        dispatchers skip each other's claimed rows and never send the same message at once.
        """
        policy = self.settings.retry
        with self.store.transaction() as tx:
            claimed = tx.claim_messages(self.clock.now(), policy, limit)
        if not claimed:
            return DispatchReport()
        results: dict[str, SendResult] = {}
        batches: dict[str, list[OutboundMessage]] = defaultdict(list)
        for message in claimed:
            batches[message.channel].append(message)
        for name, batch in batches.items():
            results.update(self._send(name, batch))
        outcomes = [
            policy.outcome(
                message,
                self.clock.now(),
                ok=result.ok,
                error=result.error,
                permanent=result.permanent,
                retry_after=result.retry_after,
            )
            for message in claimed
            for result in [results[message.id]]
        ]
        changes = self._record_outcomes(outcomes)
        if changes:
            self._changed(changes)
        return DispatchReport(
            sent=sum(message.status is Delivery.SENT for message in outcomes),
            failed=sum(message.status is Delivery.FAILED for message in outcomes),
            retrying=sum(message.status is Delivery.PENDING for message in outcomes),
        )

    def _send(self, name: str, batch: list[OutboundMessage]) -> dict[str, SendResult]:
        """One result per message, whatever happens: a channel's crash must not lose the batch."""

        def every(error: str, permanent: bool) -> dict[str, SendResult]:
            return {m.id: SendResult(message_id=m.id, ok=False, error=error, permanent=permanent) for m in batch}

        channel = self.registry.channels.get(name)
        if channel is None:
            return every(f"no channel named {name!r} is registered", False)
        try:
            given = {result.message_id: result for result in channel.send(batch)}
        except ChannelUnavailable as error:
            return every(str(error), True)
        except Exception as error:
            return every(f"the {name} channel failed: {error!r}", False)
        missing = SendResult(message_id="", ok=False, error=f"the {name} channel returned no result for it")
        return {m.id: given.get(m.id, attrs.evolve(missing, message_id=m.id)) for m in batch}

    def _record_outcomes(self, outcomes: Sequence[OutboundMessage]) -> list[ConversationChange]:
        """Store each outcome; a final failure is also written into its conversation's history."""

        def attempt() -> list[ConversationChange]:
            changes = []
            with self.store.transaction() as tx:
                for message in outcomes:
                    tx.put_message(message)
                    if message.status is Delivery.FAILED:
                        before = tx.get_conversation(message.conversation_id)
                        change = rules.delivery_failed(before, message, self.clock.now())
                        saved = tx.save_conversation(change.conversation)
                        changes.append(ConversationChange(conversation=saved, added=change.added_since(before)))
            return changes

        return _retrying_on_conflict(attempt)

    def retry(self, message_id: str, *, by: UserRef) -> OutboundMessage:
        """Send a failed message again, with a fresh round of attempts; the history records who asked."""
        with self.store.transaction() as tx:
            conversation_id = tx.get_message(message_id).conversation_id
        retried: list[OutboundMessage] = []

        def action(conversation: Conversation, user: User, tx: StoreTransaction) -> rules.Change:
            message = self.settings.retry.again(tx.get_message(message_id))
            tx.put_message(message)
            retried[:] = [message]
            return rules.delivery_retried(conversation, message, by=user, now=self.clock.now())

        self._act(conversation_id, by, action)  # checks that the user may see the conversation first
        return retried[0]

    def work(
        self,
        stop: threading.Event,
        poll_seconds: float = 5.0,
        progress: Callable[[DispatchReport], object] | None = None,
    ) -> DispatchReport:
        """Dispatch until ``stop`` is set, waiting ``poll_seconds`` whenever nothing was due: the outbox
        worker that ``python -m closedloop worker`` runs. ``progress`` hears of every round that did work."""
        total = DispatchReport()
        while not stop.is_set():
            report = self.dispatch()
            if not (report.sent or report.failed or report.retrying):
                stop.wait(poll_seconds)
                continue
            total = DispatchReport(
                sent=total.sent + report.sent,
                failed=total.failed + report.failed,
                retrying=total.retrying + report.retrying,
            )
            if progress is not None:
                progress(report)
        return total


def _retrying_on_conflict(run: Callable[[], T]) -> T:
    """Run a use case's transaction; when another process saved the same conversation meanwhile, run it again
    on the fresh state (the domain is pure, so this is safe), up to ``RETRIES`` times in all."""
    for attempt in range(RETRIES - 1):
        try:
            return run()
        except ConcurrentUpdate:
            _back_off(attempt)
    return run()


def _back_off(attempt: int) -> None:
    """Wait a little, longer after each try and by a random amount, so competing processes spread out."""
    time.sleep(random.uniform(0, 0.01 * 2**attempt))


def _alert_status(value: AlertStatus | str | None) -> AlertStatus | None:
    if value is None:
        return None
    try:
        return AlertStatus(value)
    except ValueError:
        raise InvalidInput(f"alert_status must be 'in_progress' or 'processed'; got {value!r}") from None
