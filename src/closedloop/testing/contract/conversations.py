"""The contract of ``tx.conversations`` for single conversations: adding (and refusing duplicates), finding by
feedback key, reading, saving with optimistic locking, and reading with a lock."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest

from closedloop.domain.conversation import Category, Folder, Status
from closedloop.domain.errors import ConcurrentUpdate, DuplicateFeedback, NotFound
from closedloop.ports import Store
from closedloop.testing.clock import FakeClock
from closedloop.testing.contract.base import PATIENCE_SECONDS, ContractBase, nonzero

#: How long the first of two transactions holds its lock: long enough that an unheld lock shows.
HOLD_SECONDS = 0.2


class ConversationsContract(ContractBase):
    # -- adding and finding ----------------------------------------------------------------------------------

    def test_added_conversations_are_found_by_key_and_start_at_version_one(
        self, store: Store, clock: FakeClock
    ) -> None:
        first, second = self.conversation(1, clock), self.conversation(2, clock)
        with store.transaction() as tx:
            tx.conversations.add([first, second])
        with store.transaction() as tx:
            assert tx.conversations.get(first.id) == attrs.evolve(first, version=1)
            found = tx.conversations.find([first.feedback.key, ("survey", "", "missing")])
            assert found == {first.feedback.key: first.id}
            with pytest.raises(NotFound):
                tx.conversations.get("missing")

    def test_finding_no_keys_finds_nothing_and_adding_nothing_stores_nothing(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.conversations.add([])
            assert dict(tx.conversations.find([])) == {}
        with store.transaction() as tx:
            assert dict(tx.conversations.find([self.feedback(1, clock).key])) == {}
            assert sum(tx.conversations.counts(None).values()) == 0

    def test_the_same_feedback_key_cannot_be_added_twice(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(1, clock)])
        twin = attrs.evolve(self.conversation(1, clock), id="other")
        with pytest.raises(DuplicateFeedback), store.transaction() as tx:
            tx.conversations.add([twin])
        with store.transaction() as tx, pytest.raises(NotFound):
            tx.conversations.get("other")

    def test_the_same_conversation_id_cannot_be_added_twice(self, store: Store, clock: FakeClock) -> None:
        first = self.conversation(1, clock)
        with store.transaction() as tx:
            tx.conversations.add([first])
        same_id = attrs.evolve(first, feedback=self.feedback(2, clock))
        with pytest.raises(DuplicateFeedback), store.transaction() as tx:
            tx.conversations.add([same_id])
        with store.transaction() as tx:
            assert tx.conversations.get(first.id) == first
            assert dict(tx.conversations.find([same_id.feedback.key])) == {}

    @pytest.mark.parametrize("repeated", ["feedback key", "conversation id"])
    def test_a_batch_that_repeats_itself_is_refused_whole(self, store: Store, clock: FakeClock, repeated: str) -> None:
        first, second = self.conversation(1, clock), self.conversation(2, clock)
        if repeated == "feedback key":
            twin = attrs.evolve(first, id="c0003")
        else:
            twin = attrs.evolve(first, feedback=self.feedback(3, clock))
        with pytest.raises(DuplicateFeedback), store.transaction() as tx:
            tx.conversations.add([first, second, twin])
        self.assert_nothing_stored_of(store, clock, numbers=(1, 2, 3))
        with store.transaction() as tx:
            tx.conversations.add([first, second])
        with store.transaction() as tx:
            assert tx.conversations.get(first.id).version == 1
            assert len(tx.conversations.find([first.feedback.key, second.feedback.key])) == 2

    def test_a_batch_with_one_stored_feedback_is_refused_whole_and_the_store_goes_on(
        self, store: Store, clock: FakeClock
    ) -> None:
        stored = self.conversation(1, clock)
        with store.transaction() as tx:
            tx.conversations.add([stored])
        newcomers = [self.conversation(2, clock), self.conversation(3, clock)]
        with pytest.raises(DuplicateFeedback), store.transaction() as tx:
            tx.conversations.add([newcomers[0], attrs.evolve(stored, id="c0009"), newcomers[1]])
        self.assert_nothing_stored_of(store, clock, numbers=(2, 3, 9))
        with store.transaction() as tx:
            assert tx.conversations.counts(None) == {(Folder.INBOX, Category.NEW_MESSAGE): 1}
            tx.conversations.add(newcomers)
            saved = tx.conversations.save(attrs.evolve(tx.conversations.get(stored.id), assignee="ana"))
        with store.transaction() as tx:
            assert tx.conversations.get(stored.id) == saved
            assert [tx.conversations.get(c.id).version for c in newcomers] == [1, 1]
            assert tx.conversations.counts(None) == {(Folder.INBOX, Category.NEW_MESSAGE): 3}

    def test_a_refused_batch_writes_nothing_even_when_the_use_case_goes_on(
        self, store: Store, clock: FakeClock
    ) -> None:
        """The refusal takes back the batch, not the transaction: a use case may catch it, look again and
        carry on, and what it wrote before and after is kept."""
        stored = self.conversation(1, clock)
        with store.transaction() as tx:
            tx.conversations.add([stored])
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(2, clock)])
            with pytest.raises(DuplicateFeedback):
                tx.conversations.add([self.conversation(3, clock), attrs.evolve(stored, id="c0009")])
            assert dict(tx.conversations.find([self.feedback(3, clock).key])) == {}
            tx.conversations.add([self.conversation(3, clock)])
            tx.conversations.save(attrs.evolve(tx.conversations.get(stored.id), assignee="ana"))
        with store.transaction() as tx:
            assert [tx.conversations.get(f"c{n:04}").version for n in (1, 2, 3)] == [2, 1, 1]
            with pytest.raises(NotFound):
                tx.conversations.get("c0009")
            assert nonzero(tx.conversations.counts(None)) == {(Folder.INBOX, Category.NEW_MESSAGE): 3}

    def assert_nothing_stored_of(self, store: Store, clock: FakeClock, numbers: tuple[int, ...]) -> None:
        with store.transaction() as tx:
            assert dict(tx.conversations.find([self.feedback(number, clock).key for number in numbers])) == {}
            for number in numbers:
                with pytest.raises(NotFound):
                    tx.conversations.get(f"c{number:04}")

    # -- saving ----------------------------------------------------------------------------------------------

    def test_saving_bumps_the_version_and_a_stale_save_is_refused(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(1, clock)])
        with store.transaction() as tx:
            loaded = tx.conversations.get("c0001")
            saved = tx.conversations.save(attrs.evolve(loaded, assignee="someone"))
        assert saved.version == 2
        with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
            tx.conversations.save(attrs.evolve(loaded, assignee="late writer"))
        with store.transaction() as tx:
            assert tx.conversations.get("c0001") == saved

    def test_a_saved_conversation_can_be_saved_again_in_the_same_transaction(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(1, clock)])
        with store.transaction() as tx:
            once = tx.conversations.save(attrs.evolve(tx.conversations.get("c0001"), on_hold=True))
            twice = tx.conversations.save(attrs.evolve(once, on_hold=False, status=Status.DONE))
            assert tx.conversations.get("c0001") == twice
        assert (once.version, twice.version) == (2, 3)
        with store.transaction() as tx:
            assert tx.conversations.get("c0001") == twice
            assert nonzero(tx.conversations.counts(None)) == {(Folder.DONE, Category.NEW_MESSAGE): 1}

    def test_an_unknown_conversation_cannot_be_read_saved_or_locked(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            with pytest.raises(NotFound):
                tx.conversations.get("c0001")
            with pytest.raises(NotFound):
                tx.conversations.save(self.conversation(1, clock))
            with pytest.raises(NotFound):
                tx.conversations.get("c0001", lock=True)
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(2, clock)])  # still usable after the refusals
            with pytest.raises(NotFound):
                tx.conversations.get("c0001")

    # -- locking ---------------------------------------------------------------------------------------------

    def test_a_conversation_got_with_a_lock_is_the_stored_one_and_can_be_saved_in_the_same_transaction(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(1, clock)])
        with store.transaction() as tx:
            locked = tx.conversations.get("c0001", lock=True)
            assert locked == tx.conversations.get("c0001")
            saved = tx.conversations.save(attrs.evolve(locked, assignee="ana"))
            assert tx.conversations.get("c0001", lock=True) == saved  # locking again in one transaction is harmless
        with store.transaction() as tx:
            assert tx.conversations.get("c0001") == saved
            assert saved.version == 2

    def test_a_second_transaction_getting_a_conversation_with_a_lock_waits_for_the_first_and_sees_its_save(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(1, clock)])
        locked = threading.Event()

        def first() -> int:
            with store.transaction() as tx:
                loaded = tx.conversations.get("c0001", lock=True)
                locked.set()
                time.sleep(HOLD_SECONDS)
                return tx.conversations.save(attrs.evolve(loaded, assignee="first")).version

        def second() -> int:
            if not locked.wait(PATIENCE_SECONDS):
                raise TimeoutError("the first transaction never took its lock")
            with store.transaction() as tx:
                loaded = tx.conversations.get("c0001", lock=True)  # the first one's save, not what was before it
                return tx.conversations.save(attrs.evolve(loaded, assignee=f"{loaded.assignee}, then second")).version

        with ThreadPoolExecutor(max_workers=2) as pool:
            versions = [pool.submit(first), pool.submit(second)]
            assert [version.result(timeout=PATIENCE_SECONDS) for version in versions] == [2, 3]
        with store.transaction() as tx:
            assert tx.conversations.get("c0001").assignee == "first, then second"
