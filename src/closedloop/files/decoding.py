"""Reading a file's bytes as text, and refusing a wrong encoding by the line it shows up on.

Exports are expected in UTF-8, with or without a byte order mark. A file in another encoding fails on its
first byte that is not UTF-8; the refusal names that line and says how to read the file right, rather than
storing mangled names and comments.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO, cast

from closedloop.domain.errors import InvalidInput

#: Bytes read at a time: large enough that decoding costs little per row.
CHUNK_SIZE = 1 << 16
#: UTF-8, skipping a byte order mark when there is one (spreadsheet programs write one).
DEFAULT_ENCODING = "utf-8-sig"


class WrongEncoding(InvalidInput):
    """The file is not in the encoding it is read with; the message names the line and the fix."""


class CountingReader(io.BufferedIOBase):
    """Hands on a binary stream's bytes a chunk at a time while counting the lines and bytes already handed
    on, so that a decoding error can be placed on its line, and a progress bar can follow the bytes read."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream
        self.consumed = 0  # bytes handed on
        self.lines_before_chunk = 0  # line breaks before the last chunk handed on
        self._chunk = b""

    def readable(self) -> bool:
        return True

    def read1(self, size: int | None = -1) -> bytes:
        chunk = self._stream.read(CHUNK_SIZE if size is None or size < 0 else size)
        self.lines_before_chunk += self._chunk.count(b"\n")
        self._chunk = chunk
        self.consumed += len(chunk)
        return chunk

    def read(self, size: int | None = -1) -> bytes:
        return self.read1(size)

    def line_of(self, error: UnicodeDecodeError) -> int:
        """The line (from 1) where the undecodable bytes are: the decoder was handed the last chunk, after at
        most a few bytes it kept from the chunk before (never a line break, which is one byte on its own)."""
        return self.lines_before_chunk + error.object[: error.start].count(b"\n") + 1


def checked_encoding(encoding: str | None) -> str:
    """The codec name to read with; an unknown one is refused, naming a few that exist."""
    if encoding is None:
        return DEFAULT_ENCODING
    try:
        codec = codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise InvalidInput(
            f"unknown encoding {encoding!r}; try utf-8, cp1252 (Excel on Windows), latin-1 or utf-16"
        ) from None
    if not getattr(codec, "_is_text_encoding", True):  # rot13, base64, hex: they turn bytes into bytes
        raise InvalidInput(f"{encoding!r} is not a text encoding; try utf-8, cp1252 (Excel on Windows) or latin-1")
    return DEFAULT_ENCODING if codec.name == "utf-8" else codec.name


def text_of(reader: CountingReader, encoding: str) -> io.TextIOWrapper:
    """The text of the stream, line breaks kept as written (the CSV reader wants them so)."""
    text = io.TextIOWrapper(cast(BinaryIO, reader), encoding=encoding, newline="")
    text._CHUNK_SIZE = CHUNK_SIZE  # type: ignore[attr-defined]  # the default, 8 KB, decodes in many small steps
    return text


def unreadable_text(error: UnicodeError, encoding: str, name: str) -> WrongEncoding:
    """A codec's refusal that names no bytes (UTF-16 without its byte order mark, say)."""
    return WrongEncoding(
        f"{name} cannot be read as {encoding_name(encoding)} ({error}); give its encoding with --encoding "
        "(e.g. --encoding utf-16-le for UTF-16 without a byte order mark), or save the file as UTF-8"
    )


def wrong_encoding(error: UnicodeDecodeError, line: int, encoding: str, name: str) -> WrongEncoding:
    shown_bytes = error.object[error.start : error.start + 4].hex(" ")
    guess = "utf-16" if error.object[:2] in (b"\xff\xfe", b"\xfe\xff") else "cp1252"
    return WrongEncoding(
        f"{name}, line {line}: bytes {shown_bytes} are not {encoding_name(encoding)}; the file is in another "
        f"encoding: give it with --encoding (e.g. --encoding {guess}), or save the file as UTF-8"
    )


def encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding == DEFAULT_ENCODING else encoding
