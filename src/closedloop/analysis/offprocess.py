"""The offline analyzer's second process, seen from the desk: started on first use, asked ahead, never waited for.

Bulk intake tells the analyzer which texts the next batch holds (``analyze_ahead``) before it stores the
current one; the texts go to :mod:`closedloop.analysis.worker`, which analyses them on another core meanwhile.
The process is started the first time texts are sent ahead, and batches sent before it is ready are analysed in
the desk's own process, so starting it never holds intake up. When it fails in any way (it cannot start, it
ends, it answers late or wrongly), its texts are analysed here and it is not used again: the findings are the
same either way, only the speed differs.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import msgspec

from closedloop.analysis.worker import read_frame, write_frame

logger = logging.getLogger("closedloop.analysis")

#: How long a batch sent ahead is waited for before it is analysed here instead (and the process given up).
ANSWER_WITHIN = 60.0
#: A batch's answer: its distinct (concept, sentiment) pairs, and each text's positions among them.
Found = tuple[list[list[Any]], list[list[int]]]


class Share:
    """The part of each batch's texts sent to the second process; the desk's own process analyses the rest
    meanwhile, then takes the answer. The two processes share the machine's cores with intake's writer, so
    the part that keeps both busy depends on the machine and on the load: it grows while answers are ready
    when asked for, and shrinks when one is waited for."""

    FIRST, LEAST, MOST, STEP = 0.8, 0.1, 1.0, 0.05

    def __init__(self) -> None:
        self.part = self.FIRST

    def of(self, count: int) -> int:
        """How many of ``count`` texts go to the second process."""
        return round(count * self.part)

    def answered(self, *, ready: bool) -> None:
        """An answer was asked for: ``ready`` if it had come already, else it was waited for."""
        step = self.STEP if ready else -self.STEP
        self.part = min(self.MOST, max(self.LEAST, self.part + step))


def cores_available() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not every system has affinities
        return os.cpu_count() or 1


class AnalysisProcess:
    """One child process running the offline analyzer over a taxonomy, with the answers it owes."""

    def __init__(self, taxonomy: dict[str, dict[str, list[str]]]) -> None:
        self._taxonomy = taxonomy
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._ready = threading.Event()
        self._failed = False
        self._owed: dict[int, Future[Found]] = {}
        self._number = 0
        self._reader: threading.Thread | None = None

    @property
    def usable(self) -> bool:
        """Whether texts may be sent: started, ready and not failed. Starts the process on first call."""
        if self._failed:
            return False
        if self._child is None:
            self._start()
        return self._ready.is_set() and not self._failed

    def submit(self, texts: Sequence[str], languages: Sequence[str]) -> Future[Found]:
        """Send texts to analyse; the future gives the batch's distinct [concept, sentiment] pairs, and each
        text's positions among them."""
        future: Future[Found] = Future()
        with self._lock:
            child = self._child
            if self._failed or child is None or child.stdin is None:
                future.set_exception(RuntimeError("the analysis process is not running"))
                return future
            self._number += 1
            self._owed[self._number] = future
            body = msgspec.msgpack.encode([self._number, list(texts), list(languages)])
            try:
                write_frame(child.stdin, body)
            except OSError as error:
                self._give_up(f"it could not be written to: {error}")
        return future

    def close(self) -> None:
        """End the process: its input is closed, and it is killed if it does not end at once."""
        with self._lock:
            child, self._child, self._failed = self._child, None, True
        if child is None:
            return
        try:
            if child.stdin is not None:
                child.stdin.close()
            child.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        if self._reader is not None:
            self._reader.join(timeout=2)  # it sees the output end with the process
        if child.stdout is not None:
            child.stdout.close()
        with self._lock:
            self._fail_owed("the desk was closed")

    def _start(self) -> None:
        with self._lock:
            if self._child is not None or self._failed:
                return
            environment = dict(os.environ)
            # the child imports this very closedloop, whatever the parent's sys.path was made of
            here = str(Path(__file__).resolve().parents[2])
            environment["PYTHONPATH"] = os.pathsep.join(filter(None, (here, environment.get("PYTHONPATH"))))
            try:
                self._child = subprocess.Popen(
                    [sys.executable, "-m", "closedloop.analysis.worker"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=environment,
                )
                assert self._child.stdin is not None and self._child.stdout is not None  # both are pipes
                write_frame(self._child.stdin, msgspec.msgpack.encode(self._taxonomy))
            except OSError as error:
                self._failed = True
                logger.warning("the offline analyzer's second process did not start (%s); analysing here", error)
                return
            self._reader = threading.Thread(
                target=self._read, args=(self._child,), name="closedloop-analysis", daemon=True
            )
            self._reader.start()

    def _read(self, child: subprocess.Popen[bytes]) -> None:
        """Hand each answer to its future, on a thread of its own, so the pipes never fill up both ways."""
        assert child.stdout is not None
        decode = msgspec.msgpack.decode
        try:
            while (frame := read_frame(child.stdout)) is not None:
                answer: list[Any] = decode(frame)
                if answer == ["ready"]:
                    self._ready.set()
                    continue
                with self._lock:
                    future = self._owed.pop(answer[0], None)
                if future is None:
                    continue
                if answer[1] is None:
                    future.set_exception(RuntimeError(answer[2]))
                else:
                    future.set_result((answer[1], answer[2]))
        except (OSError, ValueError, msgspec.DecodeError) as error:
            with self._lock:
                self._give_up(f"its answer could not be read: {error}")
            return
        with self._lock:
            if self._child is child:
                self._give_up("it ended")

    def _give_up(self, reason: str) -> None:
        """Stop using the process (the lock held): what it owes fails, and is analysed in the desk's process."""
        if not self._failed:
            logger.warning("the offline analyzer's second process failed (%s); analysing here", reason)
        self._failed = True
        self._fail_owed(reason)

    def _fail_owed(self, reason: str) -> None:
        owed, self._owed = self._owed, {}
        for future in owed.values():
            if not future.done():
                future.set_exception(RuntimeError(reason))
