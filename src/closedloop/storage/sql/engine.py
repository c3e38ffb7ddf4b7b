"""Engines for the SQL store, set up for how closedloop uses each database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import NoSuchModuleError
from sqlalchemy.pool import StaticPool

from closedloop.domain.errors import InvalidInput, NotConfigured
from closedloop.storage.sql.urls import for_driver, parsed

SQLITE_BUSY_TIMEOUT_SECONDS = 30
#: The execution option of a connection that only reads: on SQLite it begins without taking the write lock.
READ_ONLY = "closedloop_read_only"


def make_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql+psycopg://...``; nothing is connected yet.

    closedloop's own URL options (:mod:`.urls`) are left out of what the driver sees."""
    given = parsed(url)
    target = for_driver(given)
    try:
        if target.get_backend_name() == "sqlite":
            return _sqlite_engine(target, in_memory=target.database in (None, "", ":memory:"))
        return create_engine(target, pool_pre_ping=True)
    except NoSuchModuleError:
        raise InvalidInput(
            f"no SQLAlchemy dialect for {given.drivername!r}; use sqlite:/// or postgresql+psycopg://"
        ) from None
    except ModuleNotFoundError as error:
        raise NotConfigured(
            f"the database driver {error.name!r} is not installed; for PostgreSQL run "
            "pip install 'closedloop[postgresql]'"
        ) from None


def _sqlite_engine(url: URL, in_memory: bool) -> Engine:
    """SQLite with WAL (readers never wait for the writer) and BEGIN IMMEDIATE (writers queue up at the
    start of a transaction instead of failing half-way when two try to upgrade a read lock); a connection
    marked :data:`READ_ONLY` begins a plain transaction, which reads a snapshot and never waits. With
    ``secure_delete``, what a deleted or overwritten row held is zeroed rather than left in free space, so an
    erased customer's data does not stay in the file (the log is emptied by ``SqlStore.scrub``).

    An in-memory database (``sqlite://``) lives in one connection, shared by every thread.
    """
    if in_memory:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "secure_delete=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reading = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine
