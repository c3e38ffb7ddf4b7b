"""Conversations as export rows: one JSON object per line, or one flat CSV row with a fixed set of columns.

The JSON form is the conversation as ``closedloop.serialization.to_data`` gives it (feedback, status, alert,
analysis, history), with its id, folder and category first. The CSV form flattens it into the columns of
:data:`CSV_COLUMNS`, which ``docs/import.md`` describes; lists become text on one cell.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from closedloop.domain.conversation import Conversation, Interaction
from closedloop.domain.feedback import Comment, Rating, RatingKind
from closedloop.files.exported_rows import comments_of
from closedloop.serialization import encode_plain, to_data


def json_line(conversation: Conversation) -> str:
    data = {"id": conversation.id, "folder": conversation.folder.value, "category": conversation.category.value}
    data.update(to_data(conversation))
    return encode_plain(data).decode("utf-8") + "\n"


def latest_message(conversation: Conversation) -> Interaction | None:
    """The last thing said to or by the customer (the feedback's comments are columns of their own)."""
    for entry in reversed(conversation.history):
        if entry.customer_visible:
            return entry
    return None


def rating_cell(rating: Rating) -> str:
    """``nps=9``; the kind in brackets when the key does not say it (``visit=4 (csat)``), and a custom
    rating's scale (``value=7 (custom 1-10)``), so that an export imports back as the same ratings."""
    text = f"{rating.key}={rating.value:g}"
    if rating.kind is RatingKind.CUSTOM and rating.scale is not None:
        return text + f" (custom {rating.scale[0]:g}-{rating.scale[1]:g})"
    return text if rating.key == rating.kind.value else text + f" ({rating.kind.value})"


def _alert(conversation: Conversation) -> tuple[str, str]:
    alert = conversation.alert
    return ("", "") if alert is None else (alert.status.value, "; ".join(alert.reasons))


def _message(conversation: Conversation) -> tuple[str, str, str]:
    entry = latest_message(conversation)
    return ("", "", "") if entry is None else (entry.at.isoformat(), entry.author.name, entry.body)


#: The CSV columns, in order, and how each is read from a conversation.
CSV_COLUMNS: dict[str, Callable[[Conversation], Any]] = {
    "id": lambda c: c.id,
    "place_id": lambda c: c.place_id,
    "folder": lambda c: c.folder.value,
    "category": lambda c: c.category.value,
    "status": lambda c: c.status.value,
    "on_hold": lambda c: "yes" if c.on_hold else "no",
    "assignee": lambda c: c.assignee or "",
    "alert_status": lambda c: _alert(c)[0],
    "alert_reasons": lambda c: _alert(c)[1],
    "source": lambda c: c.feedback.source.value,
    "platform": lambda c: c.feedback.platform,
    "external_id": lambda c: c.feedback.external_id,
    "received_at": lambda c: c.feedback.received_at.isoformat(),
    "created_at": lambda c: c.created_at.isoformat(),
    "last_updated_at": lambda c: c.last_updated_at.isoformat(),
    "customer_name": lambda c: c.feedback.contact.name,
    "customer_email": lambda c: c.feedback.contact.email,
    "customer_tel": lambda c: c.feedback.contact.tel,
    "locale": lambda c: c.feedback.locale,
    "ratings": lambda c: "; ".join(map(rating_cell, c.feedback.ratings)),
    "comments": lambda c: comments_cell(c.feedback.comments),
    "concepts": lambda c: "; ".join(f"{concept.name} ({concept.sentiment:+.2f})" for concept in c.analysis),
    "metadata": lambda c: (
        json.dumps(dict(c.feedback.metadata), ensure_ascii=False, sort_keys=True) if c.feedback.metadata else ""
    ),
    "history_entries": lambda c: len(c.history),
    "last_message_at": lambda c: _message(c)[0],
    "last_message_by": lambda c: _message(c)[1],
    "last_message": lambda c: _message(c)[2],
}


def comments_cell(comments: Sequence[Comment]) -> str:
    """The comments as ``question: text`` lines (a lone ``comment`` as its text), as a person reads them in a
    spreadsheet; or, when those lines would not read back as the same comments (a question of several words,
    a line of a text that looks like a question), as a JSON array of ``{"question": ..., "text": ...}``."""
    lines = "\n".join(
        comment.text if comment.question == "comment" else f"{comment.question}: {comment.text}" for comment in comments
    )
    if comments_of(lines) == list(comments):
        return lines
    listed = [{"question": comment.question, "text": comment.text} for comment in comments]
    return json.dumps(listed, ensure_ascii=False)


def csv_row(conversation: Conversation) -> list[Any]:
    return [read(conversation) for read in CSV_COLUMNS.values()]
