"""A connector built on closedloop.connectors, against a fake platform over real HTTP: settings from extra,
a sync that rejects a bad review alone and catches an old review's edit through the look-back, replies that
wait, retry or fail as the platform answers, and a token fetched again after a 401."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
import httpx
import pytest

import closedloop
from closedloop import (
    ChannelLimits,
    Comment,
    Delivery,
    Desk,
    Feedback,
    OutboundMessage,
    Place,
    PlatformReview,
    Rating,
    RatingKind,
    Registry,
    Role,
    Settings,
    Source,
    User,
)
from closedloop.connectors import HttpConnector, PlatformError, numbered_pages, older_than, settings_for
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop.testing.platform import serve_numbered_pages as serve_pages

REVIEWS = "/v1/shops/{shop}/reviews"
REPLY = "/v1/reviews/{id}/reply"


def shop_error(status: int, message: str) -> dict[str, Any]:
    return {"fault": {"status": status, "detail": message}}


@attrs.frozen
class ShopSettings:
    username: str
    password: str
    shops: dict[str, str]
    base_url: str = "https://api.shop.example"
    page_size: int = 2
    look_back: timedelta = timedelta(days=30)


class ShopReviews(HttpConnector):
    """Reviews listed by page number, newest written first; a password-grant token, fetched when needed."""

    title = "Shop"
    limits = ChannelLimits(max_chars=500)
    lists_by_creation = True

    def __init__(self, settings: ShopSettings, clock: Callable[[], datetime]) -> None:
        super().__init__(platform="shop", base_url=settings.base_url, token=self.access_token, clock=clock)
        self.settings = settings
        self.look_back = settings.look_back
        self._token: str | None = None

    def access_token(self) -> str:
        if self._token is None:
            form = {"grant_type": "password", "username": self.settings.username, "password": self.settings.password}
            self._token = str(self.http.post(f"{self.base_url}/oauth/token", data=form).json()["access_token"])
        return self._token

    def refresh(self) -> None:
        self._token = None

    def describe(self, response: httpx.Response) -> str:
        return str(response.json()["fault"]["detail"])

    def reviews(self, *, since: datetime | None) -> Iterator[Sequence[Any]]:
        for shop in self.settings.shops:

            def page(number: int, shop: str = shop) -> list[Any]:
                query = {"page": number, "perPage": self.settings.page_size}
                return list(
                    self.get_json(f"v1/shops/{shop}/reviews", f"page {number} of {shop}", params=query)["items"]
                )

            yield from numbered_pages(page, size=self.settings.page_size, stop=older_than(since, written))

    def review(self, raw: dict[str, Any]) -> PlatformReview:
        feedback = Feedback(
            source=Source.REVIEW,
            platform=self.platform,
            external_id=raw["id"],
            place_id=self.settings.shops[raw["shop"]],
            received_at=written(raw),
            ratings=[Rating(key="stars", kind=RatingKind.STARS, value=raw["stars"])],
            comments=[Comment(text=raw["text"], question="review")],
            metadata={"verified": raw.get("verified", False)},
        )
        return PlatformReview(feedback=feedback, updated_at=datetime.fromisoformat(raw["updated"]))

    def post_reply(self, message: OutboundMessage) -> httpx.Response:
        return self.request("POST", f"v1/reviews/{message.external_id}/reply", json={"text": message.body})


def written(raw: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(raw["created"])


@attrs.define
class ShopPlugin:
    clock: FakeClock
    built: list[ShopReviews] = attrs.field(factory=list)

    @closedloop.hookimpl
    def closedloop_register_connectors(self, registry: Registry, settings: Settings) -> None:
        found = settings_for(ShopSettings, settings, "shop", environ={})
        if found is not None:
            self.built.append(ShopReviews(found, clock=self.clock.now))
            registry.add_connector(self.built[-1])


@attrs.define
class Shop:
    """The fake platform's data: reviews newest written first, and the replies it took."""

    platform: FakePlatform
    reviews: list[dict[str, Any]] = attrs.field(factory=list)
    replies: dict[str, str] = attrs.field(factory=dict)

    def add(self, number: int, at: datetime, **fields: Any) -> None:
        review = {"id": f"r{number}", "shop": "s1", "stars": 4, "text": f"Review {number}", "verified": True}
        self.reviews.append(review | {"created": at.isoformat(), "updated": at.isoformat()} | fields)
        self.reviews.sort(key=lambda item: str(item["created"]), reverse=True)

    def reply(self, request: Any) -> tuple[int, dict[str, Any]]:
        self.replies[request.params["id"]] = request.json["text"]
        return 201, {}


@pytest.fixture
def shop() -> Iterator[Shop]:
    with FakePlatform(bearer="token-1", error_shape=shop_error) as platform:
        data = Shop(platform)
        platform.json("GET", REVIEWS, serve_pages(lambda request: data.reviews, items_key="items"))
        platform.json("POST", REPLY, data.reply)
        platform.json("POST", "/oauth/token", lambda request: {"access_token": platform.bearer}, authenticated=False)
        yield data


