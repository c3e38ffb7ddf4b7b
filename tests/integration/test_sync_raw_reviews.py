"""desk.sync with the connectors' newer means: what the platform gave, mapped by the source and refused one
review at a time, and a platform that lists reviews by creation, reread over a look-back window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

import closedloop
from closedloop import (
    Comment,
    Desk,
    Feedback,
    InteractionKind,
    InvalidInput,
    Place,
    PlatformReview,
    Rating,
    RatingKind,
    Role,
    Source,
    User,
)
from closedloop.testing.clock import FakeClock

PLATFORM = "by_creation"


@attrs.define
class RawSource:
    """A platform in memory that lists its reviews newest *written* first, as dicts its API would give, and
    honours ``since`` by creation, as such a platform's API does."""

    items: list[dict[str, Any]]
    lists_by_creation: bool = True
    look_back: Any = None
    page_size: int = 2
    asked_since: list[datetime | None] = attrs.field(factory=list)

    @property
    def platform(self) -> str:
        return PLATFORM

    def reviews(self, *, since: datetime | None) -> Iterator[list[object]]:
        self.asked_since.append(since)
        listed = [item for item in self.items if since is None or item["created"] >= since]
        listed.sort(key=lambda item: item["created"], reverse=True)
        for start in range(0, len(listed), self.page_size):
            yield list(listed[start : start + self.page_size])

    def review(self, raw: dict[str, Any]) -> PlatformReview:
        feedback = Feedback(
            source=Source.REVIEW,
            platform=PLATFORM,
            external_id=raw["id"],
            place_id="paris",
            received_at=raw["created"],
            ratings=[Rating(key="stars", kind=RatingKind.STARS, value=raw["stars"])],
            comments=[Comment(text=raw["text"], question="review")],
            metadata=raw.get("metadata", {}),
        )
        return PlatformReview(feedback=feedback, updated_at=raw.get("updated", raw["created"]))

    def review_id(self, raw: dict[str, Any]) -> str:
        return str(raw["id"])

    @closedloop.hookimpl
    def closedloop_register_sources(self, registry: closedloop.Registry) -> None:
        registry.add_source(self)


def item(number: int, written: datetime, **changes: Any) -> dict[str, Any]:
    return {"id": f"r{number}", "created": written, "stars": 4, "text": f"Review {number}", **changes}


def open_desk(source: object, clock: FakeClock) -> Desk:
    desk = Desk.open(plugins=[source], clock=clock, load_entry_points=False)
    desk.add_place(Place(id="paris", name="Chez Nous Paris"))
    desk.add_user(User(id="ana", name="Ana", role=Role.ADMIN))
    return desk


def customer_messages(desk: Desk, review_id: str) -> list[str]:
    [conversation] = [c for c in desk.inbox("ana", limit=50).items if c.feedback.external_id == review_id]
    return [entry.body for entry in conversation.history if entry.kind is InteractionKind.CUSTOMER_MESSAGE]


def test_an_edit_of_an_older_review_is_caught_by_the_look_back(clock: FakeClock) -> None:
    source = RawSource([item(number, clock.now() - timedelta(days=number)) for number in range(1, 6)])
    desk = open_desk(source, clock)
    assert desk.sync(PLATFORM).added == 5
    started = clock.now()
    clock.advance(days=1)
    source.items[3].update(text="Edited a week later", stars=2, updated=clock.now())  # r4, written 4 days ago

    report = desk.sync(PLATFORM)

    assert source.asked_since[1] == started - timedelta(days=30), "the default window is 30 days"
    assert (report.updated, report.edits, report.unchanged) == (1, 1, 4)
    assert customer_messages(desk, "r4") == ["Edited a week later"]


def test_the_window_is_the_sources_and_what_lies_beyond_it_waits_for_a_full_sync(clock: FakeClock) -> None:
    source = RawSource([item(1, clock.now() - timedelta(days=2)), item(2, clock.now() - timedelta(days=9))])
    source.look_back = timedelta(days=7)
    desk = open_desk(source, clock)
    desk.sync(PLATFORM)
    clock.advance(hours=1)
    source.items[1].update(text="An edit past the window", updated=clock.now())

    assert desk.sync(PLATFORM).updated == 0, "a review written before the window is not reread"
    assert desk.sync(PLATFORM, full=True).edits == 1
    assert customer_messages(desk, "r2") == ["An edit past the window"]


