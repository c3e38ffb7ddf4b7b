"""A metrics report: the figures of a period and filter, overall and per bucket (day, week, month, place,
group, agent, source), so trends and comparisons read from one object.

Periods are cut in the report's time zone, so "a day" is the business's day; every period of the report's span
has its bucket, with zero figures where no feedback came in, so a trend never skips a month silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta

import attrs

from closedloop.domain.facts import Facts
from closedloop.domain.metrics import Bucketing, Figures, MetricsQuery, figures_of
from closedloop.domain.people import PlaceGroup

#: The most day, week or month buckets one report may have: a day-by-day trend over more than thirteen years
#: is not a table anyone reads, and every bucket costs a statement in the SQL store.
MOST_PERIODS = 5000


@attrs.frozen(kw_only=True)
class Bucket:
    """One bucket of a report: its ``key`` (a period's first day as ``YYYY-MM-DD``, a month as ``YYYY-MM``, or a
    place, group, user or source id), when a period starts and ends, and its figures."""

    key: str
    figures: Figures
    start: datetime | None = None
    end: datetime | None = None


@attrs.frozen(kw_only=True)
class Report:
    """What ``desk.metrics`` returns: the query it answers, the overall figures, and the buckets of ``by``."""

    query: MetricsQuery
    figures: Figures
    by: Bucketing | None = None
    buckets: tuple[Bucket, ...] = ()

    def bucket(self, key: str) -> Bucket | None:
        return next((bucket for bucket in self.buckets if bucket.key == key), None)


def period_start(moment: datetime, by: Bucketing, query: MetricsQuery) -> date:
    """The first day of the period ``moment`` falls in, in the report's zone."""
    day = moment.astimezone(query.zone).date()
    if by is Bucketing.WEEK:
        return day - timedelta(days=day.weekday())
    if by is Bucketing.MONTH:
        return day.replace(day=1)
    return day


def next_period(start: date, by: Bucketing) -> date:
    if by is Bucketing.DAY:
        return start + timedelta(days=1)
    if by is Bucketing.WEEK:
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def period_key(start: date, by: Bucketing) -> str:
    return start.strftime("%Y-%m") if by is Bucketing.MONTH else start.isoformat()


def period_count(query: MetricsQuery, by: Bucketing) -> int:
    """How many buckets :func:`periods` yields, counted without cutting them."""
    first = period_start(query.since, by, query)
    last = period_start(query.until - timedelta(microseconds=1), by, query)
    if by is Bucketing.MONTH:
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days // (7 if by is Bucketing.WEEK else 1) + 1


def periods(query: MetricsQuery, by: Bucketing) -> Iterator[tuple[str, datetime, datetime]]:
    """Every period the report's span touches, as (key, start, end) in the report's zone."""
    start = period_start(query.since, by, query)
    last = query.until - timedelta(microseconds=1)
    while start <= last.astimezone(query.zone).date():
        end = next_period(start, by)
        yield (
            period_key(start, by),
            datetime.combine(start, time(), query.zone),
            datetime.combine(end, time(), query.zone),
        )
        start = end


def keys_of(facts: Facts, by: Bucketing, query: MetricsQuery, groups: Mapping[str, PlaceGroup]) -> list[str]:
    """The buckets one conversation counts in: one, except for groups (each group of its place)."""
    if by.is_period:
        return [period_key(period_start(facts.received_at, by, query), by)]
    if by is Bucketing.PLACE:
        return [facts.place_id]
    if by is Bucketing.GROUP:
        return sorted(group_id for group_id, group in groups.items() if facts.place_id in group.place_ids)
    if by is Bucketing.AGENT:
        return [facts.first_responder or ""]
    return [facts.source.value]


def report_of(
    facts: Iterable[Facts], query: MetricsQuery, by: Bucketing | None, groups: Mapping[str, PlaceGroup]
) -> Report:
    """The reference report, from the facts of the conversations ``query`` covers (others are skipped)."""
    covered = [item for item in facts if query.covers(item)]
    overall = figures_of(covered, query.window)
    if by is None:
        return Report(query=query, figures=overall)
    sorted_facts: dict[str, list[Facts]] = {}
    for item in covered:
        for key in keys_of(item, by, query, groups):
            sorted_facts.setdefault(key, []).append(item)
    if by.is_period:
        buckets = tuple(
            Bucket(key=key, figures=figures_of(sorted_facts.get(key, ()), query.window), start=start, end=end)
            for key, start, end in periods(query, by)
        )
    else:
        buckets = tuple(
            Bucket(key=key, figures=figures_of(items, query.window)) for key, items in sorted(sorted_facts.items())
        )
    return Report(query=query, figures=overall, by=by, buckets=buckets)
