"""The inbox counts: totals per place, folder and priority, changed in the same transaction as the
conversations, so that counting costs the same at ten thousand conversations as at a million."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, func, select

from closedloop.domain.conversation import CATEGORY_ORDER, Category, Folder
from closedloop.domain.inbox import priority
from closedloop.serialization import encode_plain
from closedloop.storage.sql import schema
from closedloop.storage.sql.rows import MARKS, takes_json_rows

#: A change to the counts: (place id, folder, priority) and how many conversations it adds (or takes away).
CountKey = tuple[str, str, int]

CATEGORY_OF_PRIORITY = {priority(category): category for category in CATEGORY_ORDER}

#: Adding to the counts in the driver's SQL (SQLite and PostgreSQL share the upsert syntax).
_ADD_TO_COUNTS = {
    style: "INSERT INTO cl_inbox_counts (place_id, folder, priority, total) "
    f"VALUES ({mark}, {mark}, {mark}, {mark}) ON CONFLICT (place_id, folder, priority) "
    "DO UPDATE SET total = cl_inbox_counts.total + excluded.total"
    for style, mark in MARKS
}
#: The same from one JSON array. ``WHERE true`` tells SQLite's parser the ON CONFLICT is the upsert's.
_ADD_TO_COUNTS_FROM_JSON = (
    "INSERT INTO cl_inbox_counts (place_id, folder, priority, total) "
    "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?) WHERE true "
    "ON CONFLICT (place_id, folder, priority) DO UPDATE SET total = cl_inbox_counts.total + excluded.total"
)


def add_to_counts(connection: Connection, changes: Mapping[CountKey, int]) -> None:
    """Add to the counts, in key order so that concurrent writers lock rows in the same order."""
    rows = [(*key, number) for key, number in sorted(changes.items()) if number]
    if not rows:
        return
    dialect = connection.dialect
    if takes_json_rows(dialect):
        connection.exec_driver_sql(_ADD_TO_COUNTS_FROM_JSON, (encode_plain(rows),))
    else:
        connection.exec_driver_sql(_ADD_TO_COUNTS[dialect.paramstyle], rows)


def read_counts(connection: Connection, place_ids: frozenset[str] | None) -> Mapping[tuple[Folder, Category], int]:
    """How many conversations of these places (None: all) are in each folder and category."""
    table = schema.inbox_counts
    statement = select(table.c.folder, table.c.priority, func.sum(table.c.total).label("total")).group_by(
        table.c.folder, table.c.priority
    )
    if place_ids is not None:
        if not place_ids:
            return {}
        statement = statement.where(table.c.place_id.in_(sorted(place_ids)))
    return {
        (Folder(row.folder), CATEGORY_OF_PRIORITY[row.priority]): int(row.total)
        for row in connection.execute(statement)
        if row.total
    }
