"""The metrics' facts of each conversation as a row of ``cl_facts``, written in the same transaction as the
conversation, so that a report aggregates them where they are.

What a report counts is written as JSON: the row's ``signature`` (whether it is left out, its source, platform,
alert status, open category, whether it is a detractor, and the customer's messages), its ratings as one array of
(key, kind, value) (most rows share theirs with many others, so a report decodes each distinct array once), and one
token per concept (name, sentiment in hundredths), joined by :data:`SEPARATOR`. JSON escapes every control
character inside a text, so the separator never occurs inside a token, whatever a key or name holds. A report joins
a bucket's rows with the same separator and counts the tokens (:mod:`.reports`).

New conversations' facts are built with their insert (:class:`FactRows`), on the thread that prepares a batch; a
saved conversation's facts replace the ones stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import msgspec
from sqlalchemy import Connection, delete

from closedloop.domain.alerts import AlertStatus
from closedloop.domain.conversation import Conversation, Status
from closedloop.domain.facts import Facts, facts_of, says_nothing_yet
from closedloop.domain.feedback import RatingKind, Source
from closedloop.domain.metrics import detractor_among, sentiment_steps
from closedloop.domain.moments import microseconds
from closedloop.storage.sql import schema
from closedloop.storage.sql.rows import RowsInsert

#: What joins a bucket's rows, and the concept tokens of a row: the record separator.
SEPARATOR = "\x1e"
#: How a facts row is left out of the metrics: not at all, as a test, or as spam.
COUNTED, TEST, SPAM = 0, 1, 2

_NAMES = [column.name for column in schema.facts.columns]
if _NAMES[:3] != ["place_id", "received_us", "conversation_id"] or _NAMES[-3:] != ["signature", "ratings", "concepts"]:
    raise RuntimeError("closedloop.storage.sql.facts does not know the facts columns")
_insert = RowsInsert(schema.facts.name, _NAMES)
_encode = msgspec.json.Encoder().encode


def _moment(value: Any) -> int | None:
    return microseconds(value) if value is not None else None


def _tokens(items: Iterable[tuple[Any, ...]], separator: str) -> str | None:
    joined = separator.join(_encode(item).decode() for item in items)
    return joined or None


class _Rated(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> RatingKind: ...
    @property
    def value(self) -> float: ...


class _Found(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def sentiment(self) -> float: ...


#: Concept names as JSON texts, encoded once each: a taxonomy has a few dozen.
_NAMES_IN_JSON: dict[str, str] = {}


def _concept_tokens(concepts: Sequence[_Found]) -> str | None:
    if not concepts:
        return None
    tokens = []
    for concept in concepts:
        name = _NAMES_IN_JSON.get(concept.name)
        if name is None:
            name = _NAMES_IN_JSON[concept.name] = _encode(concept.name).decode()
        tokens.append(f"[{name},{sentiment_steps(concept.sentiment)}]")
    return SEPARATOR.join(tokens)


def _row(
    item: Facts | Conversation, ratings: Sequence[_Rated], concepts: Sequence[_Found], status: Status, test: bool,
    alert: AlertStatus | None, first: tuple[Any, str | None, Any], done_at: Any, customer_messages: int,
) -> tuple[Any, ...]:  # fmt: skip
    """A row in table column order; ``first`` is the first response's time and author, and the first contact's."""
    place_id, received_at, source, platform = _where(item)
    category = item.category
    detractor = int(detractor_among(ratings))
    left_out = TEST if test else SPAM if status is Status.SPAM else COUNTED
    open_category = category if status is not Status.DONE else None
    signature = (left_out, source, platform, alert, open_category, detractor, customer_messages)
    return (
        place_id, microseconds(received_at), _conversation_id(item), source.value, platform, status.value,
        category.value, int(test), int(left_out == COUNTED), alert.value if alert is not None else None,
        _moment(first[0]), first[1], _moment(first[2]), _moment(done_at), customer_messages, detractor,
        _encode(signature).decode(),
        _ratings_column(ratings), _concept_tokens(concepts),
    )  # fmt: skip


#: What a new conversation's facts read of its ratings, by the ratings themselves: (the ratings, their column,
#: whether they hold a detractor). A bulk intake's feedback shares its few distinct ratings (a file import builds
#: each answer once), so most rows find theirs here. Keyed by the ratings' ids, each entry keeping the ratings
#: themselves, so that no key can come to mean other ratings.
_RATED: dict[tuple[int, ...], tuple[Sequence[_Rated], str | None, int]] = {}
#: Signatures as JSON, by their values: a few dozen for a whole desk.
_SIGNED: dict[tuple[Any, ...], str] = {}
#: Past this many entries, either cache starts again: the answers of a survey's few rating questions combine in a
#: few hundred ways, and feedback whose ratings are all its own (as dicts given to ``ingest_many`` make) only
#: keeps this many at a time.
MAX_CACHED = 1000


def _rated(ratings: Sequence[_Rated]) -> tuple[str | None, int]:
    key = tuple(map(id, ratings))
    found = _RATED.get(key)
    if found is None:
        if len(_RATED) >= MAX_CACHED:
            _RATED.clear()
        found = _RATED[key] = (ratings, _ratings_column(ratings), int(detractor_among(ratings)))
    return found[1], found[2]


def _ratings_column(ratings: Sequence[_Rated]) -> str | None:
    """The ratings as one JSON array of (key, kind, value)."""
    return _encode([(rating.key, rating.kind, float(rating.value)) for rating in ratings]).decode() if ratings else None


def _where(item: Facts | Conversation) -> tuple[str, Any, Source, str]:
    if isinstance(item, Facts):
        return item.place_id, item.received_at, item.source, item.platform
    feedback = item.feedback
    return feedback.place_id, feedback.received_at, feedback.source, feedback.platform


def _conversation_id(item: Facts | Conversation) -> str:
    return item.conversation_id if isinstance(item, Facts) else item.id


class FactRows:
    """The ``cl_facts`` rows of some conversations, in table column order."""

    def __init__(self, facts: Iterable[Facts] = ()) -> None:
        self.rows: list[tuple[Any, ...]] = []
        for item in facts:
            self.add(item)

    @classmethod
    def of(cls, conversations: Iterable[Conversation]) -> FactRows:
        rows = cls()
        for conversation in conversations:
            rows.add_conversation(conversation)
        return rows

    def add_conversation(self, conversation: Conversation) -> None:
        """The row of a conversation: straight from it while its history says nothing the facts read (as with
        every conversation intake opens), else through :func:`~closedloop.domain.facts.facts_of`."""
        if not says_nothing_yet(conversation):
            self.add(facts_of(conversation))
            return
        status, feedback, alert = conversation.status, conversation.feedback, conversation.alert
        alert_status = alert.status if alert is not None else None
        category, test = conversation.category, feedback.test
        ratings, detractor = _rated(feedback.ratings)
        left_out = TEST if test else SPAM if status is Status.SPAM else COUNTED
        done = status is Status.DONE
        open_category = None if done else category
        signature = (left_out, feedback.source, feedback.platform, alert_status, open_category, detractor, 0)
        signed = _SIGNED.get(signature)
        if signed is None:
            if len(_SIGNED) >= MAX_CACHED:
                _SIGNED.clear()
            signed = _SIGNED[signature] = _encode(signature).decode()
        self.rows.append((
            feedback.place_id, microseconds(feedback.received_at), conversation.id, feedback.source.value,
            feedback.platform, status.value, category.value, int(test), int(left_out == COUNTED),
            alert_status.value if alert_status is not None else None, None, None, None,
            microseconds(conversation.last_updated_at) if done else None, 0, detractor, signed, ratings,
            _concept_tokens(conversation.analysis),
        ))  # fmt: skip

    def add(self, item: Facts) -> None:
        first = (item.first_response_at, item.first_responder, item.first_contact_at)
        self.rows.append(
            _row(item, item.ratings, item.concepts, item.status, item.test, item.alert_status, first, item.done_at,
                 item.customer_messages)
        )  # fmt: skip

    def write(self, connection: Connection) -> None:
        """Insert every row, as :class:`~.rows.RowsInsert` does it."""
        _insert(connection, self.rows)


def replace_facts(connection: Connection, conversation: Conversation) -> None:
    """Make the stored facts of a saved conversation say what it says now."""
    connection.execute(delete(schema.facts).where(schema.facts.c.conversation_id == conversation.id))
    FactRows.of([conversation]).write(connection)
