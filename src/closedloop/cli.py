"""The ``closedloop`` command (also ``python -m closedloop``), and what it offers plugins that add commands.

The command line is a click group, :data:`cli`. Every command, built-in or not, is added by a plugin's
``closedloop_add_commands(cli)`` hook (the built-in ones live in ``closedloop.commands``), so a plugin's
command is a peer of the built-in ones. The names in ``__all__`` are the public API a plugin may use (see
``docs/plugins.md``); ``docs/cli.md`` describes the commands.

One rule for every command: a :class:`~closedloop.ClosedLoopError` it raises, or a usage mistake click finds,
prints one line ``closedloop: <what to fix>`` on standard error and exits with status 2, never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.exceptions import NoArgsIsHelpError

from closedloop import __version__
from closedloop.domain.errors import ClosedLoopError, InvalidInput, StoreUnavailable
from closedloop.terminal import Advancing, progress_bar

if TYPE_CHECKING:
    from closedloop.desk import Desk

__all__ = [
    "DEMO_FILE",
    "PLUGIN_COMMANDS",
    "URL_VARIABLE",
    "Advancing",
    "CommandLine",
    "cli",
    "command_line",
    "database_url",
    "examples",
    "main",
    "open_desk",
    "progress_bar",
    "require_database",
    "smtp_from_environment",
    "url_option",
]

#: The environment variable ``--url`` falls back to.
URL_VARIABLE = "CLOSEDLOOP_DATABASE_URL"
#: Desk settings every command takes from the environment, so that commands work as the application's desk
#: does: the same phone region, and the same key for the hashes erased reviews keep (``docs/privacy.md``).
#: The desk settings every command takes from the environment, so that it works as the application's desk does:
#: the worker's email says who sends it and links to the reply page, the console offers delegating.
DESK_VARIABLES = {
    "default_region": "CLOSEDLOOP_DEFAULT_REGION",
    "privacy_key": "CLOSEDLOOP_PRIVACY_KEY",
    "business_name": "CLOSEDLOOP_BUSINESS_NAME",
    "reply_link_base": "CLOSEDLOOP_REPLY_LINK_BASE",
    "customer_service_email": "CLOSEDLOOP_CUSTOMER_SERVICE_EMAIL",
}
#: The SQLite file the demo writes, and that ``inbox``, ``show`` and ``report`` read when given no URL.
DEMO_FILE = "closedloop-demo.db"
#: Commands that a plugin not installed would add, and the package that adds them: asked for one, the
#: command line says what to install instead of "no such command". They are not published: each installs
#: from a clone of closedloop, where it lives under ``plugins/``.
PLUGIN_COMMANDS = {"serve": "closedloop-web", "console": "closedloop-console"}

Decorated = TypeVar("Decorated", bound=Callable[..., Any])


def url_option(function: Decorated) -> Decorated:
    """The ``--url URL`` option of a command that opens a database; without it, ``$CLOSEDLOOP_DATABASE_URL``.

    The command receives ``url`` (None when neither is given) and passes it on to :func:`open_desk`.
    """
    option = click.option(
        "--url",
        metavar="URL",
        envvar=URL_VARIABLE,
        show_envvar=True,
        help="The database, e.g. sqlite:///feedback.db or postgresql+psycopg://user@host/db.",
    )
    return option(function)


def database_url(given: str | None, fallback: str | None = None) -> str:
    """The database a command works on: ``given`` (``--url`` or the environment), else ``fallback``;
    :class:`~closedloop.InvalidInput` saying how to give one when there is none."""
    url = given or os.environ.get(URL_VARIABLE) or fallback
    if not url:
        raise InvalidInput(f"give a database with --url (e.g. --url sqlite:///feedback.db) or set {URL_VARIABLE}")
    return url


def open_desk(url: str | None, *, must_exist: bool = True, **settings: Any) -> Desk:
    """The desk on ``url`` (see :func:`database_url`), opened with ``settings``; close it when done.

    With ``must_exist`` (for a command that only reads, or works on data already stored) a database that
    does not exist is refused (see :func:`require_database`) rather than created empty at a mistyped path.
    """
    from closedloop.desk import Desk

    url = database_url(url)
    if must_exist:
        require_database(url)
    for name, variable in DESK_VARIABLES.items():
        if os.environ.get(variable) and settings.get(name) is None:
            settings[name] = os.environ[variable]
    return Desk.open(url, **settings)


def smtp_from_environment() -> dict[str, object] | None:
    """The SMTP settings ``closedloop worker`` reads from ``CLOSEDLOOP_SMTP_*``, or None when none is set.

    Public so that a plugin's command opens its desk with the same email channel as the worker (``smtp=``).
    """
    from closedloop.commands.worker import smtp_from_environment as read

    return read()


def require_database(url: str) -> None:
    """Refuse an SQLite URL whose file does not exist, saying how to create one; other databases are left to
    connect (and say themselves when they cannot)."""
    from closedloop.storage.sql.urls import parsed, sqlite_file

    path = sqlite_file(parsed(url))
    if path is not None and not path.exists():
        raise StoreUnavailable(
            f"no database at {path}; check the path, or create one with `closedloop db upgrade --url {url}`"
            " (or `closedloop demo` for one with sample feedback)"
        )


def examples(*lines: str, note: str = "") -> str:
    """A command's epilog: its example command lines as typed, kept unwrapped, and an optional note after."""
    shown = "\n".join(f"  {line}" for line in lines)
    return f"\b\nExamples:\n{shown}" + (f"\n\n{note}" if note else "")


