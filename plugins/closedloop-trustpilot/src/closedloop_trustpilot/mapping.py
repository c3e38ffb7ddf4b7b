"""From Trustpilot's review JSON to closedloop's review: pure functions, tested without a server."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from closedloop import Comment, Contact, Feedback, InvalidInput, PlatformReply, PlatformReview, Rating, RatingKind

QUESTIONS = (("title", "title"), ("text", "review"))


def parse_time(value: Any, what: str) -> datetime:
    """ISO 8601 as Trustpilot writes it; its documented examples carry no zone, and such a time is UTC."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_review(data: Mapping[str, Any], *, platform: str, places: Mapping[str, str]) -> PlatformReview:
    """One review as its business unit's place's feedback; what does not fit raises, and the desk refuses it."""
    unit, consumer, given = str(data["businessUnit"]["id"]), data.get("consumer") or {}, data.get("companyReply") or {}
    created = parse_time(data.get("createdAt"), f"review {data['id']} createdAt")
    stars = [Rating(key="stars", kind=RatingKind.STARS, value=data["stars"])] if data.get("stars") is not None else []
    texts = [Comment(text=str(data[key]), question=name) for key, name in QUESTIONS if str(data.get(key) or "").strip()]
    feedback = Feedback(
        source="review",
        platform=platform,
        external_id=str(data["id"]),
        place_id=places[unit],
        received_at=created,
        contact=Contact(name=str(consumer.get("displayName") or "")),
        ratings=stars,
        comments=texts,
        metadata={"business_unit": unit},
        locale=str(data.get("language") or "en"),
    )
    replied = parse_time(given.get("updatedAt") or given.get("createdAt") or created.isoformat(), "its reply's time")
    reply = PlatformReply(body=str(given["text"]), at=replied) if str(given.get("text") or "").strip() else None
    updated = parse_time(data.get("updatedAt") or data["createdAt"], f"review {data['id']} updatedAt")
    return PlatformReview(feedback=feedback, updated_at=updated, reply=reply)
