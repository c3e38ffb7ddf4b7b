"""Public replies through the outbox: posted by desk.dispatch, retried or failed as Trustpilot's answer says."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from trustpilot_api import REPLY, TOKEN, TrustpilotApi

from closedloop import Delivery, Desk, OutboundMessage
from closedloop.connectors import PlatformError
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop_trustpilot import Trustpilot


@pytest.fixture
def conversation_id(desk: Desk, trustpilot: TrustpilotApi, clock: FakeClock) -> str:
    """The conversation of one synced review, not yet answered."""
    trustpilot.add("r1", at=clock.now() - timedelta(days=1), stars=2, text="Cold soup.")
    desk.sync("trustpilot")
    return desk.inbox("ana").items[0].id


def reply(desk: Desk, conversation_id: str, body: str = "Sorry, the soup will be hot next time.") -> OutboundMessage:
    desk.reply(conversation_id, by="ana", body=body, channel="review")
    return desk.outbox(conversation_id=conversation_id)[-1]


def test_a_reply_is_posted_on_the_review(
    desk: Desk, fake_platform: FakePlatform, trustpilot: TrustpilotApi, conversation_id: str
) -> None:
    reply(desk, conversation_id)
    assert desk.dispatch().sent == 1
    [posted] = fake_platform.calls("POST", REPLY)
    assert posted.path == "/v1/private/reviews/r1/reply" and posted.bearer == fake_platform.bearer
    assert posted.json == {"message": "Sorry, the soup will be hot next time."}
    assert trustpilot.reviews["r1"]["companyReply"]["text"] == "Sorry, the soup will be hot next time."
    assert desk.outbox(conversation_id=conversation_id)[0].status is Delivery.SENT


def test_a_rate_limit_waits_as_long_as_trustpilot_asks(
    desk: Desk, fake_platform: FakePlatform, clock: FakeClock, conversation_id: str
) -> None:
    fake_platform.fail("POST", REPLY, status=429, headers={"Retry-After": "120"}, message="Too many requests", times=1)
    reply(desk, conversation_id)
    started = clock.now()
    assert desk.dispatch().retrying == 1
    [waiting] = desk.outbox(conversation_id=conversation_id)
    assert waiting.status is Delivery.PENDING and "Too many requests" in (waiting.last_error or "")
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at >= started + timedelta(seconds=120)

    clock.advance(seconds=60)
    assert desk.dispatch().sent == 0 and len(fake_platform.calls("POST", REPLY)) == 1
    clock.advance(seconds=61)
    assert desk.dispatch().sent == 1


def test_a_dated_retry_after_is_read_on_the_desks_clock(
    desk: Desk, fake_platform: FakePlatform, clock: FakeClock, conversation_id: str
) -> None:
    later = format_datetime(clock.now() + timedelta(minutes=2), usegmt=True)
    fake_platform.fail("POST", REPLY, status=429, headers={"Retry-After": later}, times=1)
    reply(desk, conversation_id)
    started = clock.now()
    assert desk.dispatch().retrying == 1
    [waiting] = desk.outbox(conversation_id=conversation_id)
    assert waiting.next_attempt_at == started + timedelta(minutes=2), "not the outbox's own 30 seconds"


def test_an_unavailable_trustpilot_is_tried_again(
    desk: Desk, fake_platform: FakePlatform, clock: FakeClock, conversation_id: str
) -> None:
    fake_platform.fail("POST", REPLY, status=503, times=1)
    reply(desk, conversation_id)
    assert desk.dispatch().retrying == 1
    clock.advance(minutes=1)
    assert desk.dispatch().sent == 1
    assert len(fake_platform.calls("POST", REPLY)) == 2


def test_a_refused_reply_fails_for_good_with_trustpilots_message(
    desk: Desk, fake_platform: FakePlatform, clock: FakeClock, conversation_id: str
) -> None:
    fake_platform.fail("POST", REPLY, status=400, message="The reply contains a link, which is not allowed")
    reply(desk, conversation_id)
    assert desk.dispatch().failed == 1
    [failed] = desk.outbox(status="failed")
    assert "The reply contains a link, which is not allowed" in (failed.last_error or "")
    assert desk.conversation(conversation_id, by="ana").delivery_failed
    clock.advance(hours=1)
    assert desk.dispatch().sent == 0 and len(fake_platform.calls("POST", REPLY)) == 1  # never tried again


def test_an_expired_token_is_replaced_and_the_reply_goes_out(
    desk: Desk, fake_platform: FakePlatform, trustpilot: TrustpilotApi, conversation_id: str
) -> None:
    fake_platform.rotate_bearer()
    reply(desk, conversation_id)
    assert desk.dispatch().sent == 1
    assert trustpilot.tokens_given == 2
    assert [call.status for call in fake_platform.calls("POST", REPLY)] == [401, 201]


def test_a_reply_waits_while_no_token_can_be_had(
    desk: Desk, fake_platform: FakePlatform, trustpilot: TrustpilotApi, clock: FakeClock, conversation_id: str
) -> None:
    fake_platform.rotate_bearer()  # the next reply needs a new token...
    fake_platform.fail("POST", TOKEN, status=503, message="Service unavailable", times=1)  # ...which fails once
    reply(desk, conversation_id)
    assert desk.dispatch().retrying == 1
    [waiting] = desk.outbox(conversation_id=conversation_id)
    assert "access token" in (waiting.last_error or "") and "Service unavailable" in (waiting.last_error or "")
    clock.advance(minutes=1)
    assert desk.dispatch().sent == 1


def test_a_reply_can_be_deleted(
    desk: Desk, fake_platform: FakePlatform, trustpilot: TrustpilotApi, conversation_id: str
) -> None:
    reply(desk, conversation_id)
    desk.dispatch()
    connector = desk.channel("trustpilot")
    assert isinstance(connector, Trustpilot)
    connector.delete_reply("r1")
    assert "companyReply" not in trustpilot.reviews["r1"]
    assert fake_platform.calls("DELETE", REPLY)[0].path == "/v1/private/reviews/r1/reply"
    with pytest.raises(PlatformError, match="404 for the reply to gone: Review not found"):
        connector.delete_reply("gone")
