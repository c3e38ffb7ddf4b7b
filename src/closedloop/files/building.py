"""Turning one row of a file into :class:`Feedback`, as its column mapping says.

This runs once per row of files that may hold millions, so the mapping is worked out once per file into
plain lists of columns, and each row is only looked up, never copied or matched against patterns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import tzinfo
from typing import Any

import attrs
import msgspec

from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Comment, Contact, Feedback, Rating
from closedloop.domain.text import checked_text
from closedloop.files.dates import TimeReader, zone_named
from closedloop.files.mapping import ColumnMapping
from closedloop.files.reading import ROW_MARKS
from closedloop.serialization import from_data

NO_CONTACT = Contact()
#: How many distinct rating answers an import keeps built: the few a survey's columns hold, with room to spare.
MADE_RATINGS = 10_000
#: Fields that a row holding feedback as closedloop writes it has nested, and a flat row never has.
NESTED_FIELDS = ("ratings", "comments", "contact")
FEEDBACK_FIELDS = frozenset(field.name for field in attrs.fields(Feedback))


class FeedbackBuilder:
    """Builds the feedback of one file's rows; ``missing_columns`` says which columns a CSV header lacks.

    ``place_ids``, the desk's, lets a row for an unknown place be refused here with a hint about the mapping;
    without them, the intake refuses it.
    """

    def __init__(
        self, mapping: ColumnMapping, *, zone: str | tzinfo | None = None, place_ids: Collection[str] | None = None
    ):
        self.mapping = mapping
        self.read_time = TimeReader(zone_named(zone if zone is not None else mapping.zone), mapping.date_format)
        self.source = mapping.source
        self.platform = mapping.platform
        self.locale = mapping.locale
        self.place_ids = place_ids
        self.ratings = [(rating.column, rating.key, rating.kind, rating.scale) for rating in mapping.ratings]
        self.comments = [(comment.column, comment.question) for comment in mapping.comments]
        contact = mapping.contact
        self.name, self.email, self.phone = contact.get("name"), contact.get("email"), contact.get("phone")
        self.locale_column = contact.get("locale")
        self.left_out = mapping.columns_used() | mapping.ignore | frozenset(ROW_MARKS)
        self.metadata = mapping.metadata
        self.reads_serialized = mapping.default_columns
        self.platform_column = mapping.platform_column
        self.made_ratings: dict[tuple[str, type, Any], Rating] = {}

    def missing_columns(self, header: list[str]) -> list[str]:
        """Columns the mapping needs that a file's header does not have: every row would be refused."""
        present = set(header)
        return [column for column in self.mapping.required() if column not in present]

    def __call__(self, record: dict[str, Any]) -> Feedback:
        """The row's feedback; :class:`InvalidInput` saying which value is wrong."""
        get = record.get
        if self.reads_serialized and (serialized := serialized_feedback(record)) is not None:
            return serialized
        mapping = self.mapping
        external_id = get(mapping.external_id) if mapping.external_id else row_digest(record)
        if not external_id and external_id != 0:
            raise InvalidInput(f"no response id in column {mapping.external_id!r}")
        received = get(mapping.received_at)
        if received is None or received == "":
            raise InvalidInput(f"no time in column {mapping.received_at!r}")
        try:
            received_at = self.read_time(received)
        except InvalidInput as error:
            raise InvalidInput(f"column {mapping.received_at!r}: {error}") from None
        return Feedback(
            source=self.source,
            platform=(get(self.platform_column) if self.platform_column else None) or self.platform,
            external_id=external_id if type(external_id) is str else as_id(external_id),
            place_id=self.place_of(record),
            received_at=received_at,
            contact=self.contact_of(get),
            ratings=self.ratings_of(get),
            comments=self.comments_of(get),
            metadata=self.metadata_of(record),
            locale=(get(self.locale_column) if self.locale_column else None) or self.locale,
        )

    def place_of(self, record: dict[str, Any]) -> str:
        mapping = self.mapping
        if mapping.place_id is not None:
            return mapping.place_id
        value = record.get(mapping.place) if mapping.place else None
        if value is None or value == "":
            raise InvalidInput(f"no place in column {mapping.place!r}")
        value = value if type(value) is str else as_id(value)
        place_id = mapping.places.get(value, value)
        if self.place_ids is not None and place_id not in self.place_ids:
            if place_id != value:
                raise InvalidInput(
                    f"unknown place {place_id!r}, which the mapping's [places] gives for {value!r} in column "
                    f"{mapping.place!r}; add a place with that id to the desk first, or fix the mapping"
                )
            raise InvalidInput(
                f"unknown place {value!r} in column {mapping.place!r}; add the place to the desk first, or map "
                f"the values of {mapping.place!r} to place ids under [places] in the mapping"
            )
        return place_id

    def contact_of(self, get: Any) -> Contact:
        name = get(self.name) if self.name else None
        email = get(self.email) if self.email else None
        phone = get(self.phone) if self.phone else None
        if not (name or email or phone):
            return NO_CONTACT
        return Contact(name=name, email=email, tel=phone)

    def ratings_of(self, get: Any) -> list[Rating]:
        """The row's ratings. A rating is a frozen value and a column holds few distinct answers, so each
        answer's Rating is built and checked once per import and shared by the rows that gave it."""
        ratings = []
        made = self.made_ratings
        for column, key, kind, scale in self.ratings:
            value = get(column)
            if value is not None and value != "":
                seen = (column, type(value), value)
                rating = made.get(seen)
                if rating is None:
                    rating = Rating(key=key, kind=kind, scale=scale, value=rating_value(value, column))
                    if len(made) < MADE_RATINGS:
                        made[seen] = rating
                ratings.append(rating)
        return ratings

    def comments_of(self, get: Any) -> list[Comment]:
        comments = []
        for column, question in self.comments:
            text = get(column)
            if not text:
                continue
            if type(text) is not str:
                raise InvalidInput(f"column {column!r} must hold text; got {type(text).__name__}")
            if not text.isspace():
                comments.append(Comment(text=text, question=question))
        return comments

    def metadata_of(self, record: dict[str, Any]) -> dict[str, str]:
        if self.metadata is not None:
            return {column: as_text(record[column]) for column in self.metadata if record.get(column) not in (None, "")}
        left_out = self.left_out
        return {  # the columns left out tested first: a set lookup that skips half of a row's columns
            column: value if type(value) is str else as_text(value)
            for column, value in record.items()
            if column not in left_out and value != "" and value is not None
        }


