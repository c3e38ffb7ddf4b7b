"""A clock that stands still until a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from closedloop.domain.feedback import require_aware

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """Returns the same time until :meth:`advance` or :meth:`set`; every reading is timezone-aware."""

    def __init__(self, start: datetime = START) -> None:
        require_aware(start, "the clock's start")
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by a timedelta or by ``days=``, ``hours=``, ``minutes=``, ``seconds=``."""
        self.current += delta if delta is not None else timedelta(**units)
        return self.current

    def set(self, moment: datetime) -> datetime:
        require_aware(moment, "the clock's time")
        self.current = moment
        return self.current
