"""The one rule every text closedloop keeps follows, whatever field it is in.

A text must be a ``str`` that can be stored and sent as UTF-8: a lone surrogate (half of a UTF-16 pair, which
Python strings may hold but no encoder accepts) would be taken in by one store and refused by another, or
fail only when an email is built. Texts that end up in an email header or a URL line must also hold no line
break and no NUL, so a value can never start a header line of its own.
"""

from __future__ import annotations

import re
import reprlib

from closedloop.domain.errors import InvalidInput

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKING = re.compile("[\x00\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def checked_text(value: object, what: str) -> str:
    """``value`` if it is a text that can be stored as UTF-8; :class:`InvalidInput` naming ``what`` if not."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text; got {type(value).__name__} {shown(value)}")
    if str.isascii(value) or storable(value):
        return value
    if (found := _LONE_SURROGATE.search(value)) is not None:
        raise InvalidInput(
            f"{what} holds a lone surrogate (U+{ord(found.group()):04X} at position {found.start()}), which no "
            "text encoding can store; decode the input with errors='replace' or remove it"
        )
    return value


def storable(value: str) -> bool:
    """Whether a text holds no lone surrogate, the one thing UTF-8 cannot encode.

    ASCII is told by a flag of the string, read at once. Other texts (a comment with one accent) are encoded,
    in C, which is several times faster than searching them for a surrogate; the search runs only to say
    where one is.
    """
    if str.isascii(value):
        return True
    try:
        str.encode(value, "utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def flattened(text: str) -> str:
    """``text`` with each line break and NUL made a space: for reading what earlier releases kept in a field
    that is now held to one line."""
    return _LINE_BREAKING.sub(" ", text)


def _short_repr() -> reprlib.Repr:
    """A few levels and items of a value at most (set one by one: 3.11's Repr takes no arguments)."""
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother = 3, 60, 60
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = short.maxfrozenset = 6
    return short


_SHORT = _short_repr()


def shown(value: object) -> str:
    """A short, safe picture of a wrong value for an error message: a few levels of a nested value at most
    (a deeply nested one would exhaust the stack), and never the error of a hostile ``__repr__``."""
    try:
        picture = _SHORT.repr(value)
    except Exception:  # a hostile __repr__, or an int too long to write out, must not hide the real error
        return f"(a value of type {type(value).__name__} that cannot be shown)"
    return picture if len(picture) <= 80 else picture[:77] + "..."
