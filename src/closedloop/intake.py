"""Bulk intake: what ``desk.ingest_many`` reports, and how it reads items and cuts them into batches."""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Feedback
from closedloop.serialization import from_data

T = TypeVar("T")

#: A report keeps this many rejections with their reasons; past that it only counts them.
MAX_REPORTED_REJECTIONS = 1000
MAX_BATCH_SIZE = 50_000


@attrs.frozen
class Rejection:
    """One item that was not taken in: its position in the input, its external id if it had one, and why."""

    position: int
    external_id: str | None
    reason: str


@attrs.define
class IngestReport:
    """What ``ingest_many`` did. ``rejected`` keeps the first rejections; ``rejected_count`` counts all."""

    ingested: int = 0
    duplicates: int = 0
    rejected_count: int = 0
    rejected: list[Rejection] = attrs.field(factory=list)

    @property
    def seen(self) -> int:
        return self.ingested + self.duplicates + self.rejected_count

    def reject(self, position: int, item: object, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED_REJECTIONS:
            self.rejected.append(Rejection(position, external_id_of(item), reason))

    def __str__(self) -> str:
        return f"{self.ingested} ingested, {self.duplicates} duplicates, {self.rejected_count} rejected"


def external_id_of(item: object) -> str | None:
    if isinstance(item, Feedback):
        return item.external_id
    if isinstance(item, Mapping):
        value = item.get("external_id")
        return value if isinstance(value, str) else None
    return None


def as_feedback(item: Any) -> Feedback:
    """A :class:`Feedback`, or JSON-ready data describing one (as ``closedloop.serialization.to_data`` gives)."""
    if isinstance(item, Feedback):
        return item
    if isinstance(item, Mapping):
        return from_data(dict(item), Feedback)
    raise InvalidInput(f"expected a closedloop.Feedback or a dict describing one; got {type(item).__name__}")


def check_batch_size(batch_size: object) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InvalidInput(f"batch_size must be a whole number from 1 to {MAX_BATCH_SIZE}; got {batch_size!r}")
    return batch_size


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items, read lazily, so any number of items fits in constant memory."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while one batch builds its many small objects.

    A batch's objects form no reference cycles, so nothing is left waiting for the collector, which would
    otherwise walk the whole heap again and again as the objects pile up: about a third of the Python time
    of a bulk intake. A batch is bounded, so the pause is short; a collector already paused is left so.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
