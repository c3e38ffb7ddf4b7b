"""The one rule every text closedloop keeps follows, whatever field it is in.

A text must be a ``str`` that can be stored and sent as UTF-8: a lone surrogate (half of a UTF-16 pair, which
Python strings may hold but no encoder accepts) would be taken in by one store and refused by another, or
fail only when an email is built. Texts that end up in an email header or a URL line must also hold no line
break and no NUL, so a value can never start a header line of its own.
"""

from __future__ import annotations

import re

from closedloop.domain.errors import InvalidInput

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKING = re.compile("[\x00\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def checked_text(value: object, what: str) -> str:
    """``value`` if it is a text that can be stored as UTF-8; :class:`InvalidInput` naming ``what`` if not."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text; got {type(value).__name__} {_shown(value)}")
    if (found := _LONE_SURROGATE.search(value)) is not None:
        raise InvalidInput(
            f"{what} holds a lone surrogate (U+{ord(found.group()):04X} at position {found.start()}), which no "
            "text encoding can store; decode the input with errors='replace' or remove it"
        )
    return value


def required_text(value: object, what: str) -> str:
    """A text that is not empty nor only white space."""
    text = checked_text(value, what)
    if not text.strip():
        raise InvalidInput(f"{what} must not be empty")
    return text


def single_line(value: object, what: str) -> str:
    """A text for a header or a one-line field: no line break of any kind, and no NUL."""
    text = checked_text(value, what)
    if (found := _LINE_BREAKING.search(text)) is not None:
        raise InvalidInput(f"{what} must be one line; it holds U+{ord(found.group()):04X} at position {found.start()}")
    return text


def _shown(value: object) -> str:
    """A short, safe picture of a wrong value for an error message."""
    try:
        shown = repr(value)
    except Exception:  # a hostile __repr__ must not hide the real error
        return "(a value that cannot be shown)"
    return shown if len(shown) <= 60 else shown[:57] + "..."
