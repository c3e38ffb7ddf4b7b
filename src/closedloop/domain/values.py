"""The checks records run on the values they are given, one rule per kind of value.

Ids, choices, numbers, times and sets of ids are checked the same way in every record, so a wrong value is
always refused with :class:`InvalidInput` saying what to give instead (the allowed values, when there is a
set of them), never with whatever error the value would raise later, in a store or while building an email.
Texts follow :mod:`closedloop.domain.text`.

The ``*_field`` functions make attrs validators and converters; the message names the record and the field.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs

from closedloop.domain.errors import ClosedLoopError, InvalidInput
from closedloop.domain.text import checked_text, shown, single_line, storable

E = TypeVar("E", bound=enum.Enum)
T = TypeVar("T")

#: The largest size of a number a record keeps. Ratings and thresholds are small; past 2**53 a JSON reader
#: may change a whole number, and stores cannot hold an infinity or NaN, so anything bigger is a mistake.
LARGEST_NUMBER = 10**15

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def text(value: object, what: str, *, one_line: bool = False) -> str:
    """A text as :func:`checked_text` takes it (one line as :func:`single_line` does, when asked), refused as
    "must be text; got ..." otherwise."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text; got {shown(value)}")
    return single_line(value, what) if one_line else checked_text(value, what)


