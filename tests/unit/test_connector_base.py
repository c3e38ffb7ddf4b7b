"""HttpConnector on a desk: a Retry-After date read on the desk's clock, and an error body its describe() cannot
read still reported as the error, never raised out of a sync or a send."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

import closedloop
from closedloop import Desk, MessageKind, OutboundMessage, PlatformReview, Registry
from closedloop.connectors import HttpConnector, PlatformError
from closedloop.testing.clock import FakeClock

Reply = Callable[[httpx.Request], httpx.Response]


class Busy(HttpConnector):
    """A connector whose platform answers as ``reply`` says; its describe() reads a JSON object, as the docs' did."""

    title = "Busy"

    def __init__(self, reply: Reply, **options: Any) -> None:
        client = httpx.Client(transport=httpx.MockTransport(reply))
        super().__init__(platform="busy", base_url="https://busy.example", http=client, **options)

    def describe(self, response: httpx.Response) -> str:
        return str(response.json().get("message", ""))

    def reviews(self, *, since: datetime | None) -> Iterator[Sequence[PlatformReview]]:
        self.get_json("reviews", "the reviews")
        return iter(())

    def post_reply(self, message: OutboundMessage) -> httpx.Response:
        return self.request("POST", f"reviews/{message.external_id}/reply", json={"text": message.body})


class Plugin:
    def __init__(self, connector: HttpConnector) -> None:
        self.connector = connector

    @closedloop.hookimpl
    def closedloop_register_connectors(self, registry: Registry) -> None:
        registry.add_connector(self.connector)


def reply(now: datetime) -> OutboundMessage:
    return OutboundMessage(
        id="m1",
        conversation_id="c1",
        channel="busy",
        kind=MessageKind.REVIEW_REPLY,
        recipients=(),
        subject="",
        body="Thanks",
        created_at=now,
        external_id="r1",
    )


def test_a_dated_retry_after_is_read_on_the_clock_of_the_desk_that_registered_the_connector() -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    later = format_datetime(clock.now() + timedelta(minutes=2), usegmt=True)
    connector = Busy(lambda request: httpx.Response(429, json={"message": "slow"}, headers={"Retry-After": later}))

    with Desk.open(plugins=[Plugin(connector)], clock=clock, load_entry_points=False) as desk:
        [result] = desk.channel("busy").send([reply(clock.now())])

    assert result.retry_after == timedelta(minutes=2)
    assert connector.now() == clock.now()


def test_a_clock_given_to_the_connector_is_kept_and_a_function_is_taken_as_one() -> None:
    desk_clock, own = FakeClock(datetime(2026, 1, 5, tzinfo=UTC)), FakeClock(datetime(2027, 3, 1, tzinfo=UTC))
    connector = Busy(lambda request: httpx.Response(201), clock=own.now)

    with Desk.open(plugins=[Plugin(connector)], clock=desk_clock, load_entry_points=False):
        assert connector.now() == own.now()


def test_a_clock_without_now_is_refused() -> None:
    with pytest.raises(closedloop.InvalidInput, match="clock must have a now"):
        Busy(lambda request: httpx.Response(201), clock="tomorrow")


@pytest.mark.parametrize("body", [b"<html><body>Bad gateway</body></html>", b'"upstream timed out"'])
def test_an_error_body_describe_cannot_read_is_still_the_error_of_a_send_and_of_a_sync(body: bytes) -> None:
    connector = Busy(lambda request: httpx.Response(502, content=body))

    with Desk.open(plugins=[Plugin(connector)], load_entry_points=False) as desk:
        [result] = desk.channel("busy").send([reply(datetime.now(UTC))])
        with pytest.raises(PlatformError) as raised:
            desk.sync("busy")

    assert not result.ok and not result.permanent
    assert result.error == f"Busy answered 502: {body.decode()}"
    assert str(raised.value).startswith(f"Busy answered 502 for the reviews: {body.decode()}")


def test_an_explain_that_fails_gives_the_plain_message() -> None:
    class Careless(Busy):
        def explain(self, response: httpx.Response, what: str | None) -> str:
            raise KeyError("fault")

    connector = Careless(lambda request: httpx.Response(400, content=b"<html>Nope</html>"))

    [result] = connector.send([reply(datetime.now(UTC))])

    assert (result.permanent, result.error) == (True, "Busy answered HTTP 400: <html>Nope</html>")


def test_a_missing_channel_names_the_hook_a_review_platform_registers_through() -> None:
    with Desk.open(load_entry_points=False) as desk, pytest.raises(closedloop.ChannelUnavailable) as raised:
        desk.channel("trustpilot")

    assert "closedloop_register_channels" in str(raised.value)
    assert "closedloop_register_connectors" in str(raised.value)
