"""The SQL store's quality reviews: scorecards and review cycles as JSON documents by id, reviews as documents
with the columns a listing filters and sorts on, and the handled conversations sampling draws from, read from
the metrics' facts rows (:mod:`.facts`) rather than from whole conversations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from closedloop.domain.moments import from_microseconds, microseconds
from closedloop.domain.quality import Review, Scorecard
from closedloop.domain.sampling import Cycle, Handled
from closedloop.ports.store import ReviewQuery
from closedloop.serialization import encode, read_json
from closedloop.storage.sql import schema
from closedloop.storage.sql.documents import read_document
from closedloop.storage.sql.lookups import value_by_key

T = TypeVar("T")


def _read(document: str, cls: type[T], table: Table, record: str) -> T:
    """A document of ``table``; ``record`` names it when it cannot be read."""
    return read_document(document, cls, record, f"restore its row in {table.name} from a backup, or delete that row")


def _put(connection: Connection, table: Table, row: Mapping[str, Any]) -> None:
    """Insert a row, or replace every column of the one with its primary key."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    keys = [column.name for column in table.primary_key.columns]
    statement = dialect.insert(table)
    changes = {name: statement.excluded[name] for name in row if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes), [dict(row)])


def _rating_keys(ratings: str | None, known: dict[str, frozenset[str]]) -> frozenset[str]:
    """The keys of a facts row's ratings (a JSON array of [key, kind, value], or None); most rows share their
    array with many others, so each distinct one is decoded once (``known``)."""
    if ratings is None:
        return frozenset()
    keys = known.get(ratings)
    if keys is None:
        keys = known[ratings] = frozenset(str(rating[0]) for rating in read_json(ratings))
    return keys


class SqlQuality:
    """Scorecards, reviews and review cycles, and the handled conversations of a period."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def scorecards(self) -> Sequence[Scorecard]:
        table = schema.scorecards
        rows = self.connection.execute(select(table.c.id, table.c.document).order_by(table.c.id))
        return [_read(row.document, Scorecard, table, f"scorecard {row.id!r}") for row in rows]

    def get_scorecard(self, scorecard_id: str) -> Scorecard | None:
        table = schema.scorecards
        document = value_by_key(self.connection, table.c.document, scorecard_id)
        return None if document is None else _read(document, Scorecard, table, f"scorecard {scorecard_id!r}")

    def put_scorecard(self, scorecard: Scorecard) -> None:
        _put(self.connection, schema.scorecards, {"id": scorecard.id, "document": encode(scorecard)})

    def get_review(self, review_id: str) -> Review | None:
        table = schema.reviews
        document = value_by_key(self.connection, table.c.document, review_id)
        return None if document is None else _read(document, Review, table, f"review {review_id!r}")

    def put_review(self, review: Review) -> None:
        row = {
            "id": review.id,
            "conversation_id": review.conversation_id,
            "place_id": review.place_id,
            "agent_id": review.agent_id,
            "reviewer_id": review.reviewer_id,
            "received_us": microseconds(review.received_at),
            "created_us": microseconds(review.created_at),
            "document": encode(review),
        }
        _put(self.connection, schema.reviews, row)

    def reviews(self, query: ReviewQuery) -> Sequence[Review]:
        table = schema.reviews
        if query.place_ids is not None and not query.place_ids:
            return []
        statement = select(table.c.id, table.c.document).where(
            table.c.received_us >= microseconds(query.since), table.c.received_us < microseconds(query.until)
        )
        if query.place_ids is not None:
            statement = statement.where(table.c.place_id.in_(sorted(query.place_ids)))
        for column, wanted in (
            (table.c.agent_id, query.agent_id),
            (table.c.reviewer_id, query.reviewer_id),
            (table.c.conversation_id, query.conversation_id),
        ):
            if wanted is not None:
                statement = statement.where(column == wanted)
        statement = statement.order_by(table.c.received_us, table.c.conversation_id, table.c.created_us, table.c.id)
        return [_read(row.document, Review, table, f"review {row.id!r}") for row in self.connection.execute(statement)]

    def get_cycle(self, cycle_id: str) -> Cycle | None:
        table = schema.review_cycles
        document = value_by_key(self.connection, table.c.document, cycle_id)
        return None if document is None else _read(document, Cycle, table, f"review cycle {cycle_id!r}")

    def put_cycle(self, cycle: Cycle) -> None:
        _put(self.connection, schema.review_cycles, {"id": cycle.id, "document": encode(cycle)})

    def handled(self, place_ids: frozenset[str] | None, since: datetime, until: datetime) -> Sequence[Handled]:
        """From the facts rows: counted (no test, no spam) and with a first responder."""
        if place_ids is not None and not place_ids:
            return []
        table = schema.facts
        statement = select(
            table.c.conversation_id, table.c.place_id, table.c.first_responder, table.c.received_us, table.c.ratings
        ).where(
            table.c.counted == 1,
            table.c.first_responder.is_not(None),
            table.c.received_us >= microseconds(since),
            table.c.received_us < microseconds(until),
        )
        if place_ids is not None:
            statement = statement.where(table.c.place_id.in_(sorted(place_ids)))
        known: dict[str, frozenset[str]] = {}
        return [
            Handled(
                conversation_id=row.conversation_id,
                place_id=row.place_id,
                agent_id=row.first_responder,
                received_at=from_microseconds(row.received_us),
                rating_keys=_rating_keys(row.ratings, known),
            )
            for row in self.connection.execute(statement.order_by(table.c.conversation_id))
        ]
