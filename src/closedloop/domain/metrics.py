"""The figures of how well the loop is closed, defined once: scores (NPS, CSAT, CES, stars), responsiveness,
the closed-loop rate, volume and concepts, overall and per bucket.

:func:`figures_of` is the reference: it computes a :class:`Figures` from :class:`~closedloop.domain.facts.Facts`.
The memory store uses it as it is; the SQL store computes the same figures with aggregates where the data is,
and the contract suite checks that both agree. ``docs/metrics.md`` states every definition.
"""

from __future__ import annotations

import enum
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from closedloop.domain.alerts import AlertStatus
from closedloop.domain.conversation import Category, Status
from closedloop.domain.facts import Facts
from closedloop.domain.feedback import RatingKind

#: How long after the feedback a reply or call still closes the loop, unless a report says otherwise.
DEFAULT_WINDOW = timedelta(hours=48)


class Bucketing(enum.StrEnum):
    """How ``desk.metrics(by=...)`` splits the figures: by period of reception, or by who and where."""

    DAY = "day"
    WEEK = "week"  # weeks start on Monday
    MONTH = "month"
    PLACE = "place"
    GROUP = "group"  # a place in several groups counts in each
    AGENT = "agent"  # the user who responded first; unanswered feedback goes to the bucket ""
    SOURCE = "source"

    @property
    def is_period(self) -> bool:
        return self in (Bucketing.DAY, Bucketing.WEEK, Bucketing.MONTH)


@attrs.frozen(kw_only=True)
class MetricsQuery:
    """What one report covers: feedback received in ``[since, until)`` at ``place_ids`` (None: every place),
    its periods cut in ``zone``, and the window within which a reply or call closes the loop."""

    place_ids: frozenset[str] | None
    since: datetime
    until: datetime
    zone: ZoneInfo
    window: timedelta = DEFAULT_WINDOW

    def covers(self, facts: Facts) -> bool:
        in_place = self.place_ids is None or facts.place_id in self.place_ids
        return in_place and self.since <= facts.received_at < self.until


@attrs.frozen(kw_only=True)
class Score:
    """The figures of one rating key. ``answers`` counts the feedback that gave it; the rest depends on its
    kind: NPS (``promoters``, ``passives``, ``detractors``, ``nps`` in points from -100 to 100), CSAT
    (``satisfied``, ``csat`` in %), CES (``mean``, ``easy`` and ``easy_share`` in %), stars (``mean`` and
    ``distribution``); custom scores have ``mean`` only. A figure over no answers is None."""

    key: str
    kind: RatingKind
    answers: int
    mean: float | None = None
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps: float | None = None
    satisfied: int = 0
    csat: float | None = None
    easy: int = 0
    easy_share: float | None = None
    distribution: Mapping[int, int] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Responsiveness:
    """How fast and how often the business responds. Times are medians and 90th percentiles over the feedback
    that got a response (``answered``) or is done (``done``); ``reply_rate`` is ``answered`` over all, in %."""

    feedback: int
    answered: int
    reply_rate: float | None
    first_response_median: timedelta | None
    first_response_p90: timedelta | None
    done: int
    time_to_done_median: timedelta | None
    time_to_done_p90: timedelta | None


@attrs.frozen(kw_only=True)
class ClosedLoop:
    """The share of alerts, and of NPS detractors, that got a reply or a logged call within the window (in %),
    and the alerts by their status now."""

    window: timedelta
    alerts: int
    alerts_closed: int
    alert_rate: float | None
    detractors: int
    detractors_closed: int
    detractor_rate: float | None
    alerts_by_status: Mapping[AlertStatus, int]


@attrs.frozen(kw_only=True)
class Volume:
    """How much came in and what waits: feedback by source and platform, the inbox backlog by category, and
    the messages customers sent back."""

    feedback: int
    by_source: Mapping[str, int]
    by_platform: Mapping[str, int]
    backlog: Mapping[Category, int]
    customer_messages: int


@attrs.frozen(kw_only=True)
class ConceptFigures:
    name: str
    mentions: int
    sentiment: float  # the mean over its mentions, from -1 to 1


