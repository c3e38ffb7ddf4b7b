"""The customer file over HTTP: everything it shows, each action it takes through the desk, the 404 every URL
of a conversation gives a user who may not see it, and script payloads that stay text."""

from __future__ import annotations

from typing import Any

import pytest
from pages_world import Seen, Shop, page, post_form

from closedloop import AlertStatus, Comment, Interaction, InteractionKind, Rating, RatingKind, Status

ACTIONS = ["reply", "note", "call", "hold", "release", "read", "done", "spam", "reopen"]


def act(shop: Shop, user: str, conversation_id: str, action: str, **fields: Any) -> tuple[Any, Seen]:
    """Post the action's form as ``user`` from the file's page; the answer and the page the browser then shows (the
    one a 303 leads back to, or the refusal's page itself)."""
    browser = shop.client(user)
    answer = post_form(browser, page(conversation_id), f"{page(conversation_id)}/{action}", fields)
    if answer.status_code != 303:
        return answer, Seen(answer.text)
    return answer, Seen(browser.get(answer.headers["location"]).text)


def kinds(shop: Shop, conversation_id: str) -> list[InteractionKind]:
    return [entry.kind for entry in shop.read(conversation_id).history]


def last_entry(shop: Shop, conversation_id: str, kind: InteractionKind) -> Interaction:
    return [entry for entry in shop.read(conversation_id).history if entry.kind is kind][-1]


def test_the_file_shows_the_feedback_alert_concepts_and_history(shop: Shop) -> None:
    conversation = shop.survey(
        name="Claire Dupont",
        nps=3,
        comments=[Comment(text="We waited forty minutes."), Comment(text="The dessert.", question="best_dish")],
        ratings=[
            Rating(key="nps", kind=RatingKind.NPS, value=3),
            Rating(key="welcome", kind=RatingKind.STARS, value=4, journey_moment="Arrival", label="Welcome"),
            Rating(key="speed", kind=RatingKind.CSAT, value=1, journey_moment="Meal", label="Service speed"),
        ],
        answers={"table": "12"},
        metadata={"order_id": "A-991"},
    ).id
    shop.clock.advance(minutes=5)
    shop.desk.note(conversation, by="ana", body="Chef says the oven broke.")

    seen = Seen(shop.client("ana").get(page(conversation)).text)
    text = seen.text

    for shown in [
        "Claire Dupont", "guest1@example.com", "+33 6 12 34 56 78", "Chez Nous Opéra", "Pending action",
        "Overall NPS 3/10", "Arrival Welcome 4/5", "Meal Service speed 1/5",
        "We waited forty minutes.", "best_dish The dessert.", "table 12", "order_id A-991",
        "Alert · To process", "nps detractor: nps is 3, at or below 6",
        "Note · Ana Roux", "Chef says the oven broke.", "Status changed · closedloop", "Status none → New",
    ]:  # fmt: skip
        assert shown in text, shown
    assert "waiting" in Seen(seen.source.split('class="card concepts"')[1]).text  # the offline analyzer's concept
    assert text.index("Chef says the oven broke.") < text.index("Status none → New")  # newest first
    assert '<time datetime="' in seen.source


def test_a_note_with_an_alert_status_is_added_and_moves_the_alert(shop: Shop) -> None:
    conversation = shop.survey(nps=2).id

    answer, seen = act(shop, "ana", conversation, "note", body="Will call her.", alert_status="in_progress")

    assert answer.status_code == 303 and answer.headers["location"] == page(conversation)
    assert seen.flash() == (True, "Note added.")
    stored = shop.read(conversation)
    assert last_entry(shop, conversation, InteractionKind.NOTE).body == "Will call her."
    assert stored.alert is not None and stored.alert.status is AlertStatus.IN_PROGRESS
    assert "Alert · In progress" in seen.text


