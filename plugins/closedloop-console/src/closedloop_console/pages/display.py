"""How the pages word a conversation for an agent: moments, ratings, statuses and who did what.

The inbox and the customer file show the same things the same way, so both take them from here; templates
then only place ready-made text (which Jinja escapes), never format it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import attrs

from closedloop import (
    ActorKind,
    AlertStatus,
    Conversation,
    Interaction,
    InteractionKind,
    Rating,
    RatingKind,
    Status,
)

STATUS_LABELS = {
    Status.NEW: "New",
    Status.PENDING_ACTION: "Pending action",
    Status.AWAITING_CUSTOMER: "Awaiting customer",
    Status.UNREAD_CUSTOMER_REPLY: "Unread customer reply",
    Status.DONE: "Done",
    Status.SPAM: "Spam",
}
ALERT_LABELS = {
    AlertStatus.TO_PROCESS: "To process",
    AlertStatus.IN_PROGRESS: "In progress",
    AlertStatus.PROCESSED: "Processed",
}
ENTRY_LABELS = {
    InteractionKind.EMAIL_REPLY: "Reply by email",
    InteractionKind.REVIEW_REPLY: "Public reply",
    InteractionKind.CUSTOMER_MESSAGE: "Customer message",
    InteractionKind.NOTE: "Note",
    InteractionKind.CALL_LOG: "Call",
    InteractionKind.FORWARD: "Forwarded",
    InteractionKind.DELEGATION: "Delegated",
    InteractionKind.SHARE: "Shared",
    InteractionKind.HOLD: "Put on hold",
    InteractionKind.RELEASE: "Released",
    InteractionKind.STATUS_CHANGE: "Status changed",
    InteractionKind.DELIVERY_FAILED: "Delivery failed",
    InteractionKind.DELIVERY_RETRIED: "Delivery retried",
    InteractionKind.ERASURE: "Personal data erased",
}
KIND_LABELS = {RatingKind.NPS: "NPS", RatingKind.CSAT: "CSAT", RatingKind.CES: "CES", RatingKind.STARS: "Stars"}
#: The heading of ratings that name no journey moment.
OVERALL = "Overall"


def moment(when: datetime) -> str:
    """A time as an agent reads it, in UTC so that two agents in two zones quote the same time."""
    return when.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def number(value: float) -> str:
    return f"{value:g}"


@attrs.frozen
class ShownRating:
    label: str
    value: str  # "3/10", "2/5"
    low: bool  # in the lower half of its scale: the eye should catch it


def show_rating(rating: Rating) -> ShownRating:
    low, high = rating.bounds
    named_after_kind = rating.key == rating.kind.value and rating.kind in KIND_LABELS
    label = rating.label or (KIND_LABELS[rating.kind] if named_after_kind else rating.key)
    if rating.kind is RatingKind.CUSTOM:
        value = f"{number(rating.value)} ({number(low)} to {number(high)})"
    else:
        value = f"{number(rating.value)}/{number(high)}"
    return ShownRating(label=label, value=value, low=rating.value < low + (high - low) / 2)


def ratings_by_moment(ratings: Sequence[Rating]) -> list[tuple[str, list[ShownRating]]]:
    """The ratings grouped under their journey moment, in the order the moments first appear."""
    groups: dict[str, list[ShownRating]] = {}
    for rating in ratings:
        groups.setdefault(rating.journey_moment or OVERALL, []).append(show_rating(rating))
    return list(groups.items())


def customer_name(conversation: Conversation) -> str:
    return conversation.feedback.contact.name or "Anonymous customer"


def last_author(conversation: Conversation) -> str:
    """Who made the last update, by name: the history's last entry is that update."""
    if conversation.history:
        return author(conversation.history[-1])
    return conversation.last_updated_by


def author(entry: Interaction) -> str:
    if entry.author.kind is ActorKind.SYSTEM:
        return "closedloop"
    if entry.author.kind is ActorKind.CUSTOMER:
        return f"{entry.author.name} (customer)"
    return entry.author.name


@attrs.frozen
class ShownEntry:
    """One entry of the history, worded."""

    kind: str  # the InteractionKind's value, for a CSS class
    label: str
    when: str
    iso_time: str
    author: str
    body: str
    facts: tuple[tuple[str, str], ...]  # status moves, alert status, recipients, call details


def show_entry(entry: Interaction) -> ShownEntry:
    facts: list[tuple[str, str]] = []
    if entry.to_status is not None:
        before = STATUS_LABELS[entry.from_status] if entry.from_status is not None else "none"
        facts.append(("Status", f"{before} → {STATUS_LABELS[entry.to_status]}"))
    if entry.alert_status is not None:
        facts.append(("Alert", ALERT_LABELS[entry.alert_status]))
    if entry.recipients:
        facts.append(("To", ", ".join(entry.recipients)))
    facts.extend((name.replace("_", " ").capitalize(), value) for name, value in entry.details.items())
    return ShownEntry(
        kind=entry.kind.value,
        label=ENTRY_LABELS.get(entry.kind, entry.kind.value),
        when=moment(entry.at),
        iso_time=entry.at.isoformat(),
        author=author(entry),
        body=entry.body,
        facts=tuple(facts),
    )


def show_history(entries: Iterable[Interaction]) -> list[ShownEntry]:
    """Newest first: an agent opening a file wants what happened last."""
    return [show_entry(entry) for entry in reversed(tuple(entries))]
