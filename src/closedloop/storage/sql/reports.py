"""The read side of the SQL store: the figures of ``desk.metrics``, aggregated where the data is.

Four queries read the facts tables (:mod:`.facts`) of the covered rows, each grouped by the bucket: counts and
sums over ``cl_facts``, rating values with their counts over ``cl_fact_ratings``, mentions and summed
sentiment over ``cl_fact_concepts``, and the response and done durations of the rows that have them (numbers,
from which the percentiles are taken). Periods are cut in Python, in the report's zone, and each row finds
its period in SQL by a binary search over their boundaries written as nested ``CASE``. Groups are their
places added up, since a place may be in several groups or none. :mod:`.tallies` turns the sums into figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from closedloop.domain.alerts import AlertStatus
from closedloop.domain.conversation import Category, Status
from closedloop.domain.feedback import RatingKind
from closedloop.domain.metrics import Bucketing, MetricsQuery
from closedloop.domain.moments import microseconds
from closedloop.domain.people import PlaceGroup
from closedloop.domain.reports import Bucket, Report, periods
from closedloop.storage.sql.rows import MARKS
from closedloop.storage.sql.tallies import Tally

_MICROSECOND = timedelta(microseconds=1)
#: How a facts row is left out: not at all, as a test, or as spam.
COUNTED, TEST, SPAM = 0, 1, 2
#: What a row of ``cl_facts`` counts in; ratings and concepts carry it as ``counted``.
FACTS_COUNTED = f"test = 0 AND status <> '{Status.SPAM.value}'"
LEFT_OUT = f"CASE WHEN test = 1 THEN {TEST} WHEN status = '{Status.SPAM.value}' THEN {SPAM} ELSE {COUNTED} END"


def _period_of(starts: Sequence[int], low: int, high: int) -> str:
    """The index of the period (in ``[low, high)``) a row's time falls in, halving the candidates at each CASE."""
    if high - low == 1:
        return str(low)
    middle = (low + high) // 2
    return (
        f"CASE WHEN received_us < {starts[middle]} THEN {_period_of(starts, low, middle)} "
        f"ELSE {_period_of(starts, middle, high)} END"
    )


