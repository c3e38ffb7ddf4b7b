"""desk.sync("google_play") against the fake Play API: paging, what a review keeps, replies and edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from play_api import APP, OTHER_APP, PlayReviews
from play_discovery import DiscoveryChecker

from closedloop import ActorKind, Conversation, Desk, InteractionKind, RatingKind, Source, Status
from closedloop.testing import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop_google_play import GooglePlay, GooglePlayError


def five_reviews(play: PlayReviews, clock: FakeClock) -> None:
    day_ago = clock.now() - timedelta(days=1)
    for number in range(1, 6):
        play.add_review(
            APP,
            f"gp:review-{number}",
            text=f"  Review number {number}  ",
            stars=number,
            modified=day_ago - timedelta(minutes=number),
            author=f"Reviewer {number}",
            language="fr" if number == 1 else "en",
            appVersionName="2.3.1",
            appVersionCode=231,
            device="flounder",
            androidOsVersion=34,
            reply=("Merci beaucoup !", day_ago) if number == 1 else None,
        )
    play.add_review(OTHER_APP, "gp:other-1", text="Fine", stars=4, modified=day_ago)


def by_review(desk: Desk) -> dict[str, Conversation]:
    return {conversation.feedback.external_id: conversation for conversation in desk.inbox("ana", limit=20).items}


def test_a_sync_reads_every_page_of_every_app_with_progress(
    desk: Desk, platform: FakePlatform, play: PlayReviews, clock: FakeClock, checker: DiscoveryChecker
) -> None:
    five_reviews(play, clock)
    seen: list[int] = []

    report = desk.sync("google_play", progress=lambda so_far: seen.append(so_far.seen))

    assert (report.added, report.replies, report.rejected, report.complete) == (6, 1, [], True)
    assert seen == [2, 4, 5, 6], "one page at a time: 2 + 2 + 1 reviews of the first app, then the other app"
    lists = play.lists(APP)
    handed = [request.answer["tokenPagination"]["nextPageToken"] for request in lists[:-1]]
    assert [request.query_lists for request in lists] == [
        {"maxResults": ["2"]},
        {"maxResults": ["2"], "token": [handed[0]]},
        {"maxResults": ["2"], "token": [handed[1]]},
    ], "each page asked with the token the one before handed out"
    assert "tokenPagination" not in lists[-1].answer
    assert all(request.headers["authorization"] == "Bearer play-access-token" for request in platform.requests)
    assert checker.all_problems(platform.requests) == []


def test_a_review_keeps_its_stars_text_locale_device_and_place(desk: Desk, play: PlayReviews, clock: FakeClock) -> None:
    five_reviews(play, clock)
    desk.sync("google_play")

    conversations = by_review(desk)
    first = conversations[f"{APP}/gp:review-1"]
    feedback = first.feedback
    assert (feedback.source, feedback.platform, feedback.place_id) == (Source.REVIEW, "google_play", "paris")
    assert feedback.contact.name == "Reviewer 1"
    assert [(rating.key, rating.kind, rating.value) for rating in feedback.ratings] == [("stars", RatingKind.STARS, 1)]
    assert [(comment.text, comment.question) for comment in feedback.comments] == [("Review number 1", "review")]
    assert feedback.locale == "fr"
    assert feedback.received_at == clock.now() - timedelta(days=1, minutes=1)
    assert {key: feedback.metadata[key] for key in ("app_version_name", "app_version_code", "device")} == {
        "app_version_name": "2.3.1",
        "app_version_code": "231",
        "device": "flounder",
    }
    assert feedback.metadata["android_os_version"] == "34"
    assert conversations[f"{OTHER_APP}/gp:other-1"].place_id == "lyon"


def test_a_reply_made_in_the_play_console_is_the_places_reply(desk: Desk, play: PlayReviews, clock: FakeClock) -> None:
    five_reviews(play, clock)
    desk.sync("google_play")

    answered = by_review(desk)[f"{APP}/gp:review-1"]
    replies = [entry for entry in answered.history if entry.kind is InteractionKind.REVIEW_REPLY]
    assert [(entry.body, entry.author.kind, entry.at) for entry in replies] == [
        ("Merci beaucoup !", ActorKind.PLACE, clock.now() - timedelta(days=1))
    ]
    assert answered.status is Status.AWAITING_CUSTOMER


def test_syncing_again_adds_nothing_and_stops_at_the_first_old_page(
    desk: Desk, play: PlayReviews, clock: FakeClock
) -> None:
    five_reviews(play, clock)
    desk.sync("google_play")
    before = {c.id: (c.version, len(c.history)) for c in desk.inbox("ana", limit=20).items}
    listed = len(play.lists(APP))
    clock.advance(hours=1)

    report = desk.sync("google_play")

    assert (report.added, report.updated, report.edits, report.replies) == (0, 0, 0, 0)
    assert {c.id: (c.version, len(c.history)) for c in desk.inbox("ana", limit=20).items} == before
    assert len(play.lists(APP)) - listed == 1, "the first page is older than the last sync: no need to read on"

    full = desk.sync("google_play", full=True)
    assert (full.added, full.unchanged) == (0, 6)


def test_an_edit_after_our_reply_comes_back_as_a_customer_message(
    desk: Desk, play: PlayReviews, clock: FakeClock
) -> None:
    play.add_review(APP, "gp:cold", text="Crashes on start", stars=1, modified=clock.now() - timedelta(hours=3))
    desk.sync("google_play")
    conversation = by_review(desk)[f"{APP}/gp:cold"]
    desk.reply(conversation.id, by="ana", body="Sorry! Version 2.4 fixes it.", channel="review")
    assert desk.dispatch().sent == 1
    assert play.replies == [(APP, "gp:cold", "Sorry! Version 2.4 fixes it.")]
    clock.advance(hours=2)
    play.edit_review(APP, "gp:cold", text="Works now, thanks", stars=4, modified=clock.now() - timedelta(minutes=5))

    report = desk.sync("google_play")

    assert (report.updated, report.edits, report.replies) == (1, 1, 0), "our own reply is not recorded twice"
    after = by_review(desk)[f"{APP}/gp:cold"]
    assert after.status is Status.UNREAD_CUSTOMER_REPLY
    messages = [entry.body for entry in after.history if entry.kind is InteractionKind.CUSTOMER_MESSAGE]
    assert messages == ["Works now, thanks"]
    assert desk.sync("google_play").edits == 0


def test_a_refused_token_stops_the_sync_with_googles_reason(
    platform: FakePlatform, play: PlayReviews, clock: FakeClock
) -> None:
    play.add_review(APP, "gp:1", text="Good", stars=5, modified=clock.now())
    connector = GooglePlay(token=lambda: "expired", apps={APP: "paris"}, base_url=platform.url)
    try:
        with pytest.raises(GooglePlayError, match=r"invalid authentication credentials.*check the token"):
            list(connector.reviews(since=None))
    finally:
        connector.close()


def test_an_unknown_app_is_reported_with_googles_message(platform: FakePlatform) -> None:
    connector = GooglePlay(token=lambda: "play-access-token", apps={"com.example.gone": "paris"}, base_url=platform.url)
    try:
        with pytest.raises(GooglePlayError, match="404 NOT_FOUND: No application was found"):
            list(connector.reviews(since=None))
    finally:
        connector.close()
