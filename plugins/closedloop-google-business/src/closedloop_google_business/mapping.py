"""From the API's review JSON to closedloop's feedback: pure functions, so they are tested without a server."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from closedloop import (
    Comment,
    Contact,
    Feedback,
    InvalidInput,
    PlatformReply,
    PlatformReview,
    Rating,
    RatingKind,
    Source,
)

#: The API spells star ratings as words; STAR_RATING_UNSPECIFIED (or a missing field) means no rating.
STARS: Mapping[str, int] = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


def parse_time(text: str, what: str) -> datetime:
    """RFC 3339 as the API writes it ("Z", up to nine fractional digits); Python keeps microseconds."""
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not an RFC 3339 time") from None
    if moment.utcoffset() is None:
        raise InvalidInput(f"{what} {text!r} has no time zone")
    return moment


def to_review(data: Mapping[str, Any], *, platform: str, location: str, place_id: str) -> PlatformReview:
    """One API review as closedloop sees it; its resource name is the id replies are posted to."""
    name = str(data.get("name") or f"{location}/reviews/{data.get('reviewId', '')}")
    reviewer = data.get("reviewer") or {}
    anonymous = bool(reviewer.get("isAnonymous"))
    created = parse_time(str(data["createTime"]), f"review {name} createTime")
    updated = parse_time(str(data.get("updateTime") or data["createTime"]), f"review {name} updateTime")
    stars = STARS.get(str(data.get("starRating", "")))
    comment = str(data.get("comment") or "")
    metadata = {"location": location, "review_id": str(data.get("reviewId", ""))}
    feedback = Feedback(
        source=Source.REVIEW,
        platform=platform,
        external_id=name,
        place_id=place_id,
        received_at=created,
        contact=Contact(name="" if anonymous else str(reviewer.get("displayName") or "")),
        ratings=(Rating(key="stars", kind=RatingKind.STARS, value=stars),) if stars is not None else (),
        comments=(Comment(text=comment, question="review"),) if comment.strip() else (),
        metadata=metadata,
    )
    reply = None
    given = data.get("reviewReply")
    if given and str(given.get("comment") or "").strip():
        at = parse_time(str(given.get("updateTime") or data["createTime"]), f"review {name} reply updateTime")
        reply = PlatformReply(body=str(given["comment"]), at=at)
    return PlatformReview(feedback=feedback, updated_at=updated, reply=reply)
