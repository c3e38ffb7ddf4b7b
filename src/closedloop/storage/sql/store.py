"""The SQLAlchemy store: SQLite by default, PostgreSQL at scale, with the same behaviour as the memory store.

Each use case runs in one database transaction, and reaches each kind of record through a repository that
shares the transaction's connection: the conversations and the inbox (:mod:`.conversations`, with
:mod:`.inbox`, :mod:`.counts`, :mod:`.bulk` and :mod:`.cache`), the outbox (:mod:`.outbox`), quality reviews
(:mod:`.quality`), privacy records (:mod:`.privacy`), and the smaller records (:mod:`.records`). What the
database says about its environment (a full disk, a damaged file) reaches the caller as
:class:`closedloop.StoreUnavailable` (:mod:`.failures`), from opening the store and from every transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Connection, Engine
from sqlalchemy.pool import StaticPool

from closedloop.domain.conversation import Conversation
from closedloop.storage.sql.bulk import EncodedConversations
from closedloop.storage.sql.cache import CACHE_SIZE, ConversationCache, TransactionDecodings
from closedloop.storage.sql.checkpoints import Checkpointer
from closedloop.storage.sql.conversations import SqlConversations
from closedloop.storage.sql.directory import DirectoryCache, SqlDirectory
from closedloop.storage.sql.engine import READ_ONLY, make_engine
from closedloop.storage.sql.failures import translating
from closedloop.storage.sql.migrate import ensure_current
from closedloop.storage.sql.outbox import SqlOutbox
from closedloop.storage.sql.privacy import SqlPrivacy
from closedloop.storage.sql.quality import SqlQuality
from closedloop.storage.sql.records import SqlLibrary, SqlMarkers, SqlTokens
from closedloop.storage.sql.reports import SqlReports
from closedloop.storage.sql.scrubbing import empty_log
from closedloop.storage.sql.search import SqlSearch, merge_index
from closedloop.storage.sql.urls import adoption_asked, parsed

__all__ = ["SqlStore", "SqlTransaction"]


class SqlStore:
    """A store in an SQL database reached through SQLAlchemy; ``sqlite:///path`` or ``postgresql+psycopg://``."""

    def __init__(self, engine: Engine, cache_size: int = CACHE_SIZE) -> None:
        self.engine = engine
        self.cache = ConversationCache(cache_size)
        self.directory_cache = DirectoryCache()
        # an in-memory SQLite database is one connection: threads take turns with it, a transaction each
        self.one_connection = isinstance(engine.pool, StaticPool)
        self.turns: AbstractContextManager[object] = threading.Lock() if self.one_connection else nullcontext()
        self.checkpoints = Checkpointer(engine) if engine.dialect.name == "sqlite" and not self.one_connection else None

    @classmethod
    def from_url(cls, url: str, settings: object = None) -> SqlStore:
        """Open the database at ``url``: create the schema in a new one, refuse one that needs upgrading, and
        one that holds another application's tables unless the URL says ``adopt=yes``."""
        engine = make_engine(url)
        try:
            with translating(engine.url):
                ensure_current(engine, adopt=adoption_asked(parsed(url)))
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with translating(self.engine.url), self.turns, self.engine.connect() as connection:
            if self.checkpoints is not None:
                self.checkpoints.before_transaction(connection)
            with connection.begin():
                transaction = SqlTransaction(connection, self.cache, self.directory_cache)
                yield transaction
        transaction.decodings.publish()  # only once committed: a rolled-back read may not be the truth
        if self.checkpoints is not None:
            self.checkpoints.committed()

    def writing_in_bulk(self) -> AbstractContextManager[None]:
        """On a SQLite file, checkpoint the write-ahead log on a thread of its own meanwhile."""
        return nullcontext() if self.checkpoints is None else self.checkpoints.writing_in_bulk()

    def encode_new(self, conversations: Sequence[Conversation]) -> EncodedConversations:
        """Build the insert of new conversations now, on this thread, for a writer thread to run."""
        return EncodedConversations.of(conversations, self.engine.dialect)

    def reader(self) -> AbstractContextManager[SqlTransaction] | None:
        """A read-only snapshot beside the writers; None for an in-memory SQLite database, whose one
        connection every thread shares."""
        return None if self.one_connection else self._reading()

    @contextmanager
    def _reading(self) -> Iterator[SqlTransaction]:
        with translating(self.engine.url), self.engine.connect() as connection:
            connection.execution_options(**{READ_ONLY: True, "postgresql_readonly": True})
            with connection.begin():
                transaction = SqlTransaction(connection, self.cache, self.directory_cache)
                yield transaction
        transaction.decodings.publish()

    def scrub(self) -> None:
        """Make what erasures deleted or overwrote unreadable from the database's files.

        On a SQLite file, ``secure_delete`` already zeroes what a row held in the database file; this merges
        the full-text index, which keeps deleted words until then (:mod:`.search`), and empties the write-ahead
        log, which keeps earlier versions of pages until then (:mod:`.scrubbing`). An in-memory SQLite
        database has no files. PostgreSQL is left as it is: it keeps old row versions until
        its vacuum reuses their space, and its own log and archives for as long as its operator configured, on a
        server this store reaches only as a client; reclaiming them (``VACUUM FULL``, log retention) is the
        operator's to schedule, since it locks tables or touches backups.
        """
        if self.engine.dialect.name != "sqlite" or self.one_connection:
            return
        with translating(self.engine.url), self.engine.connect() as connection:
            merge_index(connection)
            empty_log(connection)

    def close(self) -> None:
        self.engine.dispose()


class SqlTransaction:
    """One use case's connection, inside one database transaction, and the repositories that share it."""

    def __init__(self, connection: Connection, cache: ConversationCache, directory: DirectoryCache) -> None:
        self.connection = connection
        self.decodings = TransactionDecodings(cache)
        self.directory = SqlDirectory(connection, directory)
        self.conversations = SqlConversations(connection, self.decodings)
        self.outbox = SqlOutbox(connection)
        self.tokens = SqlTokens(connection)
        self.markers = SqlMarkers(connection)
        self.library = SqlLibrary(connection)
        self.reports = SqlReports(connection)
        self.quality = SqlQuality(connection)
        self.privacy = SqlPrivacy(connection)
        self.search = SqlSearch(connection, self.decodings)
