"""Survey answers made up in bulk for the intake tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from closedloop import Feedback, Rating, RatingKind, Source

RECEIVED = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def survey_answers(prefix: str, count: int, *, comment: str = "") -> Iterator[Feedback]:
    """``count`` answers at place p1, ``<prefix>-<number>``, a second apart, each with ``comment`` if given."""
    for number in range(count):
        yield Feedback(
            source=Source.SURVEY,
            external_id=f"{prefix}-{number}",
            place_id="p1",
            received_at=RECEIVED + timedelta(seconds=number),
            ratings=[Rating(key="nps", kind=RatingKind.NPS, value=number % 11)],
            comments=comment and f"answer {number}: {comment}",
        )
