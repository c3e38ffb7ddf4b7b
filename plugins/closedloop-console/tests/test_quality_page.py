"""The quality screens over HTTP: a reviewer's queue and scoring with the scorecard, the agent's own reviews
and disputing one, the summary; each asked of desk.qa as the signed-in user, so its rights decide."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from pages_world import Seen, Shop, open_shop, post_form
from starlette.testclient import TestClient

from closedloop import CategoryRating, Review

PERIOD = "2026-01"  # the shop's clock starts on 5 January 2026


@attrs.frozen
class Handled:
    shop: Shop
    opera: list[str]  # conversations Ana called back
    gare: str  # one Bruno called back


@pytest.fixture
def handled(tmp_path: Path) -> Iterator[Handled]:
    """Paula (manager of Paris) gets the reviewer right and hands January out to herself: every handled
    conversation, Ana's at the Opéra and Bruno's at the Gare."""
    with open_shop(tmp_path) as shop:
        paula = shop.desk.user("paula")
        shop.desk.add_user(attrs.evolve(paula, rights={"reviewer"}), replace=True)
        opera = [shop.survey(name=f"Guest {number}").id for number in range(2)]
        for conversation_id in opera:
            shop.desk.log_call(conversation_id, by="ana", summary="Called back.")
        gare = shop.survey("gare", name="Gare Gaston").id
        shop.desk.log_call(gare, by="bruno", summary="Called back.")
        shop.desk.qa.assign(PERIOD, by="paula", reviewers=["paula"], share=1.0)
        yield Handled(shop, opera, gare)


SCORES = {"choice-tone": "5", "choice-solution": "4", "choice-spelling": "3", "choice-empathy": "na",
          "choice-closing": "1", "comment-closing": "No goodbye.", "comment": "Good call."}  # fmt: skip


def reviews_of(handled: Handled, agent: str) -> list[Review]:
    return handled.shop.desk.qa.reviews(by="mia", period=PERIOD, agent=agent)


def score(handled: Handled, user: str, conversation_id: str) -> tuple[TestClient, Any]:
    """Post the scorecard form of the conversation as ``user``; the browser, to read the page it goes back to."""
    browser = handled.shop.client(user)
    page = f"/quality/conversations/{conversation_id}"
    return browser, post_form(browser, page, page, SCORES)


def test_a_reviewers_queue_lists_what_is_left_to_review(handled: Handled) -> None:
    browser = handled.shop.client("paula")
    seen = Seen(browser.get(f"/quality?period={PERIOD}").text)

    queue = re.findall(r'href="/quality/conversations/([^"]+)"', seen.source)
    assert sorted(queue) == sorted([*handled.opera, handled.gare])
    assert "0 of 3 reviewed." in seen.text


def test_a_reviewer_scores_with_the_scorecard_and_the_agent_disputes(handled: Handled) -> None:
    first = handled.opera[0]
    form = Seen(handled.shop.client("paula").get(f"/quality/conversations/{first}").text)
    choices = {attributes["value"] for tag, attributes in form.tags if attributes.get("name") == "choice-solution"}
    assert choices == {"1", "2", "3", "4", "na"}  # the solution category's four points, and N/A

    browser, answer = score(handled, "paula", first)

    assert answer.status_code == 303 and answer.headers["location"] == "/quality"
    (review,) = reviews_of(handled, "ana")
    assert review.conversation_id == first and review.reviewer_id == "paula" and review.comment == "Good call."
    assert {rating.category_id: rating.choice for rating in review.ratings} == {
        "tone": 5, "solution": 4, "spelling": 3, "empathy": None, "closing": 1,
    }  # fmt: skip
    assert CategoryRating(category_id="closing", choice=1, comment="No goodbye.") in review.ratings
    expected = handled.shop.desk.qa.score(review)
    assert expected is not None
    queue = Seen(browser.get(f"/quality?period={PERIOD}").text)
    assert queue.flash() == (True, f"Review saved: {expected:.1f} of 100 for ana.")
    assert "1 of 3 reviewed." in queue.text

    ana = handled.shop.client("ana")
    own = Seen(ana.get(f"/quality?period={PERIOD}").text)
    assert f"{expected:.1f} of 100" in own.text and "No goodbye." in own.text
    disputed = post_form(ana, f"/quality?period={PERIOD}", f"/quality/reviews/{review.id}/dispute",
                         {"comment": "The guest thanked me at the end."})  # fmt: skip

    assert disputed.status_code == 303
    (after,) = reviews_of(handled, "ana")
    assert after.disputed and after.history[-1].comment == "The guest thanked me at the end."
    again = Seen(ana.get(f"/quality?period={PERIOD}").text)
    assert "Disputed" in again.text and f"/quality/reviews/{review.id}/dispute" not in again.source


def test_an_agent_without_the_reviewer_right_is_refused_scoring(handled: Handled) -> None:
    browser, answer = score(handled, "ana", handled.opera[0])

    assert answer.status_code == 303
    assert reviews_of(handled, "ana") == []
    flashed = Seen(browser.get(answer.headers["location"]).text).flash()
    assert flashed is not None and not flashed[0] and "needs the reviewer right; ask an admin" in flashed[1]


def test_the_score_page_says_why_a_user_without_the_reviewer_right_cannot_score(handled: Handled) -> None:
    page = handled.shop.client("ana").get(f"/quality/conversations/{handled.opera[0]}")

    assert page.status_code == 200
    assert "Scoring conversations needs the reviewer right" in Seen(page.text).text
    assert "Save the review" not in page.text


def test_every_form_needs_the_csrf_token(handled: Handled) -> None:
    paula = handled.shop.client("paula")
    refused = paula.post(f"/quality/conversations/{handled.opera[0]}", data=SCORES)
    assert refused.status_code == 403 and reviews_of(handled, "ana") == []

    handled.shop.desk.qa.review(handled.opera[0], by="paula", ratings=[CategoryRating(category_id="tone", choice=4)])
    (review,) = reviews_of(handled, "ana")
    ana = handled.shop.client("ana")
    refused = ana.post(f"/quality/reviews/{review.id}/dispute", data={"comment": "No."})
    assert refused.status_code == 403 and not reviews_of(handled, "ana")[0].disputed


def test_another_places_conversations_and_reviews_are_never_shown(handled: Handled) -> None:
    handled.shop.desk.qa.review(handled.opera[0], by="paula", ratings=[CategoryRating(category_id="tone", choice=2)],
                                comment="Opéra only.")  # fmt: skip
    (review,) = reviews_of(handled, "ana")
    bruno = handled.shop.client("bruno")

    assert bruno.get(f"/quality/conversations/{handled.opera[0]}").status_code == 404
    page = bruno.get(f"/quality?period={PERIOD}").text
    assert "Opéra only." not in page and handled.opera[0] not in page and review.id not in page
    token_page = "/quality"
    assert post_form(bruno, token_page, f"/quality/conversations/{handled.opera[0]}", SCORES).status_code == 404
    dispute = post_form(bruno, token_page, f"/quality/reviews/{review.id}/dispute", {"comment": "Mine?"})
    assert dispute.status_code == 404 and not reviews_of(handled, "ana")[0].disputed


def test_the_summary_shows_desk_qa_summary(handled: Handled) -> None:
    desk = handled.shop.desk
    for conversation_id, tone in zip(handled.opera, (5, 3), strict=True):
        desk.qa.review(conversation_id, by="paula", ratings=[CategoryRating(category_id="tone", choice=tone)])
    summary = desk.qa.summary(PERIOD, by="paula")
    assert summary.team.iqs is not None

    text = Seen(handled.shop.client("paula").get(f"/quality?period={PERIOD}").text).text

    assert f"Team {summary.team.iqs:.1f} 2" in text
    assert f"Tone of voice {summary.team.categories[0].average:.1f} 2" in text


def test_a_queue_that_cannot_be_shown_says_why_in_one_line(handled: Handled) -> None:
    cycle = f"{PERIOD}@gare,opera"  # Paula's cycle: she sees two of the shop's three places
    assert "0 of 3 reviewed." in Seen(handled.shop.client("paula").get(f"/quality?period={PERIOD}").text).text
    ana = handled.shop.client("ana")

    refused = Seen(ana.get(f"/quality?period={PERIOD}&cycle={cycle}").text)
    missing = Seen(ana.get(f"/quality?period={PERIOD}&cycle=2025-12").text)

    assert "Nothing is assigned to you: reviewing needs the reviewer right." in refused.text
    assert not any(attributes.get("href", "").startswith("/quality/conversations/") for _, attributes in refused.tags)
    assert "No review cycle 2025-12 has been handed out yet." in missing.text


@pytest.mark.parametrize("conversation_id", ["%20", "%00"])
def test_a_conversation_id_that_cannot_exist_is_404_not_a_crash(handled: Handled, conversation_id: str) -> None:
    browser = handled.shop.client("paula")
    page = f"/quality/conversations/{conversation_id}"
    assert browser.get(page).status_code == 404
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/quality").text)
    assert token is not None
    assert browser.post(page, data={"csrf_token": token.group(1), **SCORES}).status_code == 404


def test_a_huge_number_as_a_choice_is_refused_with_the_scale(handled: Handled) -> None:
    browser = handled.shop.client("paula")
    page = f"/quality/conversations/{handled.opera[0]}"
    answer = post_form(browser, page, page, {**SCORES, "choice-tone": "9" * 5000})
    assert answer.status_code == 303
    assert reviews_of(handled, "ana") == []
