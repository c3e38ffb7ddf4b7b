"""How well the loop is closed: the figures of the feedback a user may see, for a period, overall and per bucket.

The store computes them where the data is (its read side, ``tx.reports``); this use case checks the question,
narrows it to the user's places, and fixes the period in the report's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain.errors import InvalidInput
from closedloop.domain.metrics import DEFAULT_WINDOW, Bucketing, MetricsQuery
from closedloop.domain.reports import MOST_PERIODS, Report, period_count
from closedloop.domain.text import shown

#: The period a report covers when it is given no ``since``: the thirty days before ``until``.
DEFAULT_SPAN = timedelta(days=30)
LONGEST_WINDOW = timedelta(days=366)
#: The span ``since`` and ``until`` must fall in: a year inside the calendar Python can count in, so that a
#: bound moved to another zone, or to the start of its week or the end of its month, is still a date.
EARLIEST = date(2, 1, 1)
LATEST = date(9999, 1, 1)

Moment = datetime | date | None


def metrics(
    ctx: Context,
    user: access.UserRef,
    *,
    places: Iterable[str] | str | None,
    since: Moment,
    until: Moment,
    by: Bucketing | str | None,
    zone: ZoneInfo | str,
    window: timedelta,
) -> Report:
    user = arguments.user_ref(user, "user")
    wanted = arguments.optional_identifiers(places, "places")
    bucketing = arguments.optional_member(Bucketing, by, "by")
    where = time_zone(zone)
    end = report_bound(until, "until", where) if until is not None else ctx.now()
    start = report_bound(since, "since", where) if since is not None else end - DEFAULT_SPAN
    if start >= end:
        raise InvalidInput(f"since must come before until; got since={start.isoformat()}, until={end.isoformat()}")
    if not isinstance(window, timedelta) or not timedelta(0) < window <= LONGEST_WINDOW:
        raise InvalidInput(
            f"window must be a positive timedelta of at most 366 days, e.g. 48 hours; got {shown(window)}"
        )
    with ctx.reading() as tx:
        member = access.user(tx, user)
        query = MetricsQuery(
            place_ids=access.narrow(tx, member, wanted), since=start, until=end, zone=where, window=window
        )
        if bucketing is not None and bucketing.is_period:
            refuse_too_many_periods(query, bucketing)
        return tx.reports.metrics(query, bucketing, tx.directory.groups())


def refuse_too_many_periods(query: MetricsQuery, by: Bucketing) -> None:
    """A period cut into more buckets than :data:`MOST_PERIODS` is refused before any is computed."""
    count = period_count(query, by)
    if count > MOST_PERIODS:
        coarser = {Bucketing.DAY: "week or month", Bucketing.WEEK: "month"}.get(by)
        instead = f", or count by {coarser}" if coarser else ""
        raise InvalidInput(
            f"by {by.value} would cut this period into {count} {by.value}s, more than the {MOST_PERIODS} a report "
            f"may have; narrow it with a later since or an earlier until{instead}"
        )


def time_zone(zone: object) -> ZoneInfo:
    """The zone days and months are cut in: a ``ZoneInfo`` or its name, such as ``"Europe/Paris"``."""
    if isinstance(zone, ZoneInfo):
        return zone
    if not isinstance(zone, str) or not zone.strip():
        raise InvalidInput(f"zone must be a time zone name such as 'Europe/Paris' or 'UTC'; got {shown(zone)}")
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"zone {zone!r} is not a time zone this system knows; e.g. 'Europe/Paris' or 'UTC'"
        ) from None


def moment(value: object, what: str, zone: ZoneInfo) -> datetime:
    """A bound of the period: an aware datetime, or a date meaning its midnight in the report's zone."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(f"{what} must carry its time zone (e.g. datetime(2026, 3, 1, tzinfo=UTC)) or be a date")
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(), zone)
    raise InvalidInput(f"{what} must be a date or an aware datetime; got {shown(value)}")


def report_bound(value: object, what: str, zone: ZoneInfo) -> datetime:
    """A bound of a report's period (see :func:`moment`) that its buckets can be counted from."""
    bound = moment(value, what, zone)
    if not EARLIEST <= bound.date() < LATEST:
        raise InvalidInput(
            f"{what} must fall from {EARLIEST.isoformat()} to before {LATEST.isoformat()}, such as 2026-03-01; "
            f"got {bound.isoformat()}"
        )
    return bound


__all__ = ["DEFAULT_WINDOW", "metrics"]
