"""The SQL store's directory: places, groups and users, kept decoded between transactions.

Nearly every use case reads them (who is acting, what they may see) and they change rarely, so the store keeps
them decoded in a :class:`DirectoryCache` shared by its transactions. Every write to the directory also stores a
new random stamp in the markers table, in the same transaction. A transaction reads the stamp before anything else
of the directory, and uses what the cache holds only when it was read under that same stamp: a change committed
by any process on the same database is seen by the next transaction, for the price of reading one short row. The
stamp is read first because a read after it may see later commits (PostgreSQL reads each statement afresh): what
is kept under a stamp is then at worst newer than it, and a stamp is never stored twice. A transaction that wrote
to the directory reads the tables themselves until it ends and keeps nothing, since it may still be rolled back.
Rows changed without a new stamp (by hand, or by a release before this one) are seen once a change through
closedloop stamps the directory again, or the process restarts.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, select

from closedloop.domain.people import Place, PlaceGroup, User
from closedloop.domain.text import flattened
from closedloop.serialization import encode
from closedloop.storage.sql import schema
from closedloop.storage.sql.documents import read_document
from closedloop.storage.sql.lookups import value_by_key
from closedloop.storage.sql.upserts import upsert

T = TypeVar("T")

#: The marker whose value changes with every write to the directory.
STAMP_MARKER = "directory:stamp"
#: The stamp's query, built once: it runs in nearly every transaction, and building a statement costs more than
#: running it.
STAMP_QUERY = select(schema.markers.c.value).where(schema.markers.c.name == STAMP_MARKER)
#: The most users one stamp's cache keeps; past it, users are read from their rows (a sign-in form can be
#: sent any number of made-up user ids, which must not grow the cache without end).
MAX_CACHED_USERS = 10_000


class Decoded:
    """The directory as read under one stamp: each part filled by the first transaction that reads it."""

    def __init__(self, stamp: str) -> None:
        self.stamp = stamp
        self.places: Mapping[str, Place] | None = None
        self.place_ids: frozenset[str] | None = None
        self.groups: Mapping[str, PlaceGroup] | None = None
        self.users: dict[str, User | None] = {}
        self.every_user: Mapping[str, User] | None = None


class DirectoryCache:
    """The store's decoded directory, under the latest stamp a transaction read; shared by every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latest = Decoded("")

    def under(self, stamp: str) -> Decoded:
        """What is kept under ``stamp``, emptied first when it was kept under another one."""
        with self.lock:
            if self.latest.stamp != stamp:
                self.latest = Decoded(stamp)
            return self.latest


def _read(document: str, cls: type[T], table: Table, record: str) -> T:
    """A document of ``table``; ``record`` names it when it cannot be read."""
    return read_document(document, cls, record, f"restore its row in {table.name} from a backup, or delete that row")


class SqlDirectory:
    """Places as rows of their own, since intake checks every item's place against their ids alone; groups and
    users as JSON documents by id, since they are only ever read whole."""

    def __init__(self, connection: Connection, cache: DirectoryCache) -> None:
        self.connection = connection
        self.cache = cache
        self.decoded: Decoded | None = None  # what this transaction may use, once it read the stamp
        self.wrote = False

    def _kept(self) -> Decoded | None:
        """The cache under this transaction's stamp, or None once this transaction wrote to the directory."""
        if self.wrote:
            return None
        if self.decoded is None:
            stamp = self.connection.execute(STAMP_QUERY).scalar()
            self.decoded = self.cache.under(stamp or "")
        return self.decoded

    def places(self) -> Mapping[str, Place]:
        kept = self._kept()
        if kept is not None and kept.places is not None:
            return kept.places
        rows = self.connection.execute(select(schema.places.c.id, schema.places.c.name))
        # a name stored by an earlier release may hold a line break, which a place refuses now: read it as a space
        found = MappingProxyType({row.id: Place(id=row.id, name=flattened(row.name)) for row in rows})
        if kept is not None:
            kept.places = found
        return found

    def place_ids(self) -> frozenset[str]:
        kept = self._kept()
        if kept is None:
            return frozenset(self.connection.execute(select(schema.places.c.id)).scalars())
        if kept.place_ids is None:
            kept.place_ids = frozenset(self.places())
        return kept.place_ids

    def groups(self) -> Mapping[str, PlaceGroup]:
        kept = self._kept()
        if kept is not None and kept.groups is not None:
            return kept.groups
        found = self._every(schema.groups, PlaceGroup, "group")
        if kept is not None:
            kept.groups = found
        return found

    def get_user(self, user_id: str) -> User | None:
        kept = self._kept()
        if kept is not None and user_id in kept.users:
            return kept.users[user_id]
        table = schema.users
        document = value_by_key(self.connection, table.c.document, user_id)
        found = None if document is None else _read(document, User, table, f"user {user_id!r}")
        if kept is not None and len(kept.users) < MAX_CACHED_USERS:
            kept.users[user_id] = found
        return found

    def users(self) -> Mapping[str, User]:
        kept = self._kept()
        if kept is not None and kept.every_user is not None:
            return kept.every_user
        found = self._every(schema.users, User, "user")
        if kept is not None:
            kept.every_user = found
        return found

    def _every(self, table: Table, kind: type[T], what: str) -> Mapping[str, T]:
        """Every record of a table of documents, decoded, by id."""
        rows = self.connection.execute(select(table.c.id, table.c.document))
        return MappingProxyType({row.id: _read(row.document, kind, table, f"{what} {row.id!r}") for row in rows})

    def put_place(self, place: Place) -> None:
        self._write(schema.places, {"id": place.id, "name": place.name})

    def put_group(self, group: PlaceGroup) -> None:
        self._write(schema.groups, {"id": group.id, "document": encode(group)})

    def put_user(self, user: User) -> None:
        self._write(schema.users, {"id": user.id, "document": encode(user)})

    def _write(self, table: Table, row: Mapping[str, Any]) -> None:
        """Write a row and stamp the directory anew, so every process's cache lets go of what it kept."""
        self.wrote = True
        upsert(self.connection, table, row, ["id"])
        upsert(self.connection, schema.markers, {"name": STAMP_MARKER, "value": secrets.token_hex(12)}, ["name"])