@attrs.frozen(kw_only=True)
class Figures:
    """Every figure of one set of feedback; ``left_out`` counts the tests and spam it did not count."""

    scores: tuple[Score, ...]
    responsiveness: Responsiveness
    closed_loop: ClosedLoop
    volume: Volume
    concepts: tuple[ConceptFigures, ...]
    left_out: Mapping[str, int]

    def score(self, key: str) -> Score | None:
        return next((score for score in self.scores if score.key == key), None)


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in %, None of nothing."""
    return 100.0 * part / whole if whole else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of sorted ``values``: the smallest value with at least ``fraction`` of the
    values at or below it; None of nothing. The median of an even count is the lower middle value."""
    if not values:
        return None
    return values[max(math.ceil(fraction * len(values)) - 1, 0)]


def mean_of(values: Counter[float]) -> float:
    """The mean of values given with their counts, exactly rounded (``math.fsum``), so that it does not depend
    on the order the values were added in, nor on how they were counted."""
    total = sum(values.values())
    if all(value.is_integer() for value in values):  # whole numbers times counts are exact
        return math.fsum(value * count for value, count in values.items()) / total
    return math.fsum(itertools.chain.from_iterable(itertools.repeat(v, c) for v, c in values.items())) / total


#: Concept sentiments are counted in hundredths: finer than any analyzer's judgement, and few enough distinct
#: values that a store can count them as it counts rating values.
SENTIMENT_STEPS = 100


def sentiment_steps(sentiment: float) -> int:
    """A concept's sentiment in whole hundredths, as the metrics count it."""
    return round(sentiment * SENTIMENT_STEPS)


def mean_sentiment(steps: int, mentions: int) -> float:
    """The mean sentiment of ``mentions`` whose hundredths add up to ``steps``, rounded to 3 decimals."""
    return round(steps / mentions / SENTIMENT_STEPS, 3)


def kind_of_key(answers: Mapping[RatingKind, int]) -> RatingKind:
    """The kind a rating key is reported under when it came with several: the one with the most answers, the
    first in the alphabet on a tie. Its answers of other kinds are not counted under it."""
    return min(answers, key=lambda kind: (-answers[kind], kind.value))


def score_of(key: str, kind: RatingKind, values: Sequence[float]) -> Score:
    """The figures of one rating key's answers."""
    answers = len(values)
    mean = mean_of(Counter(float(value) for value in values)) if answers else None
    if kind is RatingKind.NPS:
        promoters = sum(1 for value in values if value >= 9)
        detractors = sum(1 for value in values if value <= 6)
        nps = (100.0 * (promoters - detractors) / answers) if answers else None
        return Score(key=key, kind=kind, answers=answers, mean=mean, promoters=promoters,
                     passives=answers - promoters - detractors, detractors=detractors, nps=nps)  # fmt: skip
    if kind is RatingKind.CSAT:
        satisfied = sum(1 for value in values if value >= 4)
        return Score(key=key, kind=kind, answers=answers, mean=mean, satisfied=satisfied,
                     csat=share(satisfied, answers))  # fmt: skip
    if kind is RatingKind.CES:
        easy = sum(1 for value in values if value >= 5)
        return Score(key=key, kind=kind, answers=answers, mean=mean, easy=easy, easy_share=share(easy, answers))
    if kind is RatingKind.STARS:
        counts = Counter(round(value) for value in values)
        return Score(key=key, kind=kind, answers=answers, mean=mean,
                     distribution={star: counts.get(star, 0) for star in range(1, 6)})  # fmt: skip
    return Score(key=key, kind=kind, answers=answers, mean=mean)


def figures_of(facts: Iterable[Facts], window: timedelta = DEFAULT_WINDOW) -> Figures:
    """Every figure of these facts; tests and spam are counted in ``left_out`` only."""
    counted: list[Facts] = []
    left_out = {"tests": 0, "spam": 0}
    for item in facts:
        if item.test:
            left_out["tests"] += 1
        elif item.status is Status.SPAM:
            left_out["spam"] += 1
        else:
            counted.append(item)
    return Figures(
        scores=_scores(counted),
        responsiveness=_responsiveness(counted),
        closed_loop=_closed_loop(counted, window),
        volume=_volume(counted),
        concepts=_concepts(counted),
        left_out=left_out,
    )


