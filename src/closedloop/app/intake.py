"""Taking in feedback: one item, or any number of them a batch per transaction.

A batch is sorted into new feedback, duplicates and feedback for unknown places; each new item opens a
conversation with its alert and its analyzers' concepts, and the plugins hear of them once committed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from closedloop.app import arguments
from closedloop.app.access import ADD_PLACE
from closedloop.app.batches import (
    MAX_BATCH_SIZE,
    MAX_REPORTED_REJECTIONS,
    BatchWriter,
    Chunk,
    IngestReport,
    OpenedBatch,
    Settled,
    batched,
    collector_paused,
    read_chunk,
)
from closedloop.app.conflicts import retrying_on_conflict
from closedloop.app.context import Context
from closedloop.app.opening import analyze_ahead, open_fresh, sort_batch
from closedloop.domain.conversation import Conversation
from closedloop.domain.errors import DuplicateFeedback, InvalidInput
from closedloop.domain.feedback import Feedback
from closedloop.ports import FeedbackKey, ReadsBesideWrites, WritesInBulk

Progress = Callable[[IngestReport], object] | None


def ingest(ctx: Context, feedback: Feedback) -> Conversation:
    """Open a conversation for new feedback, in one transaction; the same ``(source, platform, external_id)``
    returns the conversation already stored, unchanged."""
    arguments.record(feedback, Feedback, "desk.ingest", hint="a dict describing one goes to desk.ingest_many([item])")

    def attempt() -> tuple[Conversation, bool]:
        with ctx.store.transaction() as tx:
            batch, fresh = sort_batch(tx, [(0, feedback)], in_flight=())
            if batch.duplicates:
                return tx.conversations.get(batch.stored[feedback.key]), False
            if batch.unknown_places:
                raise InvalidInput(
                    f"feedback {feedback.external_id!r} is for place {feedback.place_id!r}, which this desk "
                    f"does not know; {ADD_PLACE}"
                )
            opened = open_fresh(ctx, batch, fresh).opened
            tx.conversations.add(opened)
        return opened[0], True

    conversation, new = retrying_on_conflict(attempt)  # another process may take it in meanwhile: look again
    if new:
        ctx.hooks.feedback_ingested([conversation])
    return conversation


def ingest_many(
    ctx: Context,
    items: Iterable[Feedback | Mapping[str, Any]],
    *,
    batch_size: int,
    progress: Progress,
    on_reject: Callable[[int, object, str], object] | None = None,
) -> IngestReport:
    """Take in any number of items, a batch per transaction, in constant memory; see ``Desk.ingest_many``.
    ``on_reject`` hears of every rejected item (its position, the item, why), past the first the report keeps."""
    given = arguments.many(items, "items", each="Feedback objects or dicts describing one")
    size = arguments.whole_number(batch_size, "batch_size", 1, MAX_BATCH_SIZE)
    progress = arguments.callback(progress, "progress")
    report = IngestReport(on_reject=arguments.callback(on_reject, "on_reject"))
    store = ctx.store
    bulk = store.writing_in_bulk() if isinstance(store, WritesInBulk) else contextlib.nullcontext()
    with bulk, collector_paused() as collector, BatchWriter(lambda batch: write_batch(ctx, batch)) as writer:
        try:
            for chunk in read_ahead(ctx, batched(enumerate(given), size)):
                prepared = prepare_beside_writer(ctx, chunk.readable, writer.in_flight)
                collector.batch_done(len(chunk.readable) + len(chunk.unreadable))
                settle(ctx, writer, report, progress)
                if prepared is None:
                    report_batch(chunk, open_batch(ctx, chunk.readable), report, progress)
                elif prepared.opened:
                    writer.submit(chunk, prepared)
                else:
                    report_batch(chunk, prepared, report, progress)
        finally:  # the batch in flight is seen through even when the next one failed
            settle(ctx, writer, report, progress)
    return report


def read_ahead(ctx: Context, batches: Iterable[list[tuple[int, object]]]) -> Iterator[Chunk]:
    """The input's chunks, each read one batch early so the analyzers can start on it (``analyze_ahead``)
    while the one before is opened and stored. An input that fails still has its whole batches taken in."""
    waiting: Chunk | None = None
    batches = iter(batches)
    while True:
        try:
            items_of_batch = next(batches, None)
        except Exception:
            if waiting is not None:
                yield waiting
            raise
        if items_of_batch is None:
            break
        chunk = read_chunk(items_of_batch)
        analyze_ahead(ctx, [feedback for _position, feedback in chunk.readable])  # the first too: a little ahead
        if waiting is not None:
            yield waiting
        waiting = chunk
    if waiting is not None:
        yield waiting


def settle(ctx: Context, writer: BatchWriter, report: IngestReport, progress: Progress) -> None:
    """Wait for the batch in flight, if any, and report it once stored."""
    if (settled := writer.settle()) is not None:
        report_batch(settled.chunk, written(ctx, settled), report, progress)


def report_batch(chunk: Chunk, batch: OpenedBatch, report: IngestReport, progress: Progress) -> None:
    for position, item, reason in chunk.unreadable:
        report.reject(position, item, reason)
    report.ingested += len(batch.opened)
    report.duplicates += batch.duplicates
    room = MAX_REPORTED_REJECTIONS - len(report.analysis_failures)
    report.analysis_failures.extend(batch.analysis_failures[: max(room, 0)])
    for position, feedback in batch.unknown_places:
        report.reject(position, feedback, f"unknown place {feedback.place_id!r}; {ADD_PLACE}")
    if progress is not None:
        progress(report)


def open_batch(ctx: Context, feedbacks: Sequence[tuple[int, Feedback]]) -> OpenedBatch:
    """Open conversations for the new feedback of one batch, in one transaction, then tell the plugins.

    Another process may take in the same feedback between our look-up and our insert; the store then
    refuses the whole batch, and looking again sorts the newcomers from the duplicates.
    """

    def attempt() -> OpenedBatch:
        with ctx.store.transaction() as tx:
            batch = open_fresh(ctx, *sort_batch(tx, feedbacks, in_flight=()))
            tx.conversations.add(batch.opened)
        return batch

    batch = retrying_on_conflict(attempt)
    ctx.hooks.feedback_ingested(batch.opened)
    return batch


def prepare_beside_writer(
    ctx: Context, feedbacks: Sequence[tuple[int, Feedback]], in_flight: Collection[FeedbackKey]
) -> OpenedBatch | None:
    """Open one batch's conversations from a snapshot, while the writer may still be storing the batch
    before (whose feedback counts as stored); None when the store cannot read beside its writer."""
    store = ctx.store
    if not isinstance(store, ReadsBesideWrites) or (reader := store.reader()) is None:
        return None
    with reader as tx:  # only while looking up, so the snapshot is let go of soon
        sorted_batch = sort_batch(tx, feedbacks, in_flight)
    batch = open_fresh(ctx, *sorted_batch)
    batch.opened = store.encode_new(batch.opened)
    return batch


def write_batch(ctx: Context, batch: OpenedBatch) -> None:
    """Store a prepared batch, in a transaction of its own; runs on the writer's thread."""
    with ctx.store.transaction() as tx:
        tx.conversations.add(batch.opened)


def written(ctx: Context, settled: Settled) -> OpenedBatch:
    """A batch the writer was given, once stored: when another process took in some of the same
    feedback meanwhile, the batch is opened again from what is stored now."""
    if isinstance(settled.error, DuplicateFeedback):
        return open_batch(ctx, settled.chunk.readable)
    if settled.error is not None:
        raise settled.error
    ctx.hooks.feedback_ingested(settled.batch.opened)
    return settled.batch
