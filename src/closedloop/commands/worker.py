"""``closedloop worker``: the process that sends the outbox (email over SMTP, review replies), with retries.

Its SMTP settings come from ``CLOSEDLOOP_SMTP_*`` variables, so that a password stays out of the command line.
"""

from __future__ import annotations

import contextlib
import os

import click

from closedloop import DispatchReport
from closedloop.cli import examples, open_desk, url_option
from closedloop.domain.errors import InvalidInput
from closedloop.hookspecs import hookimpl
from closedloop.terminal import printable

SMTP_VARIABLES = ("host", "port", "security", "username", "password", "sender", "sender_name", "reply_to", "smtputf8")


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


@click.command(
    epilog=examples(
        "CLOSEDLOOP_SMTP_HOST=smtp.example.com CLOSEDLOOP_SMTP_SENDER=care@example.com \\",
        "  closedloop worker --url sqlite:///feedback.db",
        "closedloop worker --once",
        note="SMTP settings come from CLOSEDLOOP_SMTP_HOST, _PORT, _SECURITY, _USERNAME, _PASSWORD, _SENDER, "
        "_SENDER_NAME, _REPLY_TO and _SMTPUTF8. It stops on Ctrl-C or SIGTERM.",
    )
)
@url_option
@click.option(
    "--poll",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
def worker(url: str | None, poll: float, once: bool) -> None:
    """Send the outbox: email over SMTP and review replies, retrying what failed for a while."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with open_desk(url, smtp=smtp_from_environment()) as desk:
        print(f"closedloop worker: channels {', '.join(sorted(desk.registry.channels))}", flush=True)
        if once:
            print(printable(describe(desk.dispatch(limit=None))))
            return
        with contextlib.suppress(KeyboardInterrupt):
            desk.work(stop, poll, progress=lambda report: print(printable(describe(report)), flush=True))


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(worker)
