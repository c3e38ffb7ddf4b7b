"""The entry point of closedloop-web: it adds ``closedloop serve`` to the command line."""

from __future__ import annotations

from urllib.parse import urlsplit

import click
from starlette.applications import Starlette
from starlette.routing import Mount

import closedloop
from closedloop import Desk
from closedloop.cli import DEMO_FILE, database_url, examples, open_desk, url_option
from closedloop_web.app import create_app


def standalone_app(desk: Desk) -> Starlette:
    """The reply page mounted at the path of the desk's ``reply_link_base``, as ``serve`` runs it."""
    path = urlsplit(desk.settings.reply_link_base).path.rstrip("/")
    return Starlette(routes=[Mount(path or "/", app=create_app(desk))])


@click.command(
    epilog=examples(
        "closedloop serve",
        "closedloop serve --url sqlite:///feedback.db --host 0.0.0.0 --port 8080",
        note=f"Without --url or $CLOSEDLOOP_DATABASE_URL it serves ./{DEMO_FILE}, the demo's database.",
    )
)
@url_option
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port to listen on (1-65535)."
)
def serve(url: str | None, host: str, port: int) -> None:
    """Serve the customers' reply page: the one-time links in answers sent to customers lead there."""
    import uvicorn

    url = database_url(url, fallback=f"sqlite:///{DEMO_FILE}")
    base = f"http://{host}:{port}/reply/"
    with open_desk(url, reply_link_base=base) as desk:
        print(f"closedloop: reply links {base}<token>, on {url}", flush=True)
        uvicorn.run(standalone_app(desk), host=host, port=port, log_level="info")


@closedloop.hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(serve)
