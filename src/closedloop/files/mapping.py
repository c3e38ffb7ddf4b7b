"""Which column of a file holds which part of the feedback: the column mapping.

A mapping is written once per export format (a survey tool's CSV, a CRM's JSON) in a small TOML or JSON file,
or given as a dict; ``docs/import.md`` shows one. Without a mapping, columns named like feedback's fields are
taken (``external_id``, ``place_id``, ``received_at``, ``comment``, ``nps``, ``email``...).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import FIXED_SCALES, RatingKind, Source

#: The keys a mapping may have, and what each holds, for the message refusing any other.
KEYS = {
    "source": "survey, rating, review or social",
    "platform": "where the feedback was given (e.g. typeform); reviews need one",
    "external_id": "the column of the response's id",
    "received_at": "the column of the time it was given",
    "place": "the column of the place (its id, or a name listed under [places])",
    "place_id": "the one place every row is for, when there is no place column",
    "places": "a table from the place column's values to place ids",
    "zone": "the time zone of times written without one (default UTC)",
    "date_format": "a strptime format such as %m/%d/%Y %H:%M, when times are in no usual format",
    "locale": "the language of the feedback when no column gives it (default en)",
    "ratings": "a table from columns to rating kinds (nps, csat, ces, stars, custom)",
    "comments": "a table from columns to the question each answers",
    "contact": "a table naming the columns of name, email, phone and locale",
    "metadata": '"rest" (every column not mapped, the default), or a list of columns',
    "ignore": "a list of columns never kept",
}
CONTACT_KEYS = ("name", "email", "phone", "locale")


@attrs.frozen
class RatingColumn:
    column: str
    key: str
    kind: RatingKind
    scale: tuple[float, float] | None = None


@attrs.frozen
class CommentColumn:
    column: str
    question: str


@attrs.frozen(kw_only=True)
class ColumnMapping:
    """Where each part of the feedback is in a file's rows; :func:`load_mapping` reads one."""

    source: Source = Source.SURVEY
    platform: str = ""
    external_id: str | None = None  # None: an id made from the row's values, the same each time
    received_at: str = "received_at"
    place: str | None = None
    place_id: str | None = None
    places: Mapping[str, str] = attrs.field(factory=dict)
    zone: str | None = None
    date_format: str | None = None
    locale: str = "en"
    ratings: tuple[RatingColumn, ...] = ()
    comments: tuple[CommentColumn, ...] = ()
    contact: Mapping[str, str] = attrs.field(factory=dict)  # name, email, phone, locale -> column
    metadata: tuple[str, ...] | None = None  # None: every column not mapped
    ignore: frozenset[str] = frozenset()
    platform_column: str | None = None  # the column of the platform, read when it has a value
    default_columns: bool = False  # no mapping was given: columns named like feedback's fields

    def columns_used(self) -> frozenset[str]:
        """The columns the mapping reads for a field, which metadata leaves out."""
        named = [self.external_id, self.received_at, self.place, self.platform_column, *self.contact.values()]
        named += [rating.column for rating in self.ratings] + [comment.column for comment in self.comments]
        return frozenset(column for column in named if column)

    def required(self) -> list[str]:
        """The columns every row must have."""
        return [column for column in (self.external_id, self.received_at, self.place) if column]


DEFAULT_MAPPING = ColumnMapping(
    external_id="external_id",
    place="place_id",
    ratings=tuple(RatingColumn(kind.value, kind.value, kind) for kind in FIXED_SCALES),
    comments=(CommentColumn("comment", "comment"),),
    contact={"name": "name", "email": "email", "phone": "tel", "locale": "locale"},
    platform_column="platform",
    default_columns=True,
)


def load_mapping(given: ColumnMapping | Mapping[str, Any] | str | Path | None) -> ColumnMapping:
    """A mapping from a TOML or JSON file, a dict of the same keys, or one already built; None gives the
    default mapping (columns named like feedback's fields)."""
    if given is None:
        return DEFAULT_MAPPING
    if isinstance(given, ColumnMapping):
        return given
    if isinstance(given, str | Path):
        return mapping_of(read_mapping_file(Path(given)), str(given))
    if isinstance(given, Mapping):
        return mapping_of(given, "the mapping")
    raise InvalidInput(f"a mapping is a TOML or JSON file, or a dict; got {type(given).__name__}")


