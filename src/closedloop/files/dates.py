"""Times as exports write them: ISO 8601, ``YYYY-MM-DD HH:MM[:SS]``, ``DD/MM/YYYY HH:MM``, or seconds since
1970; a time written without its zone is taken in the file's default zone."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from closedloop.domain.errors import InvalidInput

#: Seconds since 1970 have at least this many digits (1973 on); a shorter run of digits is an ISO date.
EPOCH_DIGITS = 9
#: Past this, a number of seconds since 1970 is taken for milliseconds, as some tools write them.
MILLISECONDS_FROM = 100_000_000_000


def zone_named(name: str | tzinfo | None) -> tzinfo:
    """The zone of times written without one: a name such as ``Europe/Paris`` (default UTC)."""
    if name is None:
        return UTC
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"unknown time zone {name!r}; give a name such as Europe/Paris, America/New_York or UTC"
        ) from None


class TimeReader:
    """Reads the times of one file: with ``pattern`` (a ``strptime`` format) when the mapping gives one, else
    in any of the usual formats."""

    def __init__(self, zone: tzinfo, pattern: str | None = None) -> None:
        self.zone = zone
        self.pattern = pattern

    def __call__(self, value: object) -> datetime:
        if isinstance(value, str):
            moment = self._from_text(value.strip())
        elif isinstance(value, int | float) and not isinstance(value, bool):
            moment = from_epoch(value)
        else:
            raise InvalidInput(f"no time given; expected e.g. 2026-03-01 14:30, got {value!r}")
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def _from_text(self, text: str) -> datetime:
        if self.pattern is not None:
            try:
                return datetime.strptime(text, self.pattern)
            except ValueError:
                raise InvalidInput(f"{text!r} is not a time written as {self.pattern}") from None
        if text.isdigit() and len(text) >= EPOCH_DIGITS:
            return from_epoch(int(text))
        try:
            return datetime.fromisoformat(text)  # also YYYY-MM-DD HH:MM[:SS], with or without an offset or Z
        except ValueError:
            pass
        if "/" in text:
            return day_first(text)
        raise InvalidInput(
            f"{text!r} is not a time; expected ISO 8601 (2026-03-01T14:30:00+01:00), 2026-03-01 14:30, "
            "01/03/2026 14:30 or seconds since 1970 (or set date_format in the mapping)"
        )


def from_epoch(value: float) -> datetime:
    seconds = value / 1000 if abs(value) >= MILLISECONDS_FROM else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(f"{value!r} is not a time in seconds since 1970") from None


def day_first(text: str) -> datetime:
    """``DD/MM/YYYY`` with an optional ``HH:MM[:SS]``, as most of the world writes dates."""
    day_part, _, time_part = text.partition(" ")
    try:
        day, month, year = (int(part) for part in day_part.split("/"))
        clock = [int(part) for part in time_part.strip().split(":")] if time_part.strip() else []
        if len(clock) not in (0, 2, 3):
            raise ValueError(time_part)
        hour, minute, second = [*clock, 0, 0, 0][:3]
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a time written DD/MM/YYYY HH:MM; for month first, set date_format = "
            '"%m/%d/%Y %H:%M" in the mapping'
        ) from None
