"""The outbox's retry policy: doubling waits, a cap, a last attempt, a platform's own Retry-After, and what
becomes of an attempt on a message cancelled by an erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from closedloop import Delivery, InvalidTransition, MessageKind, OutboundMessage
from closedloop.domain.messages import RetryPolicy, outcome_after_cancel

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


def cancelled(message: OutboundMessage) -> OutboundMessage:
    """The message as an erasure leaves it while a dispatcher holds it."""
    return attrs.evolve(message, status=Delivery.CANCELLED, body="", lease_until=None)


def test_a_cancelled_message_is_never_retried_and_the_refusal_says_why() -> None:
    with pytest.raises(InvalidTransition, match="erased"):
        POLICY.again(cancelled(attempted(1)))


def test_an_attempt_on_a_cancelled_message_keeps_the_emptied_copy_and_only_a_success_changes_it() -> None:
    out = attempted(1)
    stored = cancelled(out)
    sent = outcome_after_cancel(stored, POLICY.outcome(out, NOW, ok=True, error=None, permanent=False))
    assert (sent.status, sent.sent_at, sent.body, sent.lease_until) == (Delivery.SENT, NOW, "", None)
    for failed in (
        POLICY.outcome(out, NOW, ok=False, error="busy", permanent=False),
        POLICY.outcome(out, NOW, ok=False, error="550", permanent=True),
    ):
        assert outcome_after_cancel(stored, failed) == stored
