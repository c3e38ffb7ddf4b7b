"""``closedloop import`` and ``closedloop export``: feedback in from files, conversations out to files."""

from __future__ import annotations

import contextlib
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click

from closedloop.app.importing import BATCH_SIZE, ImportReport
from closedloop.cli import database_url, examples, open_desk, progress_bar, url_option
from closedloop.domain.conversation import Folder
from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Source
from closedloop.hookspecs import hookimpl
from closedloop.terminal import printable

#: Reading this much of a file is enough to tell how long its lines are, to guess its number of rows.
SAMPLE_BYTES = 1 << 20
#: The exit status of an import stopped with Ctrl-C, as shells report a process interrupted.
INTERRUPTED = 130
#: The exit status of an import stopped by a termination signal (as ``kill`` sends), as shells report it.
TERMINATED = 128 + signal.SIGTERM
#: What the name of a rejects file holds, which a run over several files leaves out.
REJECTS_NAME = re.compile(r"\.rejects(-[0-9]+)?(\.|$)")
#: How many refused rows the summary lists; the rejects file has every one.
SHOWN_REJECTIONS = 5


@click.command(
    "import",
    epilog=examples(
        "closedloop import responses.csv --mapping survey-mapping.toml --url sqlite:///feedback.db",
        "closedloop import reviews-*.jsonl --source review --zone Europe/Paris",
        "cat export.json | closedloop import - --format json --rejects refused.json",
        "closedloop import responses.rejects.csv --mapping survey-mapping.toml   # once fixed",
        note="Rows already stored (same source, platform and id) are skipped, so an interrupted import is run "
        "again as it was. Refused rows go to the rejects file (default: FILE.rejects.EXT beside each file), "
        "in the file's own format with _line and _reason columns: fix them there and import that file. Exits "
        "with status 1 when rows were refused. Formats and mapping: docs/import.md.",
    ),
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--mapping", type=click.Path(dir_okay=False), help="A TOML or JSON file saying which column is what.")
@click.option("--source", type=click.Choice([s.value for s in Source]), help="Overrides the mapping's source.")
@click.option("--platform", help="Where the feedback was given (e.g. typeform); overrides the mapping and column.")
@click.option(
    "--zone", help="The zone of times written without one, e.g. Europe/Paris; overrides the mapping's (default: UTC)."
)
@click.option("--rejects", type=click.Path(dir_okay=False), help="Where refused rows go (default: FILE.rejects.EXT).")
@click.option("--encoding", help="The files' encoding when not UTF-8, e.g. cp1252 or latin-1.")
@click.option(
    "--format", "file_format", type=click.Choice(["csv", "jsonl", "json"]), help="When the file names do not say."
)
@click.option("--delimiter", help="A CSV file's separator, e.g. ';' or tab (default: the one its header line shows).")
@click.option(
    "--batch-size", type=click.IntRange(1, 50_000), default=BATCH_SIZE, show_default=True, help="Rows per transaction."
)
@url_option
def import_command(
    files: tuple[str, ...],
    mapping: str | None,
    source: str | None,
    platform: str | None,
    zone: str | None,
    rejects: str | None,
    encoding: str | None,
    file_format: str | None,
    delimiter: str | None,
    batch_size: int,
    url: str | None,
) -> int:
    """Import feedback from CSV, JSON Lines or JSON files ('-' reads standard input).

    Places must be on the desk first; a row for an unknown place is refused with the others.
    """
    from closedloop.storage.sql.urls import kept_only_in_memory  # SQLAlchemy only when a command runs

    if kept_only_in_memory(database_url(url)):
        raise InvalidInput(
            "this database lives in memory and ends with the command, taking the import with it; import into a "
            "database file, e.g. --url sqlite:///feedback.db (create it with `closedloop db upgrade --url ...`)"
        )
    files = inputs_without_rejects(files)
    label = "importing " + (Path(files[0]).name if len(files) == 1 else f"{len(files)} files")
    # one rejects file for all (--rejects), else one beside each file, in its own format and columns
    batches = [(list(files), rejects)] if rejects else [([name], default_rejects(name, file_format)) for name in files]
    report = ImportReport()
    refused_into: list[str] = []
    with stopped_by_terminate(), open_desk(url) as desk, progress_bar(estimated_rows(files), label) as bar:
        for names, rejects_path in batches:
            done = ImportReport()

            def advance(now: ImportReport, done: ImportReport = done) -> None:
                bar.advance(now.rows - done.rows)
                done.ingested, done.duplicates, done.rejected = now.ingested, now.duplicates, now.rejected

            try:
                part = desk.import_file(
                    names,
                    mapping=mapping,
                    rejects=rejects_path,
                    progress=advance,
                    batch_size=batch_size,
                    default_zone=zone,
                    source=source,
                    encoding=encoding,
                    file_format=file_format,
                    platform=platform,
                    delimiter=delimiter,
                )
            except KeyboardInterrupt as stop:
                how = "stopped" if isinstance(stop, Terminated) else "interrupted"
                print(
                    f"closedloop: {how} after storing {report.ingested + done.ingested:,} rows; run the same "
                    "command again to import the rest (rows already stored are skipped)",
                    file=sys.stderr,
                )
                return TERMINATED if isinstance(stop, Terminated) else INTERRUPTED
            add_up(report, part)
            if part.rejected and part.rejects_path is not None:
                refused_into.append(str(part.rejects_path))
                if rejects_path is not None and part.rejects_path != Path(rejects_path):
                    print(f"{rejects_path} holds rows already, so this run's refused rows went to {part.rejects_path}")
    print(f"{report.ingested:,} ingested, {report.duplicates:,} already stored, {report.rejected:,} rejected")
    if report.rejected:
        print(f"Refused rows are in {', '.join(refused_into)}, with their line and reason; fix them there and")
        print("import that file with the same options:")
        for rejection in report.rejections[:SHOWN_REJECTIONS]:
            print(printable(f"  {rejection.file}, line {rejection.line}: {rejection.reason}"))
        if report.rejected > SHOWN_REJECTIONS:
            print(f"  ... and {report.rejected - SHOWN_REJECTIONS:,} more")
    for warning in report.warnings:
        print(printable(f"Warning: {warning}"))
    for failure in report.analysis_failures[:SHOWN_REJECTIONS]:
        print(printable(f"Analysis: {failure} (run `closedloop analyze` later)"))
    return 1 if report.rejected else 0


class Terminated(KeyboardInterrupt):
    """A termination signal, taken like Ctrl-C: the batch being stored is seen through and the run says how far
    it got, instead of ending without a word."""


@contextlib.contextmanager
def stopped_by_terminate() -> Iterator[None]:
    """Take a termination signal as :class:`Terminated` while an import runs, then put the handler back."""

    def terminate(_number: int, _frame: FrameType | None) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not on the main thread (a command run from a test's thread, say): left as it is
        yield
        return
    try:
        yield
    finally:  # a handler set outside Python reads as None, and cannot be set again: the default is put back
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def add_up(total: ImportReport, part: ImportReport) -> None:
    """One file's report added to the run's."""
    total.ingested += part.ingested
    total.duplicates += part.duplicates
    total.rejected += part.rejected
    total.rejections += part.rejections
    total.analysis_failures += part.analysis_failures
    total.warnings += part.warnings


def inputs_without_rejects(files: tuple[str, ...]) -> tuple[str, ...]:
    """Several files (a glob run again, say) without the rejects files an earlier run wrote beside them; a
    rejects file given alone is imported, as it is once fixed."""
    if len(files) < 2:
        return files
    first_of: dict[str, str] = {}
    for name in files:
        first_of.setdefault(name if name == "-" else str(Path(name).resolve()), name)
    once = tuple(first_of.values())
    if len(once) < len(files):
        print("Leaving out the files given more than once: each is imported once")
        files = once
    kept = tuple(name for name in files if not REJECTS_NAME.search(Path(name).name))
    for name in files:
        if name not in kept:
            print(f"Leaving out {name}: it is a rejects file of an earlier import (import it on its own once fixed)")
    if not kept:
        raise InvalidInput("every file given is a rejects file; import them one at a time once fixed")
    return kept


def default_rejects(first: str, file_format: str | None) -> str:
    """``responses.csv`` refuses rows into ``responses.rejects.csv``; standard input into ``stdin.rejects``
    (with the format's suffix when given), in the working directory."""
    if first == "-":
        return "stdin.rejects" + (f".{file_format}" if file_format else "")
    path = Path(first)
    return str(path.with_name(f"{path.stem}.rejects{path.suffix}"))


def estimated_rows(files: tuple[str, ...]) -> int | None:
    """About how many rows the files hold, from the length of their first lines, for the bar's time left;
    None for standard input and JSON arrays, where lines say nothing of rows."""
    total = 0
    for name in files:
        path = Path(name)
        if name == "-" or path.suffix.lower() == ".json" or not path.is_file():
            return None
        size = path.stat().st_size
        with path.open("rb") as file:
            sample = file.read(SAMPLE_BYTES)
        lines = sample.count(b"\n") or 1
        total += round(size / len(sample) * lines) if sample else 0
    return total or None


@click.command(
    "export",
    epilog=examples(
        "closedloop export --user ana --output conversations.jsonl",
        "closedloop export --user ana --format csv --folder done --since 2026-03-01 --output march.csv",
        "closedloop export --places paris-opera --until 2026-04-01 | gzip > archive.jsonl.gz",
        note="JSON Lines has each conversation whole (feedback, status, alert, analysis, history); CSV has one "
        "flat row per conversation, with the columns listed in docs/import.md. Without --user every conversation "
        "is written. --since and --until bound when the feedback was received.",
    ),
)
@click.option("--user", help="Only what this user may see (default: every conversation).")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["jsonl", "csv"]),
    help="Default: the one --output's extension says (.csv, .jsonl), else jsonl.",
)
@click.option("--places", multiple=True, metavar="IDS", help="Only these places or groups, comma-separated.")
@click.option("--folder", type=click.Choice([f.value for f in Folder]), help="Only this folder (default: all).")
@click.option("--since", help="Received on or after, e.g. 2026-03-01 or 2026-03-01T08:00.")
@click.option("--until", help="Received before, e.g. 2026-04-01.")
@click.option("--zone", default="UTC", show_default=True, help="The time zone of --since and --until.")
@click.option("--output", "-o", default="-", show_default=True, help="The file to write; '-' is standard output.")
@url_option
def export_command(
    user: str | None,
    file_format: str | None,
    places: tuple[str, ...],
    folder: str | None,
    since: str | None,
    until: str | None,
    zone: str,
    output: str,
    url: str | None,
) -> None:
    """Export conversations as JSON Lines or CSV, in constant memory."""
    from closedloop.reporting.command import day_or_moment, zone_named

    file_format = export_format(file_format, output)
    where = zone_named(zone)
    wanted = [place.strip() for given in places for place in given.split(",") if place.strip()] or None
    with open_desk(url) as desk:
        report = desk.export(
            sys.stdout if output == "-" else output,
            user=user,
            file_format=file_format,
            places=wanted,
            folder=folder,
            since=day_or_moment(since, "--since", where),
            until=day_or_moment(until, "--until", where),
            zone=zone,
        )
    print(str(report) + ("" if output == "-" else f", written to {output}"), file=sys.stderr)


def export_format(given: str | None, output: str) -> str:
    """The format asked for, else the one the output's extension says; a mismatch between the two is
    refused rather than a CSV file holding JSON Lines."""
    suffix = Path(output).suffix.lower() if output != "-" else ""
    if suffix == ".json":
        raise InvalidInput(
            f"{output}: conversations are exported as JSON Lines (.jsonl) or CSV (.csv), not as one JSON array; "
            "name the file .jsonl"
        )
    implied = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix)
    if given is not None and implied is not None and given != implied:
        raise InvalidInput(f"--format {given} does not match {output}; name the file .{given} or drop --format")
    return given or implied or "jsonl"


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(import_command)
    cli.add_command(export_command)
