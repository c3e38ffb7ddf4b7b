"""``closedloop inbox``: a page of a user's inbox as a table a person can work from, or as JSON Lines.

The table leads with the conversation id (what ``closedloop show`` takes), then what decides which one to
open first: category, status, place, customer, ratings and the latest thing said. Cells are cut with an
ellipsis to fit the terminal, never wrapped; ``--json`` gives every field in full, for scripts.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import click

from closedloop.cli import DEMO_FILE, database_url, examples, open_desk, url_option
from closedloop.commands.rows import as_json, latest_message, place_name, ratings_text, when
from closedloop.domain.conversation import Category, Conversation, Folder
from closedloop.domain.errors import InvalidInput
from closedloop.domain.inbox import MAX_PAGE, Cursor
from closedloop.domain.people import Place
from closedloop.domain.text import shown
from closedloop.hookspecs import hookimpl
from closedloop.terminal import console, printable, printable_json

if TYPE_CHECKING:  # rich is imported when a table is shown: every desk loads the command modules
    from rich.table import Table

DEFAULT_LIMIT = 20


def readable(word: str) -> str:
    """An enum value as a person reads it: ``pending_action`` is ``pending action``."""
    return word.replace("_", " ")


@attrs.frozen
class Column:
    """A column of the inbox table: how wide it may grow (``cap``), how narrow it may shrink (``floor``), and
    whether a narrow terminal may leave it out (``droppable``, the lowest number first)."""

    header: str
    cap: int
    floor: int
    droppable: int = 0


COLUMNS = (
    Column("Conversation", cap=64, floor=64),  # never cut (its floor above any id): `closedloop show` takes it
    Column("Category", cap=11, floor=8, droppable=4),
    Column("Status", cap=17, floor=8, droppable=3),
    Column("Place", cap=24, floor=20, droppable=5),  # names of places often differ only at their end
    Column("Customer", cap=20, floor=8),
    Column("Ratings", cap=14, floor=7, droppable=2),
    Column("Latest message", cap=10_000, floor=20),
    Column("Updated (UTC)", cap=16, floor=16, droppable=1),
)
MESSAGE = 6  # the index of the latest message, which gives way first
COMFORTABLE_MESSAGE = 40  # as narrow as the latest message goes before the other columns give way
GAP = 2  # between two columns: a space of padding and the divider


def cells(conversation: Conversation, places: Mapping[str, Place]) -> list[str]:
    feedback = conversation.feedback
    texts = [
        conversation.id,
        readable(conversation.category.value),
        readable(conversation.status.value),
        place_name(conversation.place_id, places),
        feedback.contact.name or feedback.contact.email or "anonymous",
        ratings_text(feedback.ratings),
        latest_message(conversation).line(),
        when(conversation.last_updated_at),
    ]
    return [printable(text) for text in texts]  # names and messages come from customers: none may steer the terminal


def layout(rows: Sequence[list[str]], total: int) -> dict[int, int]:
    """The columns shown (by index) and their widths in ``total`` characters. Each column is as wide as its
    widest cell, up to its cap. When the whole is too wide, the latest message gives way first, down to a
    comfortable width; then the other columns, in proportion to what they have above their floors; then the
    message down to its floor. If even that is too wide, a narrow terminal loses the date, then the ratings,
    the status, the category and the place."""
    natural = {
        index: max(len(column.header), min(column.cap, max(len(row[index]) for row in rows)))
        for index, column in enumerate(COLUMNS)
    }
    shown = list(natural)
    for dropping in range(max(column.droppable for column in COLUMNS) + 1):
        shown = [index for index in natural if not 0 < COLUMNS[index].droppable <= dropping]
        widths = fitted({index: natural[index] for index in shown}, total - GAP * (len(shown) - 1))
        if widths is not None:
            return widths
    return {index: min(natural[index], COLUMNS[index].floor) for index in shown}


def fitted(widths: dict[int, int], room: int) -> dict[int, int] | None:
    """``widths`` made to fit in ``room`` as :func:`layout` says; None when even the floors do not fit."""
    widths = dict(widths)
    excess = sum(widths.values()) - room
    comfortable = min(widths[MESSAGE], COMFORTABLE_MESSAGE)
    given = min(max(excess, 0), widths[MESSAGE] - comfortable)
    widths[MESSAGE] -= given
    excess -= given
    if excess > 0:
        others = shrunk({index: width for index, width in widths.items() if index != MESSAGE}, excess)
        excess -= sum(widths[index] - width for index, width in others.items())
        widths |= others
    given = min(max(excess, 0), widths[MESSAGE] - COLUMNS[MESSAGE].floor)
    widths[MESSAGE] -= given
    return widths if excess - given <= 0 else None


def shrunk(widths: dict[int, int], excess: int) -> dict[int, int]:
    """``widths`` less ``excess`` in all, each column giving in proportion to what it has above its floor, and
    none going below it."""
    slack = {index: max(0, width - COLUMNS[index].floor) for index, width in widths.items()}
    total_slack = sum(slack.values())
    if total_slack <= excess:
        return {index: width - slack[index] for index, width in widths.items()}
    taken = {index: excess * each // total_slack for index, each in slack.items()}
    for index in sorted(slack, key=lambda index: slack[index] - taken[index], reverse=True):
        if sum(taken.values()) == excess:
            break
        taken[index] += 1  # what rounding down left over, from the columns with the most to give
    return {index: width - taken[index] for index, width in widths.items()}


def inbox_table(conversations: Sequence[Conversation], places: Mapping[str, Place], total: int) -> Table:
    """One row per conversation, ``total`` characters wide at most, each cell on one line and cut with an
    ellipsis; the id is never cut, since ``show`` needs it whole."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rows = [cells(conversation, places) for conversation in conversations]
    widths = layout(rows, total)
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False)
    for index in sorted(widths):
        table.add_column(COLUMNS[index].header, width=widths[index], no_wrap=True, overflow="ellipsis")
    for row in rows:
        table.add_row(*(Text(row[index]) for index in sorted(widths)))
    return table


