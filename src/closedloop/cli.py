"""The ``closedloop`` command (also ``python -m closedloop``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from closedloop import __version__
from closedloop.domain.errors import ClosedLoopError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="closedloop", description="Closed-loop customer feedback handling.")
    parser.add_argument("--version", action="version", version=f"closedloop {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("demo", help="run the whole loop on sample feedback and show the inbox before and after")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        if arguments.command == "demo":
            from closedloop.demo import run

            run().close()
    except ClosedLoopError as error:
        print(f"closedloop: {error}", file=sys.stderr)
        return 2
    return 0
