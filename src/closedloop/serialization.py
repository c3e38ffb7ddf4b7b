"""One cattrs converter that turns every domain object into JSON-ready data and back."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
import msgspec
from cattrs.preconf.json import make_converter

from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Comment, as_comments, as_text

T = TypeVar("T")

converter = make_converter()
converter.register_unstructure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), lambda member: member.value
)
converter.register_unstructure_hook(tuple[float, float] | None, lambda scale: None if scale is None else list(scale))
# the same set always gives the same JSON
converter.register_unstructure_hook_func(lambda cls: getattr(cls, "__origin__", None) is frozenset, sorted)


def _enum_member(value: Any, cls: Any) -> Any:
    """Look the member up by value; ``cls(value)`` does the same, several times slower."""
    try:
        return cls._value2member_map_[value]
    except (KeyError, TypeError):
        return cls(value)  # raises the usual ValueError for a value the enum lacks


def _tuple_of(cls: Any, owner: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Homogeneous tuples built with one list comprehension rather than cattrs' general tuple path; their
    elements as ``owner``, the converter asking, structures them."""
    arguments: tuple[Any, ...] = getattr(cls, "__args__", ())
    if len(arguments) == 2 and arguments[1] is Ellipsis:
        element_type = arguments[0]
        if element_type in (int, float):
            return lambda values, _cls: tuple(element_type(value) for value in values)
        element = owner.get_structure_hook(element_type)
        return lambda values, _cls: tuple([element(value, element_type) for value in values])
    return lambda values, _cls: tuple(
        owner.structure(value, value_type) for value, value_type in zip(values, arguments, strict=True)
    )


def _text_or_member(value: Any, cls: Any) -> Any:
    """Text as the records take it (a number as its digits, None as empty, a list refused); cattrs asks the
    same hook for the members of text enums, as subclasses of ``str``."""
    if cls is str:
        return as_text(value, "the value")
    return _enum_member(value, cls) if issubclass(cls, enum.Enum) else cls(value)


_FLAGS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False, "": False}


def _yes_or_no(value: Any, _cls: Any) -> bool:
    """True or False, also as files spell them ("true", "no", "1", ...); anything else is refused."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _FLAGS:
        return _FLAGS[value.strip().lower()]
    raise InvalidInput(f"must be true or false; got {value!r}")


def _comments_of(_cls: Any, owner: cattrs.Converter) -> Callable[[Any, Any], tuple[Comment, ...]]:
    """Comments as the constructor takes them: one text, or a list of texts and of comments' fields, which
    ``owner``, the converter asking, structures."""

    def comment(item: Any) -> str | Comment:
        if isinstance(item, str):
            return item
        if isinstance(item, Mapping):
            return owner.structure(item, Comment)
        raise InvalidInput(f"each comment is a text or a mapping with its text; got {item!r}")

    def structure(value: Any, _cls: Any) -> tuple[Comment, ...]:
        if isinstance(value, str):
            return as_comments(value)
        if not isinstance(value, list | tuple):
            raise InvalidInput(f"comments are a text or a list of texts and comments; got {value!r}")
        return as_comments([comment(item) for item in value])

    return structure


converter.register_structure_hook_func(lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), _enum_member)
converter.register_structure_hook(str, _text_or_member)
converter.register_structure_hook(bool, _yes_or_no)
converter.register_structure_hook_factory(lambda cls: getattr(cls, "__origin__", None) is tuple, _tuple_of)
converter.register_structure_hook_factory(lambda cls: cls == tuple[Comment, ...], _comments_of)  # after tuples


def _leave_to_encoder(cls: Any) -> Callable[[Any], Any]:
    """Tuples of records become lists of their dicts; other tuples the JSON encoder writes as they are."""
    arguments: tuple[Any, ...] = getattr(cls, "__args__", ())
    if len(arguments) == 2 and arguments[1] is Ellipsis and attrs.has(arguments[0]):
        element = storage_converter.get_unstructure_hook(arguments[0])
        return lambda values: [element(value) for value in values]
    return lambda values: values


# The same JSON as ``converter`` gives, made faster for storage: msgspec writes datetimes, enums and tuples
# itself, in C, so they are left to it.
storage_converter = converter.copy()
storage_converter.register_unstructure_hook(datetime, lambda moment: moment)
storage_converter.register_unstructure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), lambda member: member
)
storage_converter.register_unstructure_hook_factory(
    lambda cls: getattr(cls, "__origin__", None) is tuple, _leave_to_encoder
)


def to_data(value: Any) -> Any:
    """Plain dicts, lists, strings and numbers; datetimes become ISO 8601 strings."""
    return converter.unstructure(value)


def from_data(data: Any, cls: type[T]) -> T:
    """Rebuild a domain object from :func:`to_data`'s output; bad data is an :class:`InvalidInput`."""
    try:
        return converter.structure(data, cls)
    except cattrs.BaseValidationError as error:
        reasons = "; ".join(cattrs.transform_error(error, format_exception=_reason))
        raise InvalidInput(f"this data does not describe a {cls.__name__}: {reasons}") from None
    except (ValueError, TypeError, KeyError) as error:
        raise InvalidInput(f"this data does not describe a {cls.__name__}: {error}") from None


