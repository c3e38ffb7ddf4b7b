"""The outbox as a test sees it: every message a desk queued, and what its channels delivered."""

from __future__ import annotations

from collections.abc import Iterator

from closedloop.desk import Desk, DispatchReport
from closedloop.domain.messages import Delivery, OutboundMessage


class Outbox:
    """Read-only view of a desk's outbox, oldest first; ``dispatch()`` delivers what is pending."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @property
    def messages(self) -> list[OutboundMessage]:
        return self.desk.outbox()

    @property
    def pending(self) -> list[OutboundMessage]:
        return self.desk.outbox(status=Delivery.PENDING)

    @property
    def last(self) -> OutboundMessage:
        messages = self.messages
        if not messages:
            raise AssertionError("the outbox is empty: no reply or hand-off was queued")
        return messages[-1]

    def dispatch(self) -> DispatchReport:
        return self.desk.dispatch()

    def __iter__(self) -> Iterator[OutboundMessage]:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)

    def __getitem__(self, index: int) -> OutboundMessage:
        return self.messages[index]
