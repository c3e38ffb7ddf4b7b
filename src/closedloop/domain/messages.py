"""Outbound messages: stored with the change that causes them, delivered later by a channel."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from closedloop.domain.errors import InvalidInput


class MessageKind(enum.StrEnum):
    """What a message is for; a channel says which kinds it can carry."""

    CUSTOMER_REPLY = "customer_reply"
    REVIEW_REPLY = "review_reply"
    HANDOFF = "handoff"


class Delivery(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class OutboundMessage:
    """A message waiting in, or gone through, the outbox."""

    id: str
    conversation_id: str
    channel: str
    kind: MessageKind
    recipients: tuple[str, ...]
    subject: str
    body: str
    created_at: datetime
    sender_name: str = ""
    reply_link: str | None = None
    file_link: str | None = None
    external_id: str = ""
    status: Delivery = Delivery.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None


@attrs.frozen(kw_only=True)
class ChannelLimits:
    """A channel's own limits on a body, e.g. 4096 bytes of UTF-8 for Google Business Profile replies."""

    max_bytes: int | None = None
    max_chars: int | None = None

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


NO_LIMITS = ChannelLimits()
