"""Alert rules: which feedback signals strong dissatisfaction and jumps the inbox queue."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Feedback, RatingKind
from closedloop.domain.values import (
    number_field,
    one_of,
    text,
    text_field,
    texts,
    time_field,
)


class AlertStatus(enum.StrEnum):
    """How far the handling of an alert has got; separate from the conversation's status."""

    TO_PROCESS = "to_process"
    IN_PROGRESS = "in_progress"
    PROCESSED = "processed"


def _alert_status(value: object) -> AlertStatus:
    return one_of(AlertStatus, value, "alert status")


def _reasons(value: object) -> tuple[str, ...]:
    return texts(value, "alert reasons")


@attrs.frozen(kw_only=True)
class Alert:
    """Raised at intake when at least one rule matched; ``reasons`` says which and why."""

    raised_at: datetime = attrs.field(validator=time_field("alert"))
    reasons: tuple[str, ...] = attrs.field(converter=_reasons)
    status: AlertStatus = attrs.field(default=AlertStatus.TO_PROCESS, converter=_alert_status)

    @property
    def is_open(self) -> bool:
        return self.status is not AlertStatus.PROCESSED


@runtime_checkable
class AlertRule(Protocol):
    """Anything with a ``name`` and a ``check`` that returns a reason, or ``None`` when it does not match."""

    @property
    def name(self) -> str: ...

    def check(self, feedback: Feedback) -> str | None: ...


def _watched_kind(value: object) -> RatingKind | None:
    return None if value is None else one_of(RatingKind, value, "the kind a RatingAtMost watches")


@attrs.frozen(kw_only=True)
class RatingAtMost:
    """Matches a rating of the given kind or key whose value is at or below ``threshold``."""

    threshold: float = attrs.field(validator=number_field("RatingAtMost"))
    kind: RatingKind | None = attrs.field(default=None, converter=_watched_kind)
    key: str | None = attrs.field(default=None, validator=text_field("RatingAtMost", optional=True))
    name: str = attrs.field(default="", validator=text_field("RatingAtMost"))

    def __attrs_post_init__(self) -> None:
        if self.kind is None and not self.key:
            raise InvalidInput("RatingAtMost needs kind= or key= to know which ratings it watches")
        if not self.name:
            object.__setattr__(self, "name", f"{self.key or self.kind} <= {self.threshold:g}")

    def check(self, feedback: Feedback) -> str | None:
        kind, key, threshold = self.kind, self.key, self.threshold  # runs for every item of a bulk intake
        for rating in feedback.ratings:
            if (
                rating.value <= threshold
                and (kind is None or rating.kind is kind)
                and (key is None or rating.key == key)
            ):
                return _at_or_below(rating.key, rating.value, threshold)
        return None


@functools.lru_cache(maxsize=4096)
def _at_or_below(key: str, value: float, threshold: float) -> str:
    """The reason a rating matched, written once per answer: a survey's ratings take few values."""
    return f"{key} is {value:g}, at or below {threshold:g}"


def _words(value: object) -> tuple[str, ...]:
    """Words as a list or tuple of texts; one text is one word, not a word per letter."""
    if isinstance(value, str):
        return (text(value, "KeywordsInComments words"),)
    return texts(value, "KeywordsInComments words")


@attrs.frozen(kw_only=True)
class KeywordsInComments:
    """Matches comments that contain any of the words, as whole words and ignoring case."""

    words: tuple[str, ...] = attrs.field(converter=_words)
    name: str = attrs.field(default="keywords", validator=text_field("KeywordsInComments"))

    def __attrs_post_init__(self) -> None:
        if not self.words or not all(word.strip() for word in self.words):
            raise InvalidInput("KeywordsInComments needs at least one non-empty word")

    def check(self, feedback: Feedback) -> str | None:
        text = feedback.text.casefold()
        for word in self.words:
            if re.search(rf"\b{re.escape(word.casefold())}\b", text):
                return f"comment mentions {word!r}"
        return None


def nps_detractor() -> RatingAtMost:
    """NPS 0 to 6: the customer would not recommend the business."""
    return RatingAtMost(kind=RatingKind.NPS, threshold=6, name="nps detractor")


def low_stars() -> RatingAtMost:
    return RatingAtMost(kind=RatingKind.STARS, threshold=2, name="stars <= 2")


def low_csat() -> RatingAtMost:
    return RatingAtMost(kind=RatingKind.CSAT, threshold=2, name="csat <= 2")


def default_rules() -> tuple[AlertRule, ...]:
    """The rules a desk uses unless told otherwise: NPS detractors, one or two stars, CSAT of 1 or 2."""
    rules: tuple[AlertRule, ...] = (nps_detractor(), low_stars(), low_csat())
    return rules


def raise_alert(feedback: Feedback, rules: Iterable[AlertRule], now: datetime) -> Alert | None:
    """An alert listing every matching rule's reason, or ``None`` when no rule matches."""
    reasons: Sequence[str] = [
        f"{rule.name}: {reason}" for rule in rules if (reason := rule.check(feedback)) is not None
    ]
    return _alert(now, tuple(reasons)) if reasons else None


#: The alerts raised at one moment, by their reasons: the moment itself (the very object) and its alerts.
_raised: tuple[datetime | None, dict[tuple[str, ...], Alert]] = (None, {})
#: Past this many sets of reasons at one moment, the alerts of that moment start again.
MAX_SHARED_ALERTS = 1000


def _alert(raised_at: datetime, reasons: tuple[str, ...]) -> Alert:
    """Alerts are immutable, so the conversations of a bulk intake batch, which open at the same moment (the
    very same object), share one per set of reasons instead of building and checking one each. The moment is
    told by identity, not equality: two equal times may still be written otherwise (another zone, the second
    pass through an hour a clock change repeats)."""
    global _raised
    moment, alerts = _raised  # one read: another thread may raise alerts at another moment meanwhile
    if moment is not raised_at or len(alerts) >= MAX_SHARED_ALERTS:
        alerts = {}
        _raised = (raised_at, alerts)
    alert = alerts.get(reasons)
    if alert is None:
        alert = alerts[reasons] = Alert(raised_at=raised_at, reasons=reasons)
    return alert
