"""Bulk intake: what ``desk.ingest_many`` reports, how it reads items and cuts them into batches, and how
it stores one batch while preparing the next."""

from __future__ import annotations

import contextlib
import gc
import itertools
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

import attrs

from closedloop.domain.conversation import Conversation
from closedloop.domain.errors import ClosedLoopError, InvalidInput
from closedloop.domain.feedback import Feedback
from closedloop.ports import FeedbackKey
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
    #: why an analyzer added nothing to a batch (its feedback was ingested without those concepts); the first
    #: ones only, like ``rejected``; ``desk.analyze`` runs the analyzers again over what is stored
    analysis_failures: list[str] = attrs.field(factory=list)
    #: called with every rejection as it happens, (position, item, reason), so none is lost past the first ones
    on_reject: Callable[[int, object, str], object] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def seen(self) -> int:
        return self.ingested + self.duplicates + self.rejected_count

    def reject(self, position: int, item: object, reason: str) -> None:
        self.rejected_count += 1
        if self.on_reject is not None:
            self.on_reject(position, item, reason)
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
    if isinstance(item, Mapping):  # a None, as rows hold for an empty column, leaves the field at its default
        return from_data({name: value for name, value in item.items() if value is not None}, Feedback)
    raise InvalidInput(f"expected a closedloop.Feedback or a dict describing one; got {type(item).__name__}")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items, read lazily, so any number of items fits in constant memory."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class PausedCollector:
    """Python's cycle collector, paused for a whole bulk intake; see :func:`collector_paused`."""

    #: Every this many items, the whole heap is collected: often enough that cycles made meanwhile, freed then,
    #: never weigh much; seldom enough that walking the heap costs a fraction of a microsecond an item.
    COLLECT_EVERY_ITEMS = 100_000

    def __init__(self, paused: bool) -> None:
        self.paused = paused
        self._since_collected = 0

    def batch_done(self, items: int) -> None:
        """Count a batch's items, and collect every generation once enough went by."""
        self._since_collected += items
        if self.paused and self._since_collected >= self.COLLECT_EVERY_ITEMS:
            self._since_collected = 0
            gc.collect()


@contextlib.contextmanager
def collector_paused() -> Iterator[PausedCollector]:
    """Pause Python's cycle collector while a bulk intake builds its many small objects.

    A batch's objects form no reference cycles, so reference counting frees them all. Left on, the collector
    would walk them again and again as they pile up and, as they live through two batches, move them to its
    oldest generation and walk the whole heap every few batches: about a fifth of the Python time of a bulk
    intake. Anything else that makes cycles meanwhile (a plugin's hook, another thread) has them freed by a
    collection of every generation every :attr:`PausedCollector.COLLECT_EVERY_ITEMS` items.
    A collector already paused is left so.
    """
    if not gc.isenabled():
        yield PausedCollector(paused=False)
        return
    gc.disable()
    try:
        yield PausedCollector(paused=True)
    finally:
        gc.enable()


@attrs.define
class OpenedBatch:
    """What one intake batch did: conversations opened, duplicates skipped, feedback for unknown places."""

    opened: Sequence[Conversation] = ()
    duplicates: int = 0
    unknown_places: list[tuple[int, Feedback]] = attrs.field(factory=list)
    keys: Collection[FeedbackKey] = ()  # of the feedback opened
    stored: Mapping[FeedbackKey, str] = attrs.field(factory=dict)  # conversation ids of what was found stored
    analysis_failures: list[str] = attrs.field(factory=list)  # why an analyzer added nothing to this batch


@attrs.frozen
class Chunk:
    """One batch of the input: the items read as feedback and the items that could not be, by position."""

    readable: list[tuple[int, Feedback]]
    unreadable: list[tuple[int, object, str]]  # the item and why it is not feedback


def read_chunk(items: Iterable[tuple[int, object]]) -> Chunk:
    chunk = Chunk([], [])
    for position, item in items:
        try:
            chunk.readable.append((position, as_feedback(item)))
        except ClosedLoopError as error:
            chunk.unreadable.append((position, item, str(error)))
    return chunk


@attrs.frozen
class Settled:
    """A batch the writer was given, the input it came from, and the error that stopped it, if one did."""

    chunk: Chunk
    batch: OpenedBatch
    error: Exception | None


class BatchWriter:
    """Stores one batch on a second thread while the caller prepares the next, one batch in flight at most.

    Storing is mostly the database's own work, done without holding Python's global lock, and preparing is
    mostly Python's, so on a machine with two cores the two overlap and bulk intake runs at about the speed of
    the database alone. The thread starts with the first batch and ends with the ``with`` block.
    """

    def __init__(self, write: Callable[[OpenedBatch], None]) -> None:
        self._write = write
        self._executor: ThreadPoolExecutor | None = None
        self._pending: tuple[Chunk, OpenedBatch, Future[None]] | None = None

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            _quick_switches.leave()

    @property
    def in_flight(self) -> Collection[FeedbackKey]:
        """The feedback of the batch being stored, which the next batch must count as stored."""
        return () if self._pending is None else self._pending[1].keys

    def submit(self, chunk: Chunk, batch: OpenedBatch) -> None:
        """Start storing ``batch``; :meth:`settle` the one before first."""
        if self._pending is not None:
            raise RuntimeError("settle the batch in flight before submitting another")
        if self._executor is None:
            _quick_switches.enter()
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="closedloop-intake")
        self._pending = (chunk, batch, self._executor.submit(self._write, batch))

    def settle(self) -> Settled | None:
        """Wait for the batch in flight, if there is one, and say how it went."""
        if self._pending is None:
            return None
        chunk, batch, future = self._pending
        self._pending = None
        error = future.exception()
        if error is not None and not isinstance(error, Exception):
            raise error
        return Settled(chunk, batch, error)


class QuickSwitches:
    """Shortens the interpreter's thread switch interval while any writer thread runs, and restores it after.

    Each time the writer comes back from the database it needs Python's global lock, which the preparing
    thread holds; by default it waits up to 5 ms for it, several times a batch, which costs a tenth of the
    intake rate. The interval is process-wide, so it is set by the first writer to start and put back by the
    last to end.
    """

    INTERVAL_SECONDS = 0.0002

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writers = 0
        self._saved = 0.0

    def enter(self) -> None:
        with self._lock:
            if self._writers == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, self.INTERVAL_SECONDS))
            self._writers += 1

    def leave(self) -> None:
        with self._lock:
            self._writers -= 1
            if self._writers == 0:
                sys.setswitchinterval(self._saved)


_quick_switches = QuickSwitches()
