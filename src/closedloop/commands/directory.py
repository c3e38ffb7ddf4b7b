"""``closedloop places`` and ``closedloop users``: the desk's places and people from the command line, so a
database made with ``closedloop db upgrade`` can take an import and be worked from ``closedloop inbox`` without
writing Python first."""

from __future__ import annotations

import click

from closedloop.cli import examples, open_desk, url_option
from closedloop.domain.people import Place, Role, User
from closedloop.hookspecs import hookimpl
from closedloop.terminal import printable


@click.group(
    epilog=examples(
        'closedloop places add paris-opera "Chez Closedloop Opéra" --url sqlite:///feedback.db',
        "closedloop places list --user admin --url sqlite:///feedback.db",
    )
)
def places() -> None:
    """Add the places feedback is for, or list those a user sees."""


@places.command(
    "add",
    epilog=examples(
        'closedloop places add paris-opera "Chez Closedloop Opéra" --url sqlite:///feedback.db',
        note="The id is what files and feedback name the place by (or what a mapping's [places] gives); the name "
        "signs public replies.",
    ),
)
@click.argument("place_id", metavar="ID")
@click.argument("name")
@click.option("--replace", is_flag=True, help="Rename a place that exists already, rather than refuse.")
@url_option
def add_place(place_id: str, name: str, replace: bool, url: str | None) -> None:
    """Add a place to the desk (a shop, a restaurant, an app)."""
    with open_desk(url) as desk:
        place = desk.add_place(Place(id=place_id, name=name), replace=replace)
    print(printable(f"place {place.id}: {place.name}"))


@places.command("list", epilog=examples("closedloop places list --user admin --url sqlite:///feedback.db"))
@click.option("--user", required=True, help="The user whose places are listed (an admin sees every one).")
@url_option
def list_places(user: str, url: str | None) -> None:
    """List the places a user sees, by name, with their ids."""
    with open_desk(url) as desk:
        seen = desk.places(user)
    for place in seen.places:
        print(printable(f"{place.id}\t{place.name}"))
    if not seen.places:
        print("no places yet; add one with `closedloop places add ID NAME`")


@click.group(
    epilog=examples(
        'closedloop users add admin "Ada Admin" --role admin --url sqlite:///feedback.db',
        'closedloop users add ana "Ana Roux" --place paris-opera --email ana@example.com',
    )
)
def users() -> None:
    """Add the people who work the inbox."""


@users.command(
    "add",
    epilog=examples(
        'closedloop users add admin "Ada Admin" --role admin --url sqlite:///feedback.db',
        'closedloop users add ana "Ana Roux" --place paris-opera --place lyon --email ana@example.com',
        note="An admin sees every place; a manager or agent the places given with --place. Then "
        "`closedloop inbox --user ID` shows their inbox.",
    ),
)
@click.argument("user_id", metavar="ID")
@click.argument("name")
@click.option("--role", type=click.Choice([role.value for role in Role]), default=Role.AGENT.value, show_default=True)
@click.option("--place", "place_ids", multiple=True, help="A place the user works on (repeat for several).")
@click.option("--email", default="", help="Where hand-offs to this user are emailed.")
@click.option("--replace", is_flag=True, help="Change a user that exists already, rather than refuse.")
@url_option
def add_user(
    user_id: str, name: str, role: str, place_ids: tuple[str, ...], email: str, replace: bool, url: str | None
) -> None:
    """Add a user to the desk."""
    made = User(id=user_id, name=name, role=role, email=email, places=set(place_ids))
    with open_desk(url) as desk:
        user = desk.add_user(made, replace=replace)
    where = "every place" if user.role is Role.ADMIN else ", ".join(sorted(user.places)) or "no place yet"
    print(printable(f"user {user.id}: {user.name}, {user.role.value}, {where}"))


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(places)
    cli.add_command(users)
