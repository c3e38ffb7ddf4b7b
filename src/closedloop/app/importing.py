"""Importing feedback from files: CSV, JSON Lines and JSON exports of survey tools, review sites and CRMs.

Rows are read lazily and handed to the bulk intake (``ingest_many``) as feedback, a batch per transaction, so
memory stays constant and an interrupted import, run again, stores every row once: what was committed comes
back as duplicates. A row that cannot be read or mapped goes to the rejects file, in the input's format, with
its line and the reason; the rejects file, fixed, imports again with the same mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any

import attrs

from closedloop.app import arguments, intake
from closedloop.app.batches import MAX_BATCH_SIZE, IngestReport, batched
from closedloop.app.context import Context
from closedloop.domain.errors import ClosedLoopError, InvalidInput
from closedloop.domain.feedback import Feedback, Source
from closedloop.domain.text import shown
from closedloop.files.building import FeedbackBuilder
from closedloop.files.exported_rows import exported_feedback, is_export_header
from closedloop.files.mapping import DEFAULT_MAPPING, ColumnMapping, load_mapping
from closedloop.files.reading import FileFormat, InputFile, Row
from closedloop.files.rejects import RejectsWriter

#: Rows a transaction by default. Larger batches than intake's write each page the batch touches in the index of
#: places and the metrics' facts fewer times, which took a million-row import about a seventh faster than 1,000
#: a batch, for about 50 MB more memory.
BATCH_SIZE = 2500
#: An import report keeps this many rejections with their line and reason; the rejects file has them all.
MAX_REPORTED_REJECTIONS = 1000
#: What a file may have besides the required columns when no mapping is given, for the message refusing it.
OPTIONAL_DEFAULT_COLUMNS = (
    "platform",
    *sorted(DEFAULT_MAPPING.columns_used() - set(DEFAULT_MAPPING.required()) - {"platform"}),
)


@attrs.frozen
class RowRejection:
    """A row that was not imported: its file, its line (or position in a JSON array), and why."""

    file: str
    line: int
    reason: str


@attrs.define
class ImportReport:
    """What an import did. ``bytes_read`` of ``bytes_total`` (None when reading standard input) lets a progress
    bar show how far it got; ``rejections`` keeps the first ones, ``rejects_path`` has every one."""

    ingested: int = 0
    duplicates: int = 0
    rejected: int = 0
    bytes_read: int = 0
    bytes_total: int | None = None
    rejects_path: Path | None = None
    rejections: list[RowRejection] = attrs.field(factory=list)
    analysis_failures: list[str] = attrs.field(factory=list)
    warnings: list[str] = attrs.field(factory=list)

    @property
    def rows(self) -> int:
        return self.ingested + self.duplicates + self.rejected

    def __str__(self) -> str:
        text = f"{self.ingested} ingested, {self.duplicates} duplicates, {self.rejected} rejected"
        return text + (f" (written to {self.rejects_path})" if self.rejected and self.rejects_path else "")


Progress = Callable[[ImportReport], object] | None


def import_file(
    ctx: Context,
    sources: Iterable[str | Path] | str | Path,
    *,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None,
    rejects: str | Path | None,
    progress: Progress,
    batch_size: int,
    default_zone: str | tzinfo | None,
    source: Source | str | None = None,
    encoding: str | None = None,
    file_format: FileFormat | str | None = None,
    platform: str | None = None,
    delimiter: str | None = None,
) -> ImportReport:
    """Import the rows of each file (``-`` is standard input); see ``Desk.import_file``. ``platform``
    overrides the mapping's (and the default ``platform`` column); ``delimiter`` is a CSV file's separator
    when its header line does not show it."""
    if callable(getattr(sources, "read", None)):
        raise InvalidInput(
            "import_file reads files by their paths ('-' for standard input), not an open stream; write the "
            "stream to a file and give its path, or build Feedback and call ingest_many"
        )
    given = [sources] if isinstance(sources, str | Path) else list(arguments.many(sources, "sources", each="paths"))
    paths = [path for path in given if isinstance(path, str | Path)]
    if not paths or len(paths) != len(given):
        raise InvalidInput("give the files to import, as paths ('-' for standard input)")
    size = arguments.whole_number(batch_size, "batch_size", 1, MAX_BATCH_SIZE)
    progress = arguments.callback(progress, "progress")
    chosen = load_mapping(mapping)
    if source is not None:
        chosen = attrs.evolve(chosen, source=arguments.member(Source, source, "source"))
    if platform is not None:
        chosen = attrs.evolve(chosen, platform=arguments.text(platform, "platform"), platform_column=None)
    checked_rejects_path(paths, rejects)
    with ctx.store.transaction() as tx:
        place_ids = tx.directory.place_ids()
    builder = FeedbackBuilder(chosen, zone=default_zone, place_ids=place_ids)
    report = ImportReport(bytes_total=total_size(paths), rejects_path=None if rejects is None else Path(rejects))
    with RejectsWriter(rejects, shared=len(paths) > 1) if rejects is not None else NoRejects() as writer:
        for path in paths:
            with InputFile(path, file_format=file_format, encoding=encoding, delimiter=delimiter) as file:
                FileImport(ctx, file, builder, writer, report, progress).run(size)
    if writer.count and rejects is not None:
        report.rejects_path = writer.path  # the next free name when the one asked for held rows already
    return report


class NoRejects(RejectsWriter):
    """Where refused rows go when no rejects file is asked for: only the report's first rejections keep them."""

    def __init__(self) -> None:
        super().__init__(Path("-"))

    def write(self, row: Row, reason: str, source_format: FileFormat, header: list[str] | None, source: str) -> None:
        self.count += 1


