"""What the optional store promises add to the contract: reading beside a writer, and writing in bulk."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest

from closedloop.domain.conversation import Folder
from closedloop.domain.errors import DuplicateFeedback
from closedloop.domain.people import Place
from closedloop.ports import ReadsBesideWrites, Store, WritesInBulk
from closedloop.testing.clock import FakeClock
from closedloop.testing.contract.store import StoreContract


class ReadsBesideWritesContract(StoreContract):
    """What a store offering :class:`closedloop.ports.ReadsBesideWrites` adds to the contract; bulk intake
    relies on it to prepare one batch while the batch before is written on another thread."""

    #: How long a reader may take while a writer holds its transaction open; far more than any read needs.
    PATIENCE_SECONDS = 5.0

    def test_a_reader_sees_what_was_committed_without_waiting_for_a_writer(
        self, store: Store, clock: FakeClock
    ) -> None:
        assert isinstance(store, ReadsBesideWrites)
        first, second = self.conversation(1, clock), self.conversation(2, clock)
        with store.transaction() as tx:
            tx.directory.put_place(Place(id="p01", name="Place 1"))
            tx.conversations.add([first])
        writing, read = threading.Event(), threading.Event()

        def write_and_hold() -> None:
            with store.transaction() as tx:
                tx.conversations.add([second])
                writing.set()
                read.wait(self.PATIENCE_SECONDS)

        with ThreadPoolExecutor(max_workers=1) as pool:
            writer = pool.submit(write_and_hold)
            assert writing.wait(self.PATIENCE_SECONDS)
            began = time.monotonic()
            reader = store.reader()
            assert reader is not None
            with reader as tx:
                found = tx.conversations.find([first.feedback.key, second.feedback.key])
                places = tx.directory.place_ids()
            waited = time.monotonic() - began
            read.set()
            writer.result()
        assert waited < self.PATIENCE_SECONDS / 2, "the reader waited for the writer"
        assert found == {first.feedback.key: first.id}, "the reader saw an uncommitted conversation"
        assert places == frozenset({"p01"})
        reader = store.reader()
        assert reader is not None
        with reader as tx:
            assert set(tx.conversations.find([second.feedback.key])) == {second.feedback.key}

    def test_encoded_conversations_are_stored_as_they_were(self, store: Store, clock: FakeClock) -> None:
        assert isinstance(store, ReadsBesideWrites)
        # text of every width in UTF-8, quotes and backslashes: a store that slices its input must count right
        texts = ["plain", "café crème", "日本語のレビュー", "emoji 🍕🍕", 'quote " and \\ backslash', ""]
        conversations = [
            attrs.evolve(
                self.conversation(number, clock),
                feedback=attrs.evolve(self.feedback(number, clock), comments=text, external_id=f"{text[:4]}-{number}"),
            )
            for number, text in enumerate(texts)
        ]
        encoded = store.encode_new(conversations)
        assert list(encoded) == conversations
        with store.transaction() as tx:
            tx.conversations.add(encoded)
        with store.transaction() as tx:
            for conversation in conversations:
                assert tx.conversations.get(conversation.id) == attrs.evolve(conversation, version=1)
            assert tx.conversations.counts(None) == {(Folder.INBOX, conversations[0].category): len(texts)}
        with pytest.raises(DuplicateFeedback), store.transaction() as tx:
            tx.conversations.add(store.encode_new([attrs.evolve(conversations[1], id="twin")]))

    def test_an_encoded_batch_repeating_stored_feedback_is_refused_whole(self, store: Store, clock: FakeClock) -> None:
        assert isinstance(store, ReadsBesideWrites)
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(1, clock)])
        batch = [self.conversation(2, clock), attrs.evolve(self.conversation(1, clock), id="c0003")]
        with pytest.raises(DuplicateFeedback), store.transaction() as tx:
            tx.conversations.add(store.encode_new(batch))
        with store.transaction() as tx:
            assert dict(tx.conversations.find([self.feedback(2, clock).key])) == {}
            tx.conversations.add(store.encode_new(batch[:1]))
        with store.transaction() as tx:
            assert tx.conversations.get("c0002").version == 1


class WritesInBulkContract(StoreContract):
    """What a store offering :class:`closedloop.ports.WritesInBulk` adds to the contract: whatever it arranges
    while bulk intakes run, from one thread or several, every write is kept and the store is as usual after."""

    def test_writes_in_bulk_from_two_threads_are_all_kept_and_the_store_is_as_usual_after(
        self, store: Store, clock: FakeClock
    ) -> None:
        assert isinstance(store, WritesInBulk)
        with store.transaction() as tx:
            tx.directory.put_place(Place(id="p01", name="Place 1"))

        def write_in_bulk(first: int) -> None:
            with store.writing_in_bulk():
                for number in range(first, first + 20):
                    with store.transaction() as tx:
                        tx.conversations.add([self.conversation(number, clock)])

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(write_in_bulk, (0, 100)))
        with store.writing_in_bulk(), store.writing_in_bulk():
            pass  # nested, and nothing written
        with pytest.raises(RuntimeError), store.writing_in_bulk():
            raise RuntimeError("an intake that failed")
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(500, clock)])
        numbers = [*range(20), *range(100, 120), 500]
        with store.transaction() as tx:
            found = tx.conversations.find([self.feedback(number, clock).key for number in numbers])
            assert len(found) == len(numbers)
            assert sum(tx.conversations.counts(None).values()) == len(numbers)
