"""The store contract, run by every built-in store, PostgreSQL included.

PostgreSQL runs on a throwaway server the suite starts; without the server's binaries these tests are skipped
on a developer's machine and fail when ``CI`` is set (see ``missing`` in ``tests/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from closedloop.ports import Store
from closedloop.storage.memory import MemoryStore
from closedloop.storage.sql import SqlStore
from closedloop.testing.contract import ReadsBesideWritesContract, StoreContract, WritesInBulkContract


class TestMemoryStore(StoreContract):
    def make_store(self) -> Store:
        return MemoryStore()


class TestSqliteStore(ReadsBesideWritesContract, WritesInBulkContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path

    def make_store(self) -> Store:
        return SqlStore.from_url(f"sqlite:///{self.folder / 'contract.db'}")


class TestInMemorySqliteStore(WritesInBulkContract):
    """One connection that every thread shares: transactions take turns, and the contract holds all the same
    (it cannot read beside a writer, so it does not offer to)."""

    def make_store(self) -> Store:
        return SqlStore.from_url("sqlite://")


class TestPostgresStore(ReadsBesideWritesContract, WritesInBulkContract):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str) -> None:
        self.url = postgres_url

    def make_store(self) -> Store:
        return SqlStore.from_url(self.url)
