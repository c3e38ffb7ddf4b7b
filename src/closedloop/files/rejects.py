"""Writing refused rows to a rejects file in the input's own format, with their line and the reason.

A CSV rejects file has the input's header plus ``_line`` and ``_reason``; a JSON Lines or JSON one has each
object with those two keys added. A rejects file that several inputs share also says which input each row came
from, in ``_file``. Reading skips those columns, so the rejects file, once fixed, is imported again with the
same mapping.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from closedloop.domain.errors import InvalidInput
from closedloop.files.reading import (
    FILE_COLUMN,
    LINE_COLUMN,
    REASON_COLUMN,
    REJECT_COLUMNS,
    ROW_MARKS,
    SUFFIXES,
    FileFormat,
    Row,
    format_of,
)


class RejectsWriter:
    """Writes refused rows to ``path``, created at the first one; in ``file_format``, else the format the
    file name says, else that of the first source refusing a row. ``shared``: several inputs refuse rows into
    it, so each row also says which one it came from."""

    def __init__(self, path: str | Path, file_format: FileFormat | str | None = None, *, shared: bool = False) -> None:
        self.path = Path(path)
        self.shared = shared
        #: what the rows' own columns of these names are replaced by
        self._left_out = REJECT_COLUMNS if shared else ROW_MARKS
        self._format = None if file_format is None else format_of(str(path), file_format, b"")
        self._file: IO[str] | None = None
        self._csv: Any = None
        self._columns: list[str] | None = None
        self.count = 0

    def write(self, row: Row, reason: str, source_format: FileFormat, header: list[str] | None, source: str) -> None:
        """Write a row ``source`` (the input's name) refused, and why."""
        if self._file is None:
            self._open(source_format, header)
        if self._csv is not None:
            self._write_csv(row, reason, header, source)
        else:
            values = {key: value for key, value in row.record.items() if key not in self._left_out}
            values[LINE_COLUMN] = row.line
            values[REASON_COLUMN] = reason
            if self.shared:
                values[FILE_COLUMN] = source
            text = json.dumps(values, ensure_ascii=False, default=str)
            if self._format is FileFormat.JSON:
                text = ("[\n" if self.count == 0 else ",\n") + text
            else:
                text += "\n"
            self._file.write(text)  # type: ignore[union-attr]  # opened above
        self.count += 1

    def _open(self, source_format: FileFormat, header: list[str] | None) -> None:
        if self._format is None:
            self._format = SUFFIXES.get(self.path.suffix.lower(), source_format)
        self.path = free_path(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8", newline="")
        except OSError as error:
            raise InvalidInput(f"cannot write the rejects file {self.path}: {error.strerror or error}") from None
        if self._format is FileFormat.CSV:
            self._csv = csv.writer(self._file)
            self._columns = [column for column in header or () if column not in self._left_out]
            self._csv.writerow([*self._columns, LINE_COLUMN, REASON_COLUMN, *([FILE_COLUMN] if self.shared else [])])

    def _write_csv(self, row: Row, reason: str, header: list[str] | None, source: str) -> None:
        columns = self._columns or []
        record = row.record
        cells = row.cells
        if cells is not None and len(cells) > len(header or ()):
            reason += f" (values past the last column: {', '.join(cells[len(header or ()) :])})"
        if header is None:  # a JSON row written to a CSV rejects file: what its text was
            reason += f" (the row: {json.dumps(record, ensure_ascii=False, default=str)})"
        else:  # a file with other columns than the first refused a row: what does not fit goes with the reason
            others = {column: value for column, value in record.items() if column not in columns and value}
            if others:
                reason += f" (columns this file lacks: {json.dumps(others, ensure_ascii=False)})"
        written = [*(text_of(record.get(column)) for column in columns), row.line, reason]
        self._csv.writerow([*written, source] if self.shared else written)

    def close(self) -> None:
        if self._file is not None:
            if self._format is FileFormat.JSON:
                self._file.write("\n]\n")
            self._file.close()
            self._file = None

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def free_path(path: Path) -> Path:
    """``path`` unless it holds something already (rows a person may be fixing), else the next free name:
    ``responses.rejects-2.csv``, ``responses.rejects-3.csv``..."""
    candidate, number = path, 1
    while candidate.exists() and (not candidate.is_file() or candidate.stat().st_size > 0):
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def text_of(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
