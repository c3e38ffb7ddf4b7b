"""Intake into SQLite: ``desk.ingest_many`` against raw ``sqlite3.executemany`` of the same rows.

Both sides get their input made in advance, a chunk at a time, so only the intake itself is timed: the
desk gets Feedback objects, the baseline gets the very rows the desk's store writes for them, into a
database with the same schema, indexes and settings (WAL, synchronous=NORMAL, foreign keys checked).
"""

from __future__ import annotations

import resource
import sqlite3
import sys
import time
from pathlib import Path

from feedback_data import feedback_items, place_ids

from closedloop import Desk, Place
from closedloop.domain.rules import open_conversation
from closedloop.storage.sql import schema
from closedloop.storage.sql.store import _conversation_row

CHUNK = 10_000
BATCH = 1_000
COLUMNS = [column.name for column in schema.conversations.columns]


def new_desk(path: Path, places: list[str]) -> Desk:
    path.unlink(missing_ok=True)
    desk = Desk.open(f"sqlite:///{path}", load_entry_points=False)
    for place_id in places:
        desk.add_place(Place(id=place_id, name=place_id.replace("-", " ").title()))
    return desk


def time_both(folder: Path, count: int, places: list[str]) -> tuple[float, float]:
    """Seconds spent by ``ingest_many`` and by raw ``executemany``, a chunk of each in turn.

    Taking turns puts both through the same moments of the machine (disk caches, other work), so their
    ratio holds still from run to run even where the absolute rates do not.
    """
    desk = new_desk(folder / "intake-desk.db", places)
    raw_path = folder / "intake-raw.db"
    new_desk(raw_path, places).close()  # the same schema and indexes, made by closedloop's migrations
    connection = sqlite3.connect(raw_path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    statement = f"INSERT INTO cl_conversations ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    ours = raw = 0.0
    for start in range(0, count, CHUNK):
        chunk = list(feedback_items(min(CHUNK, count - start), places, start=start))
        began = time.perf_counter()
        report = desk.ingest_many(chunk, batch_size=BATCH)
        ours += time.perf_counter() - began
        assert report.ingested == len(chunk), report
        rows = [
            tuple(
                _conversation_row(open_conversation(f"c{start + n:010}", item, now=item.received_at, alert=None), 1)[
                    name
                ]
                for name in COLUMNS
            )
            for n, item in enumerate(chunk)
        ]
        began = time.perf_counter()
        for offset in range(0, len(rows), BATCH):
            connection.execute("BEGIN")
            connection.executemany(statement, rows[offset : offset + BATCH])
            connection.execute("COMMIT")
        raw += time.perf_counter() - began
    desk.close()
    connection.close()
    return ours, raw


def peak_memory_of_streamed_intake(path: Path, count: int, places: list[str]) -> float:
    """Peak resident memory (MB) of this process while ingest_many streams ``count`` items from a generator."""
    desk = new_desk(path, places)
    report = desk.ingest_many(feedback_items(count, places), batch_size=BATCH)
    assert report.ingested == count, report
    desk.close()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(count: int, folder: Path) -> None:
    places = place_ids(200)
    ours, raw = time_both(folder, count, places)
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
