"""The read side of the SQL store: the figures of ``desk.metrics``, aggregated where the data is.

Each bucket is one aggregate over the covered rows of ``cl_facts`` (:mod:`.facts`): the concatenation of the rows'
tokens (their signatures, marked when the loop was closed within the report's window, their ratings and concepts,
and the response and done durations) that :mod:`.tallies` counts. SQLite has no hash aggregation: grouping three
hundred thousand rows by value sorts them all, and measured four times slower than joining a bucket's tokens into
one text and counting the few distinct ones. A period bucketing runs the same statement once per period, whose
bounds are parameters, so no row is sorted at all; place, agent and source buckets group by that column. Periods
are cut in Python, in the report's zone. Groups are their places added up, since a place may be in several groups
or none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from closedloop.domain.metrics import Bucketing, MetricsQuery
from closedloop.domain.moments import microseconds
from closedloop.domain.people import PlaceGroup
from closedloop.domain.reports import Bucket, Report, periods
from closedloop.storage.sql.facts import SEPARATOR
from closedloop.storage.sql.rows import MARKS
from closedloop.storage.sql.tallies import CLOSED, Tally

_MICROSECOND = timedelta(microseconds=1)
#: The column each non-period bucketing groups rows by; a group's rows are its places'.
_BUCKET_COLUMNS = {
    Bucketing.PLACE: "place_id",
    Bucketing.GROUP: "place_id",
    Bucketing.SOURCE: "source",
    Bucketing.AGENT: "COALESCE(first_responder, '')",
}


def _aggregates(window: timedelta, dialect: str) -> list[str]:
    """What one bucket's statement selects, in the order :meth:`Tally.add_row` reads it: the signatures, each
    marked (:data:`~.tallies.CLOSED`) when a reply or call reached the customer within the window; the response
    and done durations and the ratings and concepts of the rows that count."""
    closed = f"first_contact_us - received_us <= {window // _MICROSECOND}"
    postgresql = dialect == "postgresql"
    function, separator = ("string_agg", "chr(30)") if postgresql else ("group_concat", "char(30)")

    def joined(expression: str) -> str:
        return f"{function}({expression}, {separator})"

    def numbers(expression: str) -> str:  # a JSON array's items, read back at once, not one int() each
        return f"{function}(CAST({expression} AS TEXT), ',')" if postgresql else f"{function}({expression})"

    return [
        joined(f"CASE WHEN {closed} THEN signature || '{CLOSED}' ELSE signature END"),
        numbers("CASE WHEN counted = 1 THEN first_response_us - received_us END"),
        numbers("CASE WHEN counted = 1 THEN done_us - received_us END"),
        joined("CASE WHEN counted = 1 THEN ratings END"),
        joined("CASE WHEN counted = 1 THEN concepts END"),
    ]


class SqlReports:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.mark = dict(MARKS)[connection.dialect.paramstyle]

    def metrics(self, query: MetricsQuery, by: Bucketing | None, groups: Mapping[str, PlaceGroup]) -> Report:
        covered = query.place_ids is None or bool(query.place_ids)
        if by is not None and by.is_period:
            cut = list(periods(query, by))
            tallies = self._periods(query, [(start, end) for _key, start, end in cut]) if covered else []
            tallies = tallies or [Tally() for _period in cut]
            buckets = tuple(
                Bucket(key=key, figures=tally.figures(query.window), start=start, end=end)
                for (key, start, end), tally in zip(cut, tallies, strict=True)
            )
            return Report(query=query, figures=_sum(tallies).figures(query.window), by=by, buckets=buckets)
        keyed = self._grouped(query, by) if covered and by is not None else {}
        if by is None:
            tally = self._period(query, query.since, query.until) if covered else Tally()
            return Report(query=query, figures=tally.figures(query.window))
        if by is Bucketing.GROUP:
            found = tuple(_groups(keyed, groups, query))
        else:
            found = tuple(Bucket(key=key, figures=keyed[key].figures(query.window)) for key in sorted(keyed))
        return Report(query=query, figures=_sum(keyed.values()).figures(query.window), by=by, buckets=found)

    def _statement(self, query: MetricsQuery, bucket: str | None) -> tuple[str, tuple[str, ...]]:
        """The statement over the covered rows between two bound times (its first parameters), grouped by
        ``bucket`` when one is given; and the place ids, its other parameters."""
        selected = ([bucket] if bucket is not None else []) + _aggregates(query.window, self.connection.dialect.name)
        conditions = [f"received_us >= {self.mark}", f"received_us < {self.mark}"]
        places: tuple[str, ...] = ()
        if query.place_ids is not None:
            places = tuple(sorted(query.place_ids))
            conditions.append(f"place_id IN ({', '.join([self.mark] * len(places))})")
        statement = f"SELECT {', '.join(selected)} FROM cl_facts WHERE {' AND '.join(conditions)}"
        return (statement + " GROUP BY 1" if bucket is not None else statement), places

    def _period(self, query: MetricsQuery, start: Any, end: Any) -> Tally:
        return self._periods(query, [(start, end)])[0]

    def _periods(self, query: MetricsQuery, spans: Sequence[tuple[Any, Any]]) -> list[Tally]:
        """The tally of the covered rows received in each ``[start, end)``, within the report's span.

        The statements run one after the other on a second thread, on this transaction's connection, while
        this thread counts the tokens of those already read: the database reads without holding the
        interpreter, so the two overlap, and the connection is only ever used by one thread at a time."""
        statement, places = self._statement(query, None)

        def read(start: Any, end: Any) -> Sequence[Any] | None:
            low, high = microseconds(max(start, query.since)), microseconds(min(end, query.until))
            return self.connection.exec_driver_sql(statement, (low, high, *places)).one() if low < high else None

        tallies = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="closedloop-report") as reader:
            for found in [reader.submit(read, start, end) for start, end in spans]:
                tally = Tally()
                row = found.result()
                if row is not None:
                    tally.add_row(row, SEPARATOR)
                tallies.append(tally)
        return tallies

    def _grouped(self, query: MetricsQuery, by: Bucketing) -> dict[str, Tally]:
        statement, places = self._statement(query, _BUCKET_COLUMNS[by])
        bounds = (microseconds(query.since), microseconds(query.until))
        tallies = {}
        for key, *row in self.connection.exec_driver_sql(statement, (*bounds, *places)):
            tally = tallies[key] = Tally()
            tally.add_row(row, SEPARATOR)
        return tallies


def _sum(tallies: Any) -> Tally:
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


def _groups(tallies: Mapping[str, Tally], groups: Mapping[str, PlaceGroup], query: MetricsQuery) -> list[Bucket]:
    """A bucket per group with covered feedback: its places' tallies added up."""
    buckets = []
    for group_id in sorted(groups):
        members = [tallies[place_id] for place_id in sorted(groups[group_id].place_ids) if place_id in tallies]
        if members:
            buckets.append(Bucket(key=group_id, figures=_sum(members).figures(query.window)))
    return buckets
