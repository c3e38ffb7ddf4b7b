"""A database's own errors about its environment, turned into closedloop errors that say what to do.

A missing folder, a read-only file system, a full disk, a file that is not a database or is damaged, a
server that cannot be reached: the driver reports each in its own words and classes. The SQL store turns
them into :class:`StoreUnavailable` at the one place every use case goes through (opening the store and
each transaction), so no use case looks at a driver's exceptions. Errors that point at closedloop itself
(a broken constraint, invalid SQL) are left as they are: they are bugs, and a bug should not pass for a
problem of the disk.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, DBAPIError, InterfaceError, InternalError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from closedloop.domain.errors import ClosedLoopError, ConcurrentUpdate, StoreUnavailable
from closedloop.storage.sql.engine import SQLITE_BUSY_TIMEOUT_SECONDS
from closedloop.storage.sql.urls import sqlite_file, where

# SQLite's primary result codes (an extended code keeps the primary one in its low byte).
_PERM, _BUSY, _LOCKED, _NOMEM, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = (
    3,
    5,
    6,
    7,
    8,
    10,
    11,
    13,
    14,
    26,
)
#: The driver's classes that say something about the database's environment rather than about closedloop.
_SQLITE_ENVIRONMENT = (sqlite3.OperationalError, sqlite3.InternalError)


@contextmanager
def translating(url: URL) -> Iterator[None]:
    """Raise what the block's database errors mean for the database at ``url`` as closedloop errors."""
    try:
        yield
    except (DBAPIError, PoolTimeout, sqlite3.Error) as error:
        meaning = closedloop_error(error, url) or refused(error, url)
        raise meaning from error


def refused(error: Exception, url: URL) -> StoreUnavailable:
    """A database error that says nothing of the environment: the database refused the statement (a trigger,
    a constraint a plugin added, or a fault in closedloop). The caller still gets a closedloop error, with the
    driver's own words, and the transaction was rolled back."""
    driver_error = error.orig if isinstance(error, DBAPIError) else error
    return StoreUnavailable(
        f"the database at {where(url)} refused this action ({_first_line(driver_error)}); nothing of it was "
        "written. If a trigger or a constraint of your own refused it, change the data; otherwise report it "
        "as a closedloop fault"
    )


def closedloop_error(error: Exception, url: URL) -> ClosedLoopError | None:
    """What a driver's error means, for the database at ``url``; None when it is not about the environment."""
    if isinstance(error, PoolTimeout):
        return StoreUnavailable(
            f"every connection to {where(url)} stayed busy for too long; try again, or let the desk use fewer "
            "threads at once"
        )
    driver_error = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(driver_error, sqlite3.Error):
        return _sqlite(driver_error, url)
    sqlstate = getattr(driver_error, "sqlstate", None)
    environmental = isinstance(error, OperationalError | InternalError | InterfaceError) or type(error) is DatabaseError
    return _server(_first_line(driver_error), sqlstate if isinstance(sqlstate, str) else None, environmental, url)


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else "no details"


def _sqlite(error: sqlite3.Error, url: URL) -> ClosedLoopError | None:
    if not (isinstance(error, _SQLITE_ENVIRONMENT) or type(error) is sqlite3.DatabaseError):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    path = sqlite_file(url)
    shown = where(url)
    if path is not None and primary in (_CANTOPEN, _READONLY, _IOERR, _PERM) and _on_read_only_file_system(path):
        return StoreUnavailable(
            f"cannot write the database at {shown}: it is on a read-only file system. closedloop writes to the "
            "file and beside it (its -wal and -shm files); move the database to a writable place, or mount "
            "the file system read-write"
        )
    if primary == _CANTOPEN and path is not None and not path.absolute().parent.is_dir():
        return StoreUnavailable(
            f"cannot open the database at {shown}: the folder {path.absolute().parent} does not exist; check "
            "the path, or create the folder first"
        )
    said = _SQLITE_MEANINGS.get(primary) if primary is not None else None
    if said is None:
        return StoreUnavailable(f"the database at {shown} failed ({error}); nothing was written")
    return StoreUnavailable(said.format(database=shown))


