"""desk.sync("trustpilot") against the fake API: paging, mapping, the look-back window, refusals, settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from trustpilot_api import OTHER_UNIT, TOKEN, UNIT, TrustpilotApi, settings

import closedloop_trustpilot
from closedloop import Desk, InteractionKind, InvalidInput, Place, Status
from closedloop.testing.clock import FakeClock
from closedloop.testing.platform import FakePlatform
from closedloop.testing.reviews import stored_reviews

LISTING = "/v1/private/business-units/{unit}/reviews"


def daily(trustpilot: TrustpilotApi, clock: FakeClock, count: int) -> None:
    """``count`` reviews of the first business unit, one a day back from yesterday; every 7th answered."""
    for number in range(count):
        at = clock.now() - timedelta(days=1 + number, hours=number % 5)
        reply = {"companyReply": {"text": "Thank you!", "createdAt": None}} if number % 7 == 0 else {}
        trustpilot.add(f"r{number}", at=at, stars=number % 5 + 1, text=f"Review number {number}", **reply)


def test_a_first_sync_reads_every_page_of_every_business_unit(
    desk: Desk, fake_platform: FakePlatform, trustpilot: TrustpilotApi, clock: FakeClock
) -> None:
    daily(trustpilot, clock, 45)
    trustpilot.add("elsewhere", at=clock.now() - timedelta(hours=3), unit=OTHER_UNIT, stars=2, language="fr")
    seen: list[int] = []
    report = desk.sync("trustpilot", progress=lambda report: seen.append(report.seen))

    assert (report.added, report.replies, report.complete, report.rejected) == (46, 7, True, [])
    assert seen == [20, 40, 45, 46]
    listed = fake_platform.calls("GET", LISTING)
    assert [(call.params["unit"], call.query["page"]) for call in listed] == [
        (UNIT, "1"),
        (UNIT, "2"),
        (UNIT, "3"),
        (OTHER_UNIT, "1"),
    ]
    assert all(call.query["orderBy"] == "createdat.desc" and call.query["perPage"] == "20" for call in listed)
    [login] = fake_platform.calls("POST", TOKEN)  # one token for the whole sync
    assert login.form["grant_type"] == "password" and login.basic_auth == ("key-1", "secret-1")

    conversations = stored_reviews(desk, "ana")
    first = conversations["r1"]
    assert first.place_id == "paris" and first.feedback.contact.name == "Customer r1"
    assert [(rating.key, rating.value) for rating in first.feedback.ratings] == [("stars", 2)]
    assert first.feedback.text == "Review r1\nReview number 1"  # the title, then the text
    assert first.feedback.metadata["business_unit"] == UNIT
    assert conversations["elsewhere"].place_id == "lyon" and conversations["elsewhere"].feedback.locale == "fr"
    answered = conversations["r7"]
    assert [entry.body for entry in answered.history if entry.kind is InteractionKind.REVIEW_REPLY] == ["Thank you!"]
    assert answered.status is Status.AWAITING_CUSTOMER


def test_a_later_sync_rereads_the_look_back_window_and_stops_past_it(
    desk: Desk, fake_platform: FakePlatform, trustpilot: TrustpilotApi, clock: FakeClock
) -> None:
    daily(trustpilot, clock, 70)  # pages of 20: days 1-20, 21-40, 41-60, 61-70
    assert desk.sync("trustpilot").added == 70
    fake_platform.requests.clear()

    clock.advance(hours=1)
    again = desk.sync("trustpilot")
    assert (again.added, again.updated, again.complete) == (0, 0, True)
    # 30 days back from the last sync reach into page 2; page 3 is all older, so page 4 is not read
    assert [call.query["page"] for call in fake_platform.calls("GET", LISTING) if call.params["unit"] == UNIT] == [
        "1",
        "2",
        "3",
    ]


def test_an_edit_and_a_reply_on_older_reviews_are_caught_by_the_look_back(
    desk: Desk, trustpilot: TrustpilotApi, clock: FakeClock
) -> None:
    trustpilot.add("old", at=clock.now() - timedelta(days=20), stars=1, text="Cold soup.")
    trustpilot.add("older", at=clock.now() - timedelta(days=25), stars=3, text="Slow service.")
    for number in range(30):  # newer reviews push both off the first pages
        trustpilot.add(f"new{number}", at=clock.now() - timedelta(days=1, minutes=number))
    desk.sync("trustpilot")

    clock.advance(days=2)
    trustpilot.edit("old", text="They called me back: hot soup now.", stars=4, at=clock.now() - timedelta(hours=1))
    trustpilot.reviews["older"]["companyReply"] = {"text": "Sorry, we are hiring.", "createdAt": "2026-01-02T10:00:00"}
    report = desk.sync("trustpilot")

    assert (report.edits, report.replies, report.updated) == (1, 1, 2)
    edited = stored_reviews(desk, "ana")["old"]
    assert edited.status is Status.UNREAD_CUSTOMER_REPLY
    messages = [entry.body for entry in edited.history if entry.kind is InteractionKind.CUSTOMER_MESSAGE]
    assert messages == ["Review old\nThey called me back: hot soup now."]


def test_an_edit_past_the_window_waits_for_a_full_sync(desk: Desk, trustpilot: TrustpilotApi, clock: FakeClock) -> None:
    for number in range(20):  # page 1: this week; page 2: two months ago, all past the window; page 3: "ancient"
        trustpilot.add(f"recent{number}", at=clock.now() - timedelta(days=1, hours=number))
        trustpilot.add(f"past{number}", at=clock.now() - timedelta(days=60, hours=number))
    trustpilot.add("ancient", at=clock.now() - timedelta(days=90), stars=1, text="Too loud.")
    desk.sync("trustpilot")
    clock.advance(days=1)
    trustpilot.edit("ancient", text="Quieter now.", stars=3, at=clock.now())

    assert desk.sync("trustpilot").edits == 0  # the trade-off the window makes: page 3 is not read
    assert desk.sync("trustpilot", full=True).edits == 1


def test_a_review_the_connector_cannot_read_is_refused_alone(
    desk: Desk, trustpilot: TrustpilotApi, clock: FakeClock
) -> None:
    trustpilot.add("good", at=clock.now() - timedelta(days=1))
    trustpilot.add("odd-stars", at=clock.now() - timedelta(days=2), stars=9)
    trustpilot.add("odd-time", at=clock.now() - timedelta(days=3), createdAt="last Tuesday")
    trustpilot.add("odd-consumer", at=clock.now() - timedelta(days=4), consumer="Jo")
    report = desk.sync("trustpilot")

    assert report.added == 1 and report.complete
    reasons = dict(report.rejected)
    assert sorted(reasons) == ["odd-consumer", "odd-stars", "odd-time"]
    assert "between 1 and 5" in reasons["odd-stars"] and "'last Tuesday' is not an ISO 8601 time" in reasons["odd-time"]


def test_a_token_refused_during_a_sync_is_asked_for_again(
    desk: Desk, fake_platform: FakePlatform, trustpilot: TrustpilotApi, clock: FakeClock
) -> None:
    trustpilot.add("a", at=clock.now() - timedelta(days=1))
    desk.sync("trustpilot")
    fake_platform.rotate_bearer()  # the token expired
    trustpilot.add("b", at=clock.now())
    clock.advance(minutes=5)
    start = len(fake_platform.requests)

    assert desk.sync("trustpilot").added == 1
    assert trustpilot.tokens_given == 2
    answered = [(call.method, call.status) for call in fake_platform.requests[start : start + 3]]
    assert answered == [("GET", 401), ("POST", 200), ("GET", 200)]  # refused, a new token, the same page again


def test_the_settings_may_come_from_the_environment(
    tmp_path: object, fake_platform: FakePlatform, trustpilot: TrustpilotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in settings(fake_platform, business_units=f"{UNIT}=paris", look_back="7d").items():
        monkeypatch.setenv(f"CLOSEDLOOP_TRUSTPILOT_{name.upper()}", str(value))
    trustpilot.add("a", at=trustpilot.now())
    with Desk.open(plugins=[closedloop_trustpilot], load_entry_points=False) as desk:
        desk.add_place(Place(id="paris", name="Chez Nous Paris"))
        assert desk.sync("trustpilot").added == 1
        assert desk.channel("trustpilot").look_back == timedelta(days=7)  # type: ignore[attr-defined]


def test_a_mistyped_setting_is_refused_with_the_known_ones(fake_platform: FakePlatform) -> None:
    with pytest.raises(InvalidInput, match=r"unknown trustpilot setting\(s\): pagesize; known: api_key"):
        Desk.open(
            plugins=[closedloop_trustpilot],
            extra={"trustpilot": settings(fake_platform, pagesize=50)},
            load_entry_points=False,
        )
