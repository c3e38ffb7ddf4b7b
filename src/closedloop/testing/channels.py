"""A channel for tests: it records what it is given instead of sending it, and can be told to fail."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from closedloop.domain.errors import ChannelUnavailable
from closedloop.domain.messages import NO_LIMITS, ChannelLimits, MessageKind, OutboundMessage
from closedloop.hookspecs import hookimpl
from closedloop.ports import SendResult
from closedloop.registry import Registry
from closedloop.settings import Settings


class RecordingChannel:
    """Keeps every message it is asked to send in ``sent``. Also a plugin: pass it in ``plugins=[...]``.

    ``fail_with`` makes the following sends fail with that error (``permanent`` ones are not retried), so
    a test can see what the desk does with failures.
    """

    def __init__(
        self,
        name: str = "email",
        kinds: Iterable[MessageKind] = (MessageKind.CUSTOMER_REPLY, MessageKind.HANDOFF),
        limits: ChannelLimits = NO_LIMITS,
    ) -> None:
        self.name = name
        self.kinds = frozenset(kinds)
        self.limits = limits
        self.sent: list[OutboundMessage] = []
        self.fail_with: str | None = None
        self.permanent = False

    def send(self, messages: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        for message in messages:
            if message.kind not in self.kinds:
                raise ChannelUnavailable(f"the {self.name} channel does not carry {message.kind.value} messages")
        if self.fail_with is not None:
            return [
                SendResult(message_id=m.id, ok=False, error=self.fail_with, permanent=self.permanent) for m in messages
            ]
        self.sent.extend(messages)
        return [SendResult(message_id=message.id, ok=True) for message in messages]

    @hookimpl
    def closedloop_register_channels(self, registry: Registry, settings: Settings) -> None:
        registry.add_channel(self)

    def __repr__(self) -> str:
        return f"RecordingChannel({self.name!r}, sent={len(self.sent)})"
