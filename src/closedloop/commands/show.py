"""``closedloop show ID --user U``: one customer file, everything about one feedback, as the person handling it
reads it (or as JSON, for archiving or another system)."""

from __future__ import annotations

import click

from closedloop.cli import DEMO_FILE, database_url, examples, open_desk, url_option
from closedloop.hookspecs import hookimpl
from closedloop.terminal import console, printable_json


@click.command(
    epilog=examples(
        "closedloop show 0193a1f2c3d4e5f6a7b8c9d0e1f2a3b4 --user ana",
        "closedloop show 0193a1f2c3d4e5f6a7b8c9d0e1f2a3b4 --user ana --json > customer-file.json",
        note="The id is the first column of `closedloop inbox`. "
        f"Without --url or $CLOSEDLOOP_DATABASE_URL it reads ./{DEMO_FILE}, the demo's database.",
    )
)
@click.argument("conversation_id", metavar="ID")
@click.option("--user", required=True, help="The id of the user looking (they must be allowed to see it).")
@click.option("--json", "as_json", is_flag=True, help="The customer file as JSON, for archiving or another system.")
@url_option
def show(conversation_id: str, user: str, as_json: bool, url: str | None) -> None:
    """Print one customer file: the feedback, the customer, the alert, the analysis and the whole history.

    It only reads: a database that does not exist is refused, not created.
    """
    with open_desk(database_url(url, fallback=f"sqlite:///{DEMO_FILE}")) as desk:
        if as_json:
            click.echo(printable_json(desk.export_file(conversation_id, by=user)))
            return
        file = desk.customer_file(conversation_id, by=user)
    from closedloop.commands.customer_view import render

    console().print(render(file))


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(show)
