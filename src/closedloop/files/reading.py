"""Reading feedback files row by row: CSV, JSON Lines, and JSON (an array of objects), from a path or from
standard input (``-``).

Each row comes with where it is in the file, so that a refusal can name it: for CSV and JSON Lines the line it
starts on, for a JSON array the object's position (from 1). A row that cannot be read (a line that is not
JSON, a CSV row with a stray quote, the last row of a file cut short) comes as a row with a problem, never as
an exception, so the rows after it are still read. Memory stays constant whatever the file's size.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import itertools
import json
import re
import sys
from collections.abc import Callable, Collection, Generator, Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import msgspec

from closedloop.domain.errors import InvalidInput
from closedloop.files.decoding import CountingReader, checked_encoding, text_of, unreadable_text, wrong_encoding

#: Columns a rejects file adds; reading a rejects file again leaves them out, so a fixed one imports as is.
LINE_COLUMN = "_line"
REASON_COLUMN = "_reason"
#: Which input a refused row came from, in a rejects file that several inputs share.
FILE_COLUMN = "_file"
#: What every rejects file adds to a row, and reading always leaves out.
ROW_MARKS = (LINE_COLUMN, REASON_COLUMN)
REJECT_COLUMNS = (*ROW_MARKS, FILE_COLUMN)
#: The longest CSV value read (the csv module's default, 131,072 characters, is less than some comments): large
#: enough for any answer a person writes, small enough that a file with a stray quote cannot fill the memory.
MAX_CSV_FIELD = 1 << 26
#: The separators a CSV header is looked at for, the comma first when there is a tie.
DELIMITERS = (",", ";", "\t", "|")
QUOTED = re.compile(r'"[^"]*"')


class FileFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    JSON = "json"


SUFFIXES = {".csv": FileFormat.CSV, ".jsonl": FileFormat.JSONL, ".ndjson": FileFormat.JSONL, ".json": FileFormat.JSON}


class Row(NamedTuple):
    """One row: where it is (line, or position in a JSON array), its values by column, and why it cannot be
    read when it cannot (its values are then what could be made out). ``cells`` are a CSV row's values in
    file order, which a rejects file writes back as they were."""

    line: int
    record: dict[str, Any]
    problem: str | None = None
    cells: list[str] | None = None


def format_of(name: str, given: FileFormat | str | None, head: bytes) -> FileFormat:
    """The format asked for, else the one the file name says, else the one the first bytes show."""
    if given is not None:
        try:
            return FileFormat(str(given).lower())
        except ValueError:
            raise InvalidInput(f"unknown file format {given!r}; use csv, jsonl or json") from None
    suffix = Path(name).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return FileFormat.JSON if start == b"[" else FileFormat.JSONL if start == b"{" else FileFormat.CSV


class InputFile:
    """One file being read (or standard input): its name, format and size, and how far reading got."""

    def __init__(
        self,
        path: str | Path,
        *,
        file_format: FileFormat | str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
    ):
        self.name = str(path)
        self.encoding = checked_encoding(encoding)
        self.delimiter = checked_delimiter(delimiter)
        self._stack = contextlib.ExitStack()
        stream: BinaryIO
        if self.name == "-":
            stream = sys.stdin.buffer
            self.size: int | None = None
        else:
            try:
                stream = self._stack.enter_context(open(path, "rb"))  # noqa: SIM115 - closed with the source
                self.size = Path(path).stat().st_size
            except OSError as error:
                raise InvalidInput(f"cannot read {self.name}: {error.strerror or error}") from None
        head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
        if self.size == 0 or (self.size is None and hasattr(stream, "peek") and not head):
            self._stack.close()
            if self.size is None:
                raise InvalidInput(
                    "standard input is empty (0 bytes): there is nothing to import; check what is piped in"
                )
            raise InvalidInput(f"{self.name} is empty (0 bytes): there is nothing to import; check the file's name")
        self.format = format_of(self.name, file_format, head)
        self._reader = CountingReader(stream)
        self.header: list[str] | None = None  # a CSV file's, once its rows are being read
        self._rows: Generator[Row, None, None] | None = None

    @property
    def bytes_read(self) -> int:
        return self._reader.consumed

    def close(self) -> None:
        if self._rows is not None:
            self._rows.close()  # before the file it reads
        self._stack.close()

    def __enter__(self) -> InputFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def rows(self) -> Iterator[Row]:
        """The file's rows, read lazily; a wrong encoding stops them with a :class:`WrongEncoding`."""
        self._rows = self._read_rows()
        return self._rows

    def _read_rows(self) -> Generator[Row, None, None]:
        text = text_of(self._reader, self.encoding)
        if self.format is FileFormat.CSV:
            rows = csv_rows(text, self._set_header, self.delimiter)
        else:
            rows = json_lines(text) if self.format is FileFormat.JSONL else json_array(text)
        try:
            yield from rows
        except UnicodeDecodeError as error:
            raise wrong_encoding(error, self._reader.line_of(error), self.encoding, self.name) from None
        except UnicodeError as error:
            raise unreadable_text(error, self.encoding, self.name) from None
        finally:
            text.detach()

    def _set_header(self, header: list[str]) -> None:
        self.header = header


