"""Public replies: posted by desk.dispatch, retried or failed as the platform's answer says."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import attrs
import httpx
import pytest
from business_api import LOCATION, REPLY, TOKEN, BusinessProfile

from closedloop import Delivery, Desk, InvalidInput, MessageKind, NotFound, OutboundMessage
from closedloop.ports import Channel
from closedloop.testing.channel_contract import ChannelContract
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop.testing.reviews import review_reply
from closedloop_google_business import GoogleBusinessError, GoogleBusinessProfile
from closedloop_google_business.connector import retry_after

PLATFORM = "google_business"


@pytest.fixture
def review_id(desk: Desk, google: BusinessProfile, clock: FakeClock) -> str:
    """The conversation of one synced review, not yet answered."""
    google.add_review(LOCATION, "r1", stars=2, comment="Cold soup.", at=clock.now() - timedelta(days=1))
    desk.sync(PLATFORM)
    return desk.inbox("ana").items[0].id


def reply(desk: Desk, conversation_id: str, body: str = "Sorry, the soup will be hot next time.") -> OutboundMessage:
    desk.reply(conversation_id, by="ana", body=body, channel="review")
    return desk.outbox(conversation_id=conversation_id)[-1]


def test_a_reply_is_put_on_the_review(desk: Desk, platform: FakePlatform, review_id: str) -> None:
    message = reply(desk, review_id)
    assert desk.dispatch().sent == 1
    [put] = platform.calls("PUT")
    assert put.path == f"/v4/{LOCATION}/reviews/r1/reply"
    assert put.json == {"comment": "Sorry, the soup will be hot next time."}
    assert put.headers["authorization"] == f"Bearer {TOKEN}"
    assert desk.outbox(conversation_id=review_id)[0].status is Delivery.SENT
    assert message.external_id == f"{LOCATION}/reviews/r1"


def test_a_rate_limit_waits_as_long_as_the_platform_asks(
    desk: Desk, platform: FakePlatform, clock: FakeClock, review_id: str
) -> None:
    platform.fail("PUT", status=429, headers={"Retry-After": "120"}, times=1)
    reply(desk, review_id)
    started = clock.now()
    assert desk.dispatch().retrying == 1
    [waiting] = desk.outbox(conversation_id=review_id)
    assert waiting.status is Delivery.PENDING and "429" in (waiting.last_error or "")
    assert waiting.next_attempt_at is not None and waiting.next_attempt_at >= started + timedelta(seconds=120)

    clock.advance(seconds=60)
    assert desk.dispatch().sent == 0 and len(platform.calls("PUT")) == 1
    clock.advance(seconds=61)
    assert desk.dispatch().sent == 1
    assert desk.outbox(conversation_id=review_id)[0].status is Delivery.SENT


def test_an_unavailable_platform_is_tried_again(
    desk: Desk, platform: FakePlatform, clock: FakeClock, review_id: str
) -> None:
    platform.fail("PUT", status=503, times=1)
    reply(desk, review_id)
    assert desk.dispatch().retrying == 1
    clock.advance(minutes=1)
    assert desk.dispatch().sent == 1
    assert len(platform.calls("PUT")) == 2


def test_a_rejected_reply_fails_with_the_platforms_message(desk: Desk, platform: FakePlatform, review_id: str) -> None:
    platform.fail("PUT", status=400, message="Reply contains prohibited content.")
    reply(desk, review_id)
    assert desk.dispatch().failed == 1
    [failed] = desk.outbox(status="failed")
    assert "Reply contains prohibited content." in (failed.last_error or "")
    assert desk.conversation(review_id, by="ana").delivery_failed


def test_a_reply_over_4096_bytes_is_refused_before_anything_is_stored(desk: Desk, review_id: str) -> None:
    with pytest.raises(InvalidInput, match="4096 bytes"):
        desk.reply(review_id, by="ana", body="é" * 2049, channel="review")  # 2049 characters, 4098 bytes
    assert desk.outbox() == []


def test_forbidden_is_permanent_and_says_what_to_check(
    connector: GoogleBusinessProfile, platform: FakePlatform, google: BusinessProfile
) -> None:
    google.add_review(LOCATION, "r1", at=datetime(2026, 1, 1, tzinfo=UTC))
    platform.fail("PUT", status=403, message="The caller does not have permission")
    [result] = connector.send([review_reply(PLATFORM, f"{LOCATION}/reviews/r1")])
    assert not result.ok and result.permanent
    assert "does not have permission" in (result.error or "") and "business.manage" in (result.error or "")


def test_an_unknown_review_is_permanent(connector: GoogleBusinessProfile) -> None:
    [result] = connector.send([review_reply(PLATFORM, f"{LOCATION}/reviews/gone")])
    assert not result.ok and result.permanent and "Requested entity was not found" in (result.error or "")


def test_an_unreachable_platform_is_temporary() -> None:
    with httpx.Client() as client:
        closed = GoogleBusinessProfile(token="t", locations={}, base_url="http://127.0.0.1:9", http=client)
        [result] = closed.send([review_reply(PLATFORM, f"{LOCATION}/reviews/r1")])
    assert not result.ok and not result.permanent and "unreachable" in (result.error or "")


def test_a_reply_can_be_deleted(
    connector: GoogleBusinessProfile, platform: FakePlatform, google: BusinessProfile
) -> None:
    name = f"{LOCATION}/reviews/r1"
    google.add_review(
        LOCATION, "r1", at=datetime(2026, 1, 1, tzinfo=UTC), reply=("Thanks!", datetime(2026, 1, 2, tzinfo=UTC))
    )
    connector.delete_reply(name)
    assert "reviewReply" not in (google.review(name) or {})
    assert platform.calls("DELETE")[0].path == f"/v4/{name}/reply"
    with pytest.raises(NotFound):
        connector.delete_reply(f"{LOCATION}/reviews/missing")
    platform.fail("DELETE", status=503)
    with pytest.raises(GoogleBusinessError, match="503"):
        connector.delete_reply(name)


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after(httpx.Response(429, headers={"Retry-After": later}), now) == timedelta(seconds=90)
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"}), now) == timedelta(seconds=7)
    assert retry_after(httpx.Response(429), now) is None


class TestGoogleBusinessChannel(ChannelContract):
    kind = MessageKind.REVIEW_REPLY

    @pytest.fixture(autouse=True)
    def server(
        self, platform: FakePlatform, google: BusinessProfile, connector: GoogleBusinessProfile
    ) -> Iterator[None]:
        self.platform = platform
        self.connector = connector
        for number in range(3):
            google.add_review(LOCATION, f"review-{number}", at=datetime(2026, 1, 1, tzinfo=UTC))
        yield

    def message(self, number: int, kind: MessageKind | None = None) -> OutboundMessage:
        return attrs.evolve(super().message(number, kind), external_id=f"{LOCATION}/reviews/review-{number}")

    def make_channel(self) -> Channel:
        return self.connector

    def delivered(self, channel: Channel) -> list[str]:
        return [str(call.json["comment"]) for call in self.platform.calls("PUT", REPLY) if call.status == 200]

    def break_delivery(self, channel: Channel) -> None:
        self.platform.fail(status=503)
