"""The database's refusal of a duplicate insert, turned into the error every store raises for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from closedloop.domain.errors import AlreadyStored


@contextmanager
def refused_as(connection: Connection, refusal: AlreadyStored, *, one_statement: bool) -> Iterator[None]:
    """Raise ``refusal`` when the inserts inside break a unique key, having written none of them.

    SQLite takes back a refused statement whole and goes on with the transaction, so one statement needs
    nothing more there. Several statements, or any on PostgreSQL (which refuses every statement after an
    error until the transaction ends), run inside a savepoint, rolled back to on refusal.
    """
    try:
        if one_statement and connection.dialect.name == "sqlite":
            yield
        else:
            with connection.begin_nested():
                yield
    except IntegrityError:
        raise refusal from None
