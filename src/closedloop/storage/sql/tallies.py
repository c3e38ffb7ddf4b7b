"""What the SQL aggregates give for one bucket, added up and turned into the domain's figures.

A :class:`Tally` holds sums and counts, rating values with their counts, and the sorted response and done
durations (numbers, never conversations). Tallies add up, so a group's figures are its places' tallies added,
and the overall figures are every bucket's; :meth:`Tally.figures` then gives exactly what
:func:`closedloop.domain.metrics.figures_of` gives from the same facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

import attrs

from closedloop.domain.alerts import AlertStatus
from closedloop.domain.conversation import Category
from closedloop.domain.feedback import RatingKind
from closedloop.domain.metrics import (
    ClosedLoop,
    ConceptFigures,
    Figures,
    Responsiveness,
    Score,
    Volume,
    percentile,
    share,
)

#: Microseconds in a second, as ``timedelta.total_seconds`` divides by.
MICROSECONDS = 10**6


@attrs.define
class RatingTally:
    """The answers of one rating key in one kind: how many gave each value, and when the first came in."""

    values: Counter[float] = attrs.field(factory=Counter)
    first_us: int = 0


@attrs.define
class Tally:
    feedback: int = 0
    tests: int = 0
    spam: int = 0
    alerts_by_status: Counter[AlertStatus] = attrs.field(factory=Counter)
    alerts_closed: int = 0
    detractors: int = 0
    detractors_closed: int = 0
    backlog: Counter[Category] = attrs.field(factory=Counter)
    customer_messages: int = 0
    by_source: Counter[str] = attrs.field(factory=Counter)
    by_platform: Counter[str] = attrs.field(factory=Counter)
    ratings: dict[tuple[str, RatingKind], RatingTally] = attrs.field(factory=dict)
    concepts: dict[str, tuple[int, float]] = attrs.field(factory=dict)
    responses: list[int] = attrs.field(factory=list)  # microseconds from feedback to first response
    done: list[int] = attrs.field(factory=list)  # microseconds from feedback to done

    def add_rating(self, key: str, kind: RatingKind, value: float, count: int, first_us: int) -> None:
        rating = self.ratings.get((key, kind))
        if rating is None:
            self.ratings[(key, kind)] = RatingTally(Counter({value: count}), first_us)
            return
        rating.values[value] += count
        rating.first_us = min(rating.first_us, first_us)

    def add_concept(self, name: str, mentions: int, sentiments: float) -> None:
        before_mentions, before_sentiments = self.concepts.get(name, (0, 0.0))
        self.concepts[name] = (before_mentions + mentions, before_sentiments + sentiments)

    def merge(self, other: Tally) -> None:
        """Add another tally's counts to this one."""
        self.feedback += other.feedback
        self.tests += other.tests
        self.spam += other.spam
        self.alerts_by_status.update(other.alerts_by_status)
        self.alerts_closed += other.alerts_closed
        self.detractors += other.detractors
        self.detractors_closed += other.detractors_closed
        self.backlog.update(other.backlog)
        self.customer_messages += other.customer_messages
        self.by_source.update(other.by_source)
        self.by_platform.update(other.by_platform)
        for (key, kind), rating in other.ratings.items():
            for value, count in rating.values.items():
                self.add_rating(key, kind, value, count, rating.first_us)
        for name, (mentions, sentiments) in other.concepts.items():
            self.add_concept(name, mentions, sentiments)
        self.responses += other.responses
        self.done += other.done

    def figures(self, window: timedelta) -> Figures:
        alerts = sum(self.alerts_by_status.values())
        responses, done = sorted(self.responses), sorted(self.done)  # runs of sorted buckets: quick to sort
        return Figures(
            scores=self._scores(),
            responsiveness=Responsiveness(
                feedback=self.feedback,
                answered=len(responses),
                reply_rate=share(len(responses), self.feedback),
                first_response_median=_duration(percentile(responses, 0.5)),
                first_response_p90=_duration(percentile(responses, 0.9)),
                done=len(done),
                time_to_done_median=_duration(percentile(done, 0.5)),
                time_to_done_p90=_duration(percentile(done, 0.9)),
            ),
            closed_loop=ClosedLoop(
                window=window,
                alerts=alerts,
                alerts_closed=self.alerts_closed,
                alert_rate=share(self.alerts_closed, alerts),
                detractors=self.detractors,
                detractors_closed=self.detractors_closed,
                detractor_rate=share(self.detractors_closed, self.detractors),
                alerts_by_status={status: self.alerts_by_status.get(status, 0) for status in AlertStatus},
            ),
            volume=Volume(
                feedback=self.feedback,
                by_source=_nonzero(self.by_source),
                by_platform=_nonzero(self.by_platform),
                backlog={category: self.backlog.get(category, 0) for category in Category},
                customer_messages=self.customer_messages,
            ),
            concepts=self._concepts(),
            left_out={"tests": self.tests, "spam": self.spam},
        )

    def _scores(self) -> tuple[Score, ...]:
        """One score per key, in key order. A key given in two kinds is reported under the kind that came in
        first, as the reference reads facts in the order they came."""
        chosen: dict[str, tuple[int, RatingKind]] = {}
        for (key, kind), rating in self.ratings.items():
            if key not in chosen or (rating.first_us, kind) < chosen[key]:
                chosen[key] = (rating.first_us, kind)
        return tuple(
            score_of_counts(key, kind, self.ratings[(key, kind)].values)
            for key, (_first, kind) in sorted(chosen.items())
        )

    def _concepts(self) -> tuple[ConceptFigures, ...]:
        ranked = sorted(self.concepts.items(), key=lambda pair: (-pair[1][0], pair[0]))
        return tuple(
            ConceptFigures(name=name, mentions=mentions, sentiment=round(sentiments / mentions, 3))
            for name, (mentions, sentiments) in ranked
            if mentions
        )


