"""Exporting conversations (feedback, status, alert, history) as JSON Lines or CSV, for a spreadsheet, a data
warehouse or another system.

The store is read a page at a time in the inbox's keyset order, each page in its own short transaction, and
each conversation written as it comes, so memory stays constant whatever the number of conversations.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO

import attrs

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.app.metrics import moment, time_zone
from closedloop.domain.conversation import Conversation, Folder
from closedloop.domain.errors import InvalidInput
from closedloop.domain.inbox import MAX_PAGE, Cursor, InboxQuery
from closedloop.files.conversation_rows import CSV_COLUMNS, csv_row, json_line
from closedloop.files.reading import FileFormat

MAX_REPORTED_UNREADABLE = 100


@attrs.define
class ExportReport:
    """How many conversations were written, and the ids of those that could not be read back (the first)."""

    exported: int = 0
    unreadable: list[str] = attrs.field(factory=list)

    def __str__(self) -> str:
        noun = "conversation" if self.exported == 1 else "conversations"
        return f"{self.exported} {noun} exported" + (
            f", {len(self.unreadable)} unreadable left out" if self.unreadable else ""
        )


def export(
    ctx: Context,
    output: str | Path | IO[str],
    *,
    user: access.UserRef | None,
    file_format: FileFormat | str,
    places: Iterable[str] | str | None,
    folder: Folder | str | None,
    since: datetime | date | None,
    until: datetime | date | None,
    zone: str = "UTC",
) -> ExportReport:
    """Write the conversations ``user`` may see (every one when None) to ``output``; see ``Desk.export``."""
    chosen = arguments.member(FileFormat, file_format, "file_format")
    if chosen is FileFormat.JSON:
        raise InvalidInput("conversations are exported as jsonl or csv; JSON Lines reads like JSON, a line each")
    who = None if user is None else arguments.user_ref(user, "user")
    wanted = arguments.optional_identifiers(places, "places")
    folders = list(Folder) if folder is None else [arguments.member(Folder, folder, "folder")]
    where = time_zone(zone)
    start = None if since is None else moment(since, "since", where)
    end = None if until is None else moment(until, "until", where)
    if start is not None and end is not None and start >= end:
        raise InvalidInput(f"since must come before until; got since={start.isoformat()}, until={end.isoformat()}")
    with ctx.store.transaction() as tx:
        member = None if who is None else access.user(tx, who)
        place_ids = access.narrow(tx, member, wanted)
    report = ExportReport()
    with opened(output) as stream:
        write = row_writer(stream, chosen)
        for folder_ in folders:
            for conversation in stored(ctx, place_ids, folder_, report):
                received = conversation.feedback.received_at
                if (start is None or received >= start) and (end is None or received < end):
                    write(conversation)
                    report.exported += 1
    return report


def stored(
    ctx: Context, place_ids: frozenset[str] | None, folder: Folder, report: ExportReport
) -> Iterator[Conversation]:
    """The conversations of one folder, a page per transaction, in inbox order."""
    cursor: Cursor | None = None
    while True:
        with ctx.store.transaction() as tx:
            page = tx.conversations.page(InboxQuery(place_ids=place_ids, folder=folder, limit=MAX_PAGE, after=cursor))
        for entry in page:
            if isinstance(entry, Conversation):
                yield entry
            elif len(report.unreadable) < MAX_REPORTED_UNREADABLE:
                report.unreadable.append(entry.id)
        if len(page) < MAX_PAGE:
            return
        cursor = Cursor.after(page[-1])


@contextlib.contextmanager
def opened(output: str | Path | IO[str]) -> Iterator[IO[str]]:
    """A path is written (and closed); a stream is written as given, and left open."""
    if not isinstance(output, str | Path):
        if not callable(getattr(output, "write", None)):
            raise InvalidInput("output must be a path or a text stream open for writing")
        if isinstance(output, io.RawIOBase | io.BufferedIOBase) or "b" in str(getattr(output, "mode", "")):
            raise InvalidInput(
                "output is a binary stream; pass a text stream (e.g. open(path, 'w', encoding='utf-8', "
                "newline='')), io.TextIOWrapper around it, or a path"
            )
        yield output
        return
    try:
        stream = Path(output).open("w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    except OSError as error:
        raise InvalidInput(f"cannot write {output}: {error.strerror or error}") from None
    with stream:
        yield stream


def row_writer(stream: IO[str], chosen: FileFormat) -> Callable[[Conversation], object]:
    if chosen is FileFormat.CSV:
        writer = csv.writer(stream)
        writer.writerow(CSV_COLUMNS)
        return lambda conversation: writer.writerow(csv_row(conversation))
    return lambda conversation: stream.write(json_line(conversation))
