"""What the page shows of a customer view, worded for a person in their language."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from closedloop import ActorKind, CustomerView, Interaction, Rating, RatingKind
from closedloop_web.texts import TEXTS, format_moment


@attrs.frozen
class ShownRating:
    """A rating as read aloud (``spoken``), with stars or the points of its scale for the eye."""

    label: str
    spoken: str
    stars: tuple[bool, ...] = ()  # one per star of the scale: filled or not
    points: tuple[tuple[int, bool], ...] = ()  # each point of a 0-10 or 1-7 scale, and whether it was chosen


@attrs.frozen
class ShownMessage:
    author: str
    from_customer: bool
    when: str
    iso_time: str
    body: str


def _number(value: float) -> str:
    return f"{value:g}"


def _label(rating: Rating, language: str) -> str:
    """The rating's own label; else, for a rating named after its kind (``nps``), the kind's question."""
    if rating.label:
        return rating.label
    if rating.key == rating.kind.value and rating.kind is not RatingKind.CUSTOM:
        return TEXTS[language][f"kind_{rating.kind.value}"]
    return rating.key.replace("_", " ").replace("-", " ").capitalize()


def show_rating(rating: Rating, language: str) -> ShownRating:
    texts = TEXTS[language]
    low, high = rating.bounds
    if rating.kind is RatingKind.STARS:
        spoken = texts["stars"].format(value=_number(rating.value), high=_number(high))
        return ShownRating(
            _label(rating, language), spoken, stars=tuple(star <= rating.value for star in range(1, int(high) + 1))
        )
    spoken = texts["scale"].format(value=_number(rating.value), low=_number(low), high=_number(high))
    whole_scale = low == int(low) and high == int(high) and high - low <= 10
    points = tuple((point, point == rating.value) for point in range(int(low), int(high) + 1)) if whole_scale else ()
    return ShownRating(_label(rating, language), spoken, points=points)


def show_messages(view: CustomerView, language: str) -> list[ShownMessage]:
    return [_show_message(entry, view, language) for entry in view.messages]


def _show_message(entry: Interaction, view: CustomerView, language: str) -> ShownMessage:
    from_customer = entry.author.kind is ActorKind.CUSTOMER
    author = TEXTS[language]["you"] if from_customer else f"{entry.author.name}, {view.place_name}"
    return ShownMessage(author, from_customer, format_moment(entry.at, language), entry.at.isoformat(), entry.body)


def show_ratings(ratings: Sequence[Rating], language: str) -> list[ShownRating]:
    return [show_rating(rating, language) for rating in ratings]
