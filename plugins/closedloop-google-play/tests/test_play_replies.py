"""Public replies: desk.reply(channel="review") and desk.dispatch() against the fake Play API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime

import pytest
from play_api import APP, REPLY, TOKEN, PlayReviews
from play_discovery import DiscoveryChecker

from closedloop import Conversation, Delivery, Desk, InteractionKind, InvalidInput, OutboundMessage
from closedloop.testing import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop.testing.reviews import review_reply
from closedloop_google_play import GooglePlay


@pytest.fixture
def review(desk: Desk, play: PlayReviews, clock: FakeClock) -> Conversation:
    play.add_review(APP, "gp:AOqpTOE", text="Too many ads", stars=2, modified=clock.now() - timedelta(hours=1))
    desk.sync("google_play")
    return desk.inbox("ana", limit=1).items[0]


def only_message(desk: Desk) -> OutboundMessage:
    [message] = desk.outbox()
    return message


def test_a_reply_is_posted_as_reply_text_and_sent(
    desk: Desk, platform: FakePlatform, play: PlayReviews, review: Conversation, checker: DiscoveryChecker
) -> None:
    desk.reply(review.id, by="ana", body="We have halved the ads in 2.4.", channel="review")

    report = desk.dispatch()

    assert report.sent == 1
    assert play.replies == [(APP, "gp:AOqpTOE", "We have halved the ads in 2.4.")]
    [post] = [request for request in platform.requests if request.method == "POST"]
    assert post.path == f"/androidpublisher/v3/applications/{APP}/reviews/gp%3AAOqpTOE:reply"
    assert post.json == {"replyText": "We have halved the ads in 2.4."}
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert only_message(desk).status is Delivery.SENT
    assert checker.all_problems(platform.requests) == []


def test_a_rate_limit_waits_at_least_as_long_as_retry_after(
    desk: Desk, platform: FakePlatform, play: PlayReviews, review: Conversation, clock: FakeClock
) -> None:
    desk.reply(review.id, by="ana", body="Thanks for the feedback.", channel="review")
    platform.fail("POST", REPLY, status=429, message="Quota exceeded.", headers={"Retry-After": "600"}, times=1)

    assert desk.dispatch().retrying == 1

    message = only_message(desk)
    assert message.status is Delivery.PENDING
    assert message.next_attempt_at is not None and message.next_attempt_at >= clock.now() + timedelta(seconds=600)
    assert "429 RESOURCE_EXHAUSTED: Quota exceeded." in (message.last_error or "")
    clock.advance(seconds=300)
    assert desk.dispatch().sent == 0, "not before the platform said"
    clock.advance(seconds=300)
    assert desk.dispatch().sent == 1
    assert len(play.replies) == 2


def test_retry_after_as_an_http_date_is_understood(
    platform: FakePlatform, play: PlayReviews, connector: GooglePlay, clock: FakeClock
) -> None:
    play.add_review(APP, "gp:1", text="ok", stars=3, modified=clock.now())
    platform.fail(
        "POST",
        REPLY,
        status=429,
        message="Slow down.",
        headers={"Retry-After": format_datetime(clock.now() + timedelta(minutes=2))},
        times=1,
    )

    [result] = connector.send([review_reply("google_play", f"{APP}/gp:1")])

    assert (result.ok, result.permanent, result.retry_after) == (False, False, timedelta(minutes=2))


def test_a_server_error_is_retried(desk: Desk, platform: FakePlatform, review: Conversation, clock: FakeClock) -> None:
    desk.reply(review.id, by="ana", body="Thanks for the feedback.", channel="review")
    platform.fail("POST", REPLY, status=503, message="The service is currently unavailable.", times=1)

    assert desk.dispatch().retrying == 1
    assert "503 UNAVAILABLE" in (only_message(desk).last_error or "")
    clock.advance(hours=1)
    assert desk.dispatch().sent == 1
    assert only_message(desk).status is Delivery.SENT


def test_a_rejected_reply_fails_with_the_platforms_message(
    desk: Desk, platform: FakePlatform, review: Conversation
) -> None:
    desk.reply(review.id, by="ana", body="Thanks for the feedback.", channel="review")
    platform.fail("POST", REPLY, status=400, message="Reply text contains disallowed content.", times=1)

    assert desk.dispatch().failed == 1

    message = only_message(desk)
    assert message.status is Delivery.FAILED
    assert message.last_error == "HTTP 400 INVALID_ARGUMENT: Reply text contains disallowed content."
    history = desk.conversation(review.id, by="ana").history
    assert any(entry.kind is InteractionKind.DELIVERY_FAILED for entry in history)


def test_a_reply_over_350_characters_is_refused_before_it_is_stored(
    desk: Desk, play: PlayReviews, review: Conversation
) -> None:
    with pytest.raises(InvalidInput, match="at most 350 characters; this body has 351"):
        desk.reply(review.id, by="ana", body="x" * 351, channel="review")
    assert desk.outbox() == []
    assert desk.dispatch().sent == 0
    assert play.replies == []


@pytest.mark.parametrize(
    ("status", "permanent", "words"),
    [
        (400, True, "400 INVALID_ARGUMENT: refused"),
        (404, True, "404 NOT_FOUND: refused"),
        (403, True, "'Reply to reviews' permission"),
        (429, False, "429 RESOURCE_EXHAUSTED"),
        (500, False, "500 INTERNAL"),
        (503, False, "503 UNAVAILABLE"),
    ],
)
def test_each_status_is_retried_or_not_as_it_deserves(
    platform: FakePlatform, connector: GooglePlay, status: int, permanent: bool, words: str
) -> None:
    platform.fail("POST", REPLY, status=status, message="refused", times=1)

    [result] = connector.send([review_reply("google_play", f"{APP}/gp:1")])

    assert (result.ok, result.permanent) == (False, permanent)
    assert words in (result.error or "")


def test_a_refused_token_is_asked_for_again_and_the_reply_posted_once_more(
    platform: FakePlatform, connector: GooglePlay
) -> None:
    platform.fail("POST", REPLY, status=401, message="refused", times=2)

    [result] = connector.send([review_reply("google_play", f"{APP}/gp:1")])

    assert len(platform.calls("POST", REPLY)) == 2
    assert (result.ok, result.permanent) == (False, False)
    assert "the access token was refused" in (result.error or "")


def test_an_unknown_review_is_a_permanent_failure(connector: GooglePlay) -> None:
    [result] = connector.send([review_reply("google_play", f"{APP}/gp:missing")])
    assert (result.ok, result.permanent, result.error) == (False, True, "HTTP 404 NOT_FOUND: The review was not found.")


def test_a_review_id_without_its_app_is_a_permanent_failure(platform: FakePlatform, connector: GooglePlay) -> None:
    [result] = connector.send([review_reply("google_play", "gp:lonely")])
    assert (result.ok, result.permanent) == (False, True)
    assert "com.example.app/<reviewId>" in (result.error or "")
    assert platform.requests == []


@pytest.fixture
def unreachable() -> Iterator[GooglePlay]:
    """A connector pointed at a port nobody listens on (a server started and stopped)."""
    with FakePlatform() as gone:
        url = gone.url
    connector = GooglePlay(token=lambda: TOKEN, apps={APP: "paris"}, base_url=url)
    yield connector
    connector.close()


def test_a_lost_connection_is_retried(unreachable: GooglePlay) -> None:
    [result] = unreachable.send([review_reply("google_play", f"{APP}/gp:1")])
    assert (result.ok, result.permanent) == (False, False)
    assert "unreachable" in (result.error or "")
