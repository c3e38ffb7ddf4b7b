"""The review JSON as the API documents it, mapped to closedloop's feedback, and the fake's own rules."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from business_api import LOCATION, TOKEN

from closedloop import RatingKind
from closedloop.testing.platform import FakePlatform
from closedloop_google_business.mapping import parse_time, to_review

REVIEW = {
    "name": f"{LOCATION}/reviews/abc",
    "reviewId": "abc",
    "reviewer": {"displayName": "Claire Martin", "isAnonymous": False, "profilePhotoUrl": "https://x/p.png"},
    "starRating": "FOUR",
    "comment": "Nice terrace.",
    "createTime": "2026-01-05T09:00:00.123456789Z",
    "updateTime": "2026-01-06T10:00:00Z",
    "reviewReply": {"comment": "Thank you, Claire!", "updateTime": "2026-01-06T11:00:00.5Z"},
}


def test_a_review_becomes_feedback_with_its_reply() -> None:
    review = to_review(REVIEW, platform="google_business", location=LOCATION, place_id="paris")
    feedback = review.feedback
    assert feedback.external_id == f"{LOCATION}/reviews/abc" and feedback.platform == "google_business"
    assert feedback.received_at == datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)
    assert feedback.contact.name == "Claire Martin"
    [rating] = feedback.ratings
    assert (rating.key, rating.kind, rating.value) == ("stars", RatingKind.STARS, 4)
    assert feedback.text == "Nice terrace."
    assert feedback.metadata == {"location": LOCATION, "review_id": "abc"}
    assert review.updated_at == datetime(2026, 1, 6, 10, tzinfo=UTC)
    assert review.reply is not None and review.reply.body == "Thank you, Claire!"
    assert review.reply.at == datetime(2026, 1, 6, 11, 0, 0, 500000, tzinfo=UTC)


def test_an_anonymous_unrated_review_without_text() -> None:
    bare = {
        **REVIEW,
        "reviewer": {"displayName": "A Google user", "isAnonymous": True},
        "starRating": "STAR_RATING_UNSPECIFIED",
    }
    del bare["comment"], bare["reviewReply"]
    review = to_review(bare, platform="google_business", location=LOCATION, place_id="paris")
    assert review.feedback.contact.name == "" and review.feedback.ratings == () and review.feedback.comments == ()
    assert review.reply is None


def test_times_with_offsets() -> None:
    assert parse_time("2026-01-05T10:00:00+01:00", "t") == datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_the_fake_holds_to_the_documented_limits(platform: FakePlatform) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{platform.url}/v4/{LOCATION}/reviews"
    assert httpx.get(url).status_code == 401
    too_big = httpx.get(url, params={"pageSize": "51"}, headers=bearer)
    assert too_big.status_code == 400 and too_big.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert httpx.get(url, params={"pageSize": "50"}, headers=bearer).json() == {
        "totalReviewCount": 0,
        "averageRating": 4.1,
    }
