"""Searching conversations in SQL: each conversation's words (:func:`~closedloop.domain.search.searchable_words`)
as one row of ``cl_search``, written with the conversation, and an index over them that finds a word's prefix
without reading every row.

- On SQLite, ``cl_search_index`` is an FTS5 table over ``cl_search`` (external content: it keeps the index,
  not the text), kept in step by triggers on ``cl_search``. FTS5 records a deletion as a tombstone beside the
  words it deletes until its segments are merged, so after an erasure :func:`merge_index` merges them all,
  leaving none of the erased words in the file, a step per transaction.
- On PostgreSQL, a GIN index over the words as a ``tsvector`` (``array_to_tsvector``, so the words are taken as
  they are, without a text search configuration) answers ``'word':*`` prefix queries.

The migration that adds them (0009) fills them from the conversations already stored.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import BindParameter, Connection, TextClause, bindparam, text

from closedloop.domain.conversation import Conversation
from closedloop.domain.search import Found, SearchQuery, searchable_words
from closedloop.storage.sql import inbox
from closedloop.storage.sql.cache import TransactionDecodings
from closedloop.storage.sql.rows import RowsInsert

#: How many matches a PostgreSQL search takes from the index at first: fewer, and they are all of them.
MATCHES_AT_ONCE = 5_000
#: How many of the newest rows a PostgreSQL search then checks one by one before it asks for every match.
WALK_ROWS = 20_000
#: PostgreSQL's expression the GIN index is built on; a query must use the very same expression.
VECTOR = "array_to_tsvector(string_to_array(cl_search.words, ' '))"
_insert = RowsInsert("cl_search", ("conversation_id", "words"))
#: A saved conversation's words when its last update is unchanged: written only if they changed, in place.
_REWRITE = text("UPDATE cl_search SET words = :words WHERE conversation_id = :conversation_id AND words <> :words")
_REMOVE = text("DELETE FROM cl_search WHERE conversation_id = :conversation_id")
_ADD = text("INSERT INTO cl_search (conversation_id, words) VALUES (:conversation_id, :words)")
#: One step of merging every segment of SQLite's index into one (a negative count: all of them, this many pages).
_MERGE_STEP = "INSERT INTO cl_search_index(cl_search_index, rank) VALUES ('merge', ?)"
#: How many pages of the index one step of a merge writes: a few megabytes, a fraction of a second.
MERGE_STEP_PAGES = 1000


def search_rows(conversations: Iterable[Conversation]) -> list[tuple[str, str]]:
    """The ``cl_search`` rows of new conversations: their id and words."""
    return [(conversation.id, searchable_words(conversation)) for conversation in conversations]


def add_rows(connection: Connection, rows: Sequence[tuple[str, str]]) -> None:
    """Index new conversations (their rows from :func:`search_rows`), as :class:`~.rows.RowsInsert` does it."""
    _insert(connection, rows)


def replace_words(connection: Connection, conversation: Conversation, *, moved: bool) -> None:
    """Make the index say what a saved conversation says now; ``moved`` (its last update changed) gives it a new
    row, whose id (its position) is higher than every other, so that it comes first."""
    values = {"conversation_id": conversation.id, "words": searchable_words(conversation)}
    if moved:
        connection.execute(_REMOVE, values)
        connection.execute(_ADD, values)
    else:
        connection.execute(_REWRITE, values)


def merge_index(connection: Connection) -> None:
    """Merge SQLite's index into one segment, which drops deleted words for good; nothing to do elsewhere.

    The merge rewrites the whole index (seconds on a million conversations), so it goes a step of
    :data:`MERGE_STEP_PAGES` pages per transaction, letting other writers in between, until a step finds
    nothing left to merge (it then changes fewer than two rows, as FTS5 documents)."""
    if connection.dialect.name != "sqlite":
        return
    database = connection.connection.driver_connection
    if database is None:
        raise RuntimeError("the SQLite connection was closed before its search index could be merged")
    while True:
        with connection.begin():
            before = database.total_changes
            connection.exec_driver_sql(_MERGE_STEP, (-MERGE_STEP_PAGES,))
            if database.total_changes - before < 2:
                return


@functools.lru_cache(maxsize=64)
def _statement(dialect: str, way: str, scoped: bool, after: bool) -> TextClause:
    """The statement that finds a page's positions and ids, highest position first, built once per shape.

    On SQLite (``way`` "index") the full-text index hands its matches over from the highest position down,
    and the walk stops at a page's worth of them in the folders and places asked, so a word most conversations
    hold costs little more than a rare one. PostgreSQL's GIN index gives its matches in no order, so there
    a search first walks the newest :data:`WALK_ROWS` rows by position, checking each (``way`` "walk": enough
    for a common word), and only when that falls short of a page asks the index for every match ("index":
    few, since the word is rare), kept apart in a materialized query so the planner cannot turn it into a walk
    of the whole table."""
    if dialect == "sqlite":  # the index first (CROSS JOIN keeps that order), then each match's conversation
        source = (
            "cl_search_index CROSS JOIN cl_search ON cl_search.id = cl_search_index.rowid "
            "CROSS JOIN cl_conversations c ON c.id = cl_search.conversation_id"
        )
        matching, position = "cl_search_index MATCH :match", "cl_search_index.rowid"
    else:
        below = "WHERE id < :after" if after else ""
        if way == "walk":
            rows = f"SELECT id, conversation_id, words FROM cl_search {below} ORDER BY id DESC LIMIT :walk"
            source = f"({rows}) cl_search JOIN cl_conversations c ON c.id = cl_search.conversation_id"
        elif way == "ids":
            rows = "SELECT id, conversation_id FROM cl_search WHERE id = ANY(:ids)"
            source = "matches cl_search JOIN cl_conversations c ON c.id = cl_search.conversation_id"
        else:
            rows = f"SELECT id, conversation_id FROM cl_search WHERE {VECTOR} @@ CAST(:match AS tsquery)"
            rows += " AND id < :after" if after else ""
            source = "matches cl_search JOIN cl_conversations c ON c.id = cl_search.conversation_id"
        matching = f"{VECTOR} @@ CAST(:match AS tsquery)" if way == "walk" else "TRUE"
        position = "cl_search.id"
    conditions = [matching, "c.folder IN :folders"]
    if scoped:
        conditions.append("c.place_id IN :places")
    if after and dialect == "sqlite":
        conditions.append(f"{position} < :after")
    common = "" if dialect == "sqlite" or way == "walk" else f"WITH matches AS MATERIALIZED ({rows}) "
    statement = text(
        f"{common}SELECT {position} AS position, c.id FROM {source} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {position} DESC LIMIT :limit"
    )
    expanding: list[BindParameter[Any]] = [bindparam("folders", expanding=True)]
    if scoped:
        expanding.append(bindparam("places", expanding=True))
    return statement.bindparams(*expanding)


def match_expression(dialect: str, words: Sequence[str]) -> str:
    """Every word as a prefix, in the query language of the dialect's index. The words hold only letters and
    digits (:func:`~closedloop.domain.search.words_of`), so quoting them is enough."""
    if dialect == "sqlite":
        return " AND ".join(f'"{word}"*' for word in words)
    return " & ".join(f"'{word}':*" for word in words)


def find(connection: Connection, decodings: TransactionDecodings, query: SearchQuery) -> list[Found]:
    places = query.place_ids
    if (places is not None and not places) or not query.folders or not query.words:
        return []
    dialect = connection.dialect.name
    parameters: dict[str, Any] = {
        "match": match_expression(dialect, query.words),
        "folders": sorted(folder.value for folder in query.folders),
        "limit": query.limit,
    }
    if places is not None:
        parameters["places"] = sorted(places)
    if query.after is not None:
        parameters["after"] = query.after.position
    shape = (places is not None, query.after is not None)
    if dialect == "sqlite":
        rows = connection.execute(_statement(dialect, "index", *shape), parameters).all()
    else:
        rows = _postgresql_rows(connection, parameters, shape, query.limit)
    entries = inbox.loaded(connection, decodings, [row.id for row in rows])
    return [Found(row.position, entry) for row, entry in zip(rows, entries, strict=True)]


def _postgresql_rows(connection: Connection, parameters: dict[str, Any], shape: tuple[bool, bool], limit: int) -> Any:
    """A page's positions and ids on PostgreSQL: from the index's matches when they are few (a rare word);
    else from a walk of the newest rows (a common word finds a page soon); else, for a word neither rare nor
    found in the newest rows of the places asked, from all of the index's matches."""
    # The planner cannot tell a rare word from a common one in a prepared statement, and may read the whole
    # table rather than the index: the first matches always come from the index
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    capped = connection.execute(_FIRST_MATCHES[shape[1]], {**parameters, "cap": MATCHES_AT_ONCE}).all()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    if len(capped) < MATCHES_AT_ONCE:
        ids = [row.id for row in capped]
        return (
            connection.execute(_statement("postgresql", "ids", *shape), {**parameters, "ids": ids}).all() if ids else []
        )
    rows = connection.execute(_statement("postgresql", "walk", *shape), {**parameters, "walk": WALK_ROWS}).all()
    if len(rows) < limit:
        rows = connection.execute(_statement("postgresql", "index", *shape), parameters).all()
    return rows


#: The first matches of PostgreSQL's index, in no order, without and with a cursor.
_FIRST_MATCHES = {
    after: text(
        f"SELECT id FROM cl_search WHERE {VECTOR} @@ CAST(:match AS tsquery)"
        + (" AND id < :after" if after else "")
        + " LIMIT :cap"
    )
    for after in (False, True)
}


class SqlSearch:
    """Conversations found by their customer or their text, through the index of :mod:`.search`."""

    def __init__(self, connection: Connection, decodings: TransactionDecodings) -> None:
        self.connection = connection
        self.decodings = decodings

    def find(self, query: SearchQuery) -> list[Found]:
        return find(self.connection, self.decodings, query)