def test_a_call_is_logged_with_its_outcome_and_length(shop: Shop) -> None:
    conversation = shop.survey(nps=2).id

    _, seen = act(
        shop, "ana", conversation, "call", summary="Apologised.", outcome="Voucher sent", minutes="7",
        alert_status="processed",
    )  # fmt: skip

    entry = last_entry(shop, conversation, InteractionKind.CALL_LOG)
    assert seen.flash() == (True, "Call logged.")
    assert entry.body == "Apologised."
    assert entry.details["outcome"] == "Voucher sent" and entry.details["duration_seconds"] == "420"
    assert shop.read(conversation).alert.status is AlertStatus.PROCESSED  # type: ignore[union-attr]


def test_a_reply_by_email_is_queued_and_reaches_the_customer(shop: Shop) -> None:
    conversation = shop.survey().id

    _, seen = act(shop, "ana", conversation, "reply", body="Thank you, Claire!", channel="email")

    assert seen.flash() == (True, "Your reply is on its way.")
    assert shop.read(conversation).status is Status.AWAITING_CUSTOMER
    shop.desk.dispatch()
    assert [message.body for message in shop.email.sent] == ["Thank you, Claire!"]


def test_a_review_is_answered_in_public_on_its_platform(shop: Shop) -> None:
    conversation = shop.review().id
    seen_before = Seen(shop.client("ana").get(page(conversation)).text)
    assert "Reply on quickrate" in seen_before.text and 'value="review"' in seen_before.source

    _, seen = act(shop, "ana", conversation, "reply", body="Sorry about the wait.", channel="review")

    assert seen.flash() == (True, "Your public reply is on its way.")
    shop.desk.dispatch()
    assert [message.body for message in shop.reviews.sent] == ["Sorry about the wait."]


def test_hold_release_done_reopen_and_spam_change_the_conversation_as_the_desk_says(shop: Shop) -> None:
    conversation = shop.survey().id

    act(shop, "ana", conversation, "hold")
    assert shop.read(conversation).on_hold
    act(shop, "ana", conversation, "release")
    assert not shop.read(conversation).on_hold
    act(shop, "ana", conversation, "done")
    assert shop.read(conversation).status is Status.DONE
    _, seen = act(shop, "ana", conversation, "reopen")
    assert shop.read(conversation).status is Status.PENDING_ACTION
    assert seen.flash() == (True, "Reopened: it is back in the inbox.")
    act(shop, "ana", conversation, "spam")
    assert shop.read(conversation).status is Status.SPAM
    recorded = [kind for kind in kinds(shop, conversation) if kind is not InteractionKind.STATUS_CHANGE]
    assert recorded == [InteractionKind.HOLD, InteractionKind.RELEASE]


def test_an_unread_customer_answer_is_marked_read(shop: Shop) -> None:
    conversation = shop.survey().id
    shop.desk.reply(conversation, by="ana", body="How was the rest of your evening?")
    shop.desk.dispatch()
    link = shop.email.sent[-1].reply_link
    assert link is not None
    shop.desk.customer_reply(link.rsplit("/", 1)[-1], body="Much better, thanks.")
    before = Seen(shop.client("ana").get(page(conversation)).text)
    assert "Unread customer reply" in before.text and "Much better, thanks." in before.text

    _, seen = act(shop, "ana", conversation, "read")

    assert shop.read(conversation).status is Status.PENDING_ACTION
    assert seen.flash() == (True, "Marked as read.")


@pytest.mark.parametrize(
    ("action", "fields", "refusal"),
    [
        ("note", {"body": "   "}, "the note is empty"),
        ("call", {"summary": "Spoke.", "minutes": "ten"}, "whole number of minutes"),
        ("call", {"summary": "Spoke.", "minutes": "9" * 5000}, "whole number of minutes"),
        ("reply", {"body": "Hello", "channel": "carrier pigeon"}, "by email or on the review platform"),
        ("release", {}, "is not on hold"),
        ("note", {"body": "Called.", "alert_status": "in_progress"}, "this conversation has no alert, so there is"),
        ("read", {}, "no unread customer reply here, so nothing was marked as read"),
        ("reopen", {}, "only done or spam ones can be reopened"),
    ],
)
def test_a_refused_action_changes_nothing_and_says_why(
    shop: Shop, action: str, fields: dict[str, str], refusal: str
) -> None:
    conversation = shop.survey().id
    before = shop.read(conversation)

    answer, seen = act(shop, "ana", conversation, action, **fields)

    assert answer.status_code == 422
    flash = seen.flash()
    assert flash is not None and flash[0] is False and refusal in flash[1]
    assert shop.read(conversation) == before


