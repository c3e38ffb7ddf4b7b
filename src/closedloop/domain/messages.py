"""Outbound messages: stored with the change that causes them, delivered later by a channel."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from closedloop.domain.errors import ChannelUnavailable, InvalidInput, InvalidTransition
from closedloop.domain.values import (
    LONGEST_DURATION,
    duration,
    id_field,
    one_of,
    text_field,
    texts,
    time_field,
    whole_field,
    whole_number,
)

#: The largest attempt count, retry policy's max_attempts and channel limit a record takes.
LARGEST_COUNT = 10**9


class MessageKind(enum.StrEnum):
    """What a message is for; a channel says which kinds it can carry."""

    CUSTOMER_REPLY = "customer_reply"
    REVIEW_REPLY = "review_reply"
    HANDOFF = "handoff"


class Delivery(enum.StrEnum):
    """PENDING waits for its next attempt; SENDING is claimed by a dispatcher until its lease ends (if that
    dispatcher dies, the message is claimed again and sent with the same Message-ID); SENT, FAILED and
    CANCELLED are final, though a person can retry a failed one."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    #: Never to be sent: its customer was erased before it left (:mod:`closedloop.domain.privacy`).
    CANCELLED = "cancelled"


def _kind(value: object) -> MessageKind:
    return one_of(MessageKind, value, "message kind")


def _delivery(value: object) -> Delivery:
    return one_of(Delivery, value, "message status")


def _recipients(value: object) -> tuple[str, ...]:
    return texts(value, "message recipients")


