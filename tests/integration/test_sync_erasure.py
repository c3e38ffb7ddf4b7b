"""desk.sync after desk.erase_customer (issue 18): a review the platform still shows does not come back by
being seen again, nor does the business's unchanged reply; a review the customer writes again does, as an
edit does, and from then on the conversation syncs as any other. Memory and SQLite desks; the platform is an
in-process list of reviews."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from closedloop import (
    Comment,
    Contact,
    Conversation,
    Desk,
    Feedback,
    InvalidInput,
    MessageKind,
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
from closedloop.domain.conversation import InteractionKind
from closedloop.domain.reviews import erasure_prints, review_prints, sync_review
from closedloop.testing import PlatformInMemory
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock

PLATFORM = "example_reviews"
REVIEWER = "Margaux Lefebvre"
TEXT = "Margaux here: the waiter forgot my birthday cake"
REPLY = "Dear Margaux, we are so sorry about the cake"


def shown(clock: FakeClock, *, text: str = TEXT, stars: int = 2, reply: str | None = REPLY) -> PlatformReview:
    """The review as the platform shows it, written a day ago, with the business's reply an hour later."""
    written = clock.now() - timedelta(days=1)
    feedback = Feedback(
        source=Source.REVIEW,
        platform=PLATFORM,
        external_id="reviews/1",
        place_id="paris",
        received_at=written,
        contact=Contact(name=REVIEWER),
        ratings=(Rating(key="stars", kind=RatingKind.STARS, value=stars),),
        comments=(Comment(text=text, question="review"),),
    )
    answer = PlatformReply(body=reply, at=written + timedelta(hours=1)) if reply else None
    return PlatformReview(feedback=feedback, updated_at=written, reply=answer)


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    return None if request.param == "memory" else f"sqlite:///{tmp_path / 'sync.db'}"


@pytest.fixture
def platform(clock: FakeClock) -> PlatformInMemory:
    return PlatformInMemory(PLATFORM, [[shown(clock)]])


@pytest.fixture
def desk(url: str | None, platform: PlatformInMemory, clock: FakeClock) -> Iterator[Desk]:
    replies = RecordingChannel(PLATFORM, kinds=[MessageKind.REVIEW_REPLY])
    with Desk.open(url, plugins=[platform, replies], clock=clock, load_entry_points=False) as opened:
        opened.add_place(Place(id="paris", name="Chez Nous Paris"))
        opened.add_user(User(id="ana", name="Ana", role=Role.ADMIN))
        yield opened


def erased_review(desk: Desk, clock: FakeClock) -> Conversation:
    """The review synced, then its customer erased; the conversation as the erasure left it."""
    assert desk.sync(PLATFORM).added == 1
    [conversation] = desk.inbox("ana", limit=10).items
    clock.advance(hours=1)
    desk.erase_customer(by="ana", conversation_id=conversation.id, reason="asked to be forgotten")
    erased = desk.conversation(conversation.id, by="ana")
    assert erased.erasure is not None and erased.erasure.review and erased.erasure.reply
    assert_forgotten(erased)
    return erased


def customer_wrote(conversation: Conversation) -> str:
    """The text of the conversation's last customer message."""
    return [entry.body for entry in conversation.history if entry.kind is InteractionKind.CUSTOMER_MESSAGE][-1]


def assert_forgotten(conversation: Conversation) -> None:
    held = repr(conversation)
    for personal in ("Margaux", "Lefebvre", "birthday cake"):
        assert personal not in held


def test_an_erased_review_seen_again_unchanged_records_nothing_and_brings_nothing_back(
    desk: Desk, clock: FakeClock
) -> None:
    erased = erased_review(desk, clock)
    clock.advance(hours=1)

    report = desk.sync(PLATFORM, full=True)

    assert (report.updated, report.unchanged, report.edits, report.replies) == (0, 1, 0, 0)
    after = desk.conversation(erased.id, by="ana")
    assert (after.version, after.history) == (erased.version, erased.history)
    assert_forgotten(after)


def test_an_erased_review_the_customer_wrote_again_comes_back_as_a_customer_message(
    desk: Desk, platform: PlatformInMemory, clock: FakeClock
) -> None:
    erased = erased_review(desk, clock)
    clock.advance(hours=1)
    written_again = "Margaux again: they sent a cake the next day, thank you"
    platform.pages = [[attrs.evolve(shown(clock, text=written_again, stars=5), updated_at=clock.now())]]

    report = desk.sync(PLATFORM, full=True)

    assert (report.updated, report.edits, report.replies) == (1, 1, 0)
    after = desk.conversation(erased.id, by="ana")
    added = after.history[len(erased.history) :]
    assert [(entry.kind, entry.body) for entry in added if entry.kind is not InteractionKind.STATUS_CHANGE] == [
        (InteractionKind.CUSTOMER_MESSAGE, written_again)
    ]
    assert after.status is Status.UNREAD_CUSTOMER_REPLY
    assert REPLY not in repr(after), "the business's unchanged reply stays erased"
    clock.advance(hours=1)
    again = desk.sync(PLATFORM, full=True)  # from now on it syncs as any other conversation
    assert (again.unchanged, again.edits, again.replies) == (1, 0, 0)
    assert erasure_prints(b"key", after) == (
        review_prints(b"key", written_again, "stars=5", "")[0],
        erased.erasure.reply if erased.erasure else "",
    ), "erased again, it keeps the new review's print and the reply's it had"


def test_only_the_stars_changing_brings_an_erased_review_back(
    desk: Desk, platform: PlatformInMemory, clock: FakeClock
) -> None:
    erased = erased_review(desk, clock)
    clock.advance(hours=1)
    platform.pages = [[attrs.evolve(shown(clock, stars=4), updated_at=clock.now())]]

    assert desk.sync(PLATFORM, full=True).edits == 1
    assert customer_wrote(desk.conversation(erased.id, by="ana")) == TEXT


def test_an_erased_reviews_unchanged_reply_is_not_recorded_but_a_new_reply_is(
    desk: Desk, platform: PlatformInMemory, clock: FakeClock
) -> None:
    erased = erased_review(desk, clock)
    clock.advance(hours=1)
    same_words_spaced_out = "  Dear Margaux,  we are so sorry\nabout the cake "
    platform.pages = [[shown(clock, reply=same_words_spaced_out)]]
    assert desk.sync(PLATFORM, full=True).replies == 0
    assert desk.conversation(erased.id, by="ana").history == erased.history

    platform.pages = [[shown(clock, reply="We have a new pastry chef since")]]
    report = desk.sync(PLATFORM, full=True)

    assert (report.replies, report.edits) == (1, 0)
    after = desk.conversation(erased.id, by="ana")
    replies = [
        entry.body for entry in after.history[len(erased.history) :] if entry.kind is InteractionKind.REVIEW_REPLY
    ]
    assert replies == ["We have a new pastry chef since"]
    assert_forgotten(after)
    assert desk.sync(PLATFORM, full=True).replies == 0, "the new reply is recorded once"


def test_comparing_an_erased_review_needs_the_privacy_key(desk: Desk, clock: FakeClock) -> None:
    erased = erased_review(desk, clock)
    place = Place(id="paris", name="Chez Nous Paris")

    with pytest.raises(InvalidInput, match="key"):
        sync_review(erased, shown(clock), place=place, now=clock.now())
    unrelated_key = sync_review(erased, shown(clock), place=place, now=clock.now(), key=b"not the desk's key")
    assert unrelated_key.conversation is erased, "hashes made with another key cannot be compared: nothing comes back"