def score_of_counts(key: str, kind: RatingKind, values: Counter[float]) -> Score:
    """What :func:`closedloop.domain.metrics.score_of` gives for these values, from each value's count."""
    answers = sum(values.values())
    mean = sum(value * count for value, count in values.items()) / answers if answers else None

    def counting(keep: Iterable[bool]) -> int:
        return sum(count for (_value, count), kept in zip(values.items(), keep, strict=True) if kept)

    if kind is RatingKind.NPS:
        promoters = counting(value >= 9 for value in values)
        detractors = counting(value <= 6 for value in values)
        nps = (100.0 * (promoters - detractors) / answers) if answers else None
        return Score(key=key, kind=kind, answers=answers, mean=mean, promoters=promoters,
                     passives=answers - promoters - detractors, detractors=detractors, nps=nps)  # fmt: skip
    if kind is RatingKind.CSAT:
        satisfied = counting(value >= 4 for value in values)
        return Score(key=key, kind=kind, answers=answers, mean=mean, satisfied=satisfied,
                     csat=share(satisfied, answers))  # fmt: skip
    if kind is RatingKind.CES:
        easy = counting(value >= 5 for value in values)
        return Score(key=key, kind=kind, answers=answers, mean=mean, easy=easy, easy_share=share(easy, answers))
    if kind is RatingKind.STARS:
        stars: Counter[int] = Counter()
        for value, count in values.items():
            stars[round(value)] += count
        return Score(key=key, kind=kind, answers=answers, mean=mean,
                     distribution={star: stars.get(star, 0) for star in range(1, 6)})  # fmt: skip
    return Score(key=key, kind=kind, answers=answers, mean=mean)


def _duration(microseconds: float | None) -> timedelta | None:
    """The reference's timedelta of a duration: built back from its seconds as a float."""
    return timedelta(seconds=microseconds / MICROSECONDS) if microseconds is not None else None


def _nonzero(counts: Counter[str]) -> dict[str, int]:
    return {name: count for name, count in sorted(counts.items()) if count}