@pytest.fixture
def desk(shop: Shop, clock: FakeClock) -> Iterator[Desk]:
    extra = {"shop": {"username": "api", "password": "secret", "shops": {"s1": "paris"}, "base_url": shop.platform.url}}
    plugin = ShopPlugin(clock)
    with Desk.open(plugins=[plugin], extra=extra, clock=clock, load_entry_points=False) as opened:
        opened.add_place(Place(id="paris", name="Chez Nous Paris"))
        opened.add_user(User(id="ana", name="Ana", role=Role.ADMIN))
        yield opened
    for connector in plugin.built:
        connector.close()


def test_a_bad_review_is_rejected_alone_and_an_old_reviews_edit_is_caught_by_the_look_back(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    for number in range(1, 5):
        shop.add(number, clock.now() - timedelta(days=number * 3))
    shop.add(9, clock.now() - timedelta(hours=1), stars="five")

    report = desk.sync("shop")

    assert (report.added, report.complete) == (4, True)
    [(review_id, reason)] = report.rejected
    assert review_id == "r9" and "five" in reason
    assert len(shop.platform.calls("GET", REVIEWS)) == 3, "pages of 2: the third, short, is the last"
    assert all(conversation.feedback.metadata["verified"] == "true" for conversation in desk.inbox("ana").items)

    clock.advance(days=1)
    old = next(review for review in shop.reviews if review["id"] == "r3")  # written 9 days before the first sync
    old.update(text="Came back, much better", stars=5, updated=clock.now().isoformat())
    again = desk.sync("shop")

    assert (again.updated, again.edits) == (1, 1)
    asked = [request.query["page"] for request in shop.platform.calls("GET", REVIEWS)[3:]]
    assert asked == ["1", "2", "3"], "every review written in the 30 days before the last sync is read again"


def test_replies_wait_retry_or_fail_as_the_platform_answers(desk: Desk, shop: Shop, clock: FakeClock) -> None:
    for number in range(1, 5):
        shop.add(number, clock.now() - timedelta(days=1, hours=number))
    desk.sync("shop")
    ids = {conversation.feedback.external_id: conversation.id for conversation in desk.inbox("ana").items}
    shop.platform.fail("POST", REPLY, status=429, headers={"Retry-After": "120"}, times=1, when=for_review("r1"))
    shop.platform.fail("POST", REPLY, status=503, times=1, when=for_review("r2"))
    shop.platform.fail("POST", REPLY, status=400, message="Reply text is not allowed.", when=for_review("r3"))
    shop.platform.drop("POST", REPLY, times=1, when=for_review("r4"))
    for review_id, conversation_id in sorted(ids.items()):
        desk.reply(conversation_id, by="ana", body=f"Thank you ({review_id})", channel="review")

    first = desk.dispatch()

    assert (first.sent, first.retrying, first.failed) == (0, 3, 1)
    [refused] = desk.outbox(status="failed")
    assert refused.last_error == "Shop answered 400: Reply text is not allowed."
    limited = next(message for message in desk.outbox() if message.external_id == "r1")
    assert limited.next_attempt_at is not None and limited.next_attempt_at >= clock.now() + timedelta(seconds=120)

    clock.advance(minutes=3)
    assert desk.dispatch().sent == 3
    assert shop.replies == {"r1": "Thank you (r1)", "r2": "Thank you (r2)", "r4": "Thank you (r4)"}
    assert {message.status for message in desk.outbox() if message.external_id != "r3"} == {Delivery.SENT}


def test_a_token_the_platform_stops_taking_is_fetched_again_once(desk: Desk, shop: Shop, clock: FakeClock) -> None:
    shop.add(1, clock.now() - timedelta(days=1))
    desk.sync("shop")
    shop.platform.rotate_bearer("token-2")
    [conversation] = desk.inbox("ana").items

    desk.reply(conversation.id, by="ana", body="Thanks!", channel="review")

    assert desk.dispatch().sent == 1
    assert [request.bearer for request in shop.platform.calls("POST", REPLY)] == ["token-1", "token-2"]
    assert len(shop.platform.calls("POST", "/oauth/token")) == 2


def test_a_platform_that_refuses_to_list_stops_the_sync_with_its_words(desk: Desk, shop: Shop) -> None:
    shop.platform.fail("GET", REVIEWS, status=503, headers={"Retry-After": "60"}, message="Down for maintenance.")
    with pytest.raises(PlatformError, match=r"Shop answered 503 for page 1 of s1: Down for maintenance\.") as raised:
        desk.sync("shop")
    assert raised.value.temporary and raised.value.retry_after == timedelta(minutes=1)


def for_review(review_id: str) -> Callable[[Any], bool]:
    return lambda request: request.params.get("id") == review_id
