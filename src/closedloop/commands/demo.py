"""``closedloop demo``: the whole loop on sample feedback, stored so that the other commands can show it."""

from __future__ import annotations

from pathlib import Path

import click

from closedloop.cli import DEMO_FILE, examples, url_option
from closedloop.hookspecs import hookimpl


@click.command(
    epilog=examples(
        "closedloop demo",
        "closedloop demo --url sqlite:///sample.db",
        note=f"Without --url or $CLOSEDLOOP_DATABASE_URL it starts a fresh ./{DEMO_FILE}, replacing an earlier one.",
    )
)
@url_option
def demo(url: str | None) -> None:
    """Run the whole loop on sample feedback and show the inbox before and after.

    The database it fills is then there for `closedloop inbox`, `show` and `report` to look at.
    """
    from closedloop.demo import run

    if not url:
        for leftover in Path(".").glob(f"{DEMO_FILE}*"):
            leftover.unlink()
        url = f"sqlite:///{DEMO_FILE}"
        print(f"A fresh demo database: {DEMO_FILE}")
    run(url=url).close()
    print(f"\nAll of this is stored in {url}; show it again with:")
    print(f"  closedloop inbox --user ana --url {url}")


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(demo)