@attrs.frozen(kw_only=True)
class OutboundMessage:
    """A message waiting in, or gone through, the outbox."""

    id: str = attrs.field(validator=id_field("message"))
    conversation_id: str = attrs.field(validator=id_field("message"))
    channel: str = attrs.field(validator=id_field("message"))
    kind: MessageKind = attrs.field(converter=_kind)
    recipients: tuple[str, ...] = attrs.field(converter=_recipients)
    subject: str = attrs.field(validator=text_field("message", one_line=True))  # headers: one line each
    body: str = attrs.field(validator=text_field("message"))
    created_at: datetime = attrs.field(validator=time_field("message"))
    sender_name: str = attrs.field(default="", validator=text_field("message", one_line=True))
    reply_link: str | None = attrs.field(default=None, validator=text_field("message", optional=True))
    file_link: str | None = attrs.field(default=None, validator=text_field("message", optional=True))
    external_id: str = attrs.field(default="", validator=text_field("message"))
    status: Delivery = attrs.field(default=Delivery.PENDING, converter=_delivery)
    attempts: int = attrs.field(default=0, validator=whole_field("message", 0, LARGEST_COUNT))
    last_error: str | None = attrs.field(default=None, validator=text_field("message", optional=True))
    sent_at: datetime | None = attrs.field(default=None, validator=time_field("message", optional=True))
    next_attempt_at: datetime | None = attrs.field(default=None, validator=time_field("message", optional=True))
    lease_until: datetime | None = attrs.field(default=None, validator=time_field("message", optional=True))

    def due(self, now: datetime) -> bool:
        """Whether a dispatcher may take it now: its due time (:attr:`due_at`) has come."""
        due_at = self.due_at
        return due_at is not None and due_at <= now

    @property
    def due_at(self) -> datetime | None:
        """When a dispatcher may take it: a pending message at its next attempt (its first when it was
        created), a claimed one when its lease runs out; ``None`` once it is sent or failed. Every store
        claims by this time, soonest first."""
        if self.status is Delivery.PENDING:
            return self.next_attempt_at or self.created_at
        return self.lease_until if self.status is Delivery.SENDING else None


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often, and how far apart, a temporary failure is tried again: ``first_wait`` doubling each time,
    at most ``longest_wait``, for ``max_attempts`` attempts in all."""

    max_attempts: int = 6
    first_wait: timedelta = timedelta(seconds=30)
    longest_wait: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    def __attrs_post_init__(self) -> None:
        whole_number(self.max_attempts, "a retry policy's max_attempts", 1, LARGEST_COUNT)
        for name in ("first_wait", "longest_wait", "lease"):
            duration(getattr(self, name), f"a retry policy's {name}")

    def claim(self, message: OutboundMessage, now: datetime) -> OutboundMessage:
        """Taken by a dispatcher: an attempt starts, and the lease says until when it is theirs."""
        return attrs.evolve(
            message, status=Delivery.SENDING, attempts=message.attempts + 1, lease_until=now + self.lease
        )

    def outcome(
        self,
        message: OutboundMessage,
        now: datetime,
        *,
        ok: bool,
        error: str | None,
        permanent: bool,
        retry_after: timedelta | None = None,
    ) -> OutboundMessage:
        """The message after an attempt: sent, waiting to be tried again, or failed for good.

        A platform that says how long to wait (``retry_after``) is waited for at least that long, even past
        ``longest_wait``: trying earlier would only be refused again.
        """
        if ok:
            return attrs.evolve(message, status=Delivery.SENT, sent_at=now, last_error=None, lease_until=None)
        if permanent or message.attempts >= self.max_attempts:
            reason = error or "unknown error"
            if not permanent:
                reason = f"{reason} (gave up after {message.attempts} attempts)"
            return attrs.evolve(message, status=Delivery.FAILED, last_error=reason, lease_until=None)
        wait = self.wait_after(message.attempts)
        if retry_after is not None:
            wait = min(max(wait, retry_after), LONGEST_DURATION)  # a platform asking for years gets one
        return attrs.evolve(
            message, status=Delivery.PENDING, last_error=error, next_attempt_at=now + wait, lease_until=None
        )

    def wait_after(self, attempts: int) -> timedelta:
        """``first_wait`` doubled for each attempt after the first, at most ``longest_wait``: doubled one step
        at a time, so a long run of attempts never overflows a timedelta."""
        wait = self.first_wait
        for _ in range(attempts - 1):
            if wait >= self.longest_wait:
                break
            wait = wait * 2 if wait <= self.longest_wait / 2 else self.longest_wait
        return min(wait, self.longest_wait)

    def again(self, message: OutboundMessage) -> OutboundMessage:
        """A failed message, back in the queue for a fresh round of attempts."""
        if message.status is Delivery.CANCELLED:
            raise InvalidTransition(
                f"message {message.id} was cancelled because its customer's personal data was erased; it cannot "
                "be sent again, as its address and text are gone"
            )
        if message.status is not Delivery.FAILED:
            raise InvalidTransition(f"message {message.id} is {message.status.value}; only failed messages are retried")
        return attrs.evolve(message, status=Delivery.PENDING, attempts=0, next_attempt_at=None, lease_until=None)


def outcome_after_cancel(stored: OutboundMessage, outcome: OutboundMessage) -> OutboundMessage:
    """What is kept of an attempt on a message cancelled while a channel had it (its customer was erased
    meanwhile): never the attempt's copy, which holds the customer's address and text. The stored, emptied
    message is marked sent when the attempt succeeded, so nobody believes it never left; else it stays
    cancelled."""
    if outcome.status is not Delivery.SENT:
        return stored
    return attrs.evolve(
        stored,
        status=Delivery.SENT,
        attempts=max(stored.attempts, outcome.attempts),
        sent_at=outcome.sent_at,
        last_error=None,
        next_attempt_at=None,
        lease_until=None,
    )


@attrs.frozen(kw_only=True)
class ChannelLimits:
    """A channel's own limits on a body, e.g. 4096 bytes of UTF-8 for Google Business Profile replies, and
    whether it can write to an address whose name part (before the @) is beyond ASCII, as ``jö@example.com``
    (email needs a server offering SMTPUTF8 for it)."""

    max_bytes: int | None = attrs.field(default=None, validator=whole_field("limit", 1, LARGEST_COUNT, optional=True))
    max_chars: int | None = attrs.field(default=None, validator=whole_field("limit", 1, LARGEST_COUNT, optional=True))
    unicode_addresses: bool = True

    def check(self, body: str, channel: str) -> None:
        if self.max_bytes is not None and len(body.encode("utf-8")) > self.max_bytes:
            raise InvalidInput(
                f"the {channel} channel takes at most {self.max_bytes} bytes of UTF-8; this body has "
                f"{len(body.encode('utf-8'))}: shorten it"
            )
        if self.max_chars is not None and len(body) > self.max_chars:
            raise InvalidInput(
                f"the {channel} channel takes at most {self.max_chars} characters; this body has "
                f"{len(body)}: shorten it"
            )

    def check_recipients(self, recipients: tuple[str, ...], channel: str) -> None:
        """Refuse, before anything is stored, an address the channel could never deliver to."""
        if self.unicode_addresses:
            return
        for address in recipients:
            if not address.rpartition("@")[0].isascii():
                raise ChannelUnavailable(
                    f"the {channel} channel cannot write to {address!r}: the part before the @ is beyond ASCII and "
                    "its server does not take such addresses (SMTPUTF8); log a call or add a note instead, or "
                    "send email through a server that offers SMTPUTF8"
                )


NO_LIMITS = ChannelLimits()
