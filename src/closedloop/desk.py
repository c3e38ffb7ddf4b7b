"""The ``Desk`` facade: opens a store and the plugins, then hands each call to its use case in
:mod:`closedloop.app`, where every use case runs in one store transaction. A new capability is a new module
in ``closedloop/app/`` plus a line here; see ``docs/architecture.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import pluggy

from closedloop.app import (
    actions,
    analysis,
    assistants,
    customer,
    directory,
    exporting,
    handoffs,
    importing,
    inbox,
    intake,
    metrics,
    outbox,
    privacy,
    replies,
    retention,
    search,
    sync,
)
from closedloop.app.access import UserRef
from closedloop.app.analysis import AnalysisReport
from closedloop.app.arguments import url_or_store
from closedloop.app.batches import IngestReport
from closedloop.app.context import Context
from closedloop.app.exporting import ExportReport
from closedloop.app.importing import ImportReport
from closedloop.app.library import CommonReplies, TemplateLibrary
from closedloop.app.outbox import DispatchReport
from closedloop.app.privacy import ErasureReport
from closedloop.app.quality import QualityDesk
from closedloop.app.retention import RetentionReport
from closedloop.app.sync import SyncReport
from closedloop.domain import rules
from closedloop.domain.alerts import AlertStatus
from closedloop.domain.conversation import Category, Conversation, Folder
from closedloop.domain.customer import CustomerView
from closedloop.domain.customer_file import CustomerFile
from closedloop.domain.drafts import Suggestion
from closedloop.domain.feedback import Feedback
from closedloop.domain.inbox import Counts, Page
from closedloop.domain.messages import Delivery, OutboundMessage
from closedloop.domain.metrics import DEFAULT_WINDOW, Bucketing
from closedloop.domain.people import Place, PlaceGroup, PlacesSeen, User
from closedloop.domain.reports import Report
from closedloop.plugins import Hooks, make_plugin_manager, plugin_names
from closedloop.ports import Channel, Store
from closedloop.registry import Registry
from closedloop.settings import Settings

DEFAULT_URL = "memory://"
__all__ = ["DEFAULT_URL", "Desk", "DispatchReport"]


class Desk:
    """Everything an application does with feedback, from intake to closing the loop. Open one with
    :meth:`Desk.open`; it owns its store and plugin manager, so close it (or use it as a context manager)."""

    def __init__(self, store: Store, settings: Settings, plugins: pluggy.PluginManager, registry: Registry) -> None:
        self.store = store
        self.settings = settings
        self.plugins = plugins
        self.registry = registry
        self.hooks = Hooks(plugins, desk=self)
        self.context = Context.assemble(store, registry, settings, self.hooks)
        self.clock, self.contacts = self.context.clock, self.context.contacts

    @classmethod
    def open(cls, url: str | None = None, *, store: Store | None = None, **settings: Any) -> Desk:
        """Open a desk on the store at ``url`` (default: a new in-memory store), or on an open ``store`` that
        other desks may share; ``settings`` are the fields of :class:`closedloop.settings.Settings`."""
        url, store = url_or_store(url, store)
        chosen = Settings.from_keywords(settings)
        manager = make_plugin_manager(chosen)
        registry = Registry(clock=chosen.clock)
        Hooks(manager, desk=None).register(registry, chosen)
        if store is None:
            store = registry.store_for(url or DEFAULT_URL, chosen)
        return cls(store, chosen, manager, registry)

    def close(self) -> None:
        """Close the store, and each registered channel, review source and analyzer that has a ``close()`` (a
        connector's HTTP client, an SMTP connection, a second process); an object in two roles is closed once."""
        parts = [*self.registry.channels.values(), *self.registry.sources.values(), *self.registry.analyzers]
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
        return outbox.channel(self.context, name)

    def add_place(self, place: Place, *, replace: bool = False) -> Place:
        """Add a place; the same place again changes nothing, and changing a stored one takes ``replace=True``."""
        return directory.add_place(self.context, place, replace)

    def add_group(self, group: PlaceGroup, *, replace: bool = False) -> PlaceGroup:
        """Add a group of places already added; changing a stored one takes ``replace=True``."""
        return directory.add_group(self.context, group, replace)

    def add_user(self, user: User, *, replace: bool = False) -> User:
        """Add a user of places and groups already added; changing a stored one takes ``replace=True``."""
        return directory.add_user(self.context, user, replace)

    def user(self, ref: UserRef) -> User:
        return directory.get_user(self.context, ref)

    def places(self, user: UserRef) -> PlacesSeen:
        """The places the user sees and the groups they may filter by, in order of name (all, for an admin)."""
        return directory.places_seen(self.context, user)

    def ingest(self, feedback: Feedback) -> Conversation:
        """Open a conversation for new feedback; the same ``(source, platform, external_id)`` returns the
        conversation already stored, unchanged."""
        return intake.ingest(self.context, feedback)

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

        The input is read a batch early so analyzers can start on it; a store that reads beside its writer (a
        SQLite file, PostgreSQL) stores one batch on a second thread while the next is prepared: 3 at most.
        """
        return intake.ingest_many(self.context, items, batch_size=batch_size, progress=progress)

    def import_file(
        self, sources: Iterable[str | Path] | str | Path, *, mapping: Mapping[str, Any] | str | Path | None = None,
        rejects: str | Path | None = None, progress: Callable[[ImportReport], object] | None = None,
        batch_size: int = importing.BATCH_SIZE, default_zone: str | None = None, source: str | None = None,
        encoding: str | None = None, file_format: str | None = None, platform: str | None = None,
        delimiter: str | None = None,
    ) -> ImportReport:  # fmt: skip
        """Import CSV, JSON Lines or JSON files (``"-"``: standard input) through ``ingest_many``; ``mapping`` (a
        TOML/JSON file or a dict, ``docs/import.md``) says which column is what. Refused rows go to ``rejects`` in
        the input's format, with ``_line`` and ``_reason``; fixed, that file imports again."""
        return importing.import_file(
            self.context, sources, mapping=mapping, rejects=rejects, progress=progress, batch_size=batch_size,
            default_zone=default_zone, source=source, encoding=encoding, file_format=file_format, platform=platform,
            delimiter=delimiter,
        )  # fmt: skip

    def export(
        self, output: str | Path | IO[str], *, user: UserRef | None = None, file_format: str = "jsonl",
        places: Iterable[str] | str | None = None, folder: Folder | str | None = None,
        since: datetime | date | None = None, until: datetime | date | None = None, zone: str = "UTC",
    ) -> ExportReport:  # fmt: skip
        """Write the conversations ``user`` may see (all when None) as JSON Lines or CSV, in constant memory;
        ``since``/``until`` bound when the feedback was received. Columns: ``docs/import.md``."""
        return exporting.export(
            self.context, output, user=user, file_format=file_format, places=places, folder=folder,
            since=since, until=until, zone=zone,
        )  # fmt: skip

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
        return sync.sync(self.context, platform, full=full, progress=progress)

    def inbox(
        self, user: UserRef, folder: Folder | str = Folder.INBOX, category: Category | str | None = None,
        places: Iterable[str] | str | None = None, limit: int = 50, after: str | None = None,
    ) -> Page[Conversation]:  # fmt: skip
        """A page of the user's conversations in priority order; pass ``page.next`` as ``after``."""
        return inbox.inbox(
            self.context, user, folder=folder, category=category, places=places, limit=limit, after=after
        )

    def search(
        self, user: UserRef, text: str, *, folder: Folder | str | None = None,
        places: Iterable[str] | str | None = None, limit: int = 50, after: str | None = None,
    ) -> Page[Conversation]:  # fmt: skip
        """The user's conversations whose customer or text holds every word of ``text``, newest first."""
        return search.search(self.context, user, text, folder=folder, places=places, limit=limit, after=after)

    def counts(self, user: UserRef, places: Iterable[str] | str | None = None) -> Counts:
        """How many conversations the user sees in each folder, and in each category of the inbox."""
        return inbox.counts(self.context, user, places)

    def conversation(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return inbox.conversation(self.context, conversation_id, by)

    def metrics(
        self, user: UserRef, *, places: Iterable[str] | str | None = None, since: datetime | date | None = None,
        until: datetime | date | None = None, by: Bucketing | str | None = None, zone: ZoneInfo | str = "UTC",
        window: timedelta = DEFAULT_WINDOW,
    ) -> Report:  # fmt: skip
        """The figures of the feedback ``user`` may see received from ``since`` (default: 30 days before
        ``until``) to ``until`` (default: now), overall and per bucket of ``by`` (day, week, month, place, group,
        agent, source); tests and spam are left out. ``docs/metrics.md`` defines every figure."""
        return metrics.metrics(
            self.context, user, places=places, since=since, until=until, by=by, zone=zone, window=window
        )

    def customer_file(self, conversation_id: str, *, by: UserRef) -> CustomerFile:
        return inbox.customer_file(self.context, conversation_id, by)

    def export_file(self, conversation_id: str, *, by: UserRef) -> str:
        """The customer file as JSON, for archiving or handing to another system."""
        return inbox.export_file(self.context, conversation_id, by)

    def reply(
        self,
        conversation_id: str,
        *,
        by: UserRef,
        body: str,
        channel: str = "email",
        suggestion: Suggestion | None = None,
    ) -> Conversation:
        """Answer the customer: ``channel="email"`` (with a one-time reply link) or ``"review"`` (in public,
        through the connector of the review's platform). ``suggestion``, when the body started as one, has the
        history record which assistant and model drafted it and whether it was edited."""
        return replies.reply(self.context, conversation_id, by, body, channel, suggestion)

    def note(
        self, conversation_id: str, *, by: UserRef, body: str, alert_status: AlertStatus | str | None = None
    ) -> Conversation:
        """An internal note, never shown to the customer; may move the alert to in progress or processed."""
        return actions.note(self.context, conversation_id, by, body, alert_status)

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
        return actions.log_call(self.context, conversation_id, by, summary, alert_status, outcome, duration_seconds)

    def hold(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return actions.apply(self.context, conversation_id, by, rules.hold)

    def release(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return actions.apply(self.context, conversation_id, by, rules.release)

    def forward(self, conversation_id: str, *, by: UserRef, to: UserRef, note: str = "") -> Conversation:
        """Hand the conversation to a colleague who can see its place; they become its assignee."""
        return handoffs.forward(self.context, conversation_id, by, to, note)

    def colleagues(self, conversation_id: str, *, by: UserRef) -> list[User]:
        return directory.colleagues(self.context, conversation_id, by)

    def delegate(self, conversation_id: str, *, by: UserRef, note: str = "") -> Conversation:
        """Hand the conversation to customer service, at the desk's ``customer_service_email``."""
        return handoffs.delegate(self.context, conversation_id, by, note)

    def share(self, conversation_id: str, *, by: UserRef, to: Sequence[str] | str, note: str = "") -> Conversation:
        """Send the conversation to one address or a list of them, for information; never to the customer."""
        return handoffs.share(self.context, conversation_id, by, to, note)

    def mark_read(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return actions.apply(self.context, conversation_id, by, rules.mark_read)

    def mark_done(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return actions.apply(self.context, conversation_id, by, rules.mark_done)

    def mark_spam(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return actions.apply(self.context, conversation_id, by, rules.mark_spam)

    def reopen(self, conversation_id: str, *, by: UserRef) -> Conversation:
        return actions.apply(self.context, conversation_id, by, rules.reopen)

    def common_replies(self, user: UserRef) -> CommonReplies:
        """The user's own list of at most ten ready-made replies, newest first."""
        return CommonReplies(self.context, self.user(user).id)

    def templates(self, user: UserRef) -> TemplateLibrary:
        """The response library as this user sees it: organisation templates and those of their places."""
        return TemplateLibrary(self.context, self.user(user).id)

    @property
    def qa(self) -> QualityDesk:
        """Conversation quality reviews: scorecards, reviews and disputes, samples, review cycles, summaries."""
        return QualityDesk(self.context)

    def suggest_reply(
        self, conversation_id: str, *, by: UserRef, tone: str = "friendly", assistant: str | None = None
    ) -> Suggestion:
        """A first draft in the feedback's language from an assistant (the first registered when none is named:
        an installed provider, else the offline one); nothing is sent or recorded until ``reply``."""
        return assistants.suggest_reply(self.context, conversation_id, by, assistant, tone)

    def rephrase(
        self, text: str, *, tone: str = "friendly", language: str | None = None, assistant: str | None = None
    ) -> Suggestion:
        """The same draft in another tone, or with its mistakes fixed; nothing is sent or recorded."""
        return assistants.rephrase(self.context, text, tone, language, assistant)

    def analyze(
        self,
        *,
        places: Iterable[str] | str | None = None,
        batch_size: int = 500,
        progress: Callable[[AnalysisReport], object] | None = None,
    ) -> AnalysisReport:
        """Run the analyzers again over the stored conversations of ``places`` (all by default), replacing
        their concepts; status, history and inbox order are kept. ``progress`` hears of every batch."""
        return analysis.analyze_stored(self.context, places=places, batch_size=batch_size, progress=progress)

    def erase_customer(
        self, *, by: UserRef, email: str | None = None, tel: str | None = None, conversation_id: str | None = None,
        reason: str = "",
    ) -> ErasureReport:  # fmt: skip
        """Erase a customer's personal data from all their conversations (found by email, phone or one of their
        conversations), keeping each one's skeleton for statistics and a masked record; ``docs/privacy.md``."""
        return privacy.erase_customer(self.context, by, email, tel, conversation_id, reason)

    def customer_data(
        self, *, by: UserRef, email: str | None = None, tel: str | None = None, conversation_id: str | None = None
    ) -> str:
        """Everything held on one customer, as JSON, for a subject-access request."""
        return privacy.customer_data(self.context, by, email, tel, conversation_id)

    def apply_retention(
        self, *, dry_run: bool = False, progress: Callable[[RetentionReport], object] | None = None
    ) -> RetentionReport:
        """Erase the personal data the desk's ``retention`` policy keeps no longer; ``dry_run`` only counts it."""
        return retention.apply_retention(self.context, dry_run, progress)

    def customer_view(self, token: str) -> CustomerView:
        """What the customer sees through their reply link; opening it does not use the link up."""
        return customer.view(self.context, token)

    def customer_reply(self, token: str, *, body: str) -> CustomerView:
        """Record the customer's message and use the link up; returns what the customer now sees."""
        return customer.post(self.context, token, body)

    def outbox(self, status: Delivery | str | None = None, conversation_id: str | None = None) -> list[OutboundMessage]:
        """Messages queued by replies and hand-offs, oldest first."""
        return outbox.messages(self.context, status, conversation_id)

    def dispatch(self, limit: int | None = 100) -> DispatchReport:
        """Send what is due in the outbox, a batch per channel, and record what happened; claimed with a lease
        first and sent outside any transaction, so nothing is lost or sent twice at once (``docs/email.md``)."""
        return outbox.dispatch(self.context, limit)

    def retry(self, message_id: str, *, by: UserRef) -> OutboundMessage:
        """Send a failed message again, with a fresh round of attempts; the history records who asked."""
        return outbox.retry(self.context, message_id, by)

    def work(
        self,
        stop: threading.Event,
        poll_seconds: float = 5.0,
        progress: Callable[[DispatchReport], object] | None = None,
    ) -> DispatchReport:
        """Dispatch until ``stop`` is set, waiting ``poll_seconds`` whenever nothing was due: the outbox
        worker that ``python -m closedloop worker`` runs. ``progress`` hears of every round that did work."""
        return outbox.work(self.context, stop, poll_seconds, progress)
