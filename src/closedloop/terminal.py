"""How the command line writes what takes time or space: a progress bar, and the console tables print to.

A terminal gets rich's live bar and coloured tables; a log or a pipe gets plain lines a person can still read,
never escape codes or a redrawn line. Text from stored data never steers the terminal: :func:`printable`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # rich is imported when something is shown: every desk loads the command modules
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, TaskID

#: At most one plain progress line every this many seconds, so that a log stays short.
PLAIN_INTERVAL = 5.0


#: What steers a terminal instead of showing: the C0 controls but tab and line feed, DEL, and the C1 controls.
#: ESC opens colour, title and hyperlink sequences; NUL, BEL and backspace have no business on a screen either.
_STEERING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: DEL and the C1 controls, which JSON leaves as they are (it escapes only the C0 ones).
_UNESCAPED_IN_JSON = re.compile("[\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` from stored data (a customer's comment, a name) made safe to write to a terminal: each
    control character is written out as its escape, ESC as ``\\x1b``, so that the reader sees it was there
    and the terminal does nothing. Tabs and line feeds stay; a CR LF line end is a line feed."""
    if text.isprintable():
        return text
    return _STEERING.sub(lambda found: f"\\x{ord(found.group()):02x}", text.replace("\r\n", "\n"))


def printable_json(text: str) -> str:
    """JSON text with DEL and the C1 controls escaped (``\\u009b``) too: the same JSON, safe on a terminal."""
    return _UNESCAPED_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


class Advancing(Protocol):
    """What a progress bar lets the work tell it."""

    def advance(self, count: int = 1) -> None:
        """``count`` more items are done."""


#: How wide tables are when the output is not a terminal and ``COLUMNS`` does not say: wide enough for an
#: inbox row to keep its id whole and some of its message.
PLAIN_WIDTH = 160


def console(*, stderr: bool = False) -> Console:
    """The console commands print to. rich tells from the stream whether it is a terminal, and takes its
    width from the terminal or ``COLUMNS``; a pipe or a file gets plain text :data:`PLAIN_WIDTH` wide."""
    from rich.console import Console

    made = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not made.is_terminal and not os.environ.get("COLUMNS"):
        made.width = PLAIN_WIDTH
    return made


def rate_column() -> ProgressColumn:
    """Items per second, which rich's own speed column only shows for bytes."""
    from rich.progress import ProgressColumn, Task
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")

    return RateColumn()


class LiveBar:
    """rich's bar with count, rate and time left, for a terminal."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task

    def advance(self, count: int = 1) -> None:
        self.progress.advance(self.task, count)


class PlainLines:
    """A line now and then (never more often than ``interval`` seconds) for a log: count, share, rate, time left."""

    def __init__(
        self,
        total: int | None,
        label: str,
        write: Callable[[str], None],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.label = label
        self.write = write
        self.interval = interval
        self.clock = clock
        self.done = 0
        self.started = clock()
        self.last_line = self.started
        self.lines = 0

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = self.clock()
        if now - self.last_line >= self.interval:
            self.last_line = now
            self.lines += 1
            self.write(self.line(now))

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if not self.total:
            return f"{self.label}: {self.done:,} so far, {rate:,.0f}/s"
        share = self.done / self.total
        left = f", about {format_seconds((self.total - self.done) / rate)} left" if rate and share < 1 else ""
        return f"{self.label}: {self.done:,} of {self.total:,} ({share:.0%}), {rate:,.0f}/s{left}"

    def finish(self) -> None:
        """A closing line, only when the run was long enough to have shown any: a short run stays silent."""
        if self.lines:
            now = self.clock()
            self.write(f"{self.label}: {self.done:,} in {format_seconds(now - self.started)}")


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 5 s`` or ``1 h 2 min``: as precise as a person waiting needs."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


@contextmanager
def progress_bar(total: int | None, label: str, *, interval: float = PLAIN_INTERVAL) -> Iterator[Advancing]:
    """Show how far a long task is, on standard error so that standard output stays the command's result.

    On a terminal a rich bar with the count, the rate and the time left; otherwise a plain line at most every
    ``interval`` seconds. ``total`` may be None when it is not known (standard input, say).
    """
    err = console(stderr=True)
    if not err.is_terminal:
        lines = PlainLines(total, label, lambda line: print(line, file=err.file, flush=True), interval)
        yield lines
        lines.finish()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[ProgressColumn] = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    if total:
        columns.append(TaskProgressColumn())
    columns += [rate_column(), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err) as progress:
        yield LiveBar(progress, progress.add_task(label, total=total))
