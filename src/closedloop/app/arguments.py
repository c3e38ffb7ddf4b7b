"""The checks every use case runs on its arguments before it opens a transaction.

A wrong argument (a list where an id goes, a number too large for any store, a flag given as text) is refused
here with :class:`InvalidInput` naming the argument, saying what it must be and showing what it got, before
anything is read or written. Without these checks it would escape later as whatever the value makes a store
or the standard library raise. Texts follow the rule of :mod:`closedloop.domain.text`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeGuard, TypeVar

from closedloop.app.access import UserRef
from closedloop.domain.errors import InvalidInput
from closedloop.domain.people import User
from closedloop.domain.text import checked_text, required_text, shown
from closedloop.domain.values import read_items
from closedloop.ports import Store

E = TypeVar("E", bound=enum.Enum)
R = TypeVar("R")


def record(value: object, kind: type[R], call: str, *, hint: str = "") -> R:
    """One of closedloop's records (a Place, a Feedback, ...), as ``call`` takes it."""
    if not isinstance(value, kind):
        raise InvalidInput(f"{call} takes a closedloop.{kind.__name__}; got {shown(value)}{'; ' if hint else ''}{hint}")
    return value


def url_or_store(url: object, store: object) -> tuple[str | None, Store | None]:
    """Where ``Desk.open`` opens a desk: a store URL (a non-empty text), or an open store, or neither."""
    if url is not None and store is not None:
        raise InvalidInput("give Desk.open either a url or a store, not both")
    if store is not None and not isinstance(store, Store):
        raise InvalidInput(
            f"store must be an open closedloop store (with transaction() and close()); got {shown(store)}"
        )
    return optional_name(url, "url"), store


def text(value: object, what: str) -> str:
    """Any text that can be stored (empty too); the use case or the domain says when it must not be empty."""
    return checked_text(value, what)


def identifier(value: object, what: str) -> str:
    """The id of a record: a text that is not empty, as records are given one, and holds no NUL, which a
    database column cannot hold (PostgreSQL refuses one), so no store can have such an id."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must be an id: a non-empty text; got {shown(value)}")
    return _without_nul(checked_text(value, what), what)


def optional_identifier(value: object, what: str) -> str | None:
    return None if value is None else identifier(value, what)


def name(value: object, what: str) -> str:
    """The name of a registered part (a platform, an assistant, a tone): a non-empty text."""
    return required_text(value, what)


def optional_name(value: object, what: str) -> str | None:
    return None if value is None else name(value, what)


def user_ref(value: object, what: str) -> UserRef:
    """A user given as its id or as the ``User`` itself; it is looked up in the store afterwards."""
    if isinstance(value, User):
        return value
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must be a user id (a non-empty text) or a closedloop.User; got {shown(value)}")
    return _without_nul(checked_text(value, what), what)


def _without_nul(value: str, what: str) -> str:
    if (position := value.find("\x00")) >= 0:
        raise InvalidInput(f"{what} holds a NUL character (at position {position}), which no id can hold")
    return value


def identifiers(value: object, what: str) -> frozenset[str]:
    """Ids given as one text, or as a list, tuple, set or other iterable of texts (not a dict)."""
    if isinstance(value, str):
        return frozenset((identifier(value, what),))
    if isinstance(value, Mapping | bytes | bytearray) or not isinstance(value, Iterable):
        raise InvalidInput(f"{what} must be one id or a list of ids (texts); got {shown(value)}")
    return frozenset(identifier(item, f"each item of {what}") for item in read_items(value, what))


def optional_identifiers(value: object, what: str) -> frozenset[str] | None:
    return None if value is None else identifiers(value, what)


def texts(value: object, what: str, *, one: str) -> tuple[str, ...]:
    """Texts given as one text, or as a list, tuple or set of texts; ``one`` says what each is."""
    if isinstance(value, str):
        return (text(value, what),)
    if not isinstance(value, list | tuple | set | frozenset):
        raise InvalidInput(f"{what} must be {one}, or a list of them; got {shown(value)}")
    return tuple(text(item, f"each item of {what}") for item in value)


def many(value: object, what: str, *, each: str) -> Iterable[object]:
    """Any number of items, read once: a list, a tuple, a generator... A text or a dict is refused, since
    iterating it would read letters or keys; a dict is one item, to be wrapped in a list."""
    if isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a list (or any iterable) of {each}; a dict is one item: wrap it, [item]")
    if isinstance(value, str | bytes | bytearray) or not isinstance(value, Iterable):
        raise InvalidInput(f"{what} must be a list (or any iterable) of {each}; got {shown(value)}")
    try:
        return iter(value)  # read once, lazily: here only asked for, so a broken iterable is refused now
    except Exception as error:
        raise InvalidInput(f"{what} could not be read ({type(error).__name__}); give a list of {each}") from None


def whole_number(value: object, what: str, lowest: int, highest: int) -> int:
    """An int from ``lowest`` to ``highest`` (a bool is not taken for one)."""
    if not _whole_between(value, lowest, highest):
        raise InvalidInput(f"{what} must be a whole number from {lowest} to {highest}; got {shown(value)}")
    return value


def optional_whole_number(value: object, what: str, lowest: int, highest: int, *, none_means: str) -> int | None:
    """A whole number as :func:`whole_number`, or None, which means what ``none_means`` says."""
    if value is not None and not _whole_between(value, lowest, highest):
        raise InvalidInput(
            f"{what} must be a whole number from {lowest} to {highest}, or None for {none_means}; got {shown(value)}"
        )
    return value


def _whole_between(value: object, lowest: int, highest: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= highest


def seconds(value: object, what: str, lowest: float, highest: float) -> float:
    """A finite number of seconds, int or float, from ``lowest`` to ``highest``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not lowest <= value <= highest:
        raise InvalidInput(f"{what} must be a number of seconds from {lowest:g} to {highest:g}; got {shown(value)}")
    return float(value)  # NaN fails the comparison above, and the range keeps out infinity


def member(choices: type[E], value: object, what: str) -> E:
    """The member of ``choices`` that ``value`` is or names (by its value); refused with the values listed."""
    for option in choices:
        if value is option or (isinstance(value, str) and value == option.value):
            return option
    raise InvalidInput(
        f"{what} must be one of {', '.join(str(option.value) for option in choices)}; got {shown(value)}"
    )


def optional_member(choices: type[E], value: object, what: str) -> E | None:
    return None if value is None else member(choices, value, what)


def one_of(value: object, what: str, allowed: Collection[str]) -> str:
    """One of a few fixed texts; refused with them listed."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"{what} must be one of {', '.join(allowed)}; got {shown(value)}")
    return value


def flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be True or False; got {shown(value)}")
    return value


def callback(value: object, what: str) -> Callable[..., Any] | None:
    """A function to call back, or None."""
    if value is not None and not callable(value):
        raise InvalidInput(f"{what} must be a function taking one argument, or None; got {shown(value)}")
    return value
