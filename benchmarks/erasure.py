"""Erasing one customer from a large SQLite desk: ``desk.erase_customer(email=...)`` (search, erase, scrub)
against the query a developer would write by hand to find that customer's conversations with plain
``sqlite3`` (a scan comparing each document's email, in lower case), the two taking turns, each run with
another customer.

python benchmarks/erasure.py 100000 FOLDER
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
from pathlib import Path

from feedback_data import add_directory, feedback_items, place_ids

from closedloop import Desk

PLACES = 50
RUNS = 5
HAND_WRITTEN = """
SELECT id FROM cl_conversations
WHERE lower(json_extract(document, '$.feedback.contact.email')) = ?
"""


def filled(size: int, folder: Path) -> Path:
    """A desk of ``size`` survey answers, made once and reused."""
    path = folder / f"erasure-{size}.db"
    if path.exists():
        return path
    with Desk.open(f"sqlite:///{path}") as desk:
        add_directory(desk, place_ids(PLACES), 10)
        desk.ingest_many(feedback_items(size, place_ids(PLACES)), batch_size=5000)
    return path


def email_of(path: Path, number: int) -> str:
    with sqlite3.connect(path) as connection:
        (email,) = connection.execute(
            "SELECT json_extract(document, '$.feedback.contact.email') FROM cl_conversations WHERE external_id = ?",
            (f"response-{number:08}",),
        ).fetchone()
    return str(email)


def by_hand(path: Path, email: str) -> float:
    started = time.perf_counter()
    with sqlite3.connect(path) as connection:
        found = connection.execute(HAND_WRITTEN, (email.lower(),)).fetchall()
    elapsed = time.perf_counter() - started
    assert len(found) == 1, found
    return elapsed


def erased(path: Path, email: str) -> float:
    with Desk.open(f"sqlite:///{path}") as desk:
        started = time.perf_counter()
        report = desk.erase_customer(by="admin", email=email.upper(), reason="benchmark")
        elapsed = time.perf_counter() - started
    assert report.conversations == 1, report
    return elapsed


def main(size: int, folder: Path) -> None:
    path = filled(size, folder)
    with sqlite3.connect(path) as connection:
        (done,) = connection.execute("SELECT count(*) FROM cl_erasures").fetchone()
    ours, theirs = [], []
    for run in range(RUNS):
        email = email_of(path, (done + run) * 7919 % size)  # a customer not erased before, as the file is reused
        theirs.append(by_hand(path, email))
        ours.append(erased(path, email))
    print(f"erasing one customer among {size:,} conversations (SQLite), {RUNS} runs, taking turns:")
    print("  erase_customer: " + ", ".join(f"{value * 1000:.0f} ms" for value in ours))
    print("  hand-written search: " + ", ".join(f"{value * 1000:.0f} ms" for value in theirs))
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"  median: {statistics.median(ours) * 1000:.0f} ms against {statistics.median(theirs) * 1000:.0f} ms: "
          f"erase_customer takes {ratio:.1f} times as long as finding the customer by hand")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
