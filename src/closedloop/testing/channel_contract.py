"""The contract every channel passes: subclass :class:`ChannelContract`, implement its three methods.

The built-in recording and SMTP channels run it, and so should every channel plugin (a review platform's
connector, an SMS gateway)::

    from closedloop.testing.channel_contract import ChannelContract

    class TestMyChannel(ChannelContract):
        kind = MessageKind.REVIEW_REPLY

        @pytest.fixture(autouse=True)
        def _platform(self, fake_platform):  # closedloop.testing.platform, knowing reviews review-0..2
            self.platform = fake_platform

        def make_channel(self):
            return MyConnector(base_url=self.platform.url)

        def delivered(self, channel):
            return [request.json["text"] for request in self.platform.calls("POST", "/reviews/{id}/reply")]

        def break_delivery(self, channel):
            self.platform.fail(status=503)

``docs/connectors.md`` lists every member and its default.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from closedloop.domain.errors import ChannelUnavailable
from closedloop.domain.messages import ChannelLimits, MessageKind, OutboundMessage
from closedloop.ports import Channel, SendResult

SENT_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class ChannelContract:
    """What closedloop relies on from a channel. Not collected itself: its name lacks ``Test``."""

    #: The kind of message the tests send; a review connector sets ``MessageKind.REVIEW_REPLY``.
    kind: MessageKind = MessageKind.CUSTOMER_REPLY

    def make_channel(self) -> Channel:
        raise NotImplementedError("return the channel under test, ready to deliver")

    def delivered(self, channel: Channel) -> list[str]:
        """The bodies that reached the other side, in the order they arrived."""
        raise NotImplementedError

    def break_delivery(self, channel: Channel) -> None:
        """Make the following sends fail the way the other side fails (down, refusing, rate limiting)."""
        raise NotImplementedError

    def message(self, number: int, kind: MessageKind | None = None) -> OutboundMessage:
        return OutboundMessage(
            id=f"contract-{number}",
            conversation_id="c1",
            channel="contract",
            kind=kind or self.kind,
            recipients=("customer@example.com",) if (kind or self.kind) is not MessageKind.REVIEW_REPLY else (),
            subject="Your feedback",
            body=f"Thank you for message {number}.",
            created_at=SENT_AT,
            sender_name="Chez Nous",
            reply_link="https://example.com/reply/token" if (kind or self.kind) is MessageKind.CUSTOMER_REPLY else None,
            external_id=f"review-{number}",
        )

    @pytest.fixture
    def channel(self) -> Channel:
        return self.make_channel()

    def test_it_describes_itself(self, channel: Channel) -> None:
        assert isinstance(channel, Channel)
        assert isinstance(channel.name, str) and channel.name
        assert self.kind in channel.kinds
        assert isinstance(channel.limits, ChannelLimits)

    def test_a_batch_gets_one_result_per_message_in_order_and_arrives(self, channel: Channel) -> None:
        batch = [self.message(number) for number in range(3)]
        results = list(channel.send(batch))
        assert [result.message_id for result in results] == [message.id for message in batch]
        assert all(isinstance(result, SendResult) and result.ok for result in results), results
        arrived = self.delivered(channel)
        assert len(arrived) == 3
        for message, body in zip(batch, arrived, strict=True):
            assert message.body in body

    def test_an_empty_batch_sends_nothing(self, channel: Channel) -> None:
        assert list(channel.send([])) == []
        assert self.delivered(channel) == []

    def test_a_kind_it_cannot_carry_is_refused_not_dropped(self, channel: Channel) -> None:
        foreign = [kind for kind in MessageKind if kind not in channel.kinds]
        if not foreign:
            pytest.skip("this channel carries every kind of message")
        with pytest.raises(ChannelUnavailable):
            channel.send([self.message(1, kind=foreign[0])])
        assert self.delivered(channel) == []

    def test_a_failed_delivery_is_reported_not_raised(self, channel: Channel) -> None:
        self.break_delivery(channel)
        results = list(channel.send([self.message(1), self.message(2)]))
        assert [result.message_id for result in results] == ["contract-1", "contract-2"]
        assert not any(result.ok for result in results)
        assert all(result.error for result in results)
