"""The connector's channel passes the contract every closedloop channel passes."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from play_api import APP, TOKEN, PlayReviews

from closedloop import MessageKind, OutboundMessage
from closedloop.ports import Channel
from closedloop.testing.channel_contract import ChannelContract
from closedloop.testing.clock import START
from closedloop.testing.platform import FakePlatform
from closedloop_google_play import GooglePlay


class TestGooglePlayChannel(ChannelContract):
    kind = MessageKind.REVIEW_REPLY

    @pytest.fixture(autouse=True)
    def reviews(self, platform: FakePlatform, play: PlayReviews) -> None:
        self.platform, self.play = platform, play
        for number in range(3):
            play.add_review(APP, f"review-{number}", text="Nice", stars=5, modified=START)

    @pytest.fixture
    def channel(self) -> Iterator[Channel]:
        connector = self.make_channel()
        yield connector
        connector.close()

    def make_channel(self) -> GooglePlay:
        return GooglePlay(token=lambda: TOKEN, apps={APP: "paris"}, base_url=self.platform.url)

    def message(self, number: int, kind: MessageKind | None = None) -> OutboundMessage:
        """The contract's message, with a review id as this connector writes them: package/reviewId."""
        message = super().message(number, kind)
        return attrs.evolve(message, external_id=f"{APP}/{message.external_id}")

    def delivered(self, channel: Channel) -> list[str]:
        return [text for _package, _review, text in self.play.posted]

    def break_delivery(self, channel: Channel) -> None:
        self.platform.fail(status=503, message="The service is currently unavailable.")
