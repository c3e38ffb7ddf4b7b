"""What a customer said: feedback, its ratings and contact details, as they arrived."""

from __future__ import annotations

import enum
import numbers
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import attrs

from closedloop.domain.errors import InvalidInput


class Source(enum.StrEnum):
    """Where feedback came from; decides which replies it can get."""

    SURVEY = "survey"
    RATING = "rating"
    REVIEW = "review"
    SOCIAL = "social"

    @property
    def is_public(self) -> bool:
        """Reviews and social posts are answered in public, on their platform, never by email."""
        return self in (Source.REVIEW, Source.SOCIAL)


class RatingKind(enum.StrEnum):
    """The usual scored indicators and their fixed scales; CUSTOM carries its own scale."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    STARS = "stars"
    CUSTOM = "custom"


FIXED_SCALES: Mapping[RatingKind, tuple[float, float]] = {
    RatingKind.NPS: (0, 10),
    RatingKind.CSAT: (1, 5),
    RatingKind.CES: (1, 7),
    RatingKind.STARS: (1, 5),
}


def require_aware(value: datetime | None, what: str) -> None:
    """Naive datetimes are ambiguous across servers, so every stored time carries its zone."""
    if value is not None and value.utcoffset() is None:
        raise InvalidInput(f"{what} must be timezone-aware, e.g. datetime.now(timezone.utc); got {value!r}")


def as_text(value: object, what: str) -> str:
    """Text as given; a number as its digits and None as empty text, as rows of files and databases hold
    them. Anything else is refused, rather than kept as given and read back later as some other text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return _digits(value)
    raise InvalidInput(f"{what} must be text; got {value!r}")


def _digits(number: numbers.Number) -> str:
    """A whole number without a decimal point, whatever its type (a data frame's phone column is floats),
    and a missing value (not a number) as empty text."""
    if number != number:  # only NaN differs from itself
        return ""
    if isinstance(number, numbers.Integral):
        return str(int(number))
    if isinstance(number, numbers.Real | Decimal) and (whole := float(number)).is_integer() and abs(whole) < 2**53:
        return str(int(whole))  # below 2**53 a float holds every whole number exactly
    return str(number)


def optional_text(value: object) -> str:
    """A converter for text that may be missing, as contact details often are."""
    return as_text(value, "a contact detail or email")


def _only_text(what: str) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
        if not isinstance(value, str) and not (value is None and attribute.default is None):
            raise InvalidInput(f"{what} {attribute.name!r} must be text; got {value!r}")

    return check


def _flag(what: str) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[bool], value: bool) -> None:
        if not isinstance(value, bool):
            raise InvalidInput(f"{what} {attribute.name!r} must be True or False; got {value!r}")

    return check


def non_empty(what: str) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"{what} {attribute.name!r} must be a non-empty string; got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class Rating:
    """One scored indicator, e.g. ``Rating(key="nps", kind=RatingKind.NPS, value=9)``."""

    key: str = attrs.field(validator=non_empty("rating"))
    value: float
    kind: RatingKind = attrs.field(default=RatingKind.CUSTOM, converter=RatingKind)
    scale: tuple[float, float] | None = attrs.field(default=None)
    journey_moment: str | None = attrs.field(default=None, validator=_only_text("rating"))
    label: str | None = attrs.field(default=None, validator=_only_text("rating"))

    def __attrs_post_init__(self) -> None:
        low, high = self.bounds
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise InvalidInput(f"rating {self.key!r} needs a number as value; got {self.value!r}")
        if not low <= self.value <= high:
            raise InvalidInput(
                f"rating {self.key!r} of kind {self.kind.value} must lie between {low:g} and {high:g}; "
                f"got {self.value!r}"
            )

    @property
    def bounds(self) -> tuple[float, float]:
        """The scale the value lives on: fixed for the usual kinds, given for custom ones."""
        if self.kind is RatingKind.CUSTOM:
            if self.scale is None or len(self.scale) != 2 or self.scale[0] >= self.scale[1]:
                raise InvalidInput(
                    f"custom rating {self.key!r} needs scale=(lowest, highest) with lowest < highest; "
                    f"got {self.scale!r}"
                )
            return self.scale
        fixed = FIXED_SCALES[self.kind]
        if self.scale is not None and tuple(self.scale) != fixed:
            raise InvalidInput(
                f"rating {self.key!r} of kind {self.kind.value} always uses the scale {fixed}; "
                "leave scale out or use kind=RatingKind.CUSTOM"
            )
        return fixed


