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
from closedloop.domain.text import checked_text, shown, storable
from closedloop.domain.values import (
    LARGEST_NUMBER,
    aware_time,
    flag_field,
    id_field,
    instance_field,
    number,
    one_of,
    read_items,
    text_field,
    time_field,
)


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
    if value is not None:
        aware_time(value, what)


def as_text(value: object, what: str) -> str:
    """Text as given; a number as its digits and None as empty text, as rows of files and databases hold
    them. Anything else is refused, rather than kept as given and read back later as some other text."""
    if isinstance(value, str):
        return checked_text(value, what)
    if value is None:
        return ""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        try:
            return _digits(value)
        except InvalidInput:
            raise
        except (ArithmeticError, ValueError):  # a signalling NaN cannot even be compared
            raise InvalidInput(f"{what} must be text or a plain number; got {shown(value)}") from None
    raise InvalidInput(f"{what} must be text; got {shown(value)}")


def _digits(value: numbers.Number) -> str:
    """A whole number without a decimal point, whatever its type (a data frame's phone column is floats),
    and a missing value (not a number) as empty text."""
    if value != value:  # only NaN differs from itself
        return ""
    if isinstance(value, numbers.Integral):
        if not -LARGEST_NUMBER <= int(value) <= LARGEST_NUMBER:  # also spares writing out 5,000 digits
            raise InvalidInput(f"a number given for a text may have at most 15 digits; got {shown(value)}")
        return str(int(value))
    if isinstance(value, numbers.Real | Decimal) and (whole := float(value)).is_integer() and abs(whole) < 2**53:
        return str(int(whole))  # below 2**53 a float holds every whole number exactly
    return str(value)


def optional_text(value: object) -> str:
    """A converter for text that may be missing, as contact details often are; a text UTF-8 can store, the
    usual detail, is let through at once, the rest is taken (or refused) as :func:`as_text` takes it."""
    if type(value) is str and (value.isascii() or storable(value)):
        return value
    return as_text(value, "a contact detail or email")


def _rating_kind(value: object) -> RatingKind:
    return one_of(RatingKind, value, "rating kind")


def _source(value: object) -> Source:
    if type(value) is Source:  # as every intake gives it, once per feedback
        return value
    return one_of(Source, value, "feedback source")


def _scale(value: object) -> tuple[float, float] | None:
    """A custom scale as a pair of numbers; its order and size are checked with the rating's value."""
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidInput(f"a rating's scale must be (lowest, highest), e.g. (0, 10); got {shown(value)}")
    return (value[0], value[1])


@attrs.frozen(kw_only=True)
class Rating:
    """One scored indicator, e.g. ``Rating(key="nps", kind=RatingKind.NPS, value=9)``."""

    key: str = attrs.field(validator=id_field("rating"))
    value: float
    kind: RatingKind = attrs.field(default=RatingKind.CUSTOM, converter=_rating_kind)
    scale: tuple[float, float] | None = attrs.field(default=None, converter=_scale)
    journey_moment: str | None = attrs.field(default=None, validator=text_field("rating", optional=True))
    label: str | None = attrs.field(default=None, validator=text_field("rating", optional=True))

    def __attrs_post_init__(self) -> None:
        low, high = self.bounds
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"rating {self.key!r} needs a number as value; got {shown(value)}")
        if not low <= value <= high:  # NaN too: it lies nowhere
            raise InvalidInput(
                f"rating {self.key!r} of kind {self.kind.value} must lie between {low:g} and {high:g}; "
                f"got {shown(value)}"
            )
        if self.kind is RatingKind.NPS and isinstance(value, float) and not value.is_integer():
            raise InvalidInput(  # the question offers 0, 1, ... 10: a 7.5 is a mistake, and no promoter nor detractor
                f"rating {self.key!r} of kind nps must be a whole number from 0 to 10; got {shown(value)}"
            )

    @property
    def bounds(self) -> tuple[float, float]:
        """The scale the value lives on: fixed for the usual kinds, given for custom ones."""
        if self.kind is RatingKind.CUSTOM:
            scale = self.scale
            if scale is None or len(scale) != 2:
                raise InvalidInput(
                    f"custom rating {self.key!r} needs scale=(lowest, highest) with lowest < highest; "
                    f"got {shown(scale)}"
                )
            low = number(scale[0], f"the lowest value of rating {self.key!r}")
            high = number(scale[1], f"the highest value of rating {self.key!r}")
            if low >= high:
                raise InvalidInput(
                    f"custom rating {self.key!r} needs scale=(lowest, highest) with lowest < highest; "
                    f"got {shown(scale)}"
                )
            return scale
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

    text: str = attrs.field(validator=text_field("comment"))
    question: str = attrs.field(default="comment", validator=text_field("comment"))


