"""The response module offers only what the desk can send: no reply box for a channel the desk has not
registered (email without SMTP, a review platform no plugin posts to), no hand-on by email without an email
channel, no delegating without a customer service address; a short sentence says why instead, and the note,
call log and status stay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pages_world import PARIS, REPLY_BASE, USERS, Seen, Shop, open_shop, page, post_form
from starlette.testclient import TestClient

from closedloop import Contact, Desk, Feedback, Place, Rating, RatingKind, Source
from closedloop.testing import FakeClock, RecordingChannel

NO_EMAIL = "No email channel is set up for this console, so replies by email are not offered here."
NO_HANDOFF = "Forwarding, delegating and sharing go by email, and no email channel is set up for this console."
NO_DELEGATE = "Delegating is not offered: this desk has no customer service address to delegate to."


@pytest.fixture
def phone_only(tmp_path: Path) -> Iterator[Shop]:
    """A desk whose only channel is a phone's (no SMTP), and a review platform's."""
    with open_shop(tmp_path, channel="phone", places=PARIS, customer_service_email="care@example.com") as shop:
        yield shop


def posts_to(seen: Seen, conversation_id: str) -> set[str]:
    """The actions the page's forms (and their buttons' formaction) post to, without the file's path."""
    prefix = page(conversation_id) + "/"
    targets = [attributes.get("action") or attributes.get("formaction") or "" for _, attributes in seen.tags]
    return {target.removeprefix(prefix) for target in targets if target.startswith(prefix)}


def google_review(shop: Shop) -> str:
    shop.clock.advance(timedelta(minutes=1))
    return shop.desk.ingest(
        Feedback(
            source=Source.REVIEW,
            platform="google",
            external_id="google-1",
            place_id="opera",
            received_at=shop.clock.now(),
            contact=Contact(name="Marc Blanc"),
            ratings=[Rating(key="stars", kind=RatingKind.STARS, value=1)],
            comments="Cold soup.",
        )
    ).id


def test_without_an_email_channel_no_reply_by_email_nor_hand_on_is_offered(phone_only: Shop) -> None:
    conversation = phone_only.survey(nps=2).id
    seen = Seen(phone_only.client("ana").get(page(conversation)).text)

    assert NO_EMAIL in seen.text and NO_HANDOFF in seen.text
    offered = posts_to(seen, conversation)
    assert not offered & {"respond/send", "respond/suggest", "respond/forward", "respond/delegate", "respond/share"}
    assert {"note", "call", "hold", "done", "spam"} <= offered  # what needs no email stays
    assert 'id="reply-body"' not in seen.source and 'id="forward-to"' not in seen.source


def test_a_forward_posted_anyway_without_email_is_refused_and_changes_nothing(phone_only: Shop) -> None:
    """Why the forms are gone: the desk would refuse every hand-on, which goes by email."""
    conversation = phone_only.survey().id
    before = phone_only.read(conversation)
    ana = phone_only.client("ana")

    answer = post_form(ana, page(conversation), f"{page(conversation)}/respond/forward", {"to": "paula"})

    assert answer.status_code == 422
    assert Seen(answer.text).flash() == (
        False,
        "no email channel is set up for this console, so nothing can be sent by email from it",
    )
    assert phone_only.read(conversation) == before


def test_a_review_of_a_platform_without_a_channel_offers_no_reply_but_says_why(phone_only: Shop) -> None:
    google = google_review(phone_only)
    quickrate = phone_only.review().id
    ana: TestClient = phone_only.client("ana")

    seen = Seen(ana.get(page(google)).text)
    assert "Replies on Google are not set up here" in seen.text
    assert "respond/send" not in posts_to(seen, google) and "no limit known" not in seen.text
    assert "note" in posts_to(seen, google)

    on_quickrate = Seen(ana.get(page(quickrate)).text)
    assert "respond/send" in posts_to(on_quickrate, quickrate) and "not set up here" not in on_quickrate.text


@pytest.fixture
def without_customer_service(tmp_path: Path) -> Iterator[Shop]:
    """The page tests' shop: an email channel, and no customer_service_email."""
    with open_shop(tmp_path) as shop:
        yield shop


def test_without_a_customer_service_address_delegating_is_not_offered_but_says_why(
    without_customer_service: Shop,
) -> None:
    conversation = without_customer_service.survey(nps=2).id
    seen = Seen(without_customer_service.client("ana").get(page(conversation)).text)

    assert NO_DELEGATE in seen.text and NO_HANDOFF not in seen.text
    offered = posts_to(seen, conversation)
    assert "respond/delegate" not in offered and 'id="delegate-note"' not in seen.source
    assert {"respond/forward", "respond/share", "respond/send"} <= offered  # the other hand-ons still go by email


def test_a_delegation_posted_anyway_without_the_address_is_refused_and_changes_nothing(
    without_customer_service: Shop,
) -> None:
    """Why the form is gone: the desk would refuse it."""
    conversation = without_customer_service.survey().id
    before = without_customer_service.read(conversation)
    ana = without_customer_service.client("ana")

    answer = post_form(ana, page(conversation), f"{page(conversation)}/respond/delegate", {"note": "Refund please"})

    assert answer.status_code == 422
    refusal = Seen(answer.text).flash()
    assert refusal is not None and not refusal[0] and "customer service email address" in refusal[1]
    assert without_customer_service.read(conversation) == before
    assert without_customer_service.desk.outbox() == []


def test_with_a_customer_service_address_and_email_delegating_is_offered(tmp_path: Path) -> None:
    clock, email = FakeClock(), RecordingChannel("email")
    with Desk.open(
        f"sqlite:///{tmp_path}/care.db",
        plugins=[email],
        clock=clock,
        reply_link_base=REPLY_BASE,
        customer_service_email="care@example.com",
        load_entry_points=False,
    ) as desk:
        desk.add_place(Place(id="opera", name="Chez Nous Opéra"))
        desk.add_user(USERS[0])
        shop = Shop(desk, clock, email, RecordingChannel("quickrate"))
        conversation = shop.survey().id
        seen = Seen(shop.client("ana").get(page(conversation)).text)

    assert "respond/delegate" in posts_to(seen, conversation) and 'id="delegate-note"' in seen.source
    assert NO_DELEGATE not in seen.text
