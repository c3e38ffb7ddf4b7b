"""Intake into SQLite: ``desk.ingest_many`` against raw ``sqlite3.executemany`` of the same rows.

Both sides get their input made in advance, a chunk at a time, so only the intake itself is timed: the
desk gets Feedback objects; the baseline gets the very rows the desk's store wrote for them (read back from
the desk's database), in the same order and transactions of the same size, into a database with the same
schema, indexes and settings (WAL, synchronous=NORMAL, foreign keys checked).
"""

from __future__ import annotations

import resource
import sqlite3
import sys
import time
from pathlib import Path

from feedback_data import feedback_items, place_ids

from closedloop import Desk, Place
from closedloop.storage.sql import schema

CHUNK = 10_000
BATCH = 1_000
COLUMNS = [column.name for column in schema.conversations.columns]


def new_desk(path: Path, places: list[str]) -> Desk:
    path.unlink(missing_ok=True)
    desk = Desk.open(f"sqlite:///{path}", load_entry_points=False)
    for place_id in places:
        desk.add_place(Place(id=place_id, name=place_id.replace("-", " ").title()))
    return desk


def time_ingest_many(path: Path, count: int, places: list[str]) -> float:
    """Seconds ``ingest_many`` spends taking ``count`` items in, a chunk made in advance at a time."""
    desk = new_desk(path, places)
    spent = 0.0
    for start in range(0, count, CHUNK):
        chunk = list(feedback_items(min(CHUNK, count - start), places, start=start))
        began = time.perf_counter()
        report = desk.ingest_many(chunk, batch_size=BATCH)
        spent += time.perf_counter() - began
        assert report.ingested == len(chunk), report
    desk.close()
    return spent


def time_raw_sqlite(path: Path, written_by_desk: Path, count: int, places: list[str]) -> float:
    """Seconds raw ``executemany`` spends inserting the very rows the desk wrote, in its order and batches.

    The rows are read back from the desk's database (untimed), so ids, times and documents are the same
    bytes on both sides; only the work around them differs.
    """
    new_desk(path, places).close()  # the same schema and indexes, made by closedloop's migrations
    source = sqlite3.connect(written_by_desk)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    columns = ", ".join(COLUMNS)
    statement = f"INSERT INTO cl_conversations ({columns}) VALUES ({', '.join('?' * len(COLUMNS))})"
    spent = 0.0
    for start in range(0, count, CHUNK):
        rows = source.execute(
            f"SELECT {columns} FROM cl_conversations WHERE rowid > ? ORDER BY rowid LIMIT ?", (start, CHUNK)
        ).fetchall()
        began = time.perf_counter()
        for offset in range(0, len(rows), BATCH):
            connection.execute("BEGIN")
            connection.executemany(statement, rows[offset : offset + BATCH])
            connection.execute("COMMIT")
        spent += time.perf_counter() - began
    source.close()
    connection.close()
    return spent


def peak_memory_of_streamed_intake(path: Path, count: int, places: list[str]) -> float:
    """Peak resident memory (MB) of this process while ingest_many streams ``count`` items from a generator."""
    desk = new_desk(path, places)
    report = desk.ingest_many(feedback_items(count, places), batch_size=BATCH)
    assert report.ingested == count, report
    desk.close()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(count: int, folder: Path) -> None:
    places = place_ids(200)
    ours = time_ingest_many(folder / "intake-desk.db", count, places)
    raw = time_raw_sqlite(folder / "intake-raw.db", folder / "intake-desk.db", count, places)
    print(f"intake of {count:,} items into SQLite")
    print(f"  ingest_many            {count / ours:>10,.0f} items/s  ({ours:.1f} s)")
    print(f"  raw sqlite3.executemany {count / raw:>9,.0f} rows/s   ({raw:.1f} s)")
    print(f"  ratio ingest_many / raw  {raw / ours:.2f}  (target at least 0.70)")


if __name__ == "__main__":
    if sys.argv[1] == "memory":
        size, where = int(sys.argv[2]), Path(sys.argv[3])
        print(f"{peak_memory_of_streamed_intake(where / 'intake-memory.db', size, place_ids(200)):.0f}")
    else:
        main(int(sys.argv[1]), Path(sys.argv[2]))