def checked_rejects_path(paths: list[str | Path], rejects: str | Path | None) -> None:
    """A rejects file must be a file's path; and one that is also an input would be emptied before it is read:
    the usual slip when importing a fixed rejects file again."""
    if rejects is None:
        return
    if not isinstance(rejects, str | Path) or str(rejects) in ("", "-"):
        raise InvalidInput(f"rejects= is the path of the file refused rows go to; got {shown(rejects)}")
    if Path(rejects).is_dir():
        raise InvalidInput(
            f"the rejects path {rejects} is a folder; give a file's path, e.g. {Path(rejects) / 'rejects.csv'}"
        )
    target = Path(rejects).resolve()
    if any(str(path) != "-" and Path(path).resolve() == target for path in paths):
        raise InvalidInput(f"the rejects file {rejects} is also a file to import; give another --rejects path")


def total_size(paths: list[str | Path]) -> int | None:
    sizes = [None if str(path) == "-" or not Path(path).is_file() else Path(path).stat().st_size for path in paths]
    return None if None in sizes else sum(size for size in sizes if size is not None)


class FileImport:
    """One file's rows through the bulk intake, with the rows the intake may still refuse kept at hand, by
    position, until it has reported their batch (it reports a batch at most two batches after reading it)."""

    def __init__(
        self,
        ctx: Context,
        file: InputFile,
        builder: FeedbackBuilder,
        writer: RejectsWriter,
        report: ImportReport,
        progress: Progress,
    ) -> None:
        self.ctx, self.file, self.builder, self.writer, self.report = ctx, file, builder, writer, report
        self.progress = progress
        self.before = attrs.evolve(report, rejections=[])  # what the files before did
        self.bytes_before = report.bytes_read
        self.in_flight: list[Row | None] = []
        self.position = 0  # of the next feedback handed to the intake
        self.build: Callable[[dict[str, Any]], Feedback] = builder
        mapping = builder.mapping
        # the mapped columns no row has had yet, to warn of a misspelt one (the default mapping's are optional)
        self.unseen = set() if mapping.default_columns else set(mapping.columns_used())

    def run(self, batch_size: int) -> None:
        self.in_flight = [None] * (3 * batch_size + 1)
        done = intake.ingest_many(
            self.ctx, self.feedback(batch_size), batch_size=batch_size, progress=self.advanced, on_reject=self.refused
        )
        self.advanced(done)

    def feedback(self, batch_size: int) -> Iterator[Feedback]:
        """The feedback of the file's rows, built a batch at a time (the intake pauses the cycle collector
        meanwhile: building them is a good part of what an import costs)."""
        header_checked = self.file.format is not FileFormat.CSV
        for rows in batched(self.file.rows(), batch_size):
            if not header_checked:
                self.check_header(self.file.header or [])
                header_checked = True
            elif self.unseen:
                self.see_columns(rows)
            yield from self.built(rows)
        if not header_checked and self.file.header is not None:  # a header and no row: still the wrong columns?
            self.check_header(self.file.header)
        for column in sorted(self.unseen):
            self.report.warnings.append(f"{self.file.name}: column {column!r} of the mapping was in no row")

    def see_columns(self, rows: list[Row]) -> None:
        unseen = self.unseen
        for row in rows:  # a few columns looked up per row: a missing column is usually missing from every row
            record = row.record
            for column in unseen:
                if column in record:
                    break
            else:
                continue
            unseen.difference_update(record)
            if not unseen:
                return

    def built(self, rows: list[Row]) -> list[Feedback]:
        build, reject, in_flight = self.build, self.reject, self.in_flight
        ring, position = len(in_flight), self.position
        built = []
        for row in rows:
            if row.problem is not None:
                reject(row, row.problem)
                continue
            try:
                built.append(build(row.record))
            except ClosedLoopError as error:
                reject(row, str(error))
                continue
            in_flight[position % ring] = row
            position += 1
        self.position = position
        return built

    def check_header(self, header: list[str]) -> None:
        mapping = self.builder.mapping
        if mapping.default_columns and is_export_header(header):
            self.build = exported_feedback  # a CSV of closedloop export: read back as the feedback it was
            return
        # a mapped column the header lacks is refused before any row is read: imported without it, its rows
        # would be stored for good without what it holds, and importing them again would skip them
        missing = self.builder.missing_columns(header) or sorted(self.unseen - set(header))
        if not missing:
            self.unseen.clear()
            return
        name, columns = self.file.name, ", ".join(map(repr, header))
        if len(header) == 1 and any(mark in header[0] for mark in ";,\t|"):
            raise InvalidInput(
                f"{name} has a single column, {header[0][:80]!r}: its values are separated by another character "
                f"than the one read; give it with --delimiter (e.g. --delimiter ';')"
            )
        if mapping.default_columns:
            raise InvalidInput(
                f"{name} has no column {', '.join(map(repr, missing))}; without --mapping a file needs the columns "
                f"{', '.join(mapping.required())} (and may have {', '.join(OPTIONAL_DEFAULT_COLUMNS)}); its columns "
                f"are {columns}: give a mapping with --mapping saying which column is what (docs/import.md)"
            )
        raise InvalidInput(
            f"{name} has no column {', '.join(map(repr, missing))}, which the mapping names; its columns are "
            f"{columns}: fix the mapping (a column's name must be the header's, to the letter), or leave the "
            "column out of it"
        )

    def reject(self, row: Row, reason: str) -> None:
        self.writer.write(row, reason, self.file.format, self.file.header, self.file.name)
        report = self.report
        report.rejected += 1
        if len(report.rejections) < MAX_REPORTED_REJECTIONS:
            report.rejections.append(RowRejection(self.file.name, row.line, reason))

    def refused(self, position: int, _item: object, reason: str) -> None:
        """A row the intake refused (its place was removed meanwhile): to the rejects file like the others."""
        row = self.in_flight[position % len(self.in_flight)]
        self.reject(row if row is not None else Row(0, {}), reason)

    def advanced(self, done: IngestReport) -> None:
        report, before = self.report, self.before
        report.ingested = before.ingested + done.ingested
        report.duplicates = before.duplicates + done.duplicates
        report.bytes_read = self.bytes_before + self.file.bytes_read
        report.analysis_failures = [*before.analysis_failures, *done.analysis_failures][:MAX_REPORTED_REJECTIONS]
        if self.progress is not None:
            self.progress(report)
