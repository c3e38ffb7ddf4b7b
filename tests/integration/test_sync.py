"""desk.sync: reviews from a platform become conversations, edits and platform replies are recorded once,
and an interrupted sync resumes by running it again. The source here is an in-process list of pages; the
connector packages test the same use case against their platforms' fake servers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import attrs
import pytest

import closedloop
from closedloop import (
    Comment,
    Contact,
    Desk,
    Feedback,
    InvalidInput,
    MessageKind,
    NotConfigured,
    Place,
    PlatformReply,
    PlatformReview,
    Rating,
    RatingKind,
    Role,
    Source,
    Status,
    User,
)
from closedloop.app.access import ADD_PLACE
from closedloop.domain.conversation import ActorKind, InteractionKind
from closedloop.testing import PlatformInMemory
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock

PLATFORM = "example_reviews"


def PagedSource(pages: list[list[PlatformReview]]) -> PlatformInMemory:
    return PlatformInMemory(PLATFORM, pages)


def review(
    number: int, clock: FakeClock, *, stars: int = 4, text: str = "Nice place", reply: str | None = None
) -> PlatformReview:
    written = clock.now() - timedelta(days=1, minutes=number)
    feedback = Feedback(
        source=Source.REVIEW,
        platform=PLATFORM,
        external_id=f"reviews/{number}",
        place_id="paris",
        received_at=written,
        contact=Contact(name=f"Reviewer {number}"),
        ratings=(Rating(key="stars", kind=RatingKind.STARS, value=stars),),
        comments=(Comment(text=text, question="review"),),
    )
    answer = PlatformReply(body=reply, at=written + timedelta(hours=1)) if reply else None
    return PlatformReview(feedback=feedback, updated_at=written, reply=answer)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    return None if request.param == "memory" else f"sqlite:///{tmp_path / 'sync.db'}"


def open_desk(url: str | None, source: PagedSource, clock: FakeClock) -> Desk:
    replies = RecordingChannel(PLATFORM, kinds=[MessageKind.REVIEW_REPLY])
    desk = Desk.open(url, plugins=[source, replies], clock=clock, load_entry_points=False)
    desk.add_place(Place(id="paris", name="Chez Nous Paris"))
    desk.add_user(User(id="ana", name="Ana", role=Role.ADMIN))
    return desk


def test_a_first_sync_opens_a_conversation_per_review_and_records_replies_made_on_the_platform(
    url: str | None, clock: FakeClock
) -> None:
    pages = [[review(1, clock), review(2, clock, stars=1, reply="Sorry to hear that")], [review(3, clock)]]
    source = PagedSource(pages)
    desk = open_desk(url, source, clock)
    seen: list[int] = []

    report = desk.sync(PLATFORM, progress=lambda so_far: seen.append(so_far.seen))

    assert (report.added, report.updated, report.unchanged, report.replies, report.edits) == (3, 0, 0, 1, 0)
    assert report.complete and seen == [2, 3]
    page = desk.inbox("ana", limit=10)
    by_review = {conversation.feedback.external_id: conversation for conversation in page.items}
    answered = by_review["reviews/2"]
    assert answered.status is Status.AWAITING_CUSTOMER
    reply = [entry for entry in answered.history if entry.kind is InteractionKind.REVIEW_REPLY]
    assert [(entry.body, entry.author.kind, entry.author.name) for entry in reply] == [
        ("Sorry to hear that", ActorKind.PLACE, "Chez Nous Paris")
    ]
    assert answered.alert is not None, "alert rules run on synced reviews as on any intake"
    assert by_review["reviews/1"].status is Status.NEW


def test_syncing_again_records_nothing(url: str | None, clock: FakeClock) -> None:
    source = PagedSource([[review(1, clock), review(2, clock, reply="Thanks!")]])
    desk = open_desk(url, source, clock)
    desk.sync(PLATFORM)
    before = {c.id: (c.version, len(c.history)) for c in desk.inbox("ana", limit=10).items}

    clock.advance(hours=1)
    report = desk.sync(PLATFORM)

    assert (report.added, report.updated, report.unchanged, report.replies) == (0, 0, 2, 0)
    assert {c.id: (c.version, len(c.history)) for c in desk.inbox("ana", limit=10).items} == before


def test_an_edit_after_our_reply_comes_back_to_the_inbox_as_a_customer_message(
    url: str | None, clock: FakeClock
) -> None:
    source = PagedSource([[review(1, clock, stars=2, text="Cold food")]])
    desk = open_desk(url, source, clock)
    desk.sync(PLATFORM)
    conversation = desk.inbox("ana", limit=1).items[0]
    desk.note(conversation.id, by="ana", body="We called the kitchen")
    clock.advance(hours=2)
    edited = attrs.evolve(
        review(1, clock, stars=4, text="They called me back, much better"),
        updated_at=clock.now() - timedelta(minutes=5),
    )
    source.pages = [[edited]]

    report = desk.sync(PLATFORM)

    assert (report.updated, report.edits) == (1, 1)
    after = desk.inbox("ana", limit=1).items[0]
    assert after.status is Status.UNREAD_CUSTOMER_REPLY
    message = after.history[-2] if after.history[-1].kind is InteractionKind.STATUS_CHANGE else after.history[-1]
    assert (message.kind, message.body) == (InteractionKind.CUSTOMER_MESSAGE, "They called me back, much better")
    assert after.feedback.text == "Cold food", "the original review is kept as it was"
    assert desk.sync(PLATFORM).edits == 0, "the same edit is recorded once"


def test_our_own_reply_seen_on_the_platform_is_not_recorded_twice(url: str | None, clock: FakeClock) -> None:
    source = PagedSource([[review(1, clock)]])
    desk = open_desk(url, source, clock)
    desk.sync(PLATFORM)
    conversation = desk.inbox("ana", limit=1).items[0]
    replied = desk.reply(conversation.id, by="ana", body="Thank you for coming!", channel="review")
    source.pages = [[attrs.evolve(review(1, clock), reply=PlatformReply(body="Thank you for coming!", at=clock.now()))]]

    report = desk.sync(PLATFORM)

    assert report.replies == 0 and report.unchanged == 1
    assert len(desk.inbox("ana", limit=1).items[0].history) == len(replied.history)


def test_an_interrupted_sync_resumes_by_running_it_again(url: str | None, clock: FakeClock) -> None:
    source = PagedSource([[review(1, clock), review(2, clock)], [review(3, clock)], [review(4, clock)]])
    source.fail_on_page = 1
    desk = open_desk(url, source, clock)

    with pytest.raises(ConnectionError):
        desk.sync(PLATFORM)
    assert desk.counts("ana").inbox == 2, "the page read before the failure is kept"

    report = desk.sync(PLATFORM)

    assert (report.added, report.unchanged) == (2, 2)
    assert desk.counts("ana").inbox == 4
    assert source.asked_since == [None, None], "an unfinished sync does not move the mark"


def test_the_next_sync_asks_only_for_what_changed_since_the_last_complete_one(
    url: str | None, clock: FakeClock
) -> None:
    source = PagedSource([[review(1, clock)]])
    desk = open_desk(url, source, clock)
    started = clock.now()
    desk.sync(PLATFORM)
    clock.advance(hours=3)

    desk.sync(PLATFORM)
    desk.sync(PLATFORM, full=True)

    assert source.asked_since[0] is None
    assert source.asked_since[1] is not None and started - timedelta(hours=1) < source.asked_since[1] <= started
    assert source.asked_since[2] is None


def test_reviews_for_unknown_places_are_rejected_with_the_reason(url: str | None, clock: FakeClock) -> None:
    elsewhere = review(2, clock)
    elsewhere = attrs.evolve(elsewhere, feedback=attrs.evolve(elsewhere.feedback, place_id="lyon"))
    desk = open_desk(url, PagedSource([[review(1, clock), elsewhere]]), clock)

    report = desk.sync(PLATFORM)

    assert report.added == 1
    assert report.rejected == [("reviews/2", f"unknown place 'lyon'; {ADD_PLACE}")]


def test_a_platform_without_a_source_is_a_clear_error(clock: FakeClock) -> None:
    with Desk.open(clock=clock, load_entry_points=False) as desk, pytest.raises(NotConfigured, match="connector"):
        desk.sync("nowhere")


def test_a_review_must_name_its_platform_and_be_public(clock: FakeClock) -> None:
    feedback = review(1, clock).feedback
    with pytest.raises(InvalidInput, match="public source"):
        PlatformReview(feedback=attrs.evolve(feedback, source=Source.SURVEY), updated_at=clock.now())
    with pytest.raises(InvalidInput, match="timezone-aware"):
        PlatformReview(feedback=feedback, updated_at=datetime(2026, 1, 1))


@attrs.define
class ReplyingSource(PlatformInMemory):
    """A source that also posts the replies: a connector."""

    closed: int = 0
    name: str = PLATFORM
    kinds: frozenset[MessageKind] = frozenset({MessageKind.REVIEW_REPLY})
    limits: closedloop.ChannelLimits = attrs.field(factory=closedloop.ChannelLimits)

    def send(self, messages: Sequence[closedloop.OutboundMessage]) -> list[closedloop.SendResult]:
        return [closedloop.SendResult(message_id=message.id, ok=True) for message in messages]

    def close(self) -> None:
        self.closed += 1


@attrs.define
class ConnectorPerDesk:
    """An installed connector's plugin: builds a connector for each desk that opens."""

    built: list[object] = attrs.field(factory=list)
    make: Callable[[], object] = attrs.field(default=functools.partial(ReplyingSource, PLATFORM))

    @closedloop.hookimpl
    def closedloop_register_connectors(self, registry: closedloop.Registry) -> None:
        self.built.append(self.make())
        registry.add_connector(self.built[-1])  # type: ignore[arg-type]  # a wrong one is refused here


