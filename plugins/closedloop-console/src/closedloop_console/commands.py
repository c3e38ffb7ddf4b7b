"""``closedloop console``: the console run alone, and ``closedloop console hash-password`` for its password file."""

from __future__ import annotations

import gc
import os
import socket

import click

from closedloop import Desk, NotFound
from closedloop.cli import DEMO_FILE, database_url, examples, open_desk, smtp_from_environment, url_option
from closedloop_console.passwords import hash_password, read_password_file

#: Where ``console`` reads the key that signs its sessions, so that they outlive a restart.
SECRET_VARIABLE = "CLOSEDLOOP_CONSOLE_SECRET_KEY"
PASSWORDS_VARIABLE = "CLOSEDLOOP_CONSOLE_PASSWORDS"


@click.group(
    invoke_without_command=True,
    epilog=examples(
        "closedloop console --passwords passwords.toml",
        "closedloop console --url sqlite:///feedback.db --passwords passwords.toml --host 0.0.0.0 --port 8080",
        "closedloop console hash-password",
        note=(
            f"Without --url or $CLOSEDLOOP_DATABASE_URL it serves ./{DEMO_FILE}, the demo's database. "
            f"${SECRET_VARIABLE} signs the sessions; without it they end when the console stops."
        ),
    ),
)
@url_option
@click.option(
    "--passwords",
    "password_file",
    envvar=PASSWORDS_VARIABLE,
    type=click.Path(dir_okay=False),
    help='A TOML file of user = "argon2 hash" lines (see hash-password).',
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port to listen on (1-65535)."
)
@click.option("--https-only", is_flag=True, help="Mark the session cookie Secure (behind an HTTPS proxy).")
@click.pass_context
def console(
    context: click.Context, url: str | None, password_file: str | None, host: str, port: int, https_only: bool
) -> None:
    """Serve the agent console with its own sign-in: the inbox and the customer file in a browser."""
    if context.invoked_subcommand is not None:
        return
    import uvicorn

    from closedloop_console.app import create_app

    if password_file is None:
        raise click.UsageError(
            'the console needs --passwords FILE (user = "argon2 hash" lines); make a hash with '
            "`closedloop console hash-password`"
        )
    hashes = read_password_file(password_file)
    if not hashes:
        raise click.UsageError(f'the password file {password_file} names nobody: add a user = "argon2 hash" line')
    secret = os.environ.get(SECRET_VARIABLE) or None
    if secret is not None and len(secret) < 32:
        raise click.UsageError(
            f"${SECRET_VARIABLE} must be at least 32 characters; make one with secrets.token_urlsafe()"
        )
    url = database_url(url, fallback=f"sqlite:///{DEMO_FILE}")
    if url.startswith("memory:"):
        raise click.UsageError("the console needs a database with users (--url sqlite:///...); memory:// is empty")
    check_address(host, port)
    # The outbox's email goes out through `closedloop worker`; the same CLOSEDLOOP_SMTP_* settings give this
    # desk its email channel, so that a reply by email can be queued at all
    with open_desk(url, smtp=smtp_from_environment()) as desk:
        check_users(desk, hashes, password_file)
        app = create_app(desk, passwords=hashes, secret_key=secret, https_only=https_only)
        # The start-up's objects (modules, templates, the database's metadata) live as long as the process: kept out
        # of the full collections, those take a few ms instead of pausing every request for over 100 ms
        gc.collect()
        gc.freeze()
        lasting = "" if secret else f" (sessions end when it stops: set ${SECRET_VARIABLE} to keep them)"
        print(f"closedloop: console on http://{host}:{port}/, on {url}{lasting}", flush=True)
        uvicorn.run(app, host=host, port=port, log_level="info")


@console.command(
    "hash-password",
    epilog=examples(
        "closedloop console hash-password",
        note='Then add a line ana = "<the hash>" for that user to the --passwords file.',
    ),
)
def hash_password_command() -> None:
    """Read a password without echo, twice, and print its argon2 hash for the --passwords file."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    click.echo(hash_password(password))


def check_address(host: str, port: int) -> None:
    """Refuse, before saying the console is on, an address that does not resolve or a port already taken."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise click.UsageError(f"--host {host!r} is not an address of this machine or a name that resolves") from None
    family, kind, protocol, _, address = found[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise click.UsageError(
                f"cannot listen on {host}:{port} ({error.strerror}); choose another --port or --host"
            ) from None


def check_users(desk: Desk, hashes: dict[str, str], password_file: str) -> None:
    """Refuse a password for someone the desk does not know: that line could never sign in."""
    for user_id in hashes:
        try:
            desk.user(user_id)
        except NotFound:
            raise click.UsageError(
                f"{user_id!r} in {password_file} is not a user of the desk; add the user or remove the line"
            ) from None
