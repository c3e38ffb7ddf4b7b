"""Checkpoints of a SQLite write-ahead log on a thread of their own, while a bulk intake writes.

SQLite normally copies the log back into the database file in the commit that makes the log long enough,
so that commit also waits for the copy and for two flushes to disk: about half of what committing a batch
of intake costs. During bulk writes the store hands that work to a checkpointing thread, so the disk
flushes while the writer goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

#: SQLite's own default: a commit that leaves the log at this many pages or more copies it back.
AUTOCHECKPOINT_PAGES = 1000


class Checkpointer:
    """Checkpoints the log of one SQLite database on a thread while any bulk writing is under way.

    Its connections then leave checkpoints to the thread, which copies the log back after each commit
    without stopping the writer (a passive checkpoint). A passive checkpoint alone never empties the log,
    because by then the writer has begun its next commit, so the log file would keep growing. A transaction
    waits while the thread is more than ``commits_ahead`` commits behind, so that the size of the log as the
    thread last saw it stays near the truth even when the disk is slow. Once it holds
    ``restart_pages``, the next transaction waits for the thread to copy back what is committed, and for any
    reader still using the log, and then starts the log from its beginning; if a reader takes longer than
    ``restart_wait_ms``, that is tried again after another ``restart_pages``. If checkpointing fails, the
    commits take it back as before.
    """

    restart_pages = 16_384  # 64 MB of 4 KiB pages
    restart_wait_ms = 100
    commits_ahead = 2  # enough to overlap a commit with the copying back of the one before

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._turns = threading.Lock()  # writers arrive and leave one at a time
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._writers = 0
        self._commits = 0  # counted while a thread runs
        self._copied_through = 0  # the commits that a finished pass had seen
        self._log_pages = 0  # after the last pass
        self._restart_at = self.restart_pages
        self._thread: threading.Thread | None = None
        self._failed = False

    @property
    def active(self) -> bool:
        """Whether the thread takes care of checkpoints now, rather than the committing connections."""
        return self._thread is not None and self._thread.is_alive() and not self._failed

    def before_transaction(self, connection: Connection) -> None:
        """Ready a connection about to begin a transaction: it checkpoints in its commits only when the
        thread does not; and when the log is long, it starts it again."""
        database = connection.connection.driver_connection
        if database is None:
            raise RuntimeError("the SQLite connection was closed before its transaction began")
        pages = 0 if self.active else AUTOCHECKPOINT_PAGES
        if connection.info.get("wal_autocheckpoint") != pages:
            database.execute(f"PRAGMA wal_autocheckpoint = {pages}")
            connection.info["wal_autocheckpoint"] = pages
        if self._caught_up_with_long_log():
            (timeout,) = _pragma(database, "busy_timeout")
            database.execute(f"PRAGMA busy_timeout = {self.restart_wait_ms}")
            try:
                busy, log_pages, _copied = _pragma(database, "wal_checkpoint(RESTART)")
            finally:
                database.execute(f"PRAGMA busy_timeout = {timeout}")
            with self._lock:  # this transaction starts the log again, unless a reader was in the way
                if busy:
                    self._restart_at = max(log_pages, self._log_pages) + self.restart_pages
                else:
                    self._restart_at, self._log_pages = self.restart_pages, 0

    def _caught_up_with_long_log(self) -> bool:
        """Wait for the thread to be at most ``commits_ahead`` commits behind; when the log is long, wait for it
        to copy back all that is committed and say so."""
        with self._lock:
            self._wait_for_passes(behind=self.commits_ahead)
            if not self.active or self._log_pages < self._restart_at:
                return False
            self._log_pages = 0  # the next transactions need not try as well
            self._wait_for_passes(behind=0)
            return self.active

    def _wait_for_passes(self, behind: int) -> None:
        """Wait, holding the lock, until a finished pass has seen all but ``behind`` of the commits so far."""
        wanted = self._commits - behind
        while self.active and self._copied_through < wanted:
            self._changed.wait(timeout=1)  # notified at each pass; the timeout only guards against a lost thread

    def committed(self) -> None:
        """A transaction was committed; there may be log to copy back."""
        if self._thread is not None:
            with self._lock:
                self._commits += 1
                self._changed.notify_all()

    @contextmanager
    def writing_in_bulk(self) -> Iterator[None]:
        """Checkpoint on the thread while the block runs; the last writer to leave waits for its final pass."""
        with self._turns, self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="closedloop-checkpoints", daemon=True)
                thread.start()  # it waits for the lock; if it cannot start, nothing has changed
                self._thread, self._failed = thread, False
                self._copied_through = self._commits  # a transaction still waiting from a run before goes on
                self._log_pages, self._restart_at = 0, self.restart_pages
            self._writers += 1
        try:
            yield
        finally:
            self._leave()

    def _leave(self) -> None:
        with self._turns:  # a writer arriving meanwhile waits for the final pass, then starts a new thread
            with self._lock:
                self._writers -= 1
                thread = self._thread if self._writers == 0 else None
                self._changed.notify_all()
            if thread is not None:
                try:
                    thread.join()
                finally:  # even when interrupted: the connections checkpoint in their commits again
                    with self._lock:
                        self._thread = None
                        self._changed.notify_all()

    def _run(self) -> None:
        try:
            with self._engine.connect() as connection:
                database = connection.connection.driver_connection
                while (seen := self._next_pass()) is not None:
                    self._checkpoint(database, seen)
                self._checkpoint(database, self._commits)  # what the last commits left
        except Exception:
            log.warning("checkpointing on a thread failed; commits checkpoint again as usual", exc_info=True)
            with self._lock:
                self._failed = True
                self._changed.notify_all()

    def _next_pass(self) -> int | None:
        """Wait for a commit to copy back and say how many there were; None once every bulk writer has left."""
        with self._lock:
            while self._commits == self._copied_through and self._writers > 0:
                self._changed.wait()
            return self._commits if self._writers > 0 else None

    def _checkpoint(self, database: Any, seen: int) -> None:
        _busy, log_pages, _copied = _pragma(database, "wal_checkpoint(PASSIVE)")
        with self._lock:
            self._copied_through = max(self._copied_through, seen)
            if log_pages >= 0:  # -1 when another connection was checkpointing
                self._log_pages = log_pages
            self._changed.notify_all()


def _pragma(database: Any, pragma: str) -> tuple[int, ...]:
    """The one row a pragma answers; read to the end, so the statement holds no lock afterwards."""
    (row,) = database.execute(f"PRAGMA {pragma}").fetchall()
    return tuple(row)
