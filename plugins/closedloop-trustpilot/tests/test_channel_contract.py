"""The connector's reply channel passes the contract every closedloop channel passes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from trustpilot_api import TrustpilotApi, settings

from closedloop import MessageKind
from closedloop.ports import Channel
from closedloop.testing.channel_contract import ChannelContract
from closedloop.testing.platform import FakePlatform
from closedloop_trustpilot import Trustpilot, TrustpilotSettings


class TestTrustpilotChannel(ChannelContract):
    kind = MessageKind.REVIEW_REPLY

    @pytest.fixture(autouse=True)
    def platform(self, fake_platform: FakePlatform) -> FakePlatform:
        """The reviews the contract's messages answer: ``review-<n>``, as ``message(n)`` names them."""
        self.fake, self.api = fake_platform, TrustpilotApi(fake_platform, now=lambda: datetime.now(UTC))
        for number in range(3):
            self.api.add(f"review-{number}", at=datetime(2026, 1, 1, tzinfo=UTC))
        return fake_platform

    @pytest.fixture
    def channel(self) -> Iterator[Channel]:
        connector = self.make_channel()
        yield connector
        connector.close()

    def make_channel(self) -> Trustpilot:
        return Trustpilot(TrustpilotSettings(**settings(self.fake)))

    def delivered(self, channel: Channel) -> list[str]:
        return [str(request.json["message"]) for request in self.fake.calls("POST", "/v1/private/reviews/{id}/reply")]

    def break_delivery(self, channel: Channel) -> None:
        self.fake.fail(status=503)  # the token endpoint as well: a reply still fails as a result