def identifier(value: object, what: str) -> str:
    """An id: a text that is not empty nor only white space, and holds no NUL (no database column can)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must be a non-empty text; got {shown(value)}")
    if "\x00" in value:
        raise InvalidInput(f"{what} must not hold a NUL character; got {shown(value)}")
    return checked_text(value, what)


def one_of(choices: type[E], value: object, what: str) -> E:
    """The member of ``choices`` that ``value`` is or names; the allowed values listed otherwise."""
    if isinstance(value, choices):
        return value
    try:
        member = choices._value2member_map_.get(value)
    except Exception:  # a list or a dict cannot name a member, and a caller's object may fail to be hashed
        member = None
    if member is None:
        allowed = ", ".join(str(choice.value) for choice in choices)
        raise InvalidInput(f"{what} must be one of {allowed}; got {shown(value)}")
    return member  # type: ignore[return-value]  # the map holds members of ``choices`` only


def number(value: object, what: str) -> int | float:
    """A finite int or float no larger than :data:`LARGEST_NUMBER` either way (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{what} must be a number; got {shown(value)}")
    if not -LARGEST_NUMBER <= value <= LARGEST_NUMBER:  # NaN fails every comparison
        raise InvalidInput(f"{what} must be a finite number from -10**15 to 10**15; got {shown(value)}")
    return value


def whole_number(value: object, what: str, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        raise InvalidInput(f"{what} must be a whole number from {lowest} to {highest}; got {shown(value)}")
    return value


def aware_time(value: object, what: str) -> datetime:
    """A datetime that says its time zone: a naive one means different moments on different servers."""
    if not isinstance(value, datetime):
        hint = ", parsed first if you have a text (datetime.fromisoformat)" if isinstance(value, str) else ""
        raise InvalidInput(
            f"{what} must be a timezone-aware datetime, e.g. datetime.now(timezone.utc){hint}; got {shown(value)}"
        )
    try:
        offset = value.utcoffset()
    except (TypeError, ValueError):  # a tzinfo of one's own that answers with no offset a datetime can take
        offset = None
    if offset is None:
        raise InvalidInput(
            f"{what} must be timezone-aware: a datetime with its tzinfo, e.g. datetime.now(timezone.utc), or in a "
            f"dict a text with its offset, e.g. '2026-01-05T09:30:00+00:00'; got {shown(value)}"
        )
    return value


#: The time zones whose every datetime has an offset (a tzinfo of one's own may answer with none).
ZONES_WITH_OFFSETS = (timezone, ZoneInfo)

#: The longest duration a record takes: waits and leases longer than a year are mistakes, and a time that
#: far ahead could pass the last day a datetime can hold.
LONGEST_DURATION = timedelta(days=366)


def duration(value: object, what: str) -> timedelta:
    """A positive timedelta of at most :data:`LONGEST_DURATION`."""
    if not isinstance(value, timedelta) or not timedelta(0) < value <= LONGEST_DURATION:
        raise InvalidInput(
            f"{what} must be a positive timedelta of at most 366 days, e.g. timedelta(minutes=5); got {shown(value)}"
        )
    return value


def read_items(value: Iterable[T], what: str) -> list[T]:
    """The items of a caller's iterable, read now; an object that fails to give them is refused, whatever it
    raised, since a value of the caller's own class may raise anything."""
    try:
        return list(value)
    except ClosedLoopError:
        raise
    except Exception as error:
        raise InvalidInput(f"{what} could not be read as a list ({type(error).__name__}); give a list") from None


def id_set(value: object, what: str) -> frozenset[str]:
    """Ids given as one text, or as a list, tuple or set of texts."""
    if isinstance(value, str):
        return frozenset((identifier(value, what),))
    if isinstance(value, Mapping | bytes | bytearray) or not isinstance(value, Iterable):
        raise InvalidInput(f"{what} must be ids: a text, or a list or set of texts; got {shown(value)}")
    return frozenset(identifier(item, f"each of {what}") for item in read_items(value, what))


def texts(value: object, what: str) -> tuple[str, ...]:
    """Texts given as a list or tuple (one text is refused: it would be read letter by letter)."""
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{what} must be a list of texts; got {shown(value)}")
    return tuple(text(item, f"each of {what}") for item in value)


# -- attrs validators and converters, naming the record and the field ------------------------------------------


def _named(record: str, attribute: attrs.Attribute[Any]) -> str:
    return f"{record} {attribute.name!r}"


def text_field(record: str, *, optional: bool = False, one_line: bool = False) -> Validator:
    """Text (``None`` too when ``optional``); on one line when it may end up in an email header.

    The usual text is let through before the field is named for a message that is not needed: on one line,
    ASCII with no control character; else any text UTF-8 can store (a comment with an accent is the usual
    case, and :func:`storable` tells it in C).
    """
    if one_line:

        def check_line(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
            if type(value) is str and value.isascii() and value.isprintable():
                return
            if value is not None or not optional:
                text(value, _named(record, attribute), one_line=True)

        return check_line

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is str and (value.isascii() or storable(value)):
            return
        if value is not None or not optional:
            text(value, _named(record, attribute))

    return check


def id_field(record: str, *, one_line: bool = False) -> Validator:
    """A non-empty text; on one line when it may end up in an email header."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is str and value.isascii() and value.isprintable() and value and not value.isspace():
            return  # the usual id, as :func:`text_field` tells it
        identifier(value, _named(record, attribute))
        if one_line:
            single_line(value, _named(record, attribute))

    return check


def time_field(record: str, *, optional: bool = False) -> Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is datetime and type(value.tzinfo) in ZONES_WITH_OFFSETS:
            return  # the usual time, told without naming the field for a message that is not needed
        if value is not None or not optional:
            aware_time(value, _named(record, attribute))

    return check


def number_field(record: str, *, optional: bool = False) -> Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None or not optional:
            number(value, _named(record, attribute))

    return check


def whole_field(record: str, lowest: int, highest: int, *, optional: bool = False) -> Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None or not optional:
            whole_number(value, _named(record, attribute), lowest, highest)

    return check


def flag_field(record: str) -> Validator:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, bool):
            raise InvalidInput(f"{_named(record, attribute)} must be True or False; got {shown(value)}")

    return check


def instance_field(cls: type, record: str, example: str, *, optional: bool = False) -> Validator:
    """An instance of a record class, e.g. a Contact in Feedback."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls) and not (value is None and optional):
            raise InvalidInput(f"{_named(record, attribute)} must be {example}; got {shown(value)}")

    return check