def serialized_feedback(record: dict[str, Any]) -> Feedback | None:
    """The feedback of a row that holds it as closedloop writes it: a line of ``closedloop export`` (the
    conversation, with its ``feedback``), or feedback as ``closedloop.serialization.to_data`` gives it (its
    ratings, comments or contact nested); None for a flat row."""
    nested = record.get("feedback")
    if type(nested) is dict:
        record = nested
    elif not any(type(record.get(key)) in (list, dict) for key in NESTED_FIELDS):
        return None
    if record.keys() <= FEEDBACK_FIELDS:
        try:  # msgspec builds it, running the records' validators, several times faster than the general path
            return texts_checked(msgspec.convert(record, Feedback, strict=False))
        except (msgspec.ValidationError, InvalidInput):
            pass  # refused: from_data says why in the words every intake uses
    return from_data({key: value for key, value in record.items() if value is not None}, Feedback)


def texts_checked(feedback: Feedback) -> Feedback:
    """What msgspec leaves unchecked, as it skips the records' converters: texts that could not be stored."""
    contact = feedback.contact
    texts = [contact.name, contact.email, contact.tel]
    for mapping in (feedback.metadata, feedback.answers):
        texts += [*mapping.keys(), *mapping.values()]
    for text in texts:
        checked_text(text, "a text")
    return feedback


def rating_value(value: Any, column: str) -> int | float:
    """A rating's number as a row gives it, or as text written with the digits 0-9 (and a decimal point or
    comma). Python would also read other scripts' digits (an Arabic-Indic seven as 7): they are refused,
    saying which to use, so that a file's ratings read here as spreadsheets and databases read them."""
    if type(value) is int or type(value) is float:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii():
            if text.isdigit():
                return int(text)
            try:
                return float(text.replace(",", "."))  # a decimal comma, as many locales write it
            except ValueError:
                pass
        elif text.isdigit() or reads_as_number(text):
            raise InvalidInput(f"column {column!r} must hold a number written with the ASCII digits 0-9; got {value!r}")
    raise InvalidInput(f"column {column!r} must hold a number; got {value!r}")


def reads_as_number(text: str) -> bool:
    """Whether Python reads a text as a number, as it does with any script's digits."""
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def as_id(value: Any) -> str:
    """An id a JSON file gives as a number, as its digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    raise InvalidInput(f"an id must be text or a whole number; got {value!r}")


def as_text(value: Any) -> str:
    """A metadata value as text: numbers and flags as JSON writes them, lists and objects as their JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def row_digest(record: dict[str, Any]) -> str:
    """An id for a row that has none: the digest of its values, so the same row imported again is the same
    feedback (a duplicate), while any changed value makes it new."""
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    return "row-" + hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()
