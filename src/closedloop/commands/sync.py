"""``closedloop sync PLATFORM``: bring a review platform's reviews in, through its connector plugin."""

from __future__ import annotations

import click

from closedloop.cli import examples, open_desk, url_option
from closedloop.hookspecs import hookimpl
from closedloop.terminal import printable


@click.command(
    epilog=examples(
        "closedloop sync google_business --url sqlite:///feedback.db",
        "closedloop sync google_play --full",
        note="Only reviews changed since the last complete sync are read, unless --full.",
    )
)
@click.argument("platform")
@url_option
@click.option("--full", is_flag=True, help="Read every review, not only those changed since the last sync.")
def sync(platform: str, url: str | None, full: bool) -> None:
    """Bring a review platform's reviews in (its connector plugin must be installed).

    PLATFORM is the platform's name, e.g. google_business or google_play.
    """
    with open_desk(url, must_exist=False) as desk:  # intake: a new database is made, as at the first sync
        report = desk.sync(platform, full=full, progress=lambda so_far: print(f"  ... {so_far}", flush=True))
        print(printable(str(report)))  # a platform's error messages are not ours to trust


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(sync)
