"""The outbox's retry policy: doubling waits, a cap, a last attempt, and a platform's own Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from closedloop import Delivery, MessageKind, OutboundMessage
from closedloop.domain.messages import RetryPolicy

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, first_wait=timedelta(seconds=30), longest_wait=timedelta(minutes=5))


def attempted(attempts: int) -> OutboundMessage:
    message = OutboundMessage(
        id="m1",
        conversation_id="c1",
        channel="reviews",
        kind=MessageKind.REVIEW_REPLY,
        recipients=(),
        subject="",
        body="Thanks",
        created_at=NOW,
    )
    for _ in range(attempts):
        message = POLICY.claim(message, NOW)
    return message


def test_waits_double_up_to_the_longest_wait() -> None:
    waits = [POLICY.outcome(attempted(n), NOW, ok=False, error="busy", permanent=False).next_attempt_at for n in (1, 2)]
    assert waits == [NOW + timedelta(seconds=30), NOW + timedelta(seconds=60)]


def test_a_platform_that_says_how_long_to_wait_is_waited_for_even_past_the_longest_wait() -> None:
    short = POLICY.outcome(attempted(1), NOW, ok=False, error="429", permanent=False, retry_after=timedelta(seconds=5))
    long = POLICY.outcome(attempted(1), NOW, ok=False, error="429", permanent=False, retry_after=timedelta(hours=1))

    assert short.next_attempt_at == NOW + timedelta(seconds=30), "never sooner than our own back-off"
    assert long.next_attempt_at == NOW + timedelta(hours=1)
    assert long.status is Delivery.PENDING


def test_the_last_attempt_fails_for_good_whatever_the_platform_asks() -> None:
    last = POLICY.outcome(attempted(3), NOW, ok=False, error="429", permanent=False, retry_after=timedelta(seconds=1))
    assert last.status is Delivery.FAILED and last.last_error == "429 (gave up after 3 attempts)"
