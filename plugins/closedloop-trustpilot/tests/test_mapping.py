"""The review JSON Trustpilot documents, mapped without a server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from closedloop import InvalidInput
from closedloop_trustpilot.mapping import to_review

PLACES = {"bu-1": "paris"}


def documented_review(**changes: Any) -> dict[str, Any]:
    """The fields of a review as the Business Units API's reviews listing gives them."""
    review: dict[str, Any] = {
        "id": "507f191e810c19729de860ea",
        "stars": 4,
        "title": "Quick delivery",
        "text": "The parcel came the next day.",
        "language": "da",
        "createdAt": "2013-09-07T13:37:00",
        "updatedAt": "2013-09-08T09:00:00Z",
        "consumer": {"id": "507f191e810c19729de860eb", "displayName": "John Doe"},
        "businessUnit": {"id": "bu-1", "identifyingName": "example.com", "displayName": "Example"},
        "companyReply": {"text": "Thank you, John!", "createdAt": "2013-09-09T10:00:00Z"},
        "links": [{"href": "https://api.trustpilot.com/v1/reviews/507f191e810c19729de860ea", "rel": "reviews"}],
    }
    review.update(changes)
    return review


def test_a_documented_review_becomes_the_places_feedback() -> None:
    review = to_review(documented_review(), platform="trustpilot", places=PLACES)
    feedback = review.feedback
    assert feedback.key == ("review", "trustpilot", "507f191e810c19729de860ea")
    assert feedback.place_id == "paris" and feedback.metadata == {"business_unit": "bu-1"}
    assert feedback.received_at == datetime(2013, 9, 7, 13, 37, tzinfo=UTC)  # no zone given: UTC
    assert review.updated_at == datetime(2013, 9, 8, 9, 0, tzinfo=UTC)
    assert [(rating.key, rating.value) for rating in feedback.ratings] == [("stars", 4)]
    assert [(comment.question, comment.text) for comment in feedback.comments] == [
        ("title", "Quick delivery"),
        ("review", "The parcel came the next day."),
    ]
    assert feedback.contact.name == "John Doe" and feedback.locale == "da"
    assert review.reply is not None and review.reply.body == "Thank you, John!"
    assert review.reply.at == datetime(2013, 9, 9, 10, 0, tzinfo=UTC)


def test_missing_parts_are_left_out() -> None:
    bare = documented_review(updatedAt=None, title="", companyReply=None, consumer=None, language=None)
    del bare["stars"]
    review = to_review(bare, platform="trustpilot", places=PLACES)
    assert review.updated_at == review.feedback.received_at  # never edited: its creation
    assert review.feedback.ratings == () and [comment.question for comment in review.feedback.comments] == ["review"]
    assert review.reply is None and review.feedback.contact.name == "" and review.feedback.locale == "en"


def test_a_reply_edited_later_carries_its_last_change() -> None:
    reply = {"text": "Fixed now.", "createdAt": "2013-09-09T10:00:00Z", "updatedAt": "2013-09-10T10:00:00Z"}
    review = to_review(documented_review(companyReply=reply), platform="trustpilot", places=PLACES)
    assert review.reply is not None and review.reply.at == datetime(2013, 9, 10, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"createdAt": "yesterday"}, "createdAt 'yesterday' is not an ISO 8601 time"),
        ({"stars": 7}, "must lie between 1 and 5"),
        ({"id": ""}, "external_id"),
    ],
)
def test_a_review_closedloop_cannot_take_is_refused_with_what_is_wrong(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        to_review(documented_review(**changes), platform="trustpilot", places=PLACES)