def text_map(value: Mapping[Any, Any]) -> dict[str, str]:
    """A private copy of a mapping of texts, so later changes by the caller do not leak in; its keys and
    values are taken as :func:`as_text` takes them (a value that is itself a mapping is refused, never
    walked into)."""
    if type(value) is dict and not value:  # no answers, as feedback from a file or a review has
        return {}
    if type(value) is dict and (copied := _ascii_copy(value)) is not None:
        return copied
    if type(value) is not dict and not isinstance(value, Mapping):
        raise InvalidInput(f"answers, metadata and details map names to texts; got {shown(value)}")
    return {
        key if type(key) is str and key.isascii() else as_text(key, f"the name {shown(key)}"): (
            item if type(item) is str and item.isascii() else as_text(item, f"the value of {shown(key)}")
        )
        for key, item in value.items()
    }


def _ascii_copy(value: dict[Any, Any]) -> dict[str, str] | None:
    """A copy of a dict whose every name and value is ASCII text, which needs no check; None for any other.
    Names and values are joined and looked at once each, since a row of a file holds dozens of them."""
    try:
        if "".join(value).isascii() and "".join(value.values()).isascii():
            return dict(value)
    except TypeError:  # a name or value that is not text: each is taken on its own
        pass
    return None


def metadata_map(value: Mapping[Any, Any]) -> dict[str, str]:
    """Metadata as texts, as :func:`text_map` takes them, and a flag as ``"true"`` or ``"false"``: what a
    platform says of a review (a verified purchase, a device's version) is often a flag or a number."""
    if type(value) is dict and (copied := _ascii_copy(value)) is not None:
        return copied
    if isinstance(value, Mapping) and any(isinstance(item, bool) for item in value.values()):
        value = {key: str(item).lower() if isinstance(item, bool) else item for key, item in value.items()}
    return text_map(value)


def all_of_type(items: tuple[Any, ...], cls: type) -> bool:
    """Whether every item is exactly a ``cls`` (not a subclass): a loop of identity checks, cheaper than
    ``all()`` over a generator (four times, for the few ratings or comments of one feedback)."""
    for item in items:  # noqa: SIM110 - the loop is the point
        if type(item) is not cls:
            return False
    return True


def _ratings(value: Any) -> tuple[Rating, ...]:
    if type(value) is tuple or type(value) is list:  # the usual case, told without the general path's calls
        ratings = tuple(value)
        if all_of_type(ratings, Rating):
            return ratings
    if not isinstance(value, tuple | list) and (isinstance(value, str | Mapping) or not isinstance(value, Iterable)):
        raise InvalidInput(f"feedback ratings are a list of Rating(key=..., value=...) objects; got {shown(value)}")
    ratings = tuple(read_items(value, "ratings"))
    for rating in ratings:
        if not isinstance(rating, Rating):
            raise InvalidInput(f"feedback ratings are Rating(key=..., value=...) objects; got {shown(rating)}")
    return ratings


def as_comments(value: Any) -> tuple[Comment, ...]:
    """One text, or texts and comments, as comments; empty text is no comment."""
    if type(value) is tuple or type(value) is list:  # the usual case, told without the general path's calls
        comments = tuple(value)
        if all_of_type(comments, Comment):
            return comments
    if isinstance(value, str):
        return (Comment(text=value),) if value.strip() else ()
    if not isinstance(value, tuple | list) and (isinstance(value, Mapping) or not isinstance(value, Iterable)):
        raise InvalidInput(
            f"feedback comments are a text, or a list of texts and Comment(text=...) objects; got {shown(value)}"
        )
    comments = tuple(Comment(text=item) if isinstance(item, str) else item for item in read_items(value, "comments"))
    for comment in comments:
        if not isinstance(comment, Comment):
            raise InvalidInput(f"feedback comments are texts or Comment(text=...) objects; got {shown(comment)}")
    return comments


@attrs.frozen(kw_only=True)
class Feedback:
    """One thing a customer said, with where it came from; ``(source, platform, external_id)`` names it."""

    source: Source = attrs.field(converter=_source)
    external_id: str = attrs.field(validator=id_field("feedback"))
    place_id: str = attrs.field(validator=id_field("feedback"))
    received_at: datetime = attrs.field(validator=time_field("feedback"))
    platform: str = attrs.field(default="", validator=text_field("feedback"))
    contact: Contact = attrs.field(
        default=Contact(), validator=instance_field(Contact, "feedback", "a Contact(name=..., email=..., tel=...)")
    )
    ratings: tuple[Rating, ...] = attrs.field(default=(), converter=_ratings)
    comments: tuple[Comment, ...] = attrs.field(default=(), converter=as_comments)
    answers: Mapping[str, str] = attrs.field(factory=dict, converter=text_map)
    metadata: Mapping[str, str] = attrs.field(factory=dict, converter=metadata_map)
    locale: str = attrs.field(default="en", validator=text_field("feedback"))
    test: bool = attrs.field(default=False, validator=flag_field("feedback"))

    def __attrs_post_init__(self) -> None:
        if not self.platform and self.source.is_public:
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
