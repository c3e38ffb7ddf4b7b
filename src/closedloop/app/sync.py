"""Review sync: bring a review platform's reviews into the desk, page by page, and say what changed.

Each page is one transaction: its new reviews open conversations and what the platform shows of the others
(a customer's edit, a reply made on the platform) is recorded. Only a complete sync moves the marker the next
one starts from, so an interrupted sync is resumed by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from closedloop.app import arguments
from closedloop.app.access import ADD_PLACE
from closedloop.app.conflicts import retrying_on_conflict
from closedloop.app.context import Context
from closedloop.app.keys import privacy_key
from closedloop.app.opening import open_fresh, sort_batch
from closedloop.domain.conversation import Conversation, InteractionKind
from closedloop.domain.errors import ClosedLoopError, InvalidInput
from closedloop.domain.reviews import PlatformReview, sync_review
from closedloop.domain.text import shown
from closedloop.events import ConversationChange
from closedloop.ports import StoreTransaction

#: A sync asks for reviews changed since the last complete sync started, less this much: platforms index a
#: change a little after it happens, and seeing a review twice costs nothing.
OVERLAP = timedelta(minutes=10)
#: How far back a sync reads a platform that lists reviews by creation (``source.lists_by_creation``) when the
#: source names no ``look_back`` of its own: edits and replies on reviews older than this are missed until a
#: full sync, and each sync rereads this much.
LOOK_BACK = timedelta(days=30)


def marker_name(platform: str) -> str:
    return f"sync:{platform}"


@attrs.define
class SyncReport:
    """What ``desk.sync`` did, counted in reviews: ``added`` opened a conversation, ``updated`` changed one
    already there, ``unchanged`` had nothing new. ``edits`` and ``replies`` count what was recorded: edits
    by the customer, and replies the business made on the platform itself. ``rejected`` lists, as
    ``(review id, reason)``, reviews that could not be taken in (their place is unknown, or the connector
    could not read what the platform gave); ``complete`` is False until the whole platform was read."""

    platform: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    edits: int = 0
    replies: int = 0
    rejected: list[tuple[str, str]] = attrs.field(factory=list)
    complete: bool = False

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.rejected)

    def count(self, change: ConversationChange, *, new: bool) -> None:
        kinds = [entry.kind for entry in change.added]
        self.edits += kinds.count(InteractionKind.CUSTOMER_MESSAGE)
        self.replies += kinds.count(InteractionKind.REVIEW_REPLY)
        if not new:
            self.updated += 1

    def __str__(self) -> str:
        return (
            f"{self.platform}: {self.added} added, {self.updated} updated ({self.edits} edits, {self.replies} "
            f"replies made on the platform), {self.unchanged} unchanged, {len(self.rejected)} rejected"
        )


def sync(ctx: Context, platform: str, *, full: bool, progress: Callable[[SyncReport], object] | None) -> SyncReport:
    """Read the platform's reviews changed since the last complete sync (all of them when ``full``)."""
    platform = arguments.name(platform, "platform")
    full = arguments.flag(full, "full")
    progress = arguments.callback(progress, "progress")
    source = ctx.registry.source(platform)
    started = ctx.now()
    with ctx.store.transaction() as tx:
        mark = tx.markers.get(marker_name(platform))
    since = None if full or mark is None else datetime.fromisoformat(mark) - reread(source, platform)
    report = SyncReport(platform=platform)
    for number, page in enumerate(given_pages(source.reviews(since=since), platform), 1):
        reviews, rejected = given_reviews(page, platform, number, source)
        report.rejected.extend(rejected)
        sync_page(ctx, reviews, report)
        if progress is not None:
            progress(report)
    with ctx.store.transaction() as tx:
        tx.markers.put(marker_name(platform), started.isoformat())
    report.complete = True
    return report


#: Said when a review source gives something else than pages of reviews: the fault is its plugin's.
FAULTY_SOURCE = "the connector plugin of this platform is at fault: update it, or report it to its authors"


def given_pages(pages: object, platform: str) -> Iterable[object]:
    return arguments.many(pages, f"what the {platform!r} review source gave", each=f"pages; {FAULTY_SOURCE}")


def reread(source: object, platform: str) -> timedelta:
    """How far before the last complete sync this one starts: a platform that lists reviews by last change
    needs only a small overlap, one that lists them by creation the whole look-back window, as an edit or a
    reply does not bring an older review to the front."""
    by_creation = getattr(source, "lists_by_creation", False)
    if not isinstance(by_creation, bool):
        raise InvalidInput(f"the {platform!r} source's lists_by_creation must be True or False; {FAULTY_SOURCE}")
    if not by_creation:
        return OVERLAP
    window = getattr(source, "look_back", None)
    if window is None:
        return LOOK_BACK
    if not isinstance(window, timedelta) or window < OVERLAP:
        raise InvalidInput(
            f"the {platform!r} source's look_back must be a timedelta of at least {OVERLAP}; got {shown(window)}; "
            f"{FAULTY_SOURCE}"
        )
    return window


