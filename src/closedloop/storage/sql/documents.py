"""Stored JSON documents read back into records, each named when it cannot be.

A document altered outside closedloop (or written by a faulty release) may no longer describe its record.
Reading it raises :class:`UnreadableRecord` naming the record and the fix, never the decoder's own error;
and the message says where the document is wrong, never what it holds, since whoever reads the message
may not be allowed to see that.
"""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec

from closedloop.domain.errors import UnreadableRecord
from closedloop.serialization import decode

T = TypeVar("T")

#: msgspec's words for a document of the wrong shape, which name a field or a type and hold no value.
_SHAPE = re.compile(r"^(Expected `[^`]*`, got `[^`]*`|Object missing required field `[^`]*`)")
_PLACE = re.compile(r" - at `(\$[^`]*)`$")


def read_document(document: str | bytes, cls: type[T], record: str, fix: str) -> T:
    """The record a stored document describes; :class:`UnreadableRecord` naming ``record`` (as in
    ``"conversation 'c1'"``) and saying ``fix`` when it describes none."""
    try:
        return decode(document, cls)
    except Exception:  # whatever a damaged document makes the decoders or the records' checks raise
        raise UnreadableRecord(f"{record} cannot be read back: {_what_is_wrong(document, cls)}; {fix}") from None


def _what_is_wrong(document: str | bytes, cls: type[object]) -> str:
    try:
        msgspec.json.decode(document)
    except (msgspec.DecodeError, RecursionError):
        return "its stored document is not valid JSON"
    try:
        msgspec.json.decode(document, type=cls)
    except msgspec.ValidationError as error:
        said = str(error)
        shape, place = _SHAPE.match(said), _PLACE.search(said)
        detail = shape.group(1).lower() if shape else "a value is not allowed"
        where = f" at {place.group(1)}" if place else ""
        return f"its stored document does not describe a {cls.__name__} ({detail}{where})"
    except Exception:  # a check of the record refused a value: not repeated here, it may be private
        return f"its stored document does not describe a valid {cls.__name__}"
    return f"its stored document does not describe a valid {cls.__name__}"
