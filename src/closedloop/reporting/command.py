"""What ``closedloop report`` needs besides the desk: its options read as a person types them (ISO days, hours,
a zone name), each mistake refused in one sentence that says what to type instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from closedloop.app.metrics import DEFAULT_SPAN, LONGEST_WINDOW, Moment, moment, time_zone
from closedloop.domain.errors import InvalidInput
from closedloop.domain.metrics import DEFAULT_WINDOW, Bucketing

LONGEST_WINDOW_HOURS = LONGEST_WINDOW // timedelta(hours=1)
#: Without ``--by``, charts follow the finest period that keeps a trend readable: days for a month or so,
#: weeks for half a year, months beyond.
DAYS_UP_TO = timedelta(days=45)
WEEKS_UP_TO = timedelta(days=183)


def zone_named(text: str | None) -> ZoneInfo:
    return time_zone(text or "UTC")


def day_or_moment(text: str | None, option: str, zone: ZoneInfo) -> Moment:
    """``2026-03-01`` (midnight in the report's zone) or ``2026-03-01T08:30`` (in that zone unless it says
    its own offset); None when the option was not given."""
    if text is None:
        return None
    try:
        if len(text.strip()) == len("2026-03-01"):
            return date.fromisoformat(text.strip())
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{option} must be an ISO date such as 2026-03-01, or a date and time such as 2026-03-01T08:30; "
            f"got {text!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def window_of(hours: str | None) -> timedelta:
    """The closed-loop window from ``--window-hours`` (48 by default)."""
    if hours is None:
        return DEFAULT_WINDOW
    try:
        value = float(hours)
    except ValueError:
        value = -1.0
    if not 0 < value <= LONGEST_WINDOW_HOURS:
        raise InvalidInput(
            f"--window-hours must be a number of hours from 0 to {LONGEST_WINDOW_HOURS}, such as 48; got {hours!r}"
        )
    return timedelta(hours=value)


def bucketing_of(by: str | None, charts: bool, since: Moment, until: Moment, zone: ZoneInfo) -> str | None:
    """The buckets of ``--by``; with ``--charts``, a period, chosen from the report's span when not given."""
    kinds = [member.value for member in Bucketing]
    if by is not None and by not in kinds:
        raise InvalidInput(f"--by must be one of {', '.join(kinds)}; got {by!r}")
    if not charts:
        return by
    if by is not None:
        if not Bucketing(by).is_period:
            raise InvalidInput(
                f"--charts draws trends over time: give --by day, week or month, or leave --by out; got --by {by}"
            )
        return by
    end = moment(until, "--until", zone) if until is not None else datetime.now(zone)
    span = end - moment(since, "--since", zone) if since is not None else DEFAULT_SPAN
    if span <= DAYS_UP_TO:
        return Bucketing.DAY.value
    return Bucketing.WEEK.value if span <= WEEKS_UP_TO else Bucketing.MONTH.value