def next_page_command(
    user: str, folder: str, category: str | None, places: Sequence[str], limit: int, url: str | None = None
) -> str:
    """The command line that shows the next page, with the ``--url`` it was given (one from the environment
    is there for the next command too)."""
    words = ["closedloop", "inbox", "--user", user]
    if folder != Folder.INBOX.value:
        words += ["--folder", folder]
    if category:
        words += ["--category", category]
    if places:
        words += ["--places", ",".join(places)]
    if limit != DEFAULT_LIMIT:
        words += ["--limit", str(limit)]
    if url:
        words += ["--url", url]
    return shlex.join(words)


def checked_cursor(context: click.Context, parameter: click.Parameter, text: str | None) -> str | None:
    """``--next`` as the desk takes it, refused in the command line's words rather than the library's."""
    if text is not None:
        try:
            Cursor.decode(text)
        except InvalidInput:
            raise click.BadParameter(
                f"{shown(text)} is not a cursor; give the one printed after the previous page", context, parameter
            ) from None
    return text


def split_places(given: tuple[str, ...]) -> list[str]:
    """``--places a,b --places c`` as ``[a, b, c]``."""
    return [name.strip() for item in given for name in item.split(",") if name.strip()]


@click.command(
    epilog=examples(
        "closedloop inbox --user ana",
        "closedloop inbox --user ana --category alert --places paris-opera,lyon-centre",
        "closedloop inbox --user ana --limit 50 --next eyJ...   (the cursor the previous page printed)",
        "closedloop inbox --user ana --folder done --json | jq .latest.text",
        note=f"Without --url or $CLOSEDLOOP_DATABASE_URL it reads ./{DEMO_FILE}, the demo's database. "
        "With --json, the cursor of the next page goes to standard error.",
    )
)
@click.option("--user", required=True, help="The id of the user whose inbox to show.")
@click.option("--folder", type=click.Choice([f.value for f in Folder]), default=Folder.INBOX.value, show_default=True)
@click.option("--category", type=click.Choice([c.value for c in Category]), help="Only on hold, alert or new.")
@click.option("--places", multiple=True, metavar="IDS", help="Only these places or groups, comma-separated.")
@click.option(
    "--limit", type=click.IntRange(1, MAX_PAGE), default=DEFAULT_LIMIT, show_default=True, help="Rows per page."
)
@click.option(
    "--next",
    "cursor",
    metavar="CURSOR",
    callback=checked_cursor,
    help="Show the page after the one that printed this cursor.",
)
@click.option("--json", "as_lines", is_flag=True, help="One JSON object per row, with full texts, for scripts.")
@url_option
def inbox(
    user: str,
    folder: str,
    category: str | None,
    places: tuple[str, ...],
    limit: int,
    cursor: str | None,
    as_lines: bool,
    url: str | None,
) -> None:
    """Show a page of a user's inbox, most urgent first: on hold, then alerts, then new messages.

    It only reads: a database that does not exist is refused, not created.
    """
    from closedloop.demo import counts_line

    chosen = split_places(places)
    from_line = click.get_current_context().get_parameter_source("url") is click.core.ParameterSource.COMMANDLINE
    given_url = url if from_line else None
    with open_desk(database_url(url, fallback=f"sqlite:///{DEMO_FILE}")) as desk:
        page = desk.inbox(user, folder=folder, category=category, places=chosen or None, limit=limit, after=cursor)
        with desk.store.transaction() as tx:
            known = dict(tx.directory.places())
        header = None if as_lines else counts_line(desk, user, chosen or None)
    if as_lines:
        for conversation in page.items:
            click.echo(printable_json(json.dumps(as_json(conversation, known), ensure_ascii=False)))
        if page.next:
            click.echo(f"next page: --next {page.next}", err=True)
        return
    out = console()
    out.print(header, markup=False)
    if page.items:
        out.print(inbox_table(page.items, known, out.width))
    else:
        out.print(f"Nothing in {folder}{' here' if cursor else ''}.", markup=False)
    if page.unreadable:
        out.print(
            printable(f"({len(page.unreadable)} could not be read back: {', '.join(page.unreadable)})"), markup=False
        )
    if page.next:
        out.print(
            f"Next page: {next_page_command(user, folder, category, chosen, limit, given_url)} --next {page.next}",
            markup=False,
            soft_wrap=True,
        )


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(inbox)