@attrs.frozen(kw_only=True)
class Contact:
    """Contact details as given (None counts as not given); they are checked only when a reply or call needs
    them."""

    name: str = attrs.field(default="", converter=optional_text)
    email: str = attrs.field(default="", converter=optional_text)
    tel: str = attrs.field(default="", converter=optional_text)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else ""

    @property
    def last_name(self) -> str:
        parts = self.name.split()
        return " ".join(parts[1:]) if len(parts) > 1 else ""


class ContactChecks(Protocol):
    """Checks contact details; each returns the normalized value, or ``None`` when it is not valid. The
    validators live outside the domain (``closedloop.contacts``), so the domain stays free of them."""

    def email(self, address: str) -> str | None: ...

    def phone(self, number: str) -> str | None: ...


@attrs.frozen(kw_only=True)
class Comment:
    """An answer to an open question; ``question`` names it (``"comment"`` when there is only one)."""

    text: str = attrs.field(validator=_only_text("comment"))
    question: str = attrs.field(default="comment", validator=_only_text("comment"))


def text_map(value: Mapping[Any, Any]) -> dict[str, str]:
    """A private copy of a mapping of texts, so later changes by the caller do not leak in; its keys and
    values are taken as :func:`as_text` takes them."""
    if not isinstance(value, Mapping):
        raise InvalidInput(f"answers, metadata and details map names to texts; got {value!r}")
    return {as_text(key, f"the name {key!r}"): as_text(item, f"the value of {key!r}") for key, item in value.items()}


def id_set(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def _ratings(value: Iterable[Rating]) -> tuple[Rating, ...]:
    ratings = tuple(value)
    for rating in ratings:
        if not isinstance(rating, Rating):
            raise InvalidInput(f"feedback ratings are Rating(key=..., value=...) objects; got {rating!r}")
    return ratings


def as_comments(value: Any) -> tuple[Comment, ...]:
    """One text, or texts and comments, as comments; empty text is no comment."""
    if isinstance(value, str):
        return (Comment(text=value),) if value.strip() else ()
    comments = tuple(Comment(text=item) if isinstance(item, str) else item for item in value)
    for comment in comments:
        if not isinstance(comment, Comment):
            raise InvalidInput(f"feedback comments are texts or Comment(text=...) objects; got {comment!r}")
    return comments


@attrs.frozen(kw_only=True)
class Feedback:
    """One thing a customer said, with where it came from; ``(source, platform, external_id)`` names it."""

    source: Source = attrs.field(converter=Source)
    external_id: str = attrs.field(validator=non_empty("feedback"))
    place_id: str = attrs.field(validator=non_empty("feedback"))
    received_at: datetime
    platform: str = attrs.field(default="", validator=_only_text("feedback"))
    contact: Contact = Contact()
    ratings: tuple[Rating, ...] = attrs.field(default=(), converter=_ratings)
    comments: tuple[Comment, ...] = attrs.field(default=(), converter=as_comments)
    answers: Mapping[str, str] = attrs.field(factory=dict, converter=text_map)
    metadata: Mapping[str, str] = attrs.field(factory=dict, converter=text_map)
    locale: str = attrs.field(default="en", validator=_only_text("feedback"))
    test: bool = attrs.field(default=False, validator=_flag("feedback"))

    def __attrs_post_init__(self) -> None:
        require_aware(self.received_at, "feedback received_at")
        if self.source.is_public and not self.platform:
            raise InvalidInput(
                f"{self.source.value} feedback {self.external_id!r} needs platform= (e.g. 'google'), "
                "the platform its reply goes to"
            )

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes intake idempotent: the same key is the same feedback."""
        return (self.source.value, self.platform, self.external_id)

    @property
    def text(self) -> str:
        """All non-empty comments, one per line, for analyzers and keyword rules."""
        return "\n".join(comment.text for comment in self.comments if comment.text.strip())
