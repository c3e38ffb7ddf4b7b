"""The quality-review screens (``/quality``): a reviewer's queue in a review cycle, scoring a conversation on
a scorecard, the reviews of the signed-in user's own work with a way to dispute one, and the period's summary.

Each is ``desk.qa`` asked as the signed-in user, so the desk's rights decide: an agent without the reviewer
right who posts a scorecard is refused with the desk's sentence, and a conversation or review the user may not
see answers 404 as the inbox's do. ``docs/quality.md`` defines every figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from closedloop import (
    AccessDenied,
    CategoryRating,
    ClosedLoopError,
    Conversation,
    Desk,
    InvalidInput,
    NotFound,
    QualityFigures,
    Review,
    Right,
    Scorecard,
)
from closedloop_console.pages import display, flash
from closedloop_console.web import checked_form, desk_of, render, signed_in

T = TypeVar("T")
NOT_APPLICABLE = "na"
NOTHING = "-"
NO_REVIEWER_RIGHT = "Scoring conversations needs the reviewer right; ask an admin to give it to you."


def last_month(now: datetime) -> str:
    """The month reviewed by default: the one before this one, as quality cycles are drawn after it ends."""
    return (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def attempt(call: Callable[[], T]) -> tuple[T | None, str]:
    """The call's answer, or the desk's one-line refusal: a section the user may not see says why."""
    try:
        return call(), ""
    except ClosedLoopError as refusal:
        return None, str(refusal)


@attrs.frozen
class ShownReview:
    """A review as the page lists it, worded."""

    id: str
    conversation_id: str
    agent: str
    reviewer: str
    score: str
    comment: str
    disputed: bool
    ratings: tuple[tuple[str, str, str], ...]  # category name, choice, comment
    history: tuple[str, ...]
    may_dispute: bool


def show_review(desk: Desk, review: Review, scorecards: Mapping[str, Scorecard], user_id: str) -> ShownReview:
    card = scorecards.get(review.scorecard_id)
    names = {category.id: (category.name, int(category.scale)) for category in card.categories} if card else {}
    ratings = tuple(
        (
            names.get(rating.category_id, (rating.category_id, 0))[0],
            "N/A" if rating.choice is None else f"{rating.choice} of {names.get(rating.category_id, ('', 0))[1]}",
            rating.comment,
        )
        for rating in review.ratings
    )
    score = desk.qa.score(review) if card else None
    history = tuple(f"{event.kind.value.capitalize()} by {event.by}, {display.moment(event.at)}"
                    + (f": {event.comment}" if event.comment else "") for event in review.history)  # fmt: skip
    return ShownReview(
        id=review.id,
        conversation_id=review.conversation_id,
        agent=review.agent_id,
        reviewer=review.reviewer_id,
        score=NOTHING if score is None else f"{score:.1f}",
        comment=review.comment,
        disputed=review.disputed,
        ratings=ratings,
        history=history,
        may_dispute=review.agent_id == user_id and not review.disputed,
    )


def figure(value: float | None, sign: bool = False) -> str:
    return NOTHING if value is None else (f"{value:+.1f}" if sign else f"{value:.1f}")


def summary_row(figures: QualityFigures) -> tuple[str, ...]:
    return (
        figures.agent_id or "Team",
        figure(figures.iqs),
        str(figures.reviews),
        figure(figures.previous_iqs),
        figure(figures.change, sign=True),
        NOTHING if figures.csat is None else f"{figures.csat:.1f}%",
        figure(figures.nps, sign=True),
    )


def overview(desk: Desk, user_id: str, period: str, cycle: str) -> dict[str, Any]:
    """What the quality page shows, each section asked of the desk on its own, so one refusal hides one."""
    try:
        queue, queue_refusal = desk.qa.assignments(cycle, by=user_id), ""
    except NotFound:
        queue, queue_refusal = [], f"No review cycle {cycle} has been handed out yet."
    except AccessDenied:
        queue, queue_refusal = [], "Nothing is assigned to you: reviewing needs the reviewer right."
    except ClosedLoopError as refusal:
        queue, queue_refusal = [], str(refusal)
    scorecards = {card.id: card for card in desk.qa.scorecards(user_id)}
    own, own_refusal = attempt(lambda: desk.qa.reviews(by=user_id, period=period, agent=user_id))
    summary, summary_refusal = attempt(lambda: desk.qa.summary(period, by=user_id))
    rows = [] if summary is None else [summary_row(summary.team), *(summary_row(a) for a in summary.agents)]
    if summary is not None and not summary.is_team:
        rows = [summary_row(summary.team)]
    categories = [] if summary is None else [(c.name, figure(c.average), str(c.rated)) for c in summary.team.categories]
    return {
        "queue": [(assignment, done) for assignment, done in (queue or []) if assignment.reviewer_id == user_id],
        "queue_refusal": queue_refusal,
        "own_reviews": [show_review(desk, review, scorecards, user_id) for review in own or []],
        "own_refusal": own_refusal,
        "summary_rows": rows,
        "summary_categories": categories,
        "summary_refusal": summary_refusal,
    }


def default_cycle(desk: Desk, user_id: str, period: str) -> str:
    """The cycle of the period for the places the user sees, as ``desk.qa.assign`` names it when they drew it
    (``2026-03@gare,opera``), when there is one; else the cycle of every place (``2026-03``)."""
    places = ",".join(sorted(place.id for place in desk.places(user_id).places))
    narrower = f"{period}@{places}"
    _, refusal = attempt(lambda: desk.qa.progress(narrower, by=user_id))
    return period if refusal or not places else narrower


async def quality(request: Request) -> Response:
    user_id = signed_in(request)
    desk = desk_of(request)
    period = request.query_params.get("period") or last_month(datetime.now(UTC))
    cycle = request.query_params.get("cycle", "")
    if not cycle:
        cycle = await run_in_threadpool(default_cycle, desk, user_id, period)
    shown = await run_in_threadpool(overview, desk, user_id, period, cycle)
    return render(
        request, "quality.html", title="Quality", period=period, cycle=cycle, flash=flash.take(request), **shown
    )


async def visible(request: Request, user_id: str) -> Conversation:
    """The conversation of the path, or the 404 of one that does not exist, whoever may not see it."""
    desk = desk_of(request)
    conversation_id = request.path_params["conversation_id"]
    try:
        return await run_in_threadpool(lambda: desk.conversation(conversation_id, by=user_id))
    except (NotFound, AccessDenied, InvalidInput):
        raise HTTPException(404) from None  # an id that cannot exist (blank, a NUL) is as missing as any other


def may_score(desk: Desk, user_id: str) -> bool:
    """Whether the user holds the reviewer right, so the page offers the scorecard only to those who may use it."""
    try:
        return desk.user(user_id).has(Right.REVIEWER)
    except ClosedLoopError:
        return False


def scorecard_of(desk: Desk, user_id: str, wanted: str) -> Scorecard:
    for card in desk.qa.scorecards(user_id):
        if card.id == wanted:
            return card
    raise HTTPException(404)


async def review_form(request: Request) -> Response:
    user_id = signed_in(request)
    conversation = await visible(request, user_id)
    desk = desk_of(request)
    card = await run_in_threadpool(scorecard_of, desk, user_id, request.query_params.get("scorecard") or "default")
    return render(
        request,
        "quality_review.html",
        title="Score a conversation",
        conversation=conversation,
        customer=display.customer_name(conversation),
        scorecard=card,
        back=request.query_params.get("cycle", ""),
        may_score=await run_in_threadpool(may_score, desk, user_id),
        no_right=NO_REVIEWER_RIGHT,
        flash=flash.take(request),
    )


def ratings_from(card: Scorecard, form: Mapping[str, str]) -> list[CategoryRating]:
    """One rating per category of the scorecard: a choice, or N/A (left empty or marked so), with its comment."""
    ratings = []
    for category in card.categories:
        chosen = form.get(f"choice-{category.id}", "").strip()
        # a choice is a small number; a long string of digits is not one (and int() refuses over 4300 digits)
        choice = None if chosen in ("", NOT_APPLICABLE) or not chosen.isdecimal() or len(chosen) > 3 else int(chosen)
        if chosen and chosen != NOT_APPLICABLE and choice is None:
            choice = -1  # not a number: the desk refuses it with the scale to choose from
        ratings.append(
            CategoryRating(category_id=category.id, choice=choice, comment=form.get(f"comment-{category.id}", ""))
        )
    return ratings


async def score(request: Request) -> Response:
    user_id = signed_in(request)
    conversation = await visible(request, user_id)
    desk = desk_of(request)
    form = await checked_form(request)
    card = await run_in_threadpool(scorecard_of, desk, user_id, form.get("scorecard") or "default")
    back = request.url_for("quality_review", conversation_id=conversation.id).path
    if not await run_in_threadpool(may_score, desk, user_id):
        return flash.back_to(request, back, NO_REVIEWER_RIGHT, ok=False)

    def made() -> Review:
        ratings = ratings_from(card, form)
        return desk.qa.review(conversation.id, by=user_id, ratings=ratings, comment=form.get("comment", ""),
                              scorecard=card.id)  # fmt: skip

    try:
        review = await run_in_threadpool(made)
    except NotFound:
        raise HTTPException(404) from None
    except ClosedLoopError as refusal:
        return flash.back_to(request, back, str(refusal), ok=False)
    result = await run_in_threadpool(desk.qa.score, review)
    text = f"Review saved: {figure(result)} of 100 for {review.agent_id}."
    return flash.back_to(request, request.url_for("quality").path, text)


async def dispute(request: Request) -> Response:
    user_id = signed_in(request)
    desk = desk_of(request)
    form = await checked_form(request)
    back = request.url_for("quality").path
    review_id = request.path_params["review_id"]
    try:
        await run_in_threadpool(lambda: desk.qa.dispute(review_id, by=user_id, comment=form.get("comment", "")))
    except (NotFound, AccessDenied):
        raise HTTPException(404) from None  # only the agent's own reviews offer a dispute; any other is not theirs
    except ClosedLoopError as refusal:
        return flash.back_to(request, back, str(refusal), ok=False)
    return flash.back_to(request, back, "Your dispute is sent; a manager will resolve it.")


routes = [
    Route("/quality", quality, methods=["GET"], name="quality"),
    Route("/quality/conversations/{conversation_id}", review_form, methods=["GET"], name="quality_review"),
    Route("/quality/conversations/{conversation_id}", score, methods=["POST"], name="quality_score"),
    Route("/quality/reviews/{review_id}/dispute", dispute, methods=["POST"], name="quality_dispute"),
]