def test_a_source_listing_by_change_keeps_the_small_overlap(clock: FakeClock) -> None:
    source = RawSource([item(1, clock.now() - timedelta(days=2))], lists_by_creation=False)
    desk = open_desk(source, clock)
    started = clock.now()
    desk.sync(PLATFORM)
    desk.sync(PLATFORM)
    assert source.asked_since[1] == started - timedelta(minutes=10)


@pytest.mark.parametrize("window", [timedelta(minutes=1), 30, "30d"])
def test_a_window_that_is_not_a_timedelta_of_some_minutes_is_the_connectors_fault(
    clock: FakeClock, window: object
) -> None:
    source = RawSource([item(1, clock.now())], look_back=window)
    desk = open_desk(source, clock)
    desk.sync(PLATFORM)
    with pytest.raises(InvalidInput, match=r"look_back must be a timedelta.*connector plugin"):
        desk.sync(PLATFORM)


def test_a_review_the_connector_cannot_read_is_rejected_alone(clock: FakeClock) -> None:
    now = clock.now()
    source = RawSource(
        [
            item(1, now),
            {"id": "r2", "created": now - timedelta(hours=1), "text": "no stars"},  # a missing key
            item(3, now - timedelta(hours=2), stars="five"),  # a wrong type, refused by closedloop
            item(4, now - timedelta(hours=3)),
            {"created": now - timedelta(hours=4)},  # not even an id
        ]
    )
    desk = open_desk(source, clock)

    report = desk.sync(PLATFORM)

    assert report.complete and report.added == 2 and report.seen == 5
    rejected = dict(report.rejected)
    assert list(rejected) == ["r2", "r3", "item 1 of page 3 of the 'by_creation' review source"]
    assert "'stars'" in rejected["r2"] and "KeyError" in rejected["r2"]
    assert "five" in rejected["r3"]
    assert {c.feedback.external_id for c in desk.inbox("ana", limit=10).items} == {"r1", "r4"}


def test_a_mapping_that_gives_something_else_than_a_review_is_rejected(clock: FakeClock) -> None:
    class Careless(RawSource):
        def review(self, raw: dict[str, Any]) -> PlatformReview:
            return raw  # type: ignore[return-value]  # the mistake under test

    desk = open_desk(Careless([item(1, clock.now())]), clock)
    [(review_id, reason)] = desk.sync(PLATFORM).rejected
    assert review_id == "r1" and "not a closedloop.PlatformReview" in reason


def test_a_page_may_mix_reviews_and_what_the_platform_gave(clock: FakeClock) -> None:
    class Mixed(RawSource):
        def reviews(self, *, since: datetime | None) -> Iterator[list[object]]:
            yield [self.review(item(1, clock.now())), item(2, clock.now())]

    assert open_desk(Mixed([]), clock).sync(PLATFORM).added == 2


def test_a_source_without_a_mapping_still_has_a_wrong_page_refused_whole(clock: FakeClock) -> None:
    @attrs.define
    class Plain:
        platform: str = PLATFORM

        def reviews(self, *, since: datetime | None) -> Iterator[list[object]]:
            yield [{"id": "r1"}]

        @closedloop.hookimpl
        def closedloop_register_sources(self, registry: closedloop.Registry) -> None:
            registry.add_source(self)

    desk = open_desk(Plain(), clock)
    with pytest.raises(InvalidInput, match=r"closedloop\.PlatformReview.*connector plugin"):
        desk.sync(PLATFORM)
    assert desk.counts("ana").inbox == 0


def test_metadata_numbers_and_flags_are_kept_as_text(clock: FakeClock) -> None:
    metadata = {"verified": True, "invited": False, "likes": 12, "score": 4.5, "country": "FR"}
    desk = open_desk(RawSource([item(1, clock.now(), metadata=metadata)]), clock)
    desk.sync(PLATFORM)
    [conversation] = desk.inbox("ana").items
    assert {key: conversation.feedback.metadata[key] for key in metadata} == {
        "verified": "true",
        "invited": "false",
        "likes": "12",
        "score": "4.5",
        "country": "FR",
    }