def read_mapping_file(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InvalidInput(f"cannot read the mapping {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"the mapping {path} is not UTF-8 text; save it as UTF-8") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise InvalidInput(f"the mapping {path} is not valid {kind}: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"the mapping {path} must hold a table of keys (source, external_id, ratings...)")
    return data


def mapping_of(data: Mapping[str, Any], where: str) -> ColumnMapping:
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        known = "; ".join(f"{key}: {what}" for key, what in KEYS.items())
        raise InvalidInput(f"{where}: unknown key {', '.join(map(repr, unknown))}; a mapping may have {known}")
    text = TextReader(where, data)
    try:
        source = Source(text.get("source") or "survey")
    except ValueError:
        raise InvalidInput(
            f"{where}: source must be survey, rating, review or social; got {data['source']!r}"
        ) from None
    ratings = tuple(rating_columns(data.get("ratings", {}), where))
    metadata = data.get("metadata", "rest")
    if metadata != "rest":
        metadata = tuple(text.names(metadata, "metadata"))
    contact = text.table("contact")
    unknown_contact = sorted(set(contact) - set(CONTACT_KEYS))
    if unknown_contact:
        raise InvalidInput(
            f"{where}: [contact] may name the columns of {', '.join(CONTACT_KEYS)}; got {unknown_contact}"
        )
    received_at = text.get("received_at")
    if not received_at:
        raise InvalidInput(f"{where}: received_at must name the column of the time each response was given")
    if text.get("place") and text.get("place_id"):
        raise InvalidInput(f"{where}: give place (a column) or place_id (one place for every row), not both")
    check_date_format(text.get("date_format"), where)
    return ColumnMapping(
        source=source,
        platform=text.get("platform") or "",
        external_id=text.get("external_id"),
        received_at=received_at,
        place=text.get("place") or (None if text.get("place_id") else "place_id"),
        place_id=text.get("place_id"),
        places=text.table("places"),
        zone=text.get("zone"),
        date_format=text.get("date_format"),
        locale=text.get("locale") or "en",
        ratings=ratings,
        comments=tuple(CommentColumn(column, question) for column, question in text.table("comments").items()),
        contact=contact,
        metadata=metadata if isinstance(metadata, tuple) else None,
        ignore=frozenset(text.names(data.get("ignore", []), "ignore")),
    )


def check_date_format(pattern: str | None, where: str) -> None:
    """A ``strptime`` pattern that reads back a time it wrote, so that a bad directive (``%Q``) is refused once,
    here, rather than on every row."""
    if pattern is None:
        return
    sample = datetime(2026, 3, 1, 14, 30, 15, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(pattern), pattern)
    except ValueError as error:
        raise InvalidInput(
            f"{where}: date_format {pattern!r} cannot read times ({error}); use strptime's directives, "
            "e.g. %d/%m/%Y %H:%M"
        ) from None


class TextReader:
    """Reads the texts of a mapping, refusing anything else with the key it was under."""

    def __init__(self, where: str, data: Mapping[str, Any]) -> None:
        self.where = where
        self.data = data

    def get(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        raise InvalidInput(f"{self.where}: {key} must be a text ({KEYS[key]}); got {value!r}")

    def names(self, value: object, key: str) -> list[str]:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        raise InvalidInput(f"{self.where}: {key} must be a list of column names; got {value!r}")

    def table(self, key: str) -> dict[str, str]:
        value = self.data.get(key, {})
        if isinstance(value, Mapping) and all(isinstance(item, str) and item for item in value.values()):
            return dict(value)
        raise InvalidInput(f"{self.where}: {key} must be a table of texts ({KEYS[key]}); got {value!r}")


def rating_columns(table: object, where: str) -> list[RatingColumn]:
    """``"column" = "nps"``, or ``"column" = { kind = "custom", scale = [1, 10], key = "value" }``."""
    if not isinstance(table, Mapping):
        raise InvalidInput(f"{where}: ratings must be a table from columns to kinds (nps, csat, ces, stars, custom)")
    specs = {column: {"kind": spec} if isinstance(spec, str) else spec for column, spec in table.items()}
    kinds = [spec.get("kind") if isinstance(spec, Mapping) else None for spec in specs.values()]
    columns = []
    for column, spec in specs.items():
        if not isinstance(spec, Mapping) or set(spec) - {"kind", "key", "scale"}:
            raise InvalidInput(f"{where}: rating {column!r} must be a kind, or a table of kind, key and scale")
        try:
            kind = RatingKind(spec.get("kind", "custom"))
        except ValueError:
            raise InvalidInput(
                f"{where}: rating {column!r} has kind {spec.get('kind')!r}; use nps, csat, ces, stars or custom"
            ) from None
        scale = spec.get("scale")
        if kind is RatingKind.CUSTOM and not (
            isinstance(scale, list) and len(scale) == 2 and all(isinstance(end, int | float) for end in scale)
        ):
            raise InvalidInput(f"{where}: custom rating {column!r} needs scale = [lowest, highest], e.g. [1, 10]")
        if kind is RatingKind.CUSTOM and isinstance(scale, list) and not scale[0] < scale[1]:
            raise InvalidInput(
                f"{where}: custom rating {column!r} has scale {scale}; give it as [lowest, highest], e.g. [1, 10]"
            )
        default_key = kind.value if kinds.count(kind.value) == 1 and kind is not RatingKind.CUSTOM else slug(column)
        key = spec.get("key", default_key)
        if not isinstance(key, str) or not key.strip():
            raise InvalidInput(f"{where}: rating {column!r} needs a key, a short name such as 'nps'")
        columns.append(RatingColumn(column, key, kind, None if scale is None else (float(scale[0]), float(scale[1]))))
    return columns


def slug(column: str) -> str:
    """A rating's key made from its column, e.g. "Overall satisfaction" as ``overall_satisfaction``."""
    return re.sub(r"[^0-9a-z]+", "_", column.lower()).strip("_")[:40] or "rating"
