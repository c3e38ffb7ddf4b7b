"""Conversation quality reviews: scorecards, reviews of how an agent handled a conversation, and their scores.

A scorecard is a named set of categories, each weighted (a whole number from 0 to 100), rated on a scale of 2
(pass or fail), 3, 4 or 5 points, possibly critical. The scores follow the published rules of the tool that
made this practice a product (Zendesk QA, formerly Klaus), so figures compare with theirs:

- a category's score is ``(choice - 1) / (points - 1) x 100``: on a 4-point scale 0, 33.3, 66.7 and 100;
- a review's score is the weighted mean of its rated categories' scores; a category left N/A counts neither
  in the sum nor in the weights;
- a critical category scored below 50 makes the whole review score 0;
- the internal quality score (IQS) of a set of reviews is the mean of their scores.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from closedloop.domain.errors import InvalidInput
from closedloop.domain.text import shown
from closedloop.domain.values import id_field, one_of, text_field, time_field

#: Below this score a critical category fails the whole review.
CRITICAL_PASS = 50.0


class Scale(enum.IntEnum):
    """How many choices a category offers; choice 1 is the worst and the last the best."""

    BINARY = 2
    THREE = 3
    FOUR = 4
    FIVE = 5


def _scale(value: object) -> Scale:
    return one_of(Scale, value, "category scale (2, 3, 4 or 5 points)")


def _flag(_instance: object, _attribute: object, value: object) -> None:
    if type(value) is not bool:
        raise InvalidInput(f"a category's critical flag is True or False; got {shown(value)}")


def _weight(_instance: object, _attribute: object, value: object) -> None:
    if type(value) is not int or not 0 <= value <= 100:
        raise InvalidInput(f"a category's weight is a whole number from 0 to 100; got {shown(value)}")


@attrs.frozen(kw_only=True)
class ScorecardCategory:
    """One thing a reviewer rates, e.g. ``ScorecardCategory(id="tone", name="Tone of voice", weight=20)``."""

    id: str = attrs.field(validator=id_field("scorecard category"))
    name: str = attrs.field(validator=id_field("scorecard category", one_line=True))
    description: str = attrs.field(default="", validator=text_field("scorecard category"))
    weight: int = attrs.field(default=10, validator=_weight)
    scale: Scale = attrs.field(default=Scale.FIVE, converter=_scale)
    critical: bool = attrs.field(default=False, validator=_flag)

    def score(self, choice: int) -> float:
        """The category's score for a choice, from 0 to 100."""
        if type(choice) is not int or not 1 <= choice <= self.scale:
            raise InvalidInput(
                f"category {self.id!r} is rated from 1 to {int(self.scale)}; got {shown(choice)} (give None for N/A)"
            )
        return (choice - 1) / (self.scale - 1) * 100


