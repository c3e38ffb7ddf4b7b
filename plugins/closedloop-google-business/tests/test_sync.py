"""desk.sync through the connector against the fake API: paging, mapping, idempotence, edits, interruption."""

from __future__ import annotations

from datetime import timedelta

import pytest
from business_api import LOCATION, OTHER_LOCATION, TOKEN, BusinessProfile

from closedloop import Desk, InteractionKind, Status, SyncReport
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop.testing.reviews import stored_reviews
from closedloop_google_business import GoogleBusinessError, GoogleBusinessProfile

PLATFORM = "google_business"


def fill(google: BusinessProfile, clock: FakeClock, count: int = 120) -> None:
    """``count`` reviews an hour apart, before the clock's time: every 10th anonymous, every 7th answered."""
    for number in range(count):
        at = clock.now() - timedelta(days=1, hours=number)
        google.add_review(
            LOCATION,
            f"r{number}",
            stars=number % 5 + 1,
            comment=f"Review number {number}" if number % 3 else "",
            name=f"Customer {number}",
            anonymous=number % 10 == 0,
            at=at,
            reply=("Thank you for coming!", at + timedelta(minutes=30)) if number % 7 == 0 else None,
        )


def test_a_first_sync_takes_in_every_page_and_a_second_adds_nothing(
    desk: Desk, platform: FakePlatform, google: BusinessProfile, clock: FakeClock
) -> None:
    fill(google, clock)
    seen: list[int] = []
    report = desk.sync(PLATFORM, progress=lambda report: seen.append(report.seen))

    assert report.complete and report.added == 120 and not report.rejected
    assert seen == [50, 100, 120]
    listed = [call for call in platform.calls("GET") if LOCATION in call.path]
    assert len(listed) == 3
    assert all(call.query["pageSize"] == "50" and call.query["orderBy"] == "updateTime desc" for call in listed)
    assert "pageToken" not in listed[0].query and all("pageToken" in call.query for call in listed[1:])

    stored = stored_reviews(desk, "ana")
    assert len(stored) == 120
    first = stored[f"{LOCATION}/reviews/r0"]
    assert first.feedback.contact.name == ""  # anonymous
    assert first.feedback.metadata["location"] == LOCATION
    assert first.place_id == "paris"
    named = stored[f"{LOCATION}/reviews/r1"]
    assert named.feedback.contact.name == "Customer 1"
    assert [(r.key, r.value) for r in named.feedback.ratings] == [("stars", 2)]
    assert named.feedback.text == "Review number 1"
    assert [c.question for c in named.feedback.comments] == ["review"]
    assert first.feedback.comments == ()
    answered = stored[f"{LOCATION}/reviews/r7"]
    replies = [entry for entry in answered.history if entry.kind is InteractionKind.REVIEW_REPLY]
    assert [entry.body for entry in replies] == ["Thank you for coming!"]
    assert replies[0].author.id == "paris"
    assert answered.status is Status.AWAITING_CUSTOMER
    assert report.replies == 18  # r0, r7, ..., r119

    clock.advance(hours=1)
    again = desk.sync(PLATFORM)
    assert again.complete and again.added == 0 and again.updated == 0 and again.edits == 0
    assert (
        len([call for call in platform.calls("GET") if LOCATION in call.path]) == 4
    )  # the second sync stopped at its first page: the rest is older
    assert len(stored_reviews(desk, "ana")) == 120


def test_an_edit_after_our_reply_comes_back_as_an_unread_customer_message(
    desk: Desk, google: BusinessProfile, clock: FakeClock
) -> None:
    fill(google, clock, count=5)
    desk.sync(PLATFORM)
    name = f"{LOCATION}/reviews/r2"
    conversation = stored_reviews(desk, "ana")[name]

    desk.reply(conversation.id, by="ana", body="Sorry about the noise, we have moved the bar.", channel="review")
    assert desk.dispatch().sent == 1
    assert google.review(name)["reviewReply"]["comment"] == "Sorry about the noise, we have moved the bar."  # type: ignore[index]

    clock.advance(hours=2)
    desk.sync(PLATFORM)  # our own reply seen on the platform records nothing
    assert desk.conversation(conversation.id, by="ana").status is Status.AWAITING_CUSTOMER

    clock.advance(hours=2)
    google.edit_review(name, comment="Better now, thank you.", stars=5, at=clock.now())
    clock.advance(minutes=5)
    report = desk.sync(PLATFORM)
    assert (report.added, report.updated, report.edits, report.replies) == (0, 1, 1, 0)
    after = desk.conversation(conversation.id, by="ana")
    assert after.status is Status.UNREAD_CUSTOMER_REPLY
    messages = [entry for entry in after.history if entry.kind is InteractionKind.CUSTOMER_MESSAGE]
    assert [entry.body for entry in messages] == ["Better now, thank you."]


def test_an_interrupted_sync_keeps_its_pages_and_resumes(
    desk: Desk, platform: FakePlatform, google: BusinessProfile, clock: FakeClock
) -> None:
    fill(google, clock)
    platform.fail("GET", status=503, when=lambda request: "pageToken" in request.query)
    reports: list[SyncReport] = []
    with pytest.raises(GoogleBusinessError, match=r"503 for page 2 of the reviews of accounts/1/locations/2"):
        desk.sync(PLATFORM, progress=reports.append)
    assert len(stored_reviews(desk, "ana")) == 50

    platform.clear_failures()
    clock.advance(minutes=1)
    report = desk.sync(PLATFORM)
    assert report.complete and report.added == 70 and report.unchanged == 50
    stored = stored_reviews(desk, "ana")
    assert len(stored) == 120
    assert sum(1 for c in stored.values() for e in c.history if e.kind is InteractionKind.REVIEW_REPLY) == 18


def test_every_location_goes_to_its_place(desk: Desk, google: BusinessProfile, clock: FakeClock) -> None:
    google.add_review(LOCATION, "a", stars=5, comment="Lovely", at=clock.now() - timedelta(hours=1))
    google.add_review(OTHER_LOCATION, "b", stars=None, comment="No stars given", at=clock.now() - timedelta(hours=2))
    report = desk.sync(PLATFORM)
    assert report.added == 2
    stored = stored_reviews(desk, "ana")
    assert stored[f"{LOCATION}/reviews/a"].place_id == "paris"
    unrated = stored[f"{OTHER_LOCATION}/reviews/b"]
    assert unrated.place_id == "lyon" and unrated.feedback.ratings == ()


def test_a_refused_token_is_a_clear_error(platform: FakePlatform) -> None:
    asked: list[int] = []

    def stale() -> str:
        asked.append(1)
        return "stale"

    connector = GoogleBusinessProfile(token=stale, locations={LOCATION: "paris"}, base_url=platform.url)
    with pytest.raises(GoogleBusinessError, match=r"401.*invalid authentication credentials.*token provider"):
        list(connector.reviews(since=None))
    assert len(asked) == 2 and len(platform.calls("GET")) == 2  # asked the provider once more before giving up


def test_a_token_refreshed_after_a_401_is_used(
    platform: FakePlatform, google: BusinessProfile, clock: FakeClock
) -> None:
    google.add_review(LOCATION, "a", comment="Fine", at=clock.now())
    tokens = iter(["expired", TOKEN])
    connector = GoogleBusinessProfile(token=lambda: next(tokens), locations={LOCATION: "paris"}, base_url=platform.url)
    pages = list(connector.reviews(since=None))
    assert [[review.feedback.external_id for review in page] for page in pages] == [[f"{LOCATION}/reviews/a"]]
