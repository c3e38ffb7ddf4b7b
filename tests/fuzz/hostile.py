"""Hostile values: what a careless caller, a messy data file or an attacker may hand to closedloop.

Every strategy here draws values an entry point must either take or refuse with a ``ClosedLoopError``: wrong
types, numbers at and past every boundary, text no encoder takes or that could start a header line, sizes
far past the usual, nesting deep enough to exhaust recursion, and objects whose every method raises.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

import closedloop as cl


class HostileError(Exception):
    """Raised by every method of :class:`HostileObject`: when it escapes, closedloop used a value it should
    have refused by its type."""


class HostileObject:
    """An object whose comparisons, hashing, conversions and iteration all raise."""

    def _fail(self, *_args: object, **_kwargs: object) -> Any:
        raise HostileError("a hostile object was used instead of refused")

    __repr__ = __str__ = __format__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _fail
    __hash__ = __bool__ = __len__ = __iter__ = __index__ = __int__ = __float__ = __fspath__ = _fail  # type: ignore[assignment]

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        """How Hypothesis shows it in a failing example, since ``repr`` raises."""
        printer.text("HostileObject()")


class Subtext(str):
    """A ``str`` subclass, as web libraries hand out (escaped markup, say): it is text, to be taken as text."""

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(f"Subtext({str(self)!r})")


class DeepList(list[Any]):
    """Lists nested ``depth`` deep; shown by its depth, since printing it would exhaust recursion."""

    def __init__(self, depth: int) -> None:
        value: list[Any] = ["bottom"]
        for _ in range(depth - 1):
            value = [value]
        super().__init__([value])
        self.depth = depth

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(f"DeepList({self.depth})")


class DeepDict(dict[str, Any]):
    """Dicts nested ``depth`` deep, as a metadata column of JSON might hold; shown by its depth."""

    def __init__(self, depth: int) -> None:
        value: dict[str, Any] = {"key": "bottom"}
        for _ in range(depth - 1):
            value = {"key": value}
        super().__init__(key=value)
        self.depth = depth

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:
        printer.text(f"DeepDict({self.depth})")


#: Texts that broke, or could break, something somewhere: encoders, headers, templates, parsers, sizes.
SPECIAL_TEXTS: tuple[str, ...] = (
    "",
    " ",
    "\t\n",
    "\x00",
    "a\x00b",
    "\r\n",
    "name\r\nBcc: victim@example.com",
    "name\nSubject: pwned",
    "\u2028\u2029\x85\x0b\x0c",
    "\ud800",
    "a\udfffb",
    "\udc80\udcff",
    "\u202eevil\u202c",
    "\u200f\u200e\u061c",
    "e\u0301\u0301\u0301\u0301",
    "\ufeff",
    "\uffff\U0010ffff",
    "🙂👍🏽",
    "=?utf-8?q?=0D=0AReply-To:_attacker@example.com?=",
    "=?utf-8?q?Ana=0D=0ABcc:_victim@example.com?=",
    "=?utf-8?b?DQpCY2M6IHZpY3RpbUBleGFtcGxlLmNvbQ==?=",
    "=?iso-8859-1?q?=0A?=",
    "{first_name.__class__.__mro__}",
    "{0}",
    "{",
    "}}{{",
    "%s%s%n",
    "' OR 1=1 --",
    "\\",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "x" * 100_000,
    "é" * 100_000,
    "\ud800" * 1000,
    "a\u0300" * 50_000,
    "paris",
    "admin",
    "google",
    "email",
    "inbox",
    "2026-01-05",
    "NaN",
    "-0",
    "1e400",
)

# every code point, lone surrogates included (Hypothesis leaves them out unless asked)
_ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None, exclude_categories=())

NUMBERS: tuple[Any, ...] = (
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**400,
    -(10**400),
    True,
    False,
    0.5,
    -0.0,
    float("nan"),
    float("inf"),
    float("-inf"),
    5e-324,
    1.7976931348623157e308,
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("1e400"),
    Decimal("-0"),
    Fraction(1, 3),
    complex(1, 1),
)

MOMENTS: tuple[Any, ...] = (
    datetime(2026, 1, 5, 9, 0),  # naive
    datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=23, minutes=59))),
    datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=-23, minutes=-59))),
    date(2026, 1, 5),
    time(9, 0, tzinfo=UTC),
    timedelta(0),
    timedelta(-1),
    timedelta.max,
    timedelta.min,
)

#: Values of the wrong type, each built fresh for every draw (a caller may keep and reuse its own).
_WRONG_TYPES: tuple[Any, ...] = (
    lambda: None,
    lambda: b"paris",
    lambda: b"\xff\xfe",
    lambda: bytearray(b"x"),
    lambda: memoryview(b"x"),
    list,
    lambda: ["paris"],
    lambda: [None],
    lambda: [["paris"]],
    dict,
    lambda: {"paris": 1},
    lambda: {None: None},
    set,
    lambda: {"paris"},
    lambda: frozenset({1}),
    tuple,
    lambda: ("a", "b", "c"),
    lambda: iter(["paris"]),
    lambda: range(3),
    lambda: ["x"] * 100_000,
    object,
    HostileObject,
    lambda: [HostileObject()],
    lambda: {"k": HostileObject()},
    lambda: Subtext("paris"),
    lambda: str,
    lambda: print,
    lambda: ...,
    lambda: NotImplemented,
    lambda: _set_event(),
    lambda: cl.Status.DONE,
    lambda: cl.Place(id="paris", name="Paris Opera"),
    lambda: cl.User(id="admin", name="Ada Admin", role=cl.Role.ADMIN),
    cl.Contact,
    lambda: DeepList(5_000),
    lambda: DeepDict(5_000),
    lambda: DeepList(100),
)


def _set_event() -> threading.Event:
    """An event already set: one that is not would keep ``desk.work(stop=...)`` running for ever."""
    event = threading.Event()
    event.set()
    return event


def texts() -> st.SearchStrategy[str]:
    """Hostile text: the special cases above, and short random text over every code point."""
    return st.one_of(st.sampled_from(SPECIAL_TEXTS), st.text(_ANY_CHARACTER, max_size=30))


def numbers() -> st.SearchStrategy[Any]:
    """Numbers at and past every boundary, of every numeric type, and random ones."""
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.integers(),
        st.floats(),
    )


def moments() -> st.SearchStrategy[Any]:
    """Times and durations at their limits, naive or aware, of the neighbouring types."""
    return st.sampled_from(MOMENTS)


def wrong_types() -> st.SearchStrategy[Any]:
    """Containers, bytes, types, records of another kind, hostile objects, deep nesting: fresh each draw."""
    return st.sampled_from(_WRONG_TYPES).map(lambda build: build())


def anything() -> st.SearchStrategy[Any]:
    """Any hostile value at all."""
    return st.one_of(texts(), numbers(), wrong_types(), moments())
