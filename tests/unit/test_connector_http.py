"""The standard reading of a platform's HTTP answers, and the connector base's token refresh and paging.

httpx's MockTransport stands in for the platform here, as these are the mapping's own rules; a connector's
tests run against a fake platform over real HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from closedloop import ChannelUnavailable, Feedback, InvalidInput, MessageKind, OutboundMessage, PlatformReview, Source
from closedloop.connectors import (
    HttpConnector,
    PlatformError,
    numbered_pages,
    older_than,
    read_error,
    send_result,
    token_pages,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def shop_message(response: httpx.Response, what: str | None) -> str:
    """A platform whose errors read {"error": {"text": ...}}."""
    reading = f" for {what}" if what else ""
    return f"HTTP {response.status_code}{reading}: {response.json()['error']['text']}"


def answer(status: int, text: str = "refused", **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"text": text}}, headers=headers)


@pytest.mark.parametrize(
    ("status", "ok", "permanent"),
    [
        *[(200, True, False), (204, True, False), (400, False, True), (404, False, True), (403, False, True)],
        *[(401, False, False), (408, False, False), (429, False, False), (500, False, False), (503, False, False)],
    ],
)
def test_each_status_is_delivered_retried_or_refused(status: int, ok: bool, permanent: bool) -> None:
    result = send_result("m1", answer(status), now=NOW, explain=shop_message)
    assert (result.message_id, result.ok, result.permanent) == ("m1", ok, permanent)
    assert result.error == (None if ok else f"HTTP {status}: refused")


def test_a_rate_limit_waits_as_long_as_the_platform_says_in_either_form() -> None:
    in_seconds = send_result("m1", answer(429, **{"Retry-After": "120"}), now=NOW, explain=shop_message)
    as_a_date = send_result(
        "m1", answer(503, **{"Retry-After": "Mon, 05 Jan 2026 09:01:30 GMT"}), now=NOW, explain=shop_message
    )
    unsaid = send_result("m1", answer(429), now=NOW, explain=shop_message)
    assert (in_seconds.retry_after, as_a_date.retry_after, unsaid.retry_after) == (
        timedelta(minutes=2),
        timedelta(seconds=90),
        None,
    )


def test_no_answer_at_all_is_temporary_and_advice_is_added_to_a_refusal() -> None:
    lost = send_result("m1", httpx.ConnectTimeout("timed out"), now=NOW, unreachable="Shop is unreachable")
    assert (lost.ok, lost.permanent) == (False, False) and (lost.error or "").startswith("Shop is unreachable")
    refused = send_result("m1", httpx.Response(403, text="Forbidden."), now=NOW)
    assert (refused.permanent, refused.error) == (True, "HTTP 403: Forbidden.")


def test_a_read_that_fails_is_an_error_saying_whether_to_run_the_sync_again() -> None:
    assert read_error(answer(200), "page 1", now=NOW) is None
    refused = read_error(answer(404, "no such shop"), "page 1 of shop 7", now=NOW, explain=shop_message)
    assert isinstance(refused, PlatformError) and (refused.status, refused.temporary) == (404, False)
    assert str(refused) == "HTTP 404 for page 1 of shop 7: no such shop"
    limited = read_error(answer(429, **{"Retry-After": "60"}), "page 2", now=NOW, explain=shop_message)
    assert limited is not None and limited.temporary and limited.retry_after == timedelta(minutes=1)
    assert "run the sync again in 0:01:00 or later" in str(limited)
    lost = read_error(httpx.ReadTimeout("slow"), "page 3", now=NOW)
    assert lost is not None and lost.temporary and lost.status is None and "run the sync again later" in str(lost)


class ShopError(PlatformError):
    """The example platform's error."""


class Shop(HttpConnector):
    """A small connector on the base: token-paged reviews and replies posted to /reviews/<id>/reply."""

    title = "Shop"
    error = ShopError

    def __init__(self, handler: Handler, token: Callable[[], str] | str | None = "t0") -> None:
        client = httpx.Client(transport=httpx.MockTransport(handler))
        url = "https://shop.test/api/"
        super().__init__(platform="shop", base_url=url, token=token, http=client, clock=lambda: NOW)
        self.refreshed = 0

    def refresh(self) -> None:
        self.refreshed += 1

    def describe(self, response: httpx.Response) -> str:
        return str(response.json()["error"]["text"])

    def reviews(self, *, since: datetime | None) -> Iterator[Sequence[Any]]:
        def fetch(token: str | None) -> tuple[list[Any], str | None]:
            data = self.get_json("reviews", "a page of reviews", params={"page": token} if token else {})
            return data["items"], data.get("next")

        return token_pages(fetch)

    def review(self, raw: Any) -> PlatformReview:
        raise NotImplementedError

    def post_reply(self, message: OutboundMessage) -> httpx.Response:
        if "/" in message.external_id:
            raise InvalidInput(f"a Shop review id holds no slash; got {message.external_id!r}")
        return self.request("POST", f"reviews/{message.external_id}/reply", json={"text": message.body})


def reply(external_id: str = "r1", kind: MessageKind = MessageKind.REVIEW_REPLY) -> OutboundMessage:
    return OutboundMessage(
        id="m1", conversation_id="c1", channel="shop", kind=kind, recipients=(), subject="", body="Thanks!",
        created_at=NOW, external_id=external_id,
    )  # fmt: skip


def test_a_401_refreshes_the_token_once_and_tries_again() -> None:
    tokens = iter(["expired", "fresh"])
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200) if request.headers["Authorization"] == "Bearer fresh" else answer(401, "expired")

    shop = Shop(handler, token=lambda: next(tokens))
    [result] = shop.send([reply()])
    assert result.ok and seen == ["Bearer expired", "Bearer fresh"] and shop.refreshed == 1