def test_another_places_user_gets_404_on_every_url_of_the_conversation(shop: Shop) -> None:
    """Bruno (the Gare) and Opéra's conversation: the file and every action, with a good token, answer as an id
    that does not exist does, and nothing changes."""
    conversation = shop.survey("opera", nps=2).id
    bruno = shop.client("bruno")
    before = shop.read(conversation)

    missing = bruno.get(page("no-such-conversation"))
    assert bruno.get(page(conversation)).status_code == missing.status_code == 404
    assert Seen(bruno.get(page(conversation)).text).text == Seen(missing.text).text
    for action in ACTIONS:
        fields = {"body": "x", "summary": "x", "channel": "email"}
        answer = post_form(bruno, "/", f"{page(conversation)}/{action}", fields)
        unknown = post_form(bruno, "/", f"{page('no-such-conversation')}/{action}", fields)
        assert answer.status_code == unknown.status_code == 404, action
        assert Seen(answer.text).text == Seen(unknown.text).text
    assert bruno.get(f"{page(conversation)}/note").status_code == 405  # no GET there, for anyone
    assert shop.read(conversation) == before
    assert Seen(shop.client("ana").get(page(conversation)).text).flash() is None


def test_an_action_that_does_not_exist_is_a_404(shop: Shop) -> None:
    conversation = shop.survey().id
    answer = post_form(shop.client("ana"), page(conversation), f"{page(conversation)}/delete", {})
    assert answer.status_code == 404


SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_script_payloads_in_every_field_come_out_as_text(shop: Shop, payload: str) -> None:
    """What customers and agents write, in the inbox and the file: shown as typed, never as markup."""
    conversation = shop.survey(
        name=f"Eve {payload}",
        nps=1,
        comments=[Comment(text=f"comment {payload}"), Comment(text=f"answer {payload}", question=f"q {payload}")],
        ratings=[
            Rating(key="nps", kind=RatingKind.NPS, value=1),
            Rating(key="custom", kind=RatingKind.STARS, value=2, label=f"label {payload}", journey_moment=payload),
        ],
        answers={f"key {payload}": f"value {payload}"},
        metadata={f"meta {payload}": f"data {payload}"},
    ).id
    shop.desk.note(conversation, by="ana", body=f"note {payload}")
    shop.desk.log_call(conversation, by="ana", summary=f"call {payload}", outcome=f"outcome {payload}")
    shop.desk.reply(conversation, by="ana", body=f"reply {payload}")
    ana = shop.client("ana")

    for path in ["/", page(conversation)]:
        source = ana.get(path).text
        seen = Seen(source)
        scripts = [attributes for tag, attributes in seen.tags if tag == "script"]  # the page's own, if any
        assert all(script.get("src", "").startswith("/static/") and script.get("nonce") for script in scripts), path
        assert source.count("<script") == len(scripts) and "<img" not in source, path
        assert not any(tag == "img" for tag, _ in seen.tags), path
        assert not any(name.startswith("on") for _, attributes in seen.tags for name in attributes), path
        assert f"Eve {payload}" in seen.text, path
    text = Seen(ana.get(page(conversation)).text).text
    for written in ["comment", "answer", "q", "label", "key", "value", "meta", "data", "note", "call", "outcome"]:
        assert f"{written} {payload}" in text, written
    assert f"reply {payload}" in text
