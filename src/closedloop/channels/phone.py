"""The phone-log channel: calls happen outside closedloop and are recorded, so it carries no messages.

It is registered like any channel so that an application can block it (no call logging) or a telephony
plugin can replace it under the same name.
"""

from __future__ import annotations

from collections.abc import Sequence

from closedloop.domain.errors import ChannelUnavailable
from closedloop.domain.messages import NO_LIMITS, MessageKind, OutboundMessage
from closedloop.hookspecs import hookimpl
from closedloop.ports import SendResult
from closedloop.registry import Registry
from closedloop.settings import Settings

PHONE = "phone"


class PhoneLog:
    """Records calls; asked to send anything, it refuses rather than dropping the message."""

    name = PHONE
    kinds: frozenset[MessageKind] = frozenset()
    limits = NO_LIMITS

    def send(self, messages: Sequence[OutboundMessage]) -> Sequence[SendResult]:
        raise ChannelUnavailable("the phone channel only records calls; it cannot send messages")


@hookimpl
def closedloop_register_channels(registry: Registry, settings: Settings) -> None:
    registry.add_channel(PhoneLog())