def _scores(facts: Sequence[Facts]) -> tuple[Score, ...]:
    """One score per rating key, in key order, under the kind :func:`kind_of_key` chooses."""
    values: dict[str, dict[RatingKind, list[float]]] = {}
    for item in facts:
        for rating in item.ratings:
            values.setdefault(rating.key, {}).setdefault(rating.kind, []).append(rating.value)
    chosen = {key: kind_of_key({kind: len(found) for kind, found in kinds.items()}) for key, kinds in values.items()}
    return tuple(score_of(key, chosen[key], values[key][chosen[key]]) for key in sorted(values))


def _durations(pairs: Iterable[tuple[datetime, datetime | None]]) -> list[float]:
    return sorted((end - start).total_seconds() for start, end in pairs if end is not None)


def _seconds(value: float | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


def _responsiveness(facts: Sequence[Facts]) -> Responsiveness:
    responses = _durations((item.received_at, item.first_response_at) for item in facts)
    done = _durations((item.received_at, item.done_at) for item in facts)
    return Responsiveness(
        feedback=len(facts),
        answered=len(responses),
        reply_rate=share(len(responses), len(facts)),
        first_response_median=_seconds(percentile(responses, 0.5)),
        first_response_p90=_seconds(percentile(responses, 0.9)),
        done=len(done),
        time_to_done_median=_seconds(percentile(done, 0.5)),
        time_to_done_p90=_seconds(percentile(done, 0.9)),
    )


def closed_in_time(item: Facts, window: timedelta) -> bool:
    """A reply or a call reached the customer within ``window`` of their feedback."""
    return item.first_contact_at is not None and item.first_contact_at - item.received_at <= window


def is_detractor(item: Facts) -> bool:
    return detractor_among(item.ratings)


def detractor_among(ratings: Iterable[Any]) -> bool:
    """Whether these ratings (of a feedback, or of its facts) hold an NPS of 6 or less."""
    return any(rating.kind is RatingKind.NPS and rating.value <= 6 for rating in ratings)


def _closed_loop(facts: Sequence[Facts], window: timedelta) -> ClosedLoop:
    alerts = [item for item in facts if item.alert_status is not None]
    detractors = [item for item in facts if is_detractor(item)]
    alerts_closed = sum(1 for item in alerts if closed_in_time(item, window))
    detractors_closed = sum(1 for item in detractors if closed_in_time(item, window))
    by_status = Counter(item.alert_status for item in alerts)
    return ClosedLoop(
        window=window,
        alerts=len(alerts),
        alerts_closed=alerts_closed,
        alert_rate=share(alerts_closed, len(alerts)),
        detractors=len(detractors),
        detractors_closed=detractors_closed,
        detractor_rate=share(detractors_closed, len(detractors)),
        alerts_by_status={status: by_status.get(status, 0) for status in AlertStatus},
    )


def _volume(facts: Sequence[Facts]) -> Volume:
    backlog = Counter(item.category for item in facts if item.status is not Status.DONE)
    return Volume(
        feedback=len(facts),
        by_source=dict(sorted(Counter(item.source.value for item in facts).items())),
        by_platform=dict(sorted(Counter(item.platform for item in facts if item.platform).items())),
        backlog={category: backlog.get(category, 0) for category in Category},
        customer_messages=sum(item.customer_messages for item in facts),
    )


def _concepts(facts: Sequence[Facts]) -> tuple[ConceptFigures, ...]:
    """Each concept with its mentions and mean sentiment, the most mentioned first."""
    steps: dict[str, list[int]] = {}
    for item in facts:
        for concept in item.concepts:
            steps.setdefault(concept.name, []).append(sentiment_steps(concept.sentiment))
    ranked = sorted(steps.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    return tuple(
        ConceptFigures(name=name, mentions=len(values), sentiment=mean_sentiment(sum(values), len(values)))
        for name, values in ranked
    )
