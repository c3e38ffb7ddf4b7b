"""One page of the inbox: which conversations, found through the indexes that match the inbox order, and
then loaded, from the cache where it holds their stored version. A conversation whose document cannot be
read back keeps its place on the page as an :class:`UnreadableConversation`, so the others still show."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, select, tuple_, union_all

from closedloop.domain.conversation import Conversation
from closedloop.domain.errors import UnreadableRecord
from closedloop.domain.inbox import InboxQuery, UnreadableConversation, priority
from closedloop.storage.sql import schema
from closedloop.storage.sql.cache import TransactionDecodings

#: Above this many places a scoped inbox reads one index and filters, instead of merging one query per place.
MERGE_PLACES_UP_TO = 64


@functools.lru_cache(maxsize=256)
def inbox_keys(mode: str, place_count: int, by_category: bool, after: bool) -> Any:
    """The statement that finds a page's ids, built once per shape and then reused with new parameters.

    ``all`` walks the inbox index in order; ``merge`` takes the first page of each place from the
    per-place index and merges them, so the work depends on the page size and the number of places, not on
    how many conversations there are; ``in`` walks the inbox index keeping the listed places.
    """
    table = schema.conversations
    order = (table.c.priority.desc(), table.c.updated_us.desc(), table.c.id.desc())

    def page(place: Any) -> Any:
        statement = select(table.c.id, table.c.priority, table.c.updated_us).where(
            table.c.folder == bindparam("folder")
        )
        if place is not None:
            statement = statement.where(place)
        if by_category:
            statement = statement.where(table.c.priority == bindparam("priority"))
        if after:
            cursor = tuple_(bindparam("after_priority"), bindparam("after_updated"), bindparam("after_id"))
            statement = statement.where(tuple_(table.c.priority, table.c.updated_us, table.c.id) < cursor)
        return statement.order_by(*order).limit(bindparam("limit", type_=Integer))

    if mode == "all":
        return page(None)
    if mode == "in":
        return page(table.c.place_id.in_(bindparam("places", expanding=True)))
    merged = union_all(
        *(page(table.c.place_id == bindparam(f"place_{number}")).subquery().select() for number in range(place_count))
    ).subquery()
    return (
        select(merged.c.id)
        .order_by(merged.c.priority.desc(), merged.c.updated_us.desc(), merged.c.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


def page_ids(connection: Connection, query: InboxQuery) -> list[str]:
    """The ids of the page's conversations, in inbox order."""
    places = query.place_ids
    if places is not None and not places:
        return []
    parameters: dict[str, Any] = {"folder": query.folder.value, "limit": query.limit}
    if query.category is not None:
        parameters["priority"] = priority(query.category)
    if query.after is not None:
        parameters["after_priority"], parameters["after_updated"], parameters["after_id"] = query.after.key
    if places is None:
        mode = "all"
    elif len(places) <= MERGE_PLACES_UP_TO:
        mode = "merge"
        parameters.update({f"place_{number}": place for number, place in enumerate(sorted(places))})
    else:
        mode = "in"
        parameters["places"] = sorted(places)
    statement = inbox_keys(mode, len(places or ()), query.category is not None, query.after is not None)
    return [row.id for row in connection.execute(statement, parameters)]


def page(
    connection: Connection, decodings: TransactionDecodings, query: InboxQuery
) -> list[Conversation | UnreadableConversation]:
    """The page's conversations, in inbox order."""
    return loaded(connection, decodings, page_ids(connection, query))


def loaded(
    connection: Connection, decodings: TransactionDecodings, ids: list[str]
) -> list[Conversation | UnreadableConversation]:
    """These conversations, in this order: their versions first, so that only those not in the cache are read
    whole (a search's results are read back the same way)."""
    if not ids:
        return []
    table = schema.conversations
    found = connection.execute(
        select(table.c.id, table.c.version, table.c.priority, table.c.updated_us).where(table.c.id.in_(ids))
    )
    rows = {row.id: row for row in found}
    loaded: dict[str, Conversation | UnreadableConversation] = {
        row.id: cached for row in rows.values() if (cached := decodings.cached((row.id, row.version))) is not None
    }
    missing = [conversation_id for conversation_id in ids if conversation_id not in loaded]
    if missing:
        documents = connection.execute(
            select(table.c.id, table.c.version, table.c.document).where(table.c.id.in_(missing))
        )
        for row in documents:
            try:
                loaded[row.id] = decodings.conversation(row.id, row.version, row.document)
            except UnreadableRecord:
                key = rows[row.id]
                loaded[row.id] = UnreadableConversation(row.id, (key.priority, key.updated_us, row.id))
    return [loaded[conversation_id] for conversation_id in ids]