def test_closing_the_desk_closes_a_connector_once_even_when_it_plays_both_roles(clock: FakeClock) -> None:
    plugin = ConnectorPerDesk(make=lambda: ReplyingSource(PLATFORM))
    Desk.open(plugins=[plugin], clock=clock, load_entry_points=False).close()

    [connector] = plugin.built
    assert isinstance(connector, ReplyingSource) and connector.closed == 1


def test_each_desk_gets_its_own_connector_as_both_its_source_and_its_reply_channel(clock: FakeClock) -> None:
    plugin = ConnectorPerDesk(make=lambda: ReplyingSource(PLATFORM))
    with (
        Desk.open(plugins=[plugin], clock=clock, load_entry_points=False) as first,
        Desk.open(plugins=[plugin], clock=clock, load_entry_points=False) as second,
    ):
        assert len(plugin.built) == 2 and plugin.built[0] is not plugin.built[1]
        for desk, connector in zip((first, second), plugin.built, strict=True):
            assert desk.registry.source(PLATFORM) is connector
            assert desk.registry.channel(PLATFORM) is connector


@attrs.define
class ChannelNamedOtherwise(ReplyingSource):
    name: str = "somewhere_else"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: PagedSource([]), r"not a connector: it is not a channel \(name, kinds, limits, send"),
        (lambda: RecordingChannel(), r"not a connector: it is not a review source \(platform, reviews"),
        (lambda: ChannelNamedOtherwise(PLATFORM), r"named 'somewhere_else'.*must be its platform"),
    ],
)
def test_a_connector_missing_a_role_or_named_otherwise_is_refused_when_the_desk_opens(
    clock: FakeClock, make: Callable[[], object], says: str
) -> None:
    with pytest.raises(InvalidInput, match=says):
        Desk.open(plugins=[ConnectorPerDesk(make=make)], clock=clock, load_entry_points=False)
