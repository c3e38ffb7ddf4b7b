"""The ``closedloop`` command (also ``python -m closedloop``).

Commands that need a database take ``--url``; without it they use ``CLOSEDLOOP_DATABASE_URL``, and the demo
falls back to its own SQLite file.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from closedloop import __version__
from closedloop.desk import DispatchReport
from closedloop.domain.errors import ClosedLoopError, InvalidInput

URL_VARIABLE = "CLOSEDLOOP_DATABASE_URL"
DEMO_FILE = "closedloop-demo.db"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="closedloop", description="Closed-loop customer feedback handling.")
    parser.add_argument("--version", action="version", version=f"closedloop {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the whole loop on sample feedback and show the inbox before and after")
    demo.add_argument(
        "--url",
        help=f"an empty database to run in (default: ${URL_VARIABLE}, else a fresh ./{DEMO_FILE})",
    )

    inbox = commands.add_parser("inbox", help="print a user's inbox and counts from a database")
    inbox.add_argument("--user", required=True, help="the id of the user whose inbox to show")
    inbox.add_argument("--folder", default="inbox", choices=["inbox", "done", "spam"])
    inbox.add_argument("--url", help=f"the database (default: ${URL_VARIABLE}, else ./{DEMO_FILE})")

    worker = commands.add_parser("worker", help="send the outbox: email over SMTP, review replies, with retries")
    worker.add_argument("--url", help=f"the database (default: ${URL_VARIABLE})")
    worker.add_argument("--poll", type=float, default=5.0, help="seconds to wait when nothing is due (default 5)")
    worker.add_argument("--once", action="store_true", help="send what is due now, then stop")

    sync = commands.add_parser(
        "sync", help="bring a review platform's reviews in (its connector plugin must be installed)"
    )
    sync.add_argument("platform", help="the platform, e.g. google_business or google_play")
    sync.add_argument("--url", help=f"the database (default: ${URL_VARIABLE})")
    sync.add_argument(
        "--full", action="store_true", help="read every review, not only those changed since the last sync"
    )

    database = commands.add_parser("db", help="database schema: upgrade or status")
    actions = database.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (("upgrade", "bring a database to this closedloop's schema"), ("status", "show its schema")):
        action = actions.add_parser(name, help=text)
        action.add_argument("url", nargs="?", help=f"the database (default: ${URL_VARIABLE})")
    _plugin_commands(commands)
    return parser


def _plugin_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Commands that installed plugins add, such as ``serve`` from closedloop-web."""
    from closedloop.plugins import make_plugin_manager
    from closedloop.settings import Settings

    make_plugin_manager(Settings()).hook.closedloop_add_commands(commands=commands)


def database_url(given: str | None, fallback: str | None = None) -> str:
    url = given or os.environ.get(URL_VARIABLE) or fallback
    if not url:
        raise InvalidInput(f"give a database URL (e.g. sqlite:///feedback.db) or set {URL_VARIABLE}")
    return url


def run_demo(given: str | None) -> None:
    from closedloop.demo import run

    url = given or os.environ.get(URL_VARIABLE)
    if not url:
        for leftover in Path(".").glob(f"{DEMO_FILE}*"):
            leftover.unlink()
        url = f"sqlite:///{DEMO_FILE}"
        print(f"A fresh demo database: {DEMO_FILE}")
    run(url=url).close()
    print(f"\nAll of this is stored in {url}; show it again with:")
    print(f"  python -m closedloop inbox --user ana --url {url}")


def show_inbox(given: str | None, user: str, folder: str) -> None:
    from closedloop.demo import show_folder
    from closedloop.desk import Desk

    with Desk.open(database_url(given, fallback=f"sqlite:///{DEMO_FILE}")) as desk:
        show_folder(desk, user, folder, print)


SMTP_VARIABLES = ("host", "port", "security", "username", "password", "sender", "sender_name", "reply_to")


def smtp_from_environment() -> dict[str, object] | None:
    """SMTP settings from ``CLOSEDLOOP_SMTP_HOST``, ``..._PORT``, ``..._SENDER`` and the rest, if set."""
    found: dict[str, object] = {}
    for name in SMTP_VARIABLES:
        value = os.environ.get(f"CLOSEDLOOP_SMTP_{name.upper()}")
        if value:
            found[name] = int(value) if name == "port" else value
    return found or None


def describe(report: DispatchReport) -> str:
    return f"sent {report.sent}, failed {report.failed}, to retry {report.retrying}"


def run_worker(given: str | None, poll: float, once: bool) -> None:
    import signal
    import threading

    from closedloop.desk import Desk

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Desk.open(database_url(given), smtp=smtp_from_environment()) as desk:
        print(f"closedloop worker: channels {', '.join(sorted(desk.registry.channels))}", flush=True)
        if once:
            print(describe(desk.dispatch(limit=None)))
            return
        with contextlib.suppress(KeyboardInterrupt):
            desk.work(stop, poll, progress=lambda report: print(describe(report), flush=True))


def run_sync(given: str | None, platform: str, full: bool) -> None:
    from closedloop.desk import Desk

    with Desk.open(database_url(given)) as desk:
        report = desk.sync(platform, full=full, progress=lambda so_far: print(f"  ... {so_far}", flush=True))
        print(report)


def run_database(action: str, given: str | None) -> None:
    from closedloop.storage.sql.migrate import status, upgrade

    url = database_url(given)
    if action == "upgrade":
        before, after = upgrade(url)
        print(f"{url}: schema {before or 'empty'} -> {after}" if before != after else f"{url}: already at {after}")
    else:
        print(f"{url}: {status(url)}")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        if getattr(arguments, "run", None) is not None:
            return int(arguments.run(arguments) or 0)
        if arguments.command == "demo":
            run_demo(arguments.url)
        elif arguments.command == "worker":
            run_worker(arguments.url, arguments.poll, arguments.once)
        elif arguments.command == "sync":
            run_sync(arguments.url, arguments.platform, arguments.full)
        elif arguments.command == "inbox":
            show_inbox(arguments.url, arguments.user, arguments.folder)
        else:
            run_database(arguments.action, arguments.url)
    except ClosedLoopError as error:
        print(f"closedloop: {error}", file=sys.stderr)
        return 2
    return 0
