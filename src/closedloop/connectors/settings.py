"""A connector's settings, declared once as an attrs class and read from the desk's ``extra`` or the environment.

Every connector needs the same thing: its settings from ``Desk.open(extra={"trustpilot": {...}})`` or else
from ``CLOSEDLOOP_TRUSTPILOT_*`` variables (so the command line works without code), each converted to the
type its field declares, with a typo refused rather than ignored. Declaring the fields once gives all of it.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import attrs

from closedloop.domain.errors import InvalidInput, NotConfigured
from closedloop.domain.text import shown
from closedloop.settings import Settings

S = TypeVar("S")

TRUE = frozenset({"true", "yes", "on", "1"})
FALSE = frozenset({"false", "no", "off", "0"})
DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([dhms]?)")
UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "": "seconds"}
#: The types a settings class names, found even when its module cannot be looked up (code run with exec).
KNOWN_TYPES: dict[str, Any] = {
    "timedelta": timedelta, "Mapping": Mapping, "Sequence": Sequence, "Callable": Callable, "Any": Any
}  # fmt: skip


def variable(key: str, field: str | attrs.Attribute[Any]) -> str:
    """The environment variable of one setting: ``CLOSEDLOOP_<KEY>_<FIELD>``, upper case. ``field`` is the
    field's name, or the field itself (``attrs.fields(MySettings).base_url``), whose
    ``metadata={"variable": "URL"}`` replaces the ``<FIELD>`` part: ``CLOSEDLOOP_<KEY>_URL``."""
    if not isinstance(key, str) or not key.strip():
        raise InvalidInput(f"a connector's settings key is a name such as 'trustpilot'; got {shown(key)}")
    if isinstance(field, attrs.Attribute):
        field = field.metadata.get("variable", field.name)
        if not isinstance(field, str) or not field.strip():
            raise InvalidInput(f"a field's metadata variable is the end of its variable's name; got {shown(field)}")
    if not isinstance(field, str) or not field.strip():
        raise InvalidInput(
            f"variable() takes a field's name or the attrs field itself (attrs.fields(...).name); got {shown(field)}"
        )
    return f"CLOSEDLOOP_{key}_{field}".upper()


def pairs(text: str, where: str, *, example: str = "name=value") -> dict[str, str]:
    """``"s1=paris, s2=lyon"`` as a mapping: how a variable gives a dict, such as a platform's ids to places."""
    found = [item.partition("=") for item in text.split(",") if item.strip()]
    if any(not sep or not name.strip() or not value.strip() for name, sep, value in found):
        raise InvalidInput(f"{where} lists {example!r} pairs separated by commas; got {shown(text)}")
    return {name.strip(): value.strip() for name, _sep, value in found}


def settings_for(kind: type[S], settings: Settings, key: str, *, environ: Mapping[str, str] | None = None) -> S | None:
    """The settings ``kind`` (an attrs class) from ``settings.extra[key]``, else from the environment's
    ``CLOSEDLOOP_<KEY>_<FIELD>`` variables; ``None`` when neither gives any, so an installed connector nobody
    configured registers nothing.

    Values are converted to the fields' types (from text too: ``"50"`` for an int, ``"a=b,c=d"`` for a dict,
    ``"30d"`` for a timedelta); an unknown key is refused naming the known ones, a missing required field
    saying how to give it."""
    if not attrs.has(kind):
        raise InvalidInput(f"settings_for takes an attrs class of settings; got {shown(kind)}")
    fields = {field.name: field for field in attrs.fields(kind)}
    try:
        hints = typing.get_type_hints(kind, localns=KNOWN_TYPES)
    except NameError as unresolved:
        raise InvalidInput(f"the field types of {kind.__name__} cannot be read: {unresolved}") from None
    given = settings.extra.get(key)
    if given is None:
        environ = os.environ if environ is None else environ
        names = {name: variable(key, field) for name, field in fields.items()}
        found = {name: environ[names[name]] for name in fields if environ.get(names[name], "")}
        if not found:
            return None
        values = {name: convert(text, hints[name], names[name], from_text=True) for name, text in found.items()}
    else:
        if not isinstance(given, Mapping):
            raise InvalidInput(f"extra[{key!r}] must be a dict of settings; got {shown(given)}")
        unknown = sorted(str(name) for name in given if name not in fields)
        if unknown:
            raise InvalidInput(f"unknown {key} setting(s): {', '.join(unknown)}; known: {', '.join(sorted(fields))}")
        values = {
            name: convert(value, hints[name], f"extra[{key!r}][{name!r}]", from_text=False)
            for name, value in given.items()
        }
    missing = [name for name, field in fields.items() if field.default is attrs.NOTHING and name not in values]
    if missing and given is None:
        needed = ", ".join(names[name] for name in missing)
        raise NotConfigured(f"the {key} connector is half configured: set {needed} too, or none of its variables")
    if missing:
        raise NotConfigured(
            f"the {key} connector needs {', '.join(missing)}: give Desk.open(extra={{{key!r}: "
            f"{{{missing[0]!r}: ...}}}}), or leave extra[{key!r}] out and set its variables instead"
        )
    try:
        return typing.cast(S, kind(**values))
    except (TypeError, ValueError) as error:  # an attrs validator of the connector's; InvalidInput passes as is
        if isinstance(error, InvalidInput):
            raise
        raise InvalidInput(f"the {key} settings were refused: {error}") from None


