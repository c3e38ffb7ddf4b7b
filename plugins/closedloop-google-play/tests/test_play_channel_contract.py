"""The connector's channel passes the contract every closedloop channel passes."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from fake_play import APP, TOKEN, FakePlay
from play_discovery import DiscoveryChecker

from closedloop import MessageKind, OutboundMessage
from closedloop.ports import Channel
from closedloop.testing.channel_contract import ChannelContract
from closedloop.testing.clock import START
from closedloop_google_play import GooglePlay


class TestGooglePlayChannel(ChannelContract):
    kind = MessageKind.REVIEW_REPLY

    @pytest.fixture(autouse=True)
    def fake_server(self, checker: DiscoveryChecker) -> Iterator[FakePlay]:
        self.play = FakePlay()
        for number in range(3):
            self.play.add_review(APP, f"review-{number}", text="Nice", stars=5, modified=START)
        with self.play.running():
            yield self.play
        assert checker.all_problems(self.play.requests) == []

    @pytest.fixture
    def channel(self) -> Iterator[Channel]:
        connector = self.make_channel()
        yield connector
        connector.close()

    def make_channel(self) -> GooglePlay:
        return GooglePlay(token=lambda: TOKEN, apps={APP: "paris"}, base_url=self.play.url)

    def message(self, number: int, kind: MessageKind | None = None) -> OutboundMessage:
        """The contract's message, with a review id as this connector writes them: package/reviewId."""
        message = super().message(number, kind)
        return attrs.evolve(message, external_id=f"{APP}/{message.external_id}")

    def delivered(self, channel: Channel) -> list[str]:
        return [text for _package, _review, text in self.play.posted]

    def break_delivery(self, channel: Channel) -> None:
        self.play.answer_every_request_with(503)