def _reason(error: BaseException, type_: Any) -> str:
    """Keep closedloop's own messages, which say what is wrong; cattrs words the rest."""
    return str(error) if isinstance(error, InvalidInput) else cattrs.v.format_exception(error, type_)


_json_encoder = msgspec.json.Encoder()


def encode(value: Any) -> str:
    """Compact JSON for storage, with sets sorted as :func:`to_data` sorts them."""
    return _json_encoder.encode(storage_converter.unstructure(value)).decode("utf-8")


def encode_record(record: Any) -> str:
    """Compact JSON of an attrs record with no sets in it, written by msgspec straight from its fields.

    Several times faster than :func:`encode` (no intermediate dicts), which is what keeps bulk intake close
    to the database's own speed; the JSON reads back the same.
    """
    return _json_encoder.encode(record).decode("utf-8")


def encode_record_into(record: Any, buffer: bytearray) -> None:
    """Append :func:`encode_record`'s JSON, as UTF-8, to ``buffer``: many records end to end, no copies."""
    _json_encoder.encode_into(record, buffer, -1)


def encode_plain(value: Any) -> bytes:
    """JSON of plain lists, tuples, strings and numbers, as UTF-8 bytes."""
    return _json_encoder.encode(value)


def decode(text: str | bytes, cls: type[T]) -> T:
    """The inverse of :func:`encode`, for documents this library stored itself.

    msgspec builds the records straight from the JSON, running their checks as their constructors would:
    about three times faster than plain data structured by cattrs, which is most of what showing an inbox
    page of conversations not read before costs. msgspec holds each value to its field's type, which the
    records' constructors do not, so a document holding, say, a number among texts is read by cattrs, which
    makes it the text it always read as.
    """
    decoder = _decoders.get(cls)
    if decoder is None:  # two threads may both build one; either will do
        decoder = _decoders[cls] = msgspec.json.Decoder(cls)
    try:
        return decoder.decode(text)  # type: ignore[no-any-return]
    except msgspec.ValidationError:
        return _stored_converter.structure(read_json(text), cls)


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def _any_text_or_member(value: Any, cls: Any) -> Any:
    """Text from whatever earlier releases stored where text belongs (they kept values as given)."""
    if cls is str and not isinstance(value, str):
        return "" if value is None else str(value)
    return _text_or_member(value, cls)


# Reads documents stored by earlier releases as they always read: a list in a text field as its repr, say.
_stored_converter = converter.copy()
_stored_converter.register_structure_hook(str, _any_text_or_member)
_stored_converter.register_structure_hook(bool, lambda value, _cls: bool(value))


def read_json(text: str | bytes) -> Any:
    """Plain data from JSON this library stored."""
    return msgspec.json.decode(text)


def to_json(value: Any) -> str:
    """Indented JSON for people and exports."""
    return json.dumps(to_data(value), ensure_ascii=False, indent=2, sort_keys=True)


def from_json(text: str, cls: type[T]) -> T:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"not JSON: {error}") from None
    return from_data(data, cls)