def _categories(value: object) -> tuple[ScorecardCategory, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput(f"a scorecard needs a list of ScorecardCategory; got {shown(value)}")
    categories = tuple(value)
    if not all(isinstance(category, ScorecardCategory) for category in categories):
        raise InvalidInput("a scorecard's categories are ScorecardCategory(id=..., name=...) objects")
    ids = [category.id for category in categories]
    if len(set(ids)) != len(ids):
        raise InvalidInput(f"a scorecard's category ids must differ; got {ids}")
    return categories


@attrs.frozen(kw_only=True)
class Scorecard:
    """A named set of categories reviews are scored on."""

    id: str = attrs.field(validator=id_field("scorecard"))
    name: str = attrs.field(validator=id_field("scorecard", one_line=True))
    categories: tuple[ScorecardCategory, ...] = attrs.field(converter=_categories)

    def category(self, category_id: str) -> ScorecardCategory:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise InvalidInput(
            f"scorecard {self.id!r} has no category {category_id!r}; its categories are "
            f"{', '.join(category.id for category in self.categories)}"
        )


@attrs.frozen(kw_only=True)
class CategoryRating:
    """A reviewer's choice for one category (None: not applicable) and their comment on it."""

    category_id: str = attrs.field(validator=id_field("category rating"))
    choice: int | None = None
    comment: str = attrs.field(default="", validator=text_field("category rating"))


class DisputeOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    REJECTED = "rejected"


class ReviewEventKind(enum.StrEnum):
    CREATED = "created"
    DISPUTED = "disputed"
    RESOLVED = "resolved"
    REVISED = "revised"


def _event_kind(value: object) -> ReviewEventKind:
    return one_of(ReviewEventKind, value, "review event kind")


@attrs.frozen(kw_only=True)
class ReviewEvent:
    """One step of a review's history: who did what, when, with their comment and (resolutions) the outcome;
    a revision keeps the ratings it replaced, so the history holds every score the review ever had."""

    kind: ReviewEventKind = attrs.field(converter=_event_kind)
    at: datetime = attrs.field(validator=time_field("review event"))
    by: str = attrs.field(validator=id_field("review event"))
    comment: str = attrs.field(default="", validator=text_field("review event"))
    outcome: DisputeOutcome | None = None
    replaced: tuple[CategoryRating, ...] = ()


@attrs.frozen(kw_only=True)
class Review:
    """A reviewer's scoring of one conversation's handling by one agent, on one scorecard."""

    id: str = attrs.field(validator=id_field("review"))
    conversation_id: str = attrs.field(validator=id_field("review"))
    place_id: str = attrs.field(validator=id_field("review"))
    agent_id: str = attrs.field(validator=id_field("review"))
    reviewer_id: str = attrs.field(validator=id_field("review"))
    scorecard_id: str = attrs.field(validator=id_field("review"))
    ratings: tuple[CategoryRating, ...]
    comment: str = attrs.field(default="", validator=text_field("review"))
    created_at: datetime = attrs.field(validator=time_field("review"))
    received_at: datetime = attrs.field(validator=time_field("review"))  # the conversation's feedback: its period
    history: tuple[ReviewEvent, ...] = ()

    @property
    def disputed(self) -> bool:
        """Whether a dispute waits for a manager: the last dispute has no resolution after it."""
        open_dispute = False
        for event in self.history:
            if event.kind is ReviewEventKind.DISPUTED:
                open_dispute = True
            elif event.kind is ReviewEventKind.RESOLVED:
                open_dispute = False
        return open_dispute


def checked_ratings(scorecard: Scorecard, ratings: Iterable[CategoryRating]) -> tuple[CategoryRating, ...]:
    """The ratings in the scorecard's order, each choice checked against its category's scale; a category
    the reviewer left out is N/A. At least one category must be rated."""
    given: dict[str, CategoryRating] = {}
    for rating in ratings:
        if not isinstance(rating, CategoryRating):
            raise InvalidInput(f"ratings are CategoryRating(category_id=..., choice=...) objects; got {shown(rating)}")
        category = scorecard.category(rating.category_id)
        if rating.category_id in given:
            raise InvalidInput(f"category {rating.category_id!r} is rated twice; rate each category once")
        if rating.choice is not None:
            category.score(rating.choice)
        given[rating.category_id] = rating
    ordered = tuple(
        given.get(category.id, CategoryRating(category_id=category.id)) for category in scorecard.categories
    )
    if all(rating.choice is None for rating in ordered):
        raise InvalidInput("a review rates at least one category; every one was N/A")
    if not any(rating.choice is not None and scorecard.category(rating.category_id).weight for rating in ordered):
        raise InvalidInput(
            "a review rates at least one category with a weight above 0; only weightless ones were rated, which "
            "gives no score"
        )
    return ordered


def category_scores(scorecard: Scorecard, ratings: Iterable[CategoryRating]) -> dict[str, float]:
    """The score of each rated category, by category id (N/A ones are absent)."""
    return {
        rating.category_id: scorecard.category(rating.category_id).score(rating.choice)
        for rating in ratings
        if rating.choice is not None
    }


def review_score(scorecard: Scorecard, ratings: Iterable[CategoryRating]) -> float | None:
    """The weighted mean of the rated categories' scores, from 0 to 100; 0 when a critical category scored
    below 50; None when nothing with a weight was rated."""
    scores = category_scores(scorecard, ratings)
    weights = {category.id: category.weight for category in scorecard.categories}
    if any(scorecard.category(found).critical and score < CRITICAL_PASS for found, score in scores.items()):
        return 0.0
    total = sum(weights[found] for found in scores)
    if not total:
        return None
    return sum(score * weights[found] for found, score in scores.items()) / total


def iqs(scores: Iterable[float | None]) -> float | None:
    """The internal quality score: the mean of the review scores (reviews without one are left out)."""
    counted = [score for score in scores if score is not None]
    return sum(counted) / len(counted) if counted else None
