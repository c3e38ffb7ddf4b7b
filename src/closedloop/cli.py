"""The ``closedloop`` command (also ``python -m closedloop``), and what it offers plugins.

Commands that need a database take ``--url``; without it they use ``CLOSEDLOOP_DATABASE_URL``, and the demo
falls back to its own SQLite file. A plugin adds a command in ``closedloop_add_commands`` through
:class:`Commands`; the names in ``__all__`` are the public API it may use (see ``docs/plugins.md``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from closedloop import AnalysisReport, DispatchReport, __version__
from closedloop.domain.errors import ClosedLoopError, InvalidInput

__all__ = ["DEMO_FILE", "URL_VARIABLE", "Commands", "RunCommand", "build_parser", "database_url", "main"]

#: The environment variable a command reads the database URL from when it is given no ``--url``.
URL_VARIABLE = "CLOSEDLOOP_DATABASE_URL"
#: The SQLite file the demo writes, and that ``inbox`` (and closedloop-web's ``serve``) read by default.
DEMO_FILE = "closedloop-demo.db"

#: What runs a command: it gets the parsed arguments and returns the exit status (``None`` means 0).
RunCommand = Callable[[argparse.Namespace], int | None]


class Commands:
    """The subcommands of ``closedloop``, as plugins see them in ``closedloop_add_commands``. The built-in
    commands are added through the same object, so a plugin needs nothing of argparse's private types."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        self._names: set[str] = set()

    def add(self, name: str, *, help: str, run: RunCommand) -> argparse.ArgumentParser:
        """A new subcommand, whose arguments go on the parser returned. The command line calls ``run`` with the
        parsed arguments and exits with what it returns; a :class:`~closedloop.ClosedLoopError` it raises is
        printed as the reason, with exit status 2."""
        parser = self.add_parser(name, help=help)
        parser.set_defaults(run=run)
        return parser

    def add_parser(self, name: str, *, help: str | None = None) -> argparse.ArgumentParser:
        """A new subcommand, spelt as argparse spells it; give the parser ``set_defaults(run=function)``.
        Kept for plugins written before :meth:`add`. A name already taken is refused, saying which."""
        if name in self._names:
            raise InvalidInput(f"two commands are called {name!r}: uninstall one of the plugins that add it")
        self._names.add(name)
        return self._subcommands.add_parser(name, help=help)


