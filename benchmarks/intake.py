"""Intake into SQLite: ``desk.ingest_many`` against raw ``sqlite3.executemany`` of the same rows.

The two sides take turns, a round of ``ROUND`` items each, so a disk or processor that changes speed during
the run slows both alike, and both databases grow alike. Each side gets its input made in advance, so only
the intake itself is timed: the desk gets Feedback objects; the baseline gets the very rows the desk's store
wrote in that round (read back from the desk's database: each conversation, the facts the metrics read and the
words searches find it by),
in the same order and transactions of the same size, into a database with the same schema, indexes and
settings (WAL, synchronous=NORMAL, foreign keys). A second raw side, in the same turns, puts each batch's
facts and search rows in with one statement reading them from a JSON array, as the desk's store does (SQLite
keeps the full-text index about three times faster so): the stronger baseline. The offline analyzer is
blocked: it is the same work on both sides' behalf, and ``analysis.py`` measures it.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import time
from pathlib import Path

from feedback_data import feedback_items, place_ids

from closedloop import Desk, Place
from closedloop.storage.sql import schema

ROUND = 50_000
BATCH = 1_000
COLUMNS = [column.name for column in schema.conversations.columns]
INSERT = f"INSERT INTO cl_conversations ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
#: The tables the store writes beside each conversation (the metrics' facts, the search words, whose full-text
#: index the schema's triggers keep on both sides), with their columns.
FACT_TABLES = [(table.name, [column.name for column in table.columns]) for table in (schema.facts, schema.search)]
ANALYZER = "closedloop.analysis.offline"


def insert(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def insert_at_once(table: str, columns: list[str]) -> str:
    """The rows of a batch in one statement, given as one JSON array of arrays."""
    values = ", ".join(f"value ->> {index}" for index in range(len(columns)))
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM json_each(?)"


def facts_of_round(written: sqlite3.Connection, ids: set[str]) -> list[dict[str, list[tuple[object, ...]]]]:
    """Each facts table's rows of these conversations, by conversation id."""
    found = []
    for table, columns in FACT_TABLES:
        at = columns.index("conversation_id")
        rows: dict[str, list[tuple[object, ...]]] = {}
        for row in written.execute(f"SELECT {', '.join(columns)} FROM {table}"):
            if row[at] in ids:
                rows.setdefault(row[at], []).append(row)
        found.append(rows)
    return found


def new_desk(path: Path, places: list[str]) -> Desk:
    path.unlink(missing_ok=True)
    desk = Desk.open(f"sqlite:///{path}", load_entry_points=False, blocked_plugins=[ANALYZER])
    for place_id in places:
        desk.add_place(Place(id=place_id, name=place_id.replace("-", " ").title()))
    return desk


def raw_connection(path: Path, places: list[str]) -> sqlite3.Connection:
    """A database with closedloop's schema and indexes (made by its migrations), opened with plain sqlite3."""
    new_desk(path, places).close()
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def time_rounds(folder: Path, count: int, places: list[str]) -> tuple[float, float, float]:
    """Seconds ``ingest_many``, raw ``executemany``, and raw with facts and search rows a statement a batch,
    spend on ``count`` items, taking turns a round each."""
    desk = new_desk(folder / "intake-desk.db", places)
    written = sqlite3.connect(folder / "intake-desk.db")
    raw = raw_connection(folder / "intake-raw.db", places)
    raw_at_once = raw_connection(folder / "intake-raw-at-once.db", places)
    ours = baseline = at_once = 0.0
    for start in range(0, count, ROUND):
        items = list(feedback_items(min(ROUND, count - start), places, start=start))
        began = time.perf_counter()
        report = desk.ingest_many(items, batch_size=BATCH)
        ours += time.perf_counter() - began
        assert report.ingested == len(items), report

        rows = written.execute(
            f"SELECT {', '.join(COLUMNS)} FROM cl_conversations WHERE rowid > ? ORDER BY rowid", (start,)
        ).fetchall()
        assert len(rows) == len(items)
        at = COLUMNS.index("id")
        facts = facts_of_round(written, {row[at] for row in rows})
        batches = []
        for offset in range(0, len(rows), BATCH):
            batch = rows[offset : offset + BATCH]
            ids = [row[at] for row in batch]
            batches.append([(INSERT, batch)] + [
                (insert(table, columns), [row for conversation_id in ids for row in by_id.get(conversation_id, ())])
                for (table, columns), by_id in zip(FACT_TABLES, facts, strict=True)
            ])  # fmt: skip
        began = time.perf_counter()
        for batch in batches:
            raw.execute("BEGIN")
            for statement, values in batch:
                raw.executemany(statement, values)
            raw.execute("COMMIT")
        baseline += time.perf_counter() - began
        began = time.perf_counter()
        for batch in batches:
            raw_at_once.execute("BEGIN")
            raw_at_once.executemany(*batch[0])
            for (table, columns), (_statement, values) in zip(FACT_TABLES, batch[1:], strict=True):
                raw_at_once.execute(insert_at_once(table, columns), (json.dumps(values),))
            raw_at_once.execute("COMMIT")
        at_once += time.perf_counter() - began
    desk.close()
    written.close()
    raw.close()
    raw_at_once.close()
    return ours, baseline, at_once


def peak_memory_of_streamed_intake(path: Path, count: int, places: list[str]) -> float:
    """Peak resident memory (MB) of this process while ingest_many streams ``count`` items from a generator."""
    desk = new_desk(path, places)
    report = desk.ingest_many(feedback_items(count, places), batch_size=BATCH)
    assert report.ingested == count, report
    desk.close()
    return peak_resident_megabytes()


def peak_resident_megabytes() -> float:
    """This process's own peak: Linux's ``ru_maxrss`` also counts the process it was forked from (the benchmark
    runner, large after the intake rounds), so the high-water mark of this program's memory is read instead."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(count: int, folder: Path) -> None:
    ours, raw, at_once = time_rounds(folder, count, place_ids(200))
    print(f"intake of {count:,} items into SQLite, in rounds of {ROUND:,} taken in turn")
    print(f"  ingest_many                     {count / ours:>10,.0f} items/s  ({ours:.1f} s)")
    print(f"  raw sqlite3.executemany         {count / raw:>10,.0f} rows/s   ({raw:.1f} s)")
    print(f"  raw, facts and search at once   {count / at_once:>10,.0f} rows/s   ({at_once:.1f} s)")
    print(f"  ratio ingest_many / raw  {raw / ours:.2f}  (target at least 0.70)")
    print(f"  ratio ingest_many / raw, at once  {at_once / ours:.2f}")


if __name__ == "__main__":
    if sys.argv[1] == "memory":
        size, where = int(sys.argv[2]), Path(sys.argv[3])
        print(f"{peak_memory_of_streamed_intake(where / 'intake-memory.db', size, place_ids(200)):.0f}")
    else:
        main(int(sys.argv[1]), Path(sys.argv[2]))
