"""The entry point of closedloop-console: it adds ``closedloop console`` to the command line."""

from __future__ import annotations

import click

import closedloop
from closedloop_console.commands import console


@closedloop.hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(console)
