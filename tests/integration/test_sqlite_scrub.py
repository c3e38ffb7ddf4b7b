"""A SQLite desk keeps no overwritten data in its files once the store is scrubbed (issue 18): the database
file zeroes what a row held (``secure_delete``), and the scrub empties the write-ahead log, waiting a little
for a reader that still uses it. Nor does the store keep earlier versions of a saved conversation decoded in
its cache."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from closedloop import Conversation, Desk, Feedback, Place
from closedloop.domain.errors import StoreUnavailable
from closedloop.domain.feedback import Contact
from closedloop.ports import Scrubs
from closedloop.storage.sql import SqlStore
from closedloop.storage.sql.scrubbing import empty_log

#: Texts no closedloop file holds unless a customer wrote them: one short, one long enough to need pages of
#: its own beyond the row's (SQLite's overflow pages, freed whole when the row changes).
SHORT = "Quentin-Xylophone-7731"
LONG = "Marguerite Zythum-Oberwald lives at 17 rue des Quatre-Vents; " * 120


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "feedback.db"


@pytest.fixture
def desk(database: Path) -> Iterator[Desk]:
    with Desk.open(f"sqlite:///{database}", load_entry_points=False) as opened:
        opened.add_place(Place(id="p1", name="Place 1"))
        yield opened


def store_of(desk: Desk) -> SqlStore:
    assert isinstance(desk.store, SqlStore)
    return desk.store


def files_holding(database: Path, text: str) -> list[str]:
    """The names of the database's files whose bytes hold ``text``."""
    wanted = text.encode("utf-8")
    files = [database, database.with_name(database.name + "-wal")]
    return [path.name for path in files if path.exists() and wanted in path.read_bytes()]


def ingest_one(desk: Desk) -> Conversation:
    return desk.ingest(
        Feedback(
            source="survey",
            external_id="fb-1",
            place_id="p1",
            received_at=datetime(2026, 5, 1, tzinfo=UTC),
            contact=Contact(name=SHORT),
        )
    )


def overwrite_customer(desk: Desk, conversation_id: str) -> None:
    """Save the conversation with the customer's name and comment replaced, as an erasure does."""
    with desk.store.transaction() as tx:
        stored = tx.conversations.get(conversation_id)
        cleared = attrs.evolve(stored.feedback, contact=Contact(name="customer"), comments="[erased]")
        tx.conversations.save(attrs.evolve(stored, feedback=cleared))


def test_an_overwritten_conversation_leaves_no_trace_in_the_database_file_or_its_log_after_a_scrub(
    desk: Desk, database: Path
) -> None:
    conversation = desk.ingest(
        Feedback(
            source="survey",
            external_id="fb-1",
            place_id="p1",
            received_at=datetime(2026, 5, 1, tzinfo=UTC),
            contact=Contact(name=SHORT, email="quentin@example.com"),
            comments=LONG,
        )
    )
    assert files_holding(database, SHORT) and files_holding(database, LONG[:60]), "the test sees the text"
    overwrite_customer(desk, conversation.id)
    assert files_holding(database, SHORT), "before the scrub the log still holds the earlier version"

    store = store_of(desk)
    assert isinstance(store, Scrubs)
    store.scrub()

    assert files_holding(database, SHORT) == []
    assert files_holding(database, LONG[:60]) == []
    assert files_holding(database, "quentin@example.com") == []
    assert database.with_name("feedback.db-wal").stat().st_size == 0
    with desk.store.transaction() as tx:  # the desk goes on as before
        assert tx.conversations.get(conversation.id).feedback.contact.name == "customer"


def test_a_scrub_waits_for_a_reader_that_finishes_soon(desk: Desk, database: Path) -> None:
    conversation = ingest_one(desk)
    overwrite_customer(desk, conversation.id)
    store = store_of(desk)
    reading, done = threading.Event(), threading.Event()

    def read_a_while() -> None:
        reader = store.reader()
        assert reader is not None
        with reader as tx:
            tx.conversations.get(conversation.id)
            reading.set()
            done.wait(0.5)

    thread = threading.Thread(target=read_a_while)
    thread.start()
    try:
        assert reading.wait(5)
        store.scrub()
    finally:
        done.set()
        thread.join()
    assert files_holding(database, SHORT) == []


def test_a_scrub_that_a_reader_keeps_waiting_says_what_is_left_and_what_to_do(desk: Desk) -> None:
    store = store_of(desk)
    desk.ingest(
        Feedback(source="survey", external_id="fb-1", place_id="p1", received_at=datetime(2026, 5, 1, tzinfo=UTC))
    )
    reader = store.reader()
    assert reader is not None
    with reader as tx, store.engine.connect() as connection:
        tx.directory.place_ids()
        with pytest.raises(StoreUnavailable, match=r"-wal file.*store\.scrub\(\)"):
            empty_log(connection, patience=0.3)


def test_the_cache_forgets_every_earlier_version_of_a_conversation_once_its_overwrite_commits(desk: Desk) -> None:
    conversation = ingest_one(desk)
    store = store_of(desk)
    with store.transaction() as tx:
        tx.conversations.get(conversation.id)
    assert [key for key in store.cache.entries if key[0] == conversation.id] == [(conversation.id, 1)]
    with pytest.raises(RuntimeError), store.transaction() as tx:  # an overwrite that fails forgets nothing
        stored = tx.conversations.get(conversation.id)
        tx.conversations.save(attrs.evolve(stored, feedback=attrs.evolve(stored.feedback, contact=Contact())))
        raise RuntimeError("the erasure failed")
    assert (conversation.id, 1) in store.cache.entries

    overwrite_customer(desk, conversation.id)

    assert [key for key in store.cache.entries if key[0] == conversation.id] == []
    with store.transaction() as tx:
        assert tx.conversations.get(conversation.id).feedback.contact.name == "customer"
    assert [key for key in store.cache.entries if key[0] == conversation.id] == [(conversation.id, 2)]


def test_a_reader_that_began_before_the_overwrite_does_not_put_the_earlier_version_back(desk: Desk) -> None:
    conversation = ingest_one(desk)
    store = store_of(desk)
    reading = store.reader()
    assert reading is not None
    with reading as tx:
        assert tx.conversations.get(conversation.id).feedback.contact.name == SHORT  # decoded from its snapshot
        overwrite_customer(desk, conversation.id)  # committed while the reader is still open
    assert [key for key in store.cache.entries if key[0] == conversation.id] == []