_SQLITE_MEANINGS = {
    _CANTOPEN: (
        "cannot open the database file at {database}: check that the path names a file, not a folder, and "
        "that this process may read and write it and create files in its folder"
    ),
    _PERM: (
        "the operating system refused access to the database at {database}: give this process read and write "
        "access to the file and its folder"
    ),
    _READONLY: (
        "the database at {database} is read-only (the file's permissions, or mode=ro in the URL), and "
        "closedloop needs to write to it and to create its -wal and -shm files beside it: give this process "
        "write access to the file and its folder; nothing was written"
    ),
    _FULL: (
        "the disk holding the database at {database} is full: nothing of this action was written. Free some "
        "space, then try again"
    ),
    _NOTADB: (
        "{database} is not an SQLite database (another kind of file, or an encrypted one); check the path: "
        "closedloop keeps its data in an SQLite file of its own"
    ),
    _CORRUPT: (
        "the database at {database} is damaged (SQLite found a malformed page): restore it from a backup; "
        "the sqlite3 shell's .recover command can save what is still readable"
    ),
    _IOERR: (
        "could not read or write the database at {database} (a disk input/output error): check the disk and "
        "the file system, then try again; nothing was written"
    ),
    _BUSY: (
        "the database at {database} stayed locked by another process for over "
        f"{SQLITE_BUSY_TIMEOUT_SECONDS} seconds; nothing was written: try again, and if it keeps happening, "
        "look for a process holding a long transaction"
    ),
    _NOMEM: "SQLite ran out of memory working on {database}; nothing was written: free some memory and try again",
}
_SQLITE_MEANINGS[_LOCKED] = _SQLITE_MEANINGS[_BUSY]


def _on_read_only_file_system(path: Path) -> bool:
    """Whether the file system holding ``path`` (or, for a file not made yet, its folder) is mounted read-only."""
    for candidate in (path.absolute(), *path.absolute().parents):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def _server(said: str, sqlstate: str | None, environmental: bool, url: URL) -> ClosedLoopError | None:
    """A database server's error by its SQLSTATE (PostgreSQL's, which other servers share in part)."""
    shown = where(url)
    if sqlstate in ("40001", "40P01"):
        return ConcurrentUpdate(
            f"another transaction on {shown} got in the way of this one ({said}); nothing was written: try again"
        )
    if sqlstate == "53100":
        return StoreUnavailable(
            f"the disk of the database server at {shown} is full: nothing of this action was written. Free some "
            "space on the server, then try again"
        )
    if sqlstate == "25006":
        return StoreUnavailable(
            f"the database at {shown} only allows reading (a standby server, or default_transaction_read_only "
            "is on); connect closedloop to the primary server"
        )
    if sqlstate == "42501":
        return StoreUnavailable(
            f"the database user may not do what closedloop needs at {shown} ({said}); grant it the rights on "
            "closedloop's tables (cl_*), or connect as their owner"
        )
    if sqlstate == "42P01":
        return StoreUnavailable(
            f"the database at {shown} lacks one of closedloop's tables ({said}); restore it from a backup"
        )
    if sqlstate == "3D000":
        return StoreUnavailable(f"{said} at {shown}: create the database first (createdb), or check the URL")
    if sqlstate is not None and sqlstate.startswith("28"):
        return StoreUnavailable(f"the server at {shown} refused the login ({said}); check the user and password")
    if sqlstate in ("XX001", "XX002"):
        return StoreUnavailable(f"the database at {shown} is damaged ({said}); restore it from a backup")
    if (sqlstate is None and environmental) or (sqlstate is not None and sqlstate.startswith("08")):
        return StoreUnavailable(
            f"cannot reach the database at {shown} ({said}); check that the server is running and that the "
            "URL's host, port and database name are right"
        )
    if environmental or (sqlstate is not None and sqlstate[:2] in ("53", "57", "58", "XX")):
        return StoreUnavailable(f"the database server at {shown} failed ({said}); nothing was written: try again")
    return None