def given_reviews(
    page: object, platform: str, number: int, source: object = None
) -> tuple[list[PlatformReview], list[tuple[str, str]]]:
    """One page of a source's reviews, and the rejections of the items the desk could not take.

    An item may be a ``PlatformReview``, or what the platform gave, which the source's ``review(raw)`` maps;
    an item that fails to map is rejected alone, named by ``review_id(raw)``. A source without ``review``
    that gives something else than reviews has the page refused whole, so that it never has half a page
    stored."""
    where = f"page {number} of the {platform!r} review source"
    items = arguments.many(page, where, each=f"closedloop.PlatformReview; {FAULTY_SOURCE}")
    mapper = getattr(source, "review", None)
    if not callable(mapper):
        return [arguments.record(item, PlatformReview, where, hint=FAULTY_SOURCE) for item in items], []
    reviews: list[PlatformReview] = []
    rejected: list[tuple[str, str]] = []
    for position, item in enumerate(items, 1):
        if isinstance(item, PlatformReview):
            reviews.append(item)
            continue
        try:
            review = mapper(item)
            if not isinstance(review, PlatformReview):
                raise InvalidInput(f"review() gave {shown(review)}, not a closedloop.PlatformReview")
        except UNREADABLE as error:
            rejected.append((raw_id(source, item, f"item {position} of {where}"), unreadable(error)))
            continue
        reviews.append(review)
    return reviews, rejected


#: What mapping one review of the platform may raise when the review is not what the connector expects.
UNREADABLE = (ClosedLoopError, LookupError, TypeError, ValueError, AttributeError, ArithmeticError)


def unreadable(error: BaseException) -> str:
    """The reason a review was rejected: a closedloop error says it already; a missing key or a wrong type
    is named as such, as the connector did not expect what the platform gave."""
    if isinstance(error, ClosedLoopError):
        return str(error)
    if isinstance(error, KeyError):
        return f"the platform gave no {error.args[0]!r} (KeyError); the connector cannot read this review"
    return f"the connector cannot read this review: {type(error).__name__}: {error}"


def raw_id(source: object, item: object, fallback: str) -> str:
    """The platform's id of a review the desk could not take, for the report; ``fallback`` when even that
    cannot be read."""
    reader = getattr(source, "review_id", None)
    try:
        found = reader(item) if callable(reader) else None
    except UNREADABLE:
        found = None
    return found if isinstance(found, str) and found else fallback


@attrs.frozen
class PageSynced:
    """What one page's transaction did: conversations opened, changes recorded, reviews with nothing new."""

    opened: Sequence[Conversation]
    changes: list[ConversationChange]
    unchanged: list[PlatformReview]
    rejected: list[tuple[str, str]]


def sync_page(ctx: Context, page: Sequence[PlatformReview], report: SyncReport) -> None:
    """Take in one page of reviews in one transaction, tried again if another process got there first."""
    synced = retrying_on_conflict(lambda: _sync_page_once(ctx, page))
    report.added += len(synced.opened)
    report.rejected.extend(synced.rejected)
    opened = {conversation.feedback.key for conversation in synced.opened}
    for change in synced.changes:
        report.count(change, new=change.conversation.feedback.key in opened)
    report.unchanged += sum(1 for review in synced.unchanged if review.feedback.key not in opened)
    ctx.hooks.feedback_ingested(synced.opened)
    ctx.hooks.conversation_changed(synced.changes)


def _sync_page_once(ctx: Context, page: Sequence[PlatformReview]) -> PageSynced:
    with ctx.store.transaction() as tx:
        batch, fresh = sort_batch(
            tx, [(position, review.as_new_feedback()) for position, review in enumerate(page)], ()
        )
        batch = open_fresh(ctx, batch, fresh)
        tx.conversations.add(batch.opened)
        refused = {position for position, _feedback in batch.unknown_places}
        rejected = [
            (feedback.external_id, f"unknown place {feedback.place_id!r}; {ADD_PLACE}")
            for _position, feedback in batch.unknown_places
        ]
        reviews = [review for position, review in enumerate(page) if position not in refused]
        changes, unchanged = fold_reviews(ctx, tx, reviews)
    return PageSynced(opened=batch.opened, changes=changes, unchanged=unchanged, rejected=rejected)


def fold_reviews(
    ctx: Context, tx: StoreTransaction, reviews: Sequence[PlatformReview]
) -> tuple[list[ConversationChange], list[PlatformReview]]:
    """Record what the platform shows of each stored review; the privacy key is read only when an erased
    review is met, as only its hashes need it."""
    now = ctx.now()
    changes: list[ConversationChange] = []
    unchanged: list[PlatformReview] = []
    places = tx.directory.places()
    stored = tx.conversations.find([review.feedback.key for review in reviews])
    key: bytes | None = None
    for review in reviews:
        before = tx.conversations.get(stored[review.feedback.key])
        if before.erasure is not None and key is None:
            key = privacy_key(ctx, tx)
        change = sync_review(before, review, place=places[before.place_id], now=now, key=key)
        if change.conversation is before:
            unchanged.append(review)
            continue
        saved = tx.conversations.save(change.conversation)
        changes.append(ConversationChange(conversation=saved, added=change.added_since(before)))
    return changes, unchanged
