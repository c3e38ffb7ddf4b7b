"""``closedloop db upgrade`` and ``closedloop db status``: the database schema, before and after an upgrade."""

from __future__ import annotations

import click

from closedloop.cli import database_url, examples, require_database, url_option
from closedloop.domain.errors import InvalidInput
from closedloop.hookspecs import hookimpl


@click.group(
    epilog=examples(
        "closedloop db status --url sqlite:///feedback.db", "closedloop db upgrade --url sqlite:///feedback.db"
    )
)
def db() -> None:
    """See or upgrade the schema of a database."""


def the_url(positional: str | None, option: str | None) -> str:
    """The URL given either way: as ``--url`` (or the environment), or as the argument earlier versions took."""
    if positional and option and positional != option:
        raise InvalidInput(f"two databases given, {positional} and --url {option}; give one")
    return database_url(positional or option)


@db.command(
    epilog=examples(
        "closedloop db upgrade --url sqlite:///feedback.db",
        "closedloop db upgrade postgresql+psycopg://app@localhost/feedback",
    )
)
@click.argument("database", metavar="[URL]", required=False)
@url_option
def upgrade(database: str | None, url: str | None) -> None:
    """Create a database, or bring one to this closedloop's schema, keeping every row.

    The URL may be given as --url, as the argument, or in $CLOSEDLOOP_DATABASE_URL.
    """
    from closedloop.storage.sql.migrate import upgrade as upgrade_schema

    url = the_url(database, url)
    before, after = upgrade_schema(url)
    print(f"{url}: schema {before or 'empty'} -> {after}" if before != after else f"{url}: already at {after}")


@db.command(epilog=examples("closedloop db status --url sqlite:///feedback.db"))
@click.argument("database", metavar="[URL]", required=False)
@url_option
def status(database: str | None, url: str | None) -> None:
    """Show a database's schema and whether it needs `closedloop db upgrade`; it never creates one.

    The URL may be given as --url, as the argument, or in $CLOSEDLOOP_DATABASE_URL.
    """
    from closedloop.storage.sql.migrate import status as schema_status

    url = the_url(database, url)
    require_database(url)
    print(f"{url}: {schema_status(url)}")


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(db)