def test_a_token_refused_twice_is_temporary_and_says_what_to_check() -> None:
    shop = Shop(lambda request: answer(401, "bad token"))
    [result] = shop.send([reply()])
    assert (result.ok, result.permanent, shop.refreshed) == (False, False, 1)
    assert (
        result.error
        == "Shop answered 401: bad token; Shop refused the access token twice: check the token or what gives it"
    )


def test_a_reply_is_posted_to_the_base_url_and_failures_are_results() -> None:
    posted: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        if request.url.path.endswith("/boom/reply"):
            raise httpx.ConnectError("refused")
        return httpx.Response(201)

    shop = Shop(handler)
    ok, malformed, lost = shop.send([reply("r1"), reply("a/b"), reply("boom")])
    assert ok.ok and str(posted[0].url) == "https://shop.test/api/reviews/r1/reply"
    assert posted[0].content == b'{"text":"Thanks!"}'
    assert (malformed.permanent, "no slash" in (malformed.error or "")) == (True, True)
    assert (lost.ok, lost.permanent, (lost.error or "").startswith("Shop is unreachable")) == (False, False, True)
    assert len(posted) == 2, "a malformed id is refused before any request"
    with pytest.raises(ChannelUnavailable, match="cannot carry a handoff message"):
        shop.send([reply(), reply(kind=MessageKind.HANDOFF)])


def test_reviews_are_read_page_by_page_and_a_failure_raises_the_connectors_error() -> None:
    pages = {"": {"items": [1, 2], "next": "p2"}, "p2": {"items": [3], "next": None}}
    shop = Shop(lambda request: httpx.Response(200, json=pages[request.url.params.get("page", "")]))
    assert list(shop.reviews(since=None)) == [[1, 2], [3]]

    failing = Shop(lambda request: answer(503, "down", **{"Retry-After": "30"}))
    with pytest.raises(ShopError, match="Shop answered 503 for a page of reviews: down") as raised:
        list(failing.reviews(since=None))
    assert raised.value.temporary and raised.value.retry_after == timedelta(seconds=30)
    garbled = Shop(lambda request: httpx.Response(200, text="<html>"))
    with pytest.raises(ShopError, match="Shop sent '<html>' for a page of reviews, not a JSON object"):
        list(garbled.reviews(since=None))
    listed = Shop(lambda request: httpx.Response(200, json=[1, 2]))
    with pytest.raises(ShopError, match="not a JSON object"):
        list(listed.reviews(since=None))


def test_without_a_token_no_authorization_is_sent_and_a_401_is_not_retried() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(401)

    Shop(handler, token=None).send([reply()])
    assert len(seen) == 1 and "Authorization" not in seen[0].headers


def test_the_base_refuses_a_bad_platform_url_or_token() -> None:
    with pytest.raises(InvalidInput, match="base_url"):
        HttpConnector(platform="shop", base_url="shop.test")
    with pytest.raises(InvalidInput, match="platform must be a non-empty name"):
        HttpConnector(platform=" ", base_url="https://shop.test")
    with pytest.raises(InvalidInput, match="token must be"):
        HttpConnector(platform="shop", base_url="https://shop.test", token=42)  # type: ignore[arg-type]


def test_token_pages_stop_without_a_next_token_an_empty_page_or_when_told() -> None:
    asked: list[str | None] = []

    def fetch(token: str | None) -> tuple[list[int], str | None]:
        asked.append(token)
        return {None: ([1, 2], "b"), "b": ([3], "c"), "c": ([], "d")}[token]

    assert list(token_pages(fetch)) == [[1, 2], [3]] and asked == [None, "b", "c"]
    assert list(token_pages(fetch, stop=lambda items: 2 in items)) == [[1, 2]]


def test_numbered_pages_stop_at_an_empty_or_short_page_or_when_told() -> None:
    shelves = {1: [1, 2], 2: [3, 4], 3: [5]}
    assert list(numbered_pages(lambda number: shelves.get(number, []))) == [[1, 2], [3, 4], [5]]
    asked: list[int] = []

    def shelf(number: int) -> list[int]:
        asked.append(number)
        return shelves.get(number, [])

    assert list(numbered_pages(shelf, size=2)) == [[1, 2], [3, 4], [5]]
    assert asked == [1, 2, 3], "a short page is the last: no request for page 4"
    assert list(numbered_pages(lambda number: shelves.get(number, []), stop=lambda items: 4 in items)) == [
        [1, 2],
        [3, 4],
    ]


def test_older_than_stops_once_a_whole_page_is_older() -> None:
    since = NOW - timedelta(days=1)

    def at(item: dict[str, datetime]) -> datetime:
        return item["at"]

    stop = older_than(since, at)
    old, new = {"at": since - timedelta(hours=1)}, {"at": since + timedelta(hours=1)}
    assert (stop([old, old]), stop([new, old]), stop([old, {"no": since}])) == (True, False, False)
    assert older_than(None, at)([old]) is False


def test_mapped_gives_reviews_and_leaves_what_it_cannot_read_for_the_desk_to_reject() -> None:
    class Picky(Shop):
        def review(self, raw: Any) -> PlatformReview:
            if raw["stars"] is None:
                raise KeyError("stars")
            return PlatformReview(feedback=feedback(raw["id"]), updated_at=NOW)

    good, bad = {"id": "r1", "stars": 4}, {"id": "r2", "stars": None}
    first, second = Picky(lambda request: httpx.Response(200)).mapped([good, bad])
    assert isinstance(first, PlatformReview) and first.feedback.external_id == "r1"
    assert second is bad


def feedback(external_id: str) -> Feedback:
    return Feedback(source=Source.REVIEW, platform="shop", external_id=external_id, place_id="p", received_at=NOW)
