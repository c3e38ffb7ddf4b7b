"""Fixtures shared by every suite: real databases started for the run."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from throwaway_postgres import PostgresServer, find_bindir

_databases = itertools.count(1)


def missing(reason: str) -> None:
    """Skip on a developer's machine without the server; fail in CI, where every suite must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run every suite (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        missing("PostgreSQL binaries (Debian package postgresql) are not installed")
    assert bindir is not None
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A new, empty database on the throwaway server."""
    import psycopg

    name = f"closedloop_test_{next(_databases)}"
    with psycopg.connect(f"host=127.0.0.1 port={postgres_server.port} user=postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return postgres_server.url(name)