def database_url(given: str | None, fallback: str | None = None) -> str:
    """The database a command works on: ``--url`` if given, else ``$CLOSEDLOOP_DATABASE_URL``, else
    ``fallback``; :class:`~closedloop.InvalidInput` saying how to give one when there is none."""
    url = given or os.environ.get(URL_VARIABLE) or fallback
    if not url:
        raise InvalidInput(f"give a database URL (e.g. sqlite:///feedback.db) or set {URL_VARIABLE}")
    return url


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the built-in commands, then those installed plugins add."""
    parser = argparse.ArgumentParser(prog="closedloop", description="Closed-loop customer feedback handling.")
    parser.add_argument("--version", action="version", version=f"closedloop {__version__}")
    commands = Commands(parser)

    demo = commands.add(
        "demo", help="run the whole loop on sample feedback and show the inbox before and after", run=run_demo
    )
    demo.add_argument(
        "--url",
        help=f"an empty database to run in (default: ${URL_VARIABLE}, else a fresh ./{DEMO_FILE})",
    )

    inbox = commands.add("inbox", help="print a user's inbox and counts from a database", run=show_inbox)
    inbox.add_argument("--user", required=True, help="the id of the user whose inbox to show")
    inbox.add_argument("--folder", default="inbox", choices=["inbox", "done", "spam"])
    inbox.add_argument("--url", help=f"the database (default: ${URL_VARIABLE}, else ./{DEMO_FILE})")

    report = commands.add(
        "report", help="print how well the loop is closed: scores, response times, closed-loop rate", run=run_report
    )
    report.add_argument("--user", required=True, help="the id of the user whose places the report covers")
    report.add_argument("--place", action="append", help="a place or group id to narrow it to (repeatable)")
    report.add_argument("--since", help="the first day counted, e.g. 2026-03-01 (default: 30 days before --until)")
    report.add_argument("--until", help="the first day no longer counted, e.g. 2026-04-01 (default: now)")
    report.add_argument("--by", help="a trend table per day, week, month, place, group, agent or source")
    report.add_argument("--zone", default="UTC", help="the time zone days are cut in, e.g. Europe/Paris (default UTC)")
    report.add_argument("--window-hours", help="how soon a reply or call closes the loop, in hours (default 48)")
    report.add_argument("--charts", metavar="FOLDER", help="also draw PNG and SVG charts there (needs [plots])")
    report.add_argument("--url", help=f"the database (default: ${URL_VARIABLE}, else ./{DEMO_FILE})")

    worker = commands.add(
        "worker", help="send the outbox: email over SMTP, review replies, with retries", run=run_worker
    )
    worker.add_argument("--url", help=f"the database (default: ${URL_VARIABLE})")
    worker.add_argument("--poll", type=float, default=5.0, help="seconds to wait when nothing is due (default 5)")
    worker.add_argument("--once", action="store_true", help="send what is due now, then stop")

    sync = commands.add(
        "sync", help="bring a review platform's reviews in (its connector plugin must be installed)", run=run_sync
    )
    sync.add_argument("platform", help="the platform, e.g. google_business or google_play")
    sync.add_argument("--url", help=f"the database (default: ${URL_VARIABLE})")
    sync.add_argument(
        "--full", action="store_true", help="read every review, not only those changed since the last sync"
    )

    analyze = commands.add(
        "analyze", help="run the analyzers again over stored feedback (after a taxonomy change)", run=run_analyze
    )
    analyze.add_argument("--url", help=f"the database (default: ${URL_VARIABLE})")
    analyze.add_argument("--place", action="append", help="a place or group id to analyse (default: all; repeatable)")
    analyze.add_argument("--batch-size", type=int, default=500, help="conversations per batch (default 500)")
    analyze.add_argument("--taxonomy", help="a TOML file of concepts and terms (default: the built-in taxonomy)")

    database = commands.add("db", help="database schema: upgrade or status", run=run_database)
    actions = database.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (("upgrade", "bring a database to this closedloop's schema"), ("status", "show its schema")):
        action = actions.add_parser(name, help=text)
        action.add_argument("url", nargs="?", help=f"the database (default: ${URL_VARIABLE})")
    add_plugin_commands(commands)
    return parser


def add_plugin_commands(commands: Commands) -> None:
    """Commands that installed plugins add, such as ``serve`` from closedloop-web."""
    from closedloop.plugins import Hooks, make_plugin_manager
    from closedloop.settings import Settings

    Hooks(make_plugin_manager(Settings()), desk=None).add_commands(commands)


def run_demo(arguments: argparse.Namespace) -> None:
    from closedloop.demo import run

    url = arguments.url or os.environ.get(URL_VARIABLE)
    if not url:
        for leftover in Path(".").glob(f"{DEMO_FILE}*"):
            leftover.unlink()
        url = f"sqlite:///{DEMO_FILE}"
        print(f"A fresh demo database: {DEMO_FILE}")
    run(url=url).close()
    print(f"\nAll of this is stored in {url}; show it again with:")
    print(f"  python -m closedloop inbox --user ana --url {url}")


def show_inbox(arguments: argparse.Namespace) -> None:
    """Only reads: a mistyped SQLite path is refused rather than made into an empty database."""
    from closedloop.demo import show_folder
    from closedloop.desk import Desk
    from closedloop.storage.sql.urls import require_existing

    url = database_url(arguments.url, fallback=f"sqlite:///{DEMO_FILE}")
    require_existing(url)
    with Desk.open(url) as desk:
        show_folder(desk, arguments.user, arguments.folder, print)


def run_report(arguments: argparse.Namespace) -> None:
    """Only reads: a mistyped SQLite path is refused rather than made into an empty database."""
    from closedloop.desk import Desk
    from closedloop.reporting import command
    from closedloop.reporting.charts import write_charts
    from closedloop.reporting.tables import render
    from closedloop.storage.sql.urls import require_existing

    zone = command.zone_named(arguments.zone)
    since = command.day_or_moment(arguments.since, "--since", zone)
    until = command.day_or_moment(arguments.until, "--until", zone)
    window = command.window_of(arguments.window_hours)
    by = command.bucketing_of(arguments.by, bool(arguments.charts), since, until, zone)
    url = database_url(arguments.url, fallback=f"sqlite:///{DEMO_FILE}")
    require_existing(url)
    with Desk.open(url) as desk:
        report = desk.metrics(
            arguments.user, places=arguments.place, since=since, until=until, by=by, zone=zone, window=window
        )
    print(render(report), end="")
    if arguments.charts:
        print(f"\nCharts in {arguments.charts}:")
        for path in write_charts(report, arguments.charts):
            print(f"  {path}")


SMTP_VARIABLES = (
    "host",
    "port",
    "security",
    "username",
    "password",
    "sender",
    "sender_name",
    "reply_to",
    "smtputf8",
)


def smtp_from_environment() -> dict[str, object] | None:
    """SMTP settings from ``CLOSEDLOOP_SMTP_HOST``, ``..._PORT``, ``..._SENDER`` and the rest, if set."""
    found: dict[str, object] = {}
    for name in SMTP_VARIABLES:
        value = os.environ.get(f"CLOSEDLOOP_SMTP_{name.upper()}")
        if value:
            found[name] = environment_value(f"CLOSEDLOOP_SMTP_{name.upper()}", name, value)
    return found or None


def environment_value(variable: str, name: str, value: str) -> object:
    """A setting read from the environment as the SMTP settings take it: the port a number, smtputf8 a flag."""
    if name == "port":
        if not value.strip().isdigit():
            raise InvalidInput(f"{variable} must be a port number such as 587; got {value!r}")
        return int(value)
    if name == "smtputf8":
        flags = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
        if value.strip().lower() not in flags:
            raise InvalidInput(f"{variable} must be yes or no; got {value!r}")
        return flags[value.strip().lower()]
    return value


def describe(report: DispatchReport) -> str:
    return f"sent {report.sent}, failed {report.failed}, to retry {report.retrying}"


def run_worker(arguments: argparse.Namespace) -> None:
    import signal
    import threading

    from closedloop.desk import Desk

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Desk.open(database_url(arguments.url), smtp=smtp_from_environment()) as desk:
        print(f"closedloop worker: channels {', '.join(sorted(desk.registry.channels))}", flush=True)
        if arguments.once:
            print(describe(desk.dispatch(limit=None)))
            return
        with contextlib.suppress(KeyboardInterrupt):
            desk.work(stop, arguments.poll, progress=lambda report: print(describe(report), flush=True))


def run_sync(arguments: argparse.Namespace) -> None:
    from closedloop.desk import Desk

    with Desk.open(database_url(arguments.url)) as desk:
        report = desk.sync(
            arguments.platform, full=arguments.full, progress=lambda so_far: print(f"  ... {so_far}", flush=True)
        )
        print(report)


def run_analyze(arguments: argparse.Namespace) -> int:
    """Only an existing database: a mistyped SQLite path is refused rather than made into an empty one."""
    from closedloop.desk import Desk
    from closedloop.storage.sql.urls import require_existing

    url = database_url(arguments.url)
    require_existing(url)
    with Desk.open(url, taxonomy=arguments.taxonomy) as desk:
        report = desk.analyze(places=arguments.place, batch_size=arguments.batch_size, progress=show_progress)
    print(f"\n{report}" if sys.stdout.isatty() else str(report))
    for failure in report.failures:
        print(f"  {failure}")
    return 1 if report.failures else 0


def show_progress(report: AnalysisReport) -> None:
    """One line that grows in a terminal; a line per batch in a log."""
    share = f"{report.analyzed / report.total:.0%}" if report.total else "100%"
    line = f"  analysed {report.analyzed:,} of {report.total:,} ({share}), {report.changed:,} changed"
    print(f"\r{line}" if sys.stdout.isatty() else line, end="" if sys.stdout.isatty() else "\n", flush=True)


def run_database(arguments: argparse.Namespace) -> None:
    from closedloop.storage.sql.migrate import status, upgrade

    url = database_url(arguments.url)
    if arguments.action == "upgrade":
        before, after = upgrade(url)
        print(f"{url}: schema {before or 'empty'} -> {after}" if before != after else f"{url}: already at {after}")
    else:
        print(f"{url}: {status(url)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit status is the command's, or 2 when closedloop refused something."""
    try:
        arguments = build_parser().parse_args(argv)
        run: RunCommand = arguments.run
        return int(run(arguments) or 0)
    except ClosedLoopError as error:
        print(f"closedloop: {error}", file=sys.stderr)
        return 2
