"""Emptying a SQLite write-ahead log, so that the row versions an erasure replaced are in none of the files.

With ``secure_delete`` (set on every connection, :mod:`.engine`) a row deleted or overwritten in the database
file leaves zeros behind, but the log still holds the pages as they were before, until a checkpoint copies it
back and the log starts again. A ``TRUNCATE`` checkpoint does both and cuts the log file to nothing; it cannot
while a reader still uses the log, so it is tried again for a little while.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection

from closedloop.domain.errors import StoreUnavailable

#: How long a scrub waits, in all, for readers of the log to finish.
SCRUB_PATIENCE_SECONDS = 5.0
#: How long each try waits for a reader, in milliseconds, before the next.
TRY_WAIT_MS = 100


def empty_log(connection: Connection, patience: float = SCRUB_PATIENCE_SECONDS) -> None:
    """Copy the log back into the database file and cut it to nothing; :class:`StoreUnavailable` when readers
    kept using it for longer than ``patience`` seconds."""
    database = connection.connection.driver_connection
    if database is None:
        raise RuntimeError("the SQLite connection was closed before its log could be emptied")
    (timeout,) = _one_row(database, "busy_timeout")
    database.execute(f"PRAGMA busy_timeout = {TRY_WAIT_MS}")
    try:
        deadline = time.monotonic() + patience
        while _one_row(database, "wal_checkpoint(TRUNCATE)")[0]:
            if time.monotonic() >= deadline:
                raise StoreUnavailable(
                    "the erased data was removed from the database, but its earlier versions are still in the "
                    f"SQLite log (the -wal file) because another connection kept reading for {patience:.0f} s; "
                    "run the cleanup again (store.scrub()) when the desk is quieter"
                )
            time.sleep(TRY_WAIT_MS / 1000)
    finally:
        database.execute(f"PRAGMA busy_timeout = {timeout}")


def _one_row(database: Any, pragma: str) -> tuple[int, ...]:
    """The one row a pragma answers; read to the end, so the statement holds no lock afterwards."""
    (row,) = database.execute(f"PRAGMA {pragma}").fetchall()
    return tuple(row)
