"""The contract of ``tx.conversations`` for the inbox: pages in inbox order and counts per folder and category."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from closedloop.domain.conversation import Category, Folder, Status
from closedloop.domain.inbox import Cursor, InboxQuery, inbox_key
from closedloop.ports import Store
from closedloop.testing.clock import FakeClock
from closedloop.testing.contract.base import PLACE_COUNT, ContractBase, nonzero

if TYPE_CHECKING:
    from closedloop.desk import Desk


class InboxContract(ContractBase):
    def test_the_inbox_pages_in_priority_order_without_gaps_or_repeats(
        self, contract_desk: Desk, clock: FakeClock
    ) -> None:
        made = []
        for number in range(23):
            clock.advance(seconds=7 if number % 3 else 0)  # some share an instant
            made.append(contract_desk.ingest(self.feedback(number, clock, nps=3 if number % 4 == 0 else 9)))
        contract_desk.hold(made[5].id, by="admin")
        contract_desk.mark_done(made[6].id, by="admin")
        expected = sorted(
            (c for c in (contract_desk.conversation(m.id, by="admin") for m in made) if c.folder is Folder.INBOX),
            key=inbox_key,
            reverse=True,
        )
        seen: list[str] = []
        after = None
        while True:
            page = contract_desk.inbox("admin", limit=4, after=after)
            seen += [conversation.id for conversation in page.items]
            if page.next is None:
                break
            after = page.next
        assert seen == [conversation.id for conversation in expected]
        assert seen[0] == made[5].id

    def test_inbox_filters_by_folder_category_and_places(self, store: Store, clock: FakeClock) -> None:
        conversations = [self.conversation(n, clock, place=f"p{n % PLACE_COUNT:02}") for n in range(PLACE_COUNT * 2)]
        conversations[3] = attrs.evolve(conversations[3], on_hold=True)
        with store.transaction() as tx:
            tx.conversations.add(conversations)

        def ids(query: InboxQuery) -> list[str]:
            with store.transaction() as tx:
                return [conversation.id for conversation in tx.conversations.page(query)]

        everyone = ids(InboxQuery(place_ids=None, limit=500))
        assert len(everyone) == PLACE_COUNT * 2 and everyone[0] == "c0003"
        few = frozenset({"p03", "p04"})
        assert ids(InboxQuery(place_ids=few, limit=500)) == [i for i in everyone if int(i[1:]) % PLACE_COUNT in (3, 4)]
        many = frozenset(f"p{n:02}" for n in range(1, PLACE_COUNT))
        assert ids(InboxQuery(place_ids=many, limit=500)) == [i for i in everyone if int(i[1:]) % PLACE_COUNT]
        assert ids(InboxQuery(place_ids=frozenset(), limit=500)) == []
        assert ids(InboxQuery(place_ids=None, category=Category.ON_HOLD, limit=500)) == ["c0003"]
        assert ids(InboxQuery(place_ids=None, folder=Folder.DONE, limit=500)) == []
        with store.transaction() as tx:
            third = tx.conversations.page(InboxQuery(place_ids=many, limit=3))[-1]
        after_third = ids(InboxQuery(place_ids=many, limit=500, after=Cursor.after(third)))
        assert after_third == [i for i in everyone if int(i[1:]) % PLACE_COUNT][3:]

    def test_a_saved_conversation_moves_to_its_new_folder_and_place_in_the_order(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(n, clock) for n in range(4)])
        with store.transaction() as tx:
            tx.conversations.save(attrs.evolve(tx.conversations.get("c0000"), on_hold=True))
            tx.conversations.save(attrs.evolve(tx.conversations.get("c0003"), status=Status.DONE))

        def ids(query: InboxQuery) -> list[str]:
            with store.transaction() as tx:
                return [conversation.id for conversation in tx.conversations.page(query)]

        assert ids(InboxQuery(place_ids=None)) == ["c0000", "c0002", "c0001"]
        assert ids(InboxQuery(place_ids=None, folder=Folder.DONE)) == ["c0003"]
        assert ids(InboxQuery(place_ids=frozenset({"p01"}), category=Category.NEW_MESSAGE, limit=1)) == ["c0002"]

    def test_counts_follow_every_move(self, contract_desk: Desk, clock: FakeClock) -> None:
        made = [contract_desk.ingest(self.feedback(n, clock, place="p01", nps=2 if n < 2 else 9)) for n in range(6)]
        contract_desk.ingest(self.feedback(99, clock, place="p50"))
        contract_desk.hold(made[2].id, by="admin")
        contract_desk.mark_done(made[0].id, by="admin")
        contract_desk.mark_spam(made[3].id, by="admin")
        counts = contract_desk.counts("agent")
        assert (counts.inbox, counts.done, counts.spam) == (4, 1, 1)
        assert (counts.on_hold, counts.alert, counts.new_message) == (1, 1, 2)
        assert contract_desk.counts("admin").inbox == 5
        assert contract_desk.counts("admin", places=["p50"]).inbox == 1

    def test_counts_are_kept_per_place_folder_and_category(self, store: Store, clock: FakeClock) -> None:
        places = ["p01", "p01", "p01", "p02", "p02", "p03"]
        added = [self.conversation(n, clock, place=place) for n, place in enumerate(places)]
        added[5] = attrs.evolve(added[5], on_hold=True)
        with store.transaction() as tx:
            tx.conversations.add(added)
        with store.transaction() as tx:
            tx.conversations.save(attrs.evolve(tx.conversations.get("c0000"), status=Status.DONE))
            tx.conversations.save(attrs.evolve(tx.conversations.get("c0003"), on_hold=True))
        inbox_new, inbox_held, done = (
            (Folder.INBOX, Category.NEW_MESSAGE),
            (Folder.INBOX, Category.ON_HOLD),
            (Folder.DONE, Category.NEW_MESSAGE),
        )
        with store.transaction() as tx:
            assert nonzero(tx.conversations.counts(None)) == {inbox_new: 3, inbox_held: 2, done: 1}
            assert nonzero(tx.conversations.counts(frozenset({"p01"}))) == {inbox_new: 2, done: 1}
            assert nonzero(tx.conversations.counts(frozenset({"p02", "p03"}))) == {inbox_new: 1, inbox_held: 2}
            assert nonzero(tx.conversations.counts(frozenset({"p99"}))) == {}
            assert nonzero(tx.conversations.counts(frozenset())) == {}
