"""What the SQL aggregates give for one bucket, added up and turned into the domain's figures.

A :class:`Tally` holds sums and counts, rating values with their counts, and the sorted response and done
durations (numbers, never conversations). Tallies add up, so a group's figures are its places' tallies added,
and the overall figures are every bucket's; :meth:`Tally.figures` then gives exactly what
:func:`closedloop.domain.metrics.figures_of` gives from the same facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import attrs
import msgspec

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
    kind_of_key,
    mean_of,
    mean_sentiment,
    percentile,
    share,
)
from closedloop.storage.sql.facts import SPAM, TEST

#: What ends a signature whose loop was closed within the report's window: never the end of a JSON array.
CLOSED = "+"
#: Microseconds in a second, as ``timedelta.total_seconds`` divides by.
MICROSECONDS = 10**6


_decode = msgspec.json.Decoder().decode
_numbers = msgspec.json.Decoder(list[int]).decode
#: The members by value, looked up in a dict: calling the enum is a hundred times slower.
_RATING_KINDS = {kind.value: kind for kind in RatingKind}
_ALERT_STATUSES = {status.value: status for status in AlertStatus}
_CATEGORIES = {category.value: category for category in Category}


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
    ratings: dict[tuple[str, RatingKind], Counter[float]] = attrs.field(factory=dict)  # each value's answers
    concepts: dict[str, list[int]] = attrs.field(factory=dict)  # mentions, and their sentiments in hundredths
    responses: list[int] = attrs.field(factory=list)  # microseconds from feedback to first response
    done: list[int] = attrs.field(factory=list)  # microseconds from feedback to done

    def add_row(self, row: Sequence[Any], separator: str) -> None:
        """Add what one bucket's statement gave (:mod:`.reports`): the joined tokens."""
        signatures, responses, done, ratings, concepts = row
        for token, count in _counted(signatures, separator).items():
            closed = token.endswith(CLOSED)
            self._add_signature(_decode(token[:-1] if closed else token), count, closed)
        if responses:
            self.responses += _numbers(f"[{responses}]")
        if done:
            self.done += _numbers(f"[{done}]")
        for row_ratings, count in _counted(ratings, separator).items():
            for key, kind, value in _decode(row_ratings):
                pair = (key, _RATING_KINDS[kind])
                values = self.ratings.get(pair)
                if values is None:
                    values = self.ratings[pair] = Counter()
                values[value] += count
        for token, count in _counted(concepts, separator).items():
            name, steps = _decode(token)
            found = self.concepts.get(name)
            if found is None:
                found = self.concepts[name] = [0, 0]
            found[0] += count
            found[1] += steps * count

    def _add_signature(self, signature: Sequence[Any], count: int, closed: bool) -> None:
        left_out, source, platform, alert, open_category, detractor, customer_messages = signature
        if left_out == TEST:
            self.tests += count
            return
        if left_out == SPAM:
            self.spam += count
            return
        self.feedback += count
        self.by_source[source] += count
        if platform:
            self.by_platform[platform] += count
        if alert is not None:
            self.alerts_by_status[_ALERT_STATUSES[alert]] += count
            self.alerts_closed += count * closed
        if open_category is not None:
            self.backlog[_CATEGORIES[open_category]] += count
        self.detractors += count * detractor
        self.detractors_closed += count * detractor * closed
        self.customer_messages += count * customer_messages

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
        for pair, values in other.ratings.items():
            self.ratings.setdefault(pair, Counter()).update(values)
        for name, (mentions, steps) in other.concepts.items():
            found = self.concepts.setdefault(name, [0, 0])
            found[0] += mentions
            found[1] += steps
        self.responses += other.responses
        self.done += other.done

    def figures(self, window: timedelta) -> Figures:
        alerts = sum(self.alerts_by_status.values())
        self.responses.sort()  # in place: a total made of sorted buckets then sorts sorted runs, which is quick
        self.done.sort()
        responses, done = self.responses, self.done
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
        """One score per key, in key order, under the kind :func:`~closedloop.domain.metrics.kind_of_key`
        chooses when a key came with several."""
        answers: dict[str, dict[RatingKind, int]] = {}
        for (key, kind), values in self.ratings.items():
            answers.setdefault(key, {})[kind] = sum(values.values())
        return tuple(
            score_of_counts(key, kind, self.ratings[(key, kind)])
            for key, kind in sorted((key, kind_of_key(counts)) for key, counts in answers.items())
        )

    def _concepts(self) -> tuple[ConceptFigures, ...]:
        ranked = sorted(self.concepts.items(), key=lambda pair: (-pair[1][0], pair[0]))
        return tuple(
            ConceptFigures(name=name, mentions=mentions, sentiment=mean_sentiment(steps, mentions))
            for name, (mentions, steps) in ranked
            if mentions
        )


def _counted(joined: str | None, separator: str) -> Counter[str]:
    return Counter(joined.split(separator)) if joined else Counter()


def score_of_counts(key: str, kind: RatingKind, values: Counter[float]) -> Score:
    """What :func:`closedloop.domain.metrics.score_of` gives for these values, from each value's count."""
    answers = sum(values.values())
    mean = mean_of(values) if answers else None

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