class CommandLine(click.Group):
    """The ``closedloop`` group: it asks the installed plugins for their commands the first time it needs
    them, refuses two commands of one name, names the package a missing command comes with, and keeps
    every refusal to one line with exit status 2 (see :func:`run`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plugins_asked = False

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name in self.commands:
            raise InvalidInput(f"two commands are called {name!r}: uninstall one of the plugins that add it")
        super().add_command(cmd, name)

    def ask_plugins(self) -> None:
        """Let the built-in command modules and every installed plugin add their commands, once."""
        if self.plugins_asked:
            return
        self.plugins_asked = True
        from closedloop.plugins import Hooks, make_plugin_manager
        from closedloop.settings import Settings

        Hooks(make_plugin_manager(Settings()), desk=None).add_commands(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.ask_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self.ask_plugins()
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name in PLUGIN_COMMANDS and self.get_command(ctx, name) is None:
            package = PLUGIN_COMMANDS[name]
            raise click.UsageError(
                f"`{name}` comes with the {package} plugin: install it from a clone of closedloop "
                f"(pip install -e plugins/{package})"
            )
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """As click runs a group, but a standalone run (``cli()``, click's test runner) keeps the one-line rule."""
        if not standalone_mode:
            return super().main(args, prog_name or "closedloop", complete_var, False, **extra)
        sys.exit(run(self, args))


def command_line() -> CommandLine:
    """A fresh ``closedloop`` group, with the plugins installed now (``main`` runs one per call, so a test can
    change the plugins between calls)."""

    @click.group(cls=CommandLine, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(__version__, prog_name="closedloop", message="%(prog)s %(version)s")
    def closedloop() -> None:
        """Closed-loop customer feedback handling: take feedback in, work the inbox, answer, and measure.

        Start with `closedloop demo`, then `closedloop inbox --user ana`. Each command's --help shows an
        example; commands that use a database take --url or $CLOSEDLOOP_DATABASE_URL.
        """

    return closedloop


#: The ``closedloop`` command line; plugins receive it in ``closedloop_add_commands(cli)``.
cli: CommandLine = command_line()


def run(group: click.Group, argv: Sequence[str] | None) -> int:
    """Run the command line and return its exit status; every refusal is one line on standard error."""
    try:
        result = group.main(list(argv) if argv is not None else None, prog_name="closedloop", standalone_mode=False)
    except ClosedLoopError as error:
        return refuse(str(error))
    except click.UsageError as error:
        return refuse(usage_mistake(error), error.exit_code)
    except click.ClickException as error:
        return refuse(error.format_message(), error.exit_code)
    except click.Abort:
        return refuse("interrupted", 130)
    return result if isinstance(result, int) else 0


def usage_mistake(error: click.UsageError) -> str:
    """What click found wrong, on one line, with where to read more; a group given no command lists its commands
    rather than printing its whole help."""
    context = error.ctx
    if context is None:
        return error.format_message()
    hint = f" (see `{context.command_path} --help`)"
    if isinstance(error, NoArgsIsHelpError) and isinstance(context.command, click.Group):
        names = ", ".join(context.command.list_commands(context))
        return f"`{context.command_path}` needs a command: {names}{hint}"
    return f"{error.format_message()}{hint}"


def refuse(reason: str, status: int = 2) -> int:
    first = reason.strip().splitlines()[0] if reason.strip() else "refused"
    print(f"closedloop: {first}", file=sys.stderr, flush=True)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``closedloop`` command line on ``argv`` (default: the process's arguments); the exit status is the
    command's, or 2 when closedloop refused something."""
    return run(command_line(), argv)
