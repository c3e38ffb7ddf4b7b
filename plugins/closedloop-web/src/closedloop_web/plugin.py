"""The entry point of closedloop-web: it adds ``closedloop serve`` to the command line."""

from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.routing import Mount

import closedloop
from closedloop import Desk
from closedloop.cli import DEMO_FILE, URL_VARIABLE, Commands, database_url
from closedloop_web.app import create_app


def standalone_app(desk: Desk) -> Starlette:
    """The reply page mounted at the path of the desk's ``reply_link_base``, as ``serve`` runs it."""
    path = urlsplit(desk.settings.reply_link_base).path.rstrip("/")
    return Starlette(routes=[Mount(path or "/", app=create_app(desk))])


def serve(arguments: argparse.Namespace) -> int:
    import uvicorn

    url = database_url(arguments.url, fallback=f"sqlite:///{DEMO_FILE}")
    base = f"http://{arguments.host}:{arguments.port}/reply/"
    with Desk.open(url, reply_link_base=base) as desk:
        print(f"closedloop: reply links {base}<token>, on {url}", flush=True)
        uvicorn.run(standalone_app(desk), host=arguments.host, port=arguments.port, log_level="info")
    return 0


@closedloop.hookimpl
def closedloop_add_commands(commands: Commands) -> None:
    command = commands.add("serve", help="serve the customers' reply page (closedloop-web)", run=serve)
    command.add_argument("--url", help=f"the database (default: ${URL_VARIABLE}, else ./{DEMO_FILE})")
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    command.add_argument("--port", type=int, default=8000, help="the port to listen on (default 8000)")
