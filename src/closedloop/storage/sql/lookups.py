"""One value of a row found by its primary key: how the SQL store reads most of its smaller records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, select


def value_by_key(connection: Connection, column: Column[Any], key: str) -> str | None:
    """``column`` (a JSON document, say) of the row of its table whose primary key is ``key``; None when no
    row has that key."""
    (key_column,) = column.table.primary_key.columns
    value: str | None = connection.execute(select(column).where(key_column == key)).scalar()
    return value
