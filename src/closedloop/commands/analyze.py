"""``closedloop analyze``: run the analyzers again over stored feedback, after a taxonomy change."""

from __future__ import annotations

import sys

import click

from closedloop import AnalysisReport
from closedloop.cli import examples, open_desk, url_option
from closedloop.hookspecs import hookimpl
from closedloop.terminal import printable


@click.command(
    epilog=examples(
        "closedloop analyze --url sqlite:///feedback.db",
        "closedloop analyze --place paris-opera --taxonomy my-concepts.toml",
    )
)
@url_option
@click.option("--place", "places", multiple=True, help="A place or group id to analyse (repeatable; default: all).")
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=500, show_default=True, help="Conversations per batch."
)
@click.option(
    "--taxonomy",
    type=click.Path(exists=True, dir_okay=False),
    help="A TOML file of concepts and their terms (default: the built-in taxonomy).",
)
def analyze(url: str | None, places: tuple[str, ...], batch_size: int, taxonomy: str | None) -> int:
    """Find the concepts and sentiment of stored comments again, keeping status, history and inbox order.

    Exits with status 1 when some conversations could not be analysed (they are listed).
    """
    with open_desk(url, taxonomy=taxonomy) as desk:
        report = desk.analyze(places=list(places) or None, batch_size=batch_size, progress=show_progress)
    print(printable(f"\n{report}" if sys.stdout.isatty() else str(report)))
    for failure in report.failures:
        print(printable(f"  {failure}"))  # a failure may quote what the analyser was given
    return 1 if report.failures else 0


def show_progress(report: AnalysisReport) -> None:
    """One line that grows in a terminal; a line per batch in a log."""
    share = f"{report.analyzed / report.total:.0%}" if report.total else "100%"
    line = f"  analysed {report.analyzed:,} of {report.total:,} ({share}), {report.changed:,} changed"
    print(f"\r{line}" if sys.stdout.isatty() else line, end="" if sys.stdout.isatty() else "\n", flush=True)


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(analyze)