def convert(value: object, hint: Any, where: str, *, from_text: bool) -> Any:
    """``value`` as the type ``hint`` names; text from the environment is parsed, anything else checked."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        members = typing.get_args(hint)
        if type(None) in members and (value is None or (from_text and value == "")):
            return None
        refusals = []
        for member in (member for member in members if member is not type(None)):
            try:
                return convert(value, member, where, from_text=from_text)
            except InvalidInput as refusal:
                refusals.append(str(refusal))
        raise InvalidInput(refusals[0] if len(refusals) == 1 else f"{where} fits none of its types: {shown(value)}")
    reader = READERS.get(origin or hint)
    if reader is not None:
        return reader(value, hint, where, from_text)
    if hint is Any or (origin is None and isinstance(hint, type) and isinstance(value, hint)):
        return value
    if origin is Callable or hint is Callable:
        if callable(value):
            return value
        raise InvalidInput(f"{where} must be a function; got {shown(value)}")
    raise InvalidInput(f"{where} must be {getattr(hint, '__name__', hint)}; got {shown(value)}")


def _text(value: object, hint: Any, where: str, from_text: bool) -> str:
    if isinstance(value, str):
        return value
    raise InvalidInput(f"{where} must be text; got {shown(value)}")


def _flag(value: object, hint: Any, where: str, from_text: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise InvalidInput(f"{where} must be true or false; got {shown(value)}")


def _whole(value: object, hint: Any, where: str, from_text: bool) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise InvalidInput(f"{where} must be a whole number; got {shown(value)}")


def _number(value: object, hint: Any, where: str, from_text: bool) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        return float(value)
    raise InvalidInput(f"{where} must be a number; got {shown(value)}")


def _duration(value: object, hint: Any, where: str, from_text: bool) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    matched = DURATION.fullmatch(value.strip().lower()) if isinstance(value, str) else None
    if matched is None:
        raise InvalidInput(f"{where} must be a duration such as 30d, 12h, 15m or 90 (seconds); got {shown(value)}")
    return timedelta(**{UNITS[matched[2]]: float(matched[1])})


def _mapping(value: object, hint: Any, where: str, from_text: bool) -> dict[str, str]:
    if isinstance(value, str) and from_text:
        return pairs(value, where)
    if isinstance(value, Mapping) and all(
        isinstance(name, str) and isinstance(text, str) for name, text in value.items()
    ):
        return dict(value)
    raise InvalidInput(f"{where} must be a dict of texts, e.g. {{'shop-id': 'place-id'}}; got {shown(value)}")


def _texts(value: object, hint: Any, where: str, from_text: bool) -> tuple[str, ...]:
    if isinstance(value, str) and from_text:
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(value, Sequence) and not isinstance(value, str) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise InvalidInput(f"{where} must be a list of texts; got {shown(value)}")


READERS: Mapping[Any, Callable[[object, Any, str, bool], Any]] = {
    str: _text,
    bool: _flag,
    int: _whole,
    float: _number,
    timedelta: _duration,
    dict: _mapping,
    Mapping: _mapping,
    tuple: _texts,
    list: _texts,
    Sequence: _texts,
}
