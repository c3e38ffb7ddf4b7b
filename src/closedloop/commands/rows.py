"""What ``closedloop inbox`` and ``closedloop show`` say of a conversation: its ratings, who wrote last and
what, its place by name; as text for a table and as plain values for ``--json``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from closedloop.domain.conversation import Conversation, Interaction, InteractionKind
from closedloop.domain.feedback import Rating
from closedloop.domain.people import Place

#: What counts as a message in a conversation: what the customer and the people handling it wrote.
MESSAGES: Mapping[InteractionKind, str] = {
    InteractionKind.CUSTOMER_MESSAGE: "customer",
    InteractionKind.EMAIL_REPLY: "reply",
    InteractionKind.REVIEW_REPLY: "public reply",
    InteractionKind.NOTE: "note",
    InteractionKind.CALL_LOG: "call",
}


@attrs.frozen
class Latest:
    """The newest thing said in a conversation: a message of its history, else the feedback's comments."""

    kind: str
    by: str
    at: datetime
    text: str

    def line(self) -> str:
        """On one line, saying who wrote it unless it is the feedback itself."""
        flat = " ".join(self.text.split())
        return flat if self.kind == "feedback" else f"{self.by} ({self.kind}): {flat}"


def latest_message(conversation: Conversation) -> Latest:
    for entry in reversed(conversation.history):
        if entry.kind in MESSAGES and entry.body.strip():
            return Latest(MESSAGES[entry.kind], author(entry), entry.at, entry.body)
    feedback = conversation.feedback
    return Latest("feedback", feedback.contact.name, feedback.received_at, feedback.text)


def author(entry: Interaction) -> str:
    return entry.author.name or entry.author.id


def ratings_text(ratings: tuple[Rating, ...]) -> str:
    return ", ".join(f"{rating.key} {rating.value:g}" for rating in ratings)


def place_name(place_id: str, places: Mapping[str, Place]) -> str:
    """The place's name, or its id when the directory has no such place."""
    place = places.get(place_id)
    return place.name if place is not None else place_id


def when(moment: datetime) -> str:
    """A moment as a table shows it: to the minute, in UTC (the header says so)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def as_json(conversation: Conversation, places: Mapping[str, Place]) -> dict[str, Any]:
    """One inbox row for a script: every column, with full texts and ISO moments."""
    feedback, latest = conversation.feedback, latest_message(conversation)
    contact = feedback.contact
    return {
        "id": conversation.id,
        "category": conversation.category.value,
        "status": conversation.status.value,
        "folder": conversation.folder.value,
        "place_id": conversation.place_id,
        "place": place_name(conversation.place_id, places),
        "customer": {"name": contact.name, "email": contact.email, "tel": contact.tel},
        "ratings": [{"key": r.key, "kind": r.kind.value, "value": r.value} for r in feedback.ratings],
        "comments": [{"question": comment.question, "text": comment.text} for comment in feedback.comments],
        "latest": {"kind": latest.kind, "by": latest.by, "at": latest.at.isoformat(), "text": latest.text},
        "source": feedback.source.value,
        "platform": feedback.platform,
        "external_id": feedback.external_id,
        "received_at": feedback.received_at.isoformat(),
        "last_updated_at": conversation.last_updated_at.isoformat(),
        "assignee": conversation.assignee,
        "alert": conversation.alert.status.value if conversation.alert else None,
        "on_hold": conversation.on_hold,
    }
