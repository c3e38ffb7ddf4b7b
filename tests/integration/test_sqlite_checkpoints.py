"""The write-ahead log of a SQLite file during bulk intake: checkpointed on a thread of its own, kept to a
bounded size, and left as SQLite keeps it otherwise once the intake ends (issue 3, "Durable storage")."""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from closedloop import Desk, Feedback, IngestReport, Place
from closedloop.storage.sql import SqlStore
from closedloop.storage.sql.checkpoints import AUTOCHECKPOINT_PAGES, Checkpointer
from survey_answers import survey_answers

PAGE_BYTES = 4096
BATCH = 200


def items(count: int, prefix: str = "fb") -> Iterator[Feedback]:
    """Feedback of about a kilobyte each, as survey answers with a long comment."""
    return survey_answers(prefix, count, comment="the staff were kind and the room was clean " * 22)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with Desk.open(f"sqlite:///{tmp_path / 'feedback.db'}", load_entry_points=False) as opened:
        opened.add_place(Place(id="p1", name="Place 1"))
        yield opened


def checkpointer_of(desk: Desk) -> Checkpointer:
    assert isinstance(desk.store, SqlStore) and desk.store.checkpoints is not None
    return desk.store.checkpoints


def autocheckpoint_of_next_transaction(desk: Desk) -> int:
    assert isinstance(desk.store, SqlStore)
    with desk.store.transaction() as tx:
        pages: int = tx.connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    return pages


def log_bytes(tmp_path: Path) -> int:
    log = tmp_path / "feedback.db-wal"
    return log.stat().st_size if log.exists() else 0


def test_the_log_stays_bounded_however_much_a_bulk_intake_writes(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow disk: each checkpoint takes as long as several commits, so without a restart the log would only
    grow, and a writer running ahead of the checkpoints would restart it late."""
    copy_back = Checkpointer._checkpoint

    def slowly(self: Checkpointer, database: object, seen: int) -> None:
        time.sleep(0.1)
        copy_back(self, database, seen)

    monkeypatch.setattr(Checkpointer, "_checkpoint", slowly)
    checkpointer_of(desk).restart_pages = 300
    sizes: list[int] = []

    report = desk.ingest_many(items(9_000), batch_size=BATCH, progress=lambda _r: sizes.append(log_bytes(tmp_path)))

    assert report.ingested == 9_000
    written = (tmp_path / "feedback.db").stat().st_size
    # the log starts again each time it reaches 300 pages, after the two batches the writer may run ahead;
    # left to grow, it would end as large as all that was written
    assert written > 15 * 300 * PAGE_BYTES
    assert max(sizes) < written / 6, (written, sizes)


def test_commits_checkpoint_as_usual_again_once_the_intake_ends(desk: Desk) -> None:
    seen_during: list[tuple[bool, int]] = []

    def look(_report: IngestReport) -> None:
        seen_during.append((checkpointer_of(desk).active, autocheckpoint_of_next_transaction(desk)))

    desk.ingest_many(items(1_000), batch_size=BATCH, progress=look)

    assert seen_during and all(pair == (True, 0) for pair in seen_during), seen_during
    assert not checkpointer_of(desk).active
    assert "closedloop-checkpoints" not in {thread.name for thread in threading.enumerate()}
    assert autocheckpoint_of_next_transaction(desk) == AUTOCHECKPOINT_PAGES


def test_everything_committed_is_copied_back_to_the_database_file_when_the_intake_ends(
    desk: Desk, tmp_path: Path
) -> None:
    desk.ingest_many(items(2_000), batch_size=BATCH)

    # the database file alone, as a backup that copies only it would see it
    shutil.copyfile(tmp_path / "feedback.db", tmp_path / "copy.db")
    with contextlib.closing(sqlite3.connect(tmp_path / "copy.db")) as copy:
        assert copy.execute("SELECT count(*) FROM cl_conversations").fetchone() == (2_000,)


def test_when_checkpointing_fails_the_intake_goes_on_and_commits_checkpoint_again(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(self: Checkpointer, database: object, seen: int) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Checkpointer, "_checkpoint", failing)
    seen_during: list[int] = []

    def look(_report: IngestReport) -> None:
        deadline = time.monotonic() + 10
        while checkpointer_of(desk).active and time.monotonic() < deadline:  # the first pass fails soon
            time.sleep(0.01)
        seen_during.append(autocheckpoint_of_next_transaction(desk))

    with caplog.at_level(logging.WARNING, logger="closedloop.storage.sql.checkpoints"):
        report = desk.ingest_many(items(1_000), batch_size=BATCH, progress=look)

    assert report.ingested == 1_000
    assert "checkpointing on a thread failed" in caplog.text
    assert seen_during == [AUTOCHECKPOINT_PAGES] * 5
    assert autocheckpoint_of_next_transaction(desk) == AUTOCHECKPOINT_PAGES


def test_two_intakes_at_once_share_one_checkpointing_thread_until_both_end(desk: Desk) -> None:
    first_progress = threading.Event()
    second_done = threading.Event()
    results: list[IngestReport] = []

    def first() -> None:
        def wait_for_second(_report: IngestReport) -> None:
            first_progress.set()
            second_done.wait(timeout=30)

        results.append(desk.ingest_many(items(600, "first"), batch_size=BATCH, progress=wait_for_second))

    thread = threading.Thread(target=first)
    thread.start()
    assert first_progress.wait(timeout=30)
    results.append(desk.ingest_many(items(600, "second"), batch_size=BATCH))
    assert checkpointer_of(desk).active  # the first intake still runs
    second_done.set()
    thread.join(timeout=60)

    assert [report.ingested for report in results] == [600, 600]
    assert not checkpointer_of(desk).active
    assert autocheckpoint_of_next_transaction(desk) == AUTOCHECKPOINT_PAGES


def test_when_the_thread_cannot_start_nothing_is_written_and_commits_still_checkpoint(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_start(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patched:
        patched.setattr(threading.Thread, "start", cannot_start)
        with pytest.raises(RuntimeError, match="can't start new thread"):
            desk.ingest_many(items(400), batch_size=BATCH)

    assert not checkpointer_of(desk).active
    assert autocheckpoint_of_next_transaction(desk) == AUTOCHECKPOINT_PAGES
    assert desk.ingest_many(items(400), batch_size=BATCH).ingested == 400
