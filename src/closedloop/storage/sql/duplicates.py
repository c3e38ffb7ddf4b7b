"""The database's refusal of a duplicate insert, turned into the error every store raises for it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from closedloop.domain.errors import AlreadyStored

#: PostgreSQL's SQLSTATE for a unique (or primary key) violation.
UNIQUE_VIOLATION = "23505"
#: SQLite's extended result codes for a unique (or primary key) violation.
SQLITE_DUPLICATE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def insert_new(connection: Connection, table: Table, row: Mapping[str, Any], refusal: AlreadyStored) -> None:
    """Insert one row, or raise ``refusal`` when its key is taken, having written nothing.

    ``ON CONFLICT DO NOTHING`` lets the database skip the row instead of failing, so the transaction goes on
    without the savepoint a failed statement would need on PostgreSQL.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    if connection.execute(statement, dict(row)).rowcount != 1:
        raise refusal


@contextmanager
def refused_as(connection: Connection, refusal: AlreadyStored, *, one_statement: bool) -> Iterator[None]:
    """Raise ``refusal`` when the inserts inside break a unique key, having written none of them.

    SQLite takes back a refused statement whole and goes on with the transaction, so one statement needs
    nothing more there. Several statements, or any on PostgreSQL (which refuses every statement after an
    error until the transaction ends), run inside a savepoint, rolled back to on refusal. Any other refusal (a
    NOT NULL or CHECK constraint, a foreign key, a trigger) is no duplicate, and goes up as the database raised it.
    """
    try:
        if one_statement and connection.dialect.name == "sqlite":
            yield
        else:
            with connection.begin_nested():
                yield
    except IntegrityError as error:
        if not is_duplicate(error):
            raise
        raise refusal from None


def is_duplicate(error: IntegrityError) -> bool:
    """Whether the database refused a row because its key is taken, rather than for another constraint."""
    cause = error.orig
    sqlstate = getattr(cause, "sqlstate", None)  # psycopg
    if sqlstate is not None:
        return bool(sqlstate == UNIQUE_VIOLATION)
    error_name = getattr(cause, "sqlite_errorname", None)  # sqlite3, from Python 3.11
    if error_name is not None:
        return error_name in SQLITE_DUPLICATE
    return "UNIQUE constraint failed" in str(cause)
