"""Reading back the flat CSV rows ``closedloop export --format csv`` writes, as the feedback they came from.

An export imported into another database (or the same one) must give the same feedback, so that it counts as
already stored there: same source, platform and external id, with its ratings, comments, contact and metadata
taken out of the cells the export flattened them into.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Comment, Contact, Feedback, Rating, RatingKind

#: The columns by which an export's header is recognised (it has these and more).
EXPORT_MARKS = frozenset({"id", "source", "platform", "external_id", "received_at", "ratings", "comments", "metadata"})
#: ``nps=9``, ``visit=4 (csat)`` or ``value=7 (custom 1-10)``: a rating as the export writes it.
RATING = re.compile(
    r"^\s*(?P<key>[^=;]+?)=(?P<value>-?[0-9.]+(?:e[-+]?[0-9]+)?)\s*"
    r"(?:\((?P<kind>[a-z]+)(?: (?P<low>-?[0-9.]+)-(?P<high>-?[0-9.]+))?\))?\s*$"
)
#: A line that starts a comment answering a named question, as the export writes all but a lone ``comment``.
QUESTION = re.compile(r"^(?P<question>[a-z0-9_]+): (?P<text>.*)$", re.DOTALL)


def is_export_header(header: Collection[str]) -> bool:
    return set(header) >= EXPORT_MARKS


def exported_feedback(record: dict[str, Any]) -> Feedback:
    """The feedback of one row of a CSV export; :class:`InvalidInput` saying which cell is wrong."""
    get: Callable[[str], str] = lambda column: record.get(column) or ""  # noqa: E731 - a short local reader
    try:
        received_at = datetime.fromisoformat(get("received_at"))
    except ValueError:
        raise InvalidInput(f"column 'received_at' must hold an ISO 8601 time; got {get('received_at')!r}") from None
    try:
        metadata = json.loads(get("metadata")) if get("metadata") else {}
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
        raise InvalidInput("column 'metadata' must hold a JSON object, as the export writes it") from None
    if not isinstance(metadata, dict):
        raise InvalidInput("column 'metadata' must hold a JSON object, as the export writes it")
    return Feedback(
        source=get("source") or "survey",
        platform=get("platform"),
        external_id=get("external_id"),
        place_id=get("place_id"),
        received_at=received_at,
        contact=Contact(
            name=get("customer_name") or None, email=get("customer_email") or None, tel=get("customer_tel") or None
        ),
        ratings=ratings_of(get("ratings")),
        comments=comments_of(get("comments")),
        metadata={str(key): value if isinstance(value, str) else json.dumps(value) for key, value in metadata.items()},
        locale=get("locale") or "en",
    )


def ratings_of(cell: str) -> list[Rating]:
    ratings = []
    for part in filter(str.strip, cell.split(";")):
        match = RATING.match(part)
        if match is None:
            raise InvalidInput(f"column 'ratings': {part.strip()!r} is not key=value, e.g. nps=9 or visit=4 (csat)")
        key, value = match["key"].strip(), float(match["value"])
        kind_name = match["kind"] or key
        try:
            kind = RatingKind(kind_name)
        except ValueError:
            raise InvalidInput(
                f"column 'ratings': {part.strip()!r} names no rating kind; write e.g. {key}=4 (csat)"
            ) from None
        scale = None if match["low"] is None else (float(match["low"]), float(match["high"]))
        ratings.append(Rating(key=key, kind=kind, scale=scale, value=int(value) if value.is_integer() else value))
    return ratings


def comments_of(cell: str) -> list[Comment]:
    """The comments of a cell: a JSON array of ``{"question": ..., "text": ...}`` as the export writes comments
    that lines would not keep apart; else a lone ``comment`` as its text, else one per ``question: text`` line,
    a line without a question continuing the comment before it."""
    if not cell.strip():
        return []
    if cell.startswith("[") and (listed := listed_comments(cell)) is not None:
        return listed
    if QUESTION.match(cell.split("\n", 1)[0]) is None:
        return [Comment(text=cell, question="comment")]
    found: list[list[str]] = []
    for line in cell.split("\n"):
        match = QUESTION.match(line)
        if match is not None:
            found.append([match["question"], match["text"]])
        else:
            found[-1][1] += "\n" + line
    return [Comment(text=text, question=question) for question, text in found if text.strip()]


def listed_comments(cell: str) -> list[Comment] | None:
    """The comments of a cell holding them as a JSON array, or None when it holds no such array (a comment
    that begins with a bracket, say)."""
    try:
        listed = json.loads(cell)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read: a comment's own text
        return None
    if (
        not listed
        or not isinstance(listed, list)
        or not all(  # the export writes no comment as an empty cell
            isinstance(item, dict) and set(item) == {"question", "text"} for item in listed
        )
    ):
        return None
    return [Comment(text=item["text"], question=item["question"]) for item in listed]