class LinesKept:
    """Hands a text's lines to the CSV reader and keeps those of the row being read, so that a row the reader
    refuses can still be written back to a rejects file."""

    def __init__(self, text: Any) -> None:
        self._next = iter(text).__next__
        self.kept: list[str] = []

    def __iter__(self) -> LinesKept:
        return self

    def __next__(self) -> str:
        line: str = self._next()
        self.kept.append(line)
        return line


def checked_delimiter(delimiter: str | None) -> str | None:
    if delimiter is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(delimiter, delimiter)
    if len(named) != 1 or named in '"\r\n':
        raise InvalidInput(f"a CSV delimiter is one character such as , ; | or tab; got {delimiter!r}")
    return named


def delimiter_of(first_line: str) -> str:
    """The separator a CSV header uses: the one of ``,``, ``;``, tab and ``|`` it holds most often (the
    spreadsheets of many countries write ``;``, as the comma is their decimal mark)."""
    unquoted = QUOTED.sub("", first_line)  # a column name may hold a comma: "Name, first";"Score"
    counts = [unquoted.count(delimiter) for delimiter in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))]


def csv_rows(text: Any, header_read: Callable[[list[str]], object], delimiter: str | None = None) -> Iterator[Row]:
    """CSV rows, with the line each starts on; the first row is the header, handed to ``header_read``. The
    separator is ``delimiter``, else the one the header line shows."""
    csv.field_size_limit(MAX_CSV_FIELD)
    lines = LinesKept(text)
    try:
        first = next(lines)
    except StopIteration:
        return
    delimiter = delimiter or delimiter_of(first)
    lines.kept.clear()
    reader = csv.reader(itertools.chain([first], lines), strict=True, delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        raise InvalidInput(f"line 1: the header cannot be read as CSV ({error})") from None
    header_read(header)
    width = len(header)
    skipped = rejects_columns(header)
    keep = [index for index, column in enumerate(header) if column not in skipped]
    columns = [header[index] for index in keep]
    plain = len(keep) == width
    while True:
        start = reader.line_num + 1
        lines.kept.clear()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield broken_csv_row(start, lines.kept, header, str(error), delimiter)
            continue
        if len(cells) == width:
            values = cells if plain else [cells[index] for index in keep]
            yield Row(start, dict(zip(columns, values, strict=True)), None, cells)
        elif cells:  # a blank line is no row
            yield Row(start, dict(zip(columns, cells, strict=False)), count_problem(cells, width, lines.kept), cells)


def count_problem(cells: list[str], width: int, kept: list[str]) -> str:
    if len(cells) < width and kept and not kept[-1].endswith(("\n", "\r")):
        return f"the file ends in the middle of this row ({len(cells)} of {width} values): it was cut short"
    return f"this row has {len(cells)} values where the header has {width} columns"


def broken_csv_row(start: int, kept: list[str], header: list[str], error: str, delimiter: str = ",") -> Row:
    """A row the CSV reader refused, with what a lenient reading makes of it (its lines as they are, when
    even that fails)."""
    try:
        cells = next(csv.reader(kept, delimiter=delimiter), [])
    except csv.Error:
        cells = ["".join(kept)[:2000]]
    if error == "unexpected end of data":
        problem = "the file ends inside a quoted value: it was cut short, or a quote is missing"
    elif error.startswith("field larger than field limit"):
        problem = f"a value of this row is longer than {MAX_CSV_FIELD:,} characters; check its quotes"
    else:
        problem = f"this row is not valid CSV ({error}); check its quotes"
    return Row(start, dict(zip(header, cells, strict=False)), problem, cells)


_decode_line = msgspec.json.Decoder().decode


#: Why a row whose values nest deeper than the JSON reader goes (about a thousand levels) is refused.
TOO_DEEP = "its values are nested too deeply to read (lists or objects inside one another hundreds of levels deep)"


def json_lines(text: Any) -> Iterator[Row]:
    """One JSON object per line; blank lines are skipped."""
    for number, line in enumerate(text, 1):
        try:
            value = _decode_line(line)
        except RecursionError:
            yield Row(number, {"_text": line.rstrip("\r\n")}, TOO_DEEP)
            continue
        except msgspec.DecodeError as error:
            if line.isspace() or not line:
                continue
            cut = not line.endswith(("\n", "\r"))
            problem = "the file ends in the middle of this line: it was cut short" if cut else f"not JSON ({error})"
            yield Row(number, {"_text": line.rstrip("\r\n")}, problem)
            continue
        yield object_row(number, value)


def rejects_columns(columns: Collection[str]) -> tuple[str, ...]:
    """The columns of a rejects file that reading leaves out: ``_line`` and ``_reason``, and ``_file`` beside
    them (a file's own ``_file`` column is data like any other)."""
    return REJECT_COLUMNS if LINE_COLUMN in columns and REASON_COLUMN in columns else ROW_MARKS


def object_row(where: int, value: Any) -> Row:
    if type(value) is dict:
        if LINE_COLUMN in value or REASON_COLUMN in value:
            skipped = rejects_columns(value)
            value = {key: item for key, item in value.items() if key not in skipped}
        return Row(where, value)
    return Row(where, {"_value": value}, f"expected an object {{...}}; got {type(value).__name__}")


def json_array(text: Any) -> Iterator[Row]:
    """The objects of one JSON array, read piece by piece so a large file never sits in memory whole; the
    row's place is the object's position in the array, from 1."""
    pieces = JsonPieces(text)
    mark = pieces.next_mark()
    if not mark:
        return
    if mark != "[":
        raise InvalidInput(
            "JSON (a .json file, or --format json) holds one array of objects, [{...}, {...}]; for one object per "
            "line, name the file .jsonl or give --format jsonl, and for a CSV file --format csv"
        )
    pieces.take()
    position = 0
    while (mark := pieces.next_mark()) != "]":
        if position and mark == ",":
            pieces.take()
            mark = pieces.next_mark()
        elif position and mark:
            yield Row(position + 1, {"_text": pieces.rest()}, f"expected a comma between objects; got {mark!r}")
            return
        position += 1
        if not mark:
            yield Row(position, {}, "the file ends before the JSON array is closed: it was cut short")
            return
        try:
            value = pieces.decode()
        except RecursionError:
            yield Row(position, {"_text": pieces.rest()}, TOO_DEEP)
            return
        except ValueError as error:
            problem = "the file ends inside this object: it was cut short" if pieces.ended else f"not JSON ({error})"
            yield Row(position, {"_text": pieces.rest()}, problem)
            return
        yield object_row(position, value)


_BLANKS = re.compile(r"[ \t\r\n]*")


class JsonPieces:
    """A JSON text read a chunk at a time, as much as the value being decoded needs."""

    def __init__(self, text: Any) -> None:
        self._text = text
        self._decoder = json.JSONDecoder()
        self._buffer = ""
        self._at = 0
        self.ended = False

    def _more(self) -> bool:
        chunk = self._text.read(1 << 16)
        if not chunk:
            self.ended = True
            return False
        self._buffer = self._buffer[self._at :] + chunk
        self._at = 0
        return True

    def next_mark(self) -> str:
        """The next character that is not blank, where reading stands; empty at the end of the text."""
        while True:
            self._at = _BLANKS.match(self._buffer, self._at).end()  # type: ignore[union-attr]  # always matches
            if self._at < len(self._buffer):
                return self._buffer[self._at]
            if not self._more():
                return ""

    def take(self) -> None:
        self._at += 1

    def decode(self) -> Any:
        """The value where reading stands, reading on until it is whole."""
        while True:
            try:
                value, self._at = self._decoder.raw_decode(self._buffer, self._at)
                return value
            except ValueError:
                if not self._more():
                    raise

    def rest(self) -> str:
        """What is left of the text read so far, for a rejects file (at most a few thousand characters)."""
        return self._buffer[self._at : self._at + 2000]
