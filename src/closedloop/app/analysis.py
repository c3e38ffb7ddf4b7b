"""Running the analyzers again over stored conversations: after the taxonomy changed, a new analyzer was
installed, or one failed at intake.

Each page is read in one transaction, analysed outside any transaction (a hosted model may take seconds), and
written in a second one that replaces only the analysis: status, history and the inbox order stay as they were.
A conversation whose comments changed meanwhile (a review edited during a sync) is left for the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import attrs

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.app.opening import analyze, analyze_ahead
from closedloop.domain.conversation import Conversation, Folder
from closedloop.domain.errors import NotFound
from closedloop.domain.inbox import Cursor, InboxQuery

MAX_REPORTED_FAILURES = 100
LARGEST_BATCH = 10_000


@attrs.define
class AnalysisReport:
    """What ``desk.analyze`` did: ``analyzed`` conversations were read and analysed, ``changed`` of them got
    concepts different from the stored ones; ``total`` is how many it set out to analyse, for progress bars.
    ``failures`` says why an analyzer added nothing to a batch (the first ones)."""

    total: int = 0
    analyzed: int = 0
    changed: int = 0
    skipped: int = 0  # an analyzer failed on them, or someone changed them meanwhile; the next run takes them
    failures: list[str] = attrs.field(factory=list)

    def __str__(self) -> str:
        return f"{self.analyzed} of {self.total} analysed, {self.changed} changed, {len(self.failures)} failures"


Progress = Callable[[AnalysisReport], object] | None


def analyze_stored(
    ctx: Context, *, places: Iterable[str] | str | None, batch_size: int, progress: Progress
) -> AnalysisReport:
    """Analyse every stored conversation of ``places`` (all when None) again, a batch at a time."""
    wanted = arguments.optional_identifiers(places, "places")
    size = arguments.whole_number(batch_size, "batch_size", 1, LARGEST_BATCH)
    progress = arguments.callback(progress, "progress")
    with ctx.store.transaction() as tx:
        place_ids = access.narrow(tx, None, wanted)
        report = AnalysisReport(total=sum(tx.conversations.counts(place_ids).values()))
    waiting: list[Conversation] = []
    for page in stored_pages(ctx, place_ids, size):  # each page is announced to the analyzers a page early
        if waiting:
            analyze_ahead(ctx, [conversation.feedback for conversation in page])
            reanalyzed(ctx, waiting, report, progress)
        waiting = page
    if waiting:
        reanalyzed(ctx, waiting, report, progress)
    return report


def stored_pages(ctx: Context, place_ids: frozenset[str] | None, size: int) -> Iterator[list[Conversation]]:
    """The readable conversations of ``place_ids``, a page of at most ``size`` at a time, folder by folder."""
    for folder in Folder:
        cursor: Cursor | None = None
        while True:
            with ctx.store.transaction() as tx:
                page = tx.conversations.page(InboxQuery(place_ids=place_ids, folder=folder, limit=size, after=cursor))
            readable = [entry for entry in page if isinstance(entry, Conversation)]
            if readable:
                yield readable
            if len(page) < size:
                break
            cursor = Cursor.after(page[-1])


def reanalyzed(ctx: Context, batch: list[Conversation], report: AnalysisReport, progress: Progress) -> None:
    reanalyze(ctx, batch, report)
    if progress is not None:
        progress(attrs.evolve(report, failures=list(report.failures)))  # a copy the caller may keep


def reanalyze(ctx: Context, batch: list[Conversation], report: AnalysisReport) -> None:
    """Analyse one page and store the concepts that differ, in one transaction."""
    failures: list[str] = []
    analyses = analyze(ctx, [conversation.feedback for conversation in batch], failures)
    room = MAX_REPORTED_FAILURES - len(report.failures)
    report.failures.extend(failures[: max(room, 0)])
    report.analyzed += len(batch)
    if failures:  # keep what is stored rather than drop the failed analyzer's earlier concepts
        report.skipped += len(batch)
        return
    with ctx.store.transaction() as tx:
        for read, analysis in zip(batch, analyses, strict=True):
            if read.analysis == analysis:
                continue
            try:
                current = tx.conversations.get(read.id, lock=True)
            except NotFound:
                report.skipped += 1
                continue
            if current.feedback.text != read.feedback.text:
                report.skipped += 1
                continue
            tx.conversations.save(attrs.evolve(current, analysis=analysis))
            report.changed += 1
