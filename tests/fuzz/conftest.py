"""Fixtures and the report of the fuzz suite (how long it runs: :mod:`.profiles`).

``CLOSEDLOOP_FUZZ_REPORT=path.json`` writes the number of inputs tried per entry point, and each distinct
failure found, to that file at the end of the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import tally
from .judge import World
from .profiles import DEEP, SURVEY
from .world import STORE_KINDS, Seeded, build_seeded


@pytest.fixture(scope="session")
def seeded_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Seeded]:
    """Each store kind seeded once for the session, built when first asked for."""
    folder = tmp_path_factory.mktemp("fuzz-seeded")
    return _LazySeeded(folder)


class _LazySeeded(dict[str, Seeded]):
    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def __missing__(self, kind: str) -> Seeded:
        self[kind] = build_seeded(kind, self.folder)
        return self[kind]


@pytest.fixture(params=STORE_KINDS)
def world(request: pytest.FixtureRequest, seeded_stores: dict[str, Seeded], tmp_path: Path) -> Iterator[World]:
    """The seeded world on one store kind; each example starts from it as seeded."""
    made = World(seeded_stores[request.param], tmp_path)
    try:
        yield made
    finally:
        made.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("CLOSEDLOOP_FUZZ_REPORT")
    if path and tally.TRIED:
        tally.write(Path(path))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if tally.TRIED:
        report = tally.report()
        broken = sum(entry.get("broke", 0) for entry in report["entry_points"].values())
        terminalreporter.write_line(
            f"fuzz: {report['inputs']} inputs over {len(report['entry_points'])} entry points "
            f"({'deep' if DEEP else 'bounded'}{' survey' if SURVEY else ''} run); "
            f"{len(report['findings'])} distinct failures in {broken} inputs"
        )
