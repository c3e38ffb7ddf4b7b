"""One cattrs converter that turns every domain object into JSON-ready data and back.

Data given by callers (``from_data``, the dicts of ``ingest_many``) is read strictly: a record must be a
mapping of its own fields, and a key the record does not have is refused, naming it. Documents a store
wrote (``decode``) are read leniently, as earlier releases wrote them.
"""

from __future__ import annotations

import enum
import json
import numbers
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
import msgspec
from cattrs.preconf.json import make_converter

from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Comment, Rating, as_comments, as_text
from closedloop.domain.messages import OutboundMessage
from closedloop.domain.people import User
from closedloop.domain.text import flattened, shown
from closedloop.domain.values import one_of

T = TypeVar("T")

converter = make_converter(forbid_extra_keys=True)
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
        return one_of(cls, value, _in_words(cls.__name__))  # refused, with the values it may take


def _in_words(name: str) -> str:
    """``RatingKind`` as "rating kind", for messages."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def _record_of(cls: Any, owner: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """A record from a mapping of its fields, as ``owner``, the converter asking, reads them (strict for
    callers' data, where a key the record lacks is refused); anything but a mapping is refused, rather than
    read as a record with every field left at its default."""
    structure = owner.gen_structure_attrs_fromdict(cls)
    fields = ", ".join(field.name for field in attrs.fields(cls))

    def record(value: Any, _cls: Any) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):
            raise InvalidInput(f"a {cls.__name__} is given as a mapping of its fields ({fields}); got {shown(value)}")
        return structure(value, _cls)

    return record


def _number(value: Any, _cls: Any) -> Any:
    """A number as given, or read from a text as files hold it; its size is the record's to check. A text
    in other digits than 0-9, which Python reads too (an Arabic-Indic seven as 7), is refused, saying so."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str | numbers.Real) and not isinstance(value, bool):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            pass
        else:
            if not isinstance(value, str) or str.strip(value).isascii():  # a no-break space around is not a digit
                return number
            raise InvalidInput(f"must be a number written with the ASCII digits 0-9; got {shown(value)}")
    raise InvalidInput(f"must be a number; got {shown(value)}")


def _moment(value: Any, _cls: Any) -> datetime:
    """A time as an ISO 8601 text, or a datetime as given; whether it says its zone is the record's check."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(
        f"must be a time as an ISO 8601 text with its offset, e.g. '2026-01-05T09:30:00+00:00'; got {shown(value)}"
    )


def _whole(value: Any, _cls: Any) -> int:
    """A whole number as given, or read from a text or a float that holds one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise InvalidInput(f"must be a whole number; got {shown(value)}")


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
        return value if type(value) is str and value.isascii() else as_text(value, "the value")
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
    raise InvalidInput(f"must be true or false; got {shown(value)}")


def _comments_of(_cls: Any, owner: cattrs.Converter) -> Callable[[Any, Any], tuple[Comment, ...]]:
    """Comments as the constructor takes them: one text, or a list of texts and of comments' fields, which
    ``owner``, the converter asking, structures."""

    def comment(item: Any) -> str | Comment:
        if isinstance(item, str):
            return item
        if isinstance(item, Mapping):
            return owner.structure(item, Comment)
        raise InvalidInput(f"each comment is a text or a mapping with its text; got {shown(item)}")

    def structure(value: Any, _cls: Any) -> tuple[Comment, ...]:
        if isinstance(value, str):
            return as_comments(value)
        if not isinstance(value, list | tuple):
            raise InvalidInput(f"comments are a text or a list of texts and comments; got {shown(value)}")
        return as_comments([comment(item) for item in value])

    return structure


converter.register_structure_hook_func(lambda cls: isinstance(cls, type) and issubclass(cls, enum.Enum), _enum_member)
converter.register_structure_hook(str, _text_or_member)
converter.register_structure_hook(bool, _yes_or_no)
converter.register_structure_hook(float, _number)
converter.register_structure_hook(int, _whole)
converter.register_structure_hook(datetime, _moment)
converter.register_structure_hook_factory(attrs.has, _record_of)
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
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as error:
        raise InvalidInput(f"this data does not describe a {cls.__name__}: {error}") from None


def _reason(error: BaseException, type_: Any) -> str:
    """Keep closedloop's own messages, which say what is wrong; cattrs words the rest."""
    if isinstance(error, InvalidInput):
        return str(error)
    if isinstance(error, cattrs.ForbiddenExtraKeysError):
        unknown = ", ".join(sorted(shown(key) for key in error.extra_fields))
        known = ", ".join(field.name for field in attrs.fields(error.cl))
        return f"unknown key {unknown}: a {error.cl.__name__} has only {known}"
    return cattrs.v.format_exception(error, type_)


def _plain(value: object) -> object:
    """What msgspec cannot write by itself: a subclass of str (as web frameworks hand out) is written as the
    plain text it holds, never through its own ``__str__``."""
    if isinstance(value, str):
        return str.__str__(value)
    raise NotImplementedError(f"closedloop cannot store a {type(value).__name__}")


_json_encoder = msgspec.json.Encoder(enc_hook=_plain)


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


#: Fields that go in email headers, which records now keep on one line; earlier releases did not.
_ONE_LINE_FIELDS: Mapping[type, tuple[str, ...]] = {
    User: ("name", "email"),
    OutboundMessage: ("subject", "sender_name"),
}


def _stored_record_of(cls: Any, owner: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """A record as an earlier release stored it: keys it no longer has are skipped, and a line break in a
    field that goes in an email header is read as a space."""
    structure = owner.gen_structure_attrs_fromdict(cls)
    if cls is Rating:
        return _stored_rating(structure)
    one_line = _ONE_LINE_FIELDS.get(cls, ())
    if not one_line:
        return structure

    def record(value: Any, _cls: Any) -> Any:
        if isinstance(value, Mapping):
            value = {**value, **{name: flattened(value[name]) for name in one_line if isinstance(value.get(name), str)}}
        return structure(value, _cls)

    return record


def _stored_rating(structure: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A rating as stored: an NPS answer that is not whole (a 7.5), which earlier releases took and ratings now
    refuse, reads back as it was, every other check still made, so that no stored conversation turns unreadable."""

    def rating(value: Any, cls: Any) -> Any:
        try:
            return structure(value, cls)
        except (InvalidInput, cattrs.BaseValidationError):
            given = value.get("value") if isinstance(value, Mapping) else None
            if type(given) is not float or given.is_integer():
                raise
            read = structure({**value, "value": round(given)}, cls)
            low, high = read.bounds
            if not low <= given <= high:
                raise
            object.__setattr__(read, "value", given)  # the one check it fails is the one earlier releases lacked
            return read

    return rating


# Reads documents stored by earlier releases as they always read: a list in a text field as its repr, say.
_stored_converter = converter.copy(forbid_extra_keys=False)
_stored_converter.register_structure_hook(str, _any_text_or_member)
_stored_converter.register_structure_hook(bool, lambda value, _cls: bool(value))
_stored_converter.register_structure_hook_factory(attrs.has, _stored_record_of)


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