def _count_where(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


class _Question:
    """One report's question put to the facts tables, in the driver's own SQL: which rows, and what bucket
    each falls in. Numbers the store computed itself (times, boundaries) are written into the SQL; place ids
    are parameters."""

    def __init__(self, query: MetricsQuery, by: Bucketing | None, paramstyle: str) -> None:
        self.query = query
        self.by = by
        self.periods = list(periods(query, by)) if by is not None and by.is_period else []
        self.starts = [microseconds(start) for _key, start, _end in self.periods]
        self.mark = dict(MARKS)[paramstyle]

    def bucket(self, table: str) -> str | None:
        if self.by is None:
            return None
        if self.by.is_period:
            return _period_of(self.starts, 0, len(self.starts))
        if self.by is Bucketing.SOURCE:
            return "source"
        if self.by is Bucketing.AGENT:
            return "COALESCE(first_responder, '')" if table == "cl_facts" else "responder"
        return "place_id"  # by place, and by group (its places, added up)

    def select(self, table: str, columns: Sequence[str], *, where: str, grouped: int | None) -> tuple[str, Any]:
        """The statement and parameters reading the covered rows of ``table`` that meet ``where``: their bucket
        first (when there is one), then ``columns``, grouped by the bucket and the first ``grouped`` columns
        (not grouped at all when None)."""
        bucket = self.bucket(table)
        selected = ([bucket] if bucket is not None else []) + list(columns)
        conditions = [
            f"received_us >= {microseconds(self.query.since)}",
            f"received_us < {microseconds(self.query.until)}",
            where,
        ]
        parameters: tuple[str, ...] = ()
        if self.query.place_ids is not None:
            parameters = tuple(sorted(self.query.place_ids))
            conditions.insert(0, f"place_id IN ({', '.join([self.mark] * len(parameters))})")
        statement = f"SELECT {', '.join(selected)} FROM {table} WHERE {' AND '.join(conditions)}"
        width = 0 if grouped is None else grouped + (bucket is not None)
        if width:
            statement += f" GROUP BY {', '.join(str(position) for position in range(1, width + 1))}"
        return statement, parameters


def _facts_sums(question: _Question) -> tuple[str, Any]:
    window = question.query.window // _MICROSECOND
    closed = f"first_contact_us - received_us <= {window}"
    return question.select(
        "cl_facts",
        [
            "source",
            "platform",
            LEFT_OUT,
            "COUNT(*)",
            *(_count_where(f"alert_status = '{status.value}'") for status in AlertStatus),
            _count_where(f"alert_status IS NOT NULL AND {closed}"),
            "SUM(detractor)",
            _count_where(f"detractor = 1 AND {closed}"),
            *(
                _count_where(f"status <> '{Status.DONE.value}' AND category = '{category.value}'")
                for category in Category
            ),
            "SUM(customer_messages)",
        ],
        where="1 = 1",
        grouped=3,
    )


class SqlReports:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _rows(self, statement: tuple[str, Any]) -> Sequence[Any]:
        return self.connection.exec_driver_sql(*statement).fetchall()

    def metrics(self, query: MetricsQuery, by: Bucketing | None, groups: Mapping[str, PlaceGroup]) -> Report:
        question = _Question(
            query, Bucketing.PLACE if by is Bucketing.GROUP else by, self.connection.dialect.paramstyle
        )
        tallies = self._tallies(question) if query.place_ids is None or query.place_ids else {}
        overall = Tally()
        for tally in tallies.values():
            overall.merge(tally)
        figures = overall.figures(query.window)
        if by is None:
            return Report(query=query, figures=figures)
        if by.is_period:
            buckets = tuple(
                Bucket(key=key, figures=tallies.get(index, Tally()).figures(query.window), start=start, end=end)
                for index, (key, start, end) in enumerate(question.periods)
            )
        elif by is Bucketing.GROUP:
            buckets = tuple(self._groups(tallies, groups, query))
        else:
            buckets = tuple(Bucket(key=key, figures=tallies[key].figures(query.window)) for key in sorted(tallies))
        return Report(query=query, figures=figures, by=by, buckets=buckets)

    @staticmethod
    def _groups(tallies: Mapping[Any, Tally], groups: Mapping[str, PlaceGroup], query: MetricsQuery) -> list[Bucket]:
        """A bucket per group with covered feedback: its places' tallies added up."""
        buckets = []
        for group_id in sorted(groups):
            members = [tallies[place_id] for place_id in sorted(groups[group_id].place_ids) if place_id in tallies]
            if members:
                total = Tally()
                for member in members:
                    total.merge(member)
                buckets.append(Bucket(key=group_id, figures=total.figures(query.window)))
        return buckets

    def _tallies(self, question: _Question) -> dict[Any, Tally]:
        """Every bucket's tally, by its key (a period's index, or a place, user or source id)."""
        tallies: dict[Any, Tally] = {}
        keyed = question.bucket("cl_facts") is not None

        def split(row: Sequence[Any]) -> tuple[Tally, Sequence[Any]]:
            key = row[0] if keyed else None
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = Tally()
            return tally, row[1:] if keyed else row

        for row in self._rows(_facts_sums(question)):
            tally, (source, platform, left_out, count, *sums) = split(row)
            self._add_facts(tally, source, platform, int(left_out), int(count), [int(value) for value in sums])
        durations = question.select(
            "cl_facts",
            ["first_response_us - received_us", "done_us - received_us"],
            where=f"{FACTS_COUNTED} AND (first_response_us IS NOT NULL OR done_us IS NOT NULL)",
            grouped=None,
        )
        for row in self._rows(durations):
            tally, (response, done) = split(row)
            if response is not None:
                tally.responses.append(int(response))
            if done is not None:
                tally.done.append(int(done))
        ratings = question.select(
            "cl_fact_ratings", ["key", "kind", "value", "COUNT(*)", "MIN(received_us)"], where="counted = 1", grouped=3
        )
        for row in self._rows(ratings):
            tally, (key, kind, value, count, first_us) = split(row)
            tally.add_rating(key, RatingKind(kind), float(value), int(count), int(first_us))
        concepts = question.select(
            "cl_fact_concepts", ["name", "COUNT(*)", "SUM(sentiment)"], where="counted = 1", grouped=1
        )
        for row in self._rows(concepts):
            tally, (name, mentions, sentiments) = split(row)
            tally.add_concept(name, int(mentions), float(sentiments))
        return tallies

    @staticmethod
    def _add_facts(tally: Tally, source: str, platform: str, left_out: int, count: int, sums: list[int]) -> None:
        if left_out == TEST:
            tally.tests += count
            return
        if left_out == SPAM:
            tally.spam += count
            return
        statuses = len(AlertStatus)
        by_status, (alerts_closed, detractors, detractors_closed), rest = (
            sums[:statuses], sums[statuses : statuses + 3], sums[statuses + 3 :]
        )  # fmt: skip
        tally.feedback += count
        tally.by_source[source] += count
        if platform:
            tally.by_platform[platform] += count
        tally.alerts_by_status.update(dict(zip(AlertStatus, by_status, strict=True)))
        tally.alerts_closed += alerts_closed
        tally.detractors += detractors
        tally.detractors_closed += detractors_closed
        tally.backlog.update(dict(zip(Category, rest[:-1], strict=True)))
        tally.customer_messages += rest[-1]
