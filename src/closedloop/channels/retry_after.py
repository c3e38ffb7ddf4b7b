"""HTTP ``Retry-After`` read the way connectors need it: as how long the outbox must wait.

Import it from :mod:`closedloop.channels`; this module is where it is written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) as a wait from ``now``; ``None`` when absent or
    unreadable, so the outbox falls back to its own back-off. Platforms send either form, and a date already
    past means no wait at all."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment - now, timedelta(0))


#: The name it had before it was public; connectors written against it keep working.
retry_after = parse_retry_after
