"""The contract of ``tx.search``: conversations found by their customer or their text, in step with every add
and save, newest activity first, within the places and folders asked."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from closedloop.domain.conversation import Actor, ActorKind, Conversation, Folder, Interaction, InteractionKind, Status
from closedloop.domain.feedback import Contact
from closedloop.domain.search import SearchCursor, SearchQuery, words_of
from closedloop.ports import Store
from closedloop.testing.clock import FakeClock
from closedloop.testing.contract.base import ContractBase

EVERY_FOLDER = frozenset(Folder)


class SearchContract(ContractBase):
    def customer(
        self, number: int, clock: FakeClock, contact: Contact, comment: str, place: str = "p01"
    ) -> Conversation:
        made = self.conversation(number, clock, place)
        feedback = attrs.evolve(made.feedback, contact=contact, comments=comment)
        return attrs.evolve(made, feedback=feedback, last_updated_at=clock.now() + timedelta(seconds=number))

    @staticmethod
    def found(store: Store, text: str, places: frozenset[str] | None = None, folders: frozenset[Folder] = EVERY_FOLDER,
              ) -> list[str]:  # fmt: skip
        query = SearchQuery(place_ids=places, folders=folders, words=tuple(words_of(text)), limit=500)
        with store.transaction() as tx:
            return [found.entry.id for found in tx.search.find(query)]

    @pytest.fixture
    def searchable(self, store: Store, clock: FakeClock) -> Store:
        with store.transaction() as tx:
            tx.conversations.add(
                [
                    self.customer(1, clock, Contact(name="Claire Lefèvre", email="claire.l@example.com",
                                                    tel="+33 6 12 34 56 78"), "Le café était froid"),
                    self.customer(2, clock, Contact(name="Bob Stone", email="bob@example.net"),
                                  "The dessert was divine", place="p02"),
                    self.customer(3, clock, Contact(name="Claude Martin"), "Service lent, café tiède"),
                ]
            )  # fmt: skip
        return store

    def test_a_conversation_is_found_by_its_customer_and_its_comment_however_it_is_typed(
        self, searchable: Store
    ) -> None:
        assert self.found(searchable, "claire") == ["c0001"]
        assert self.found(searchable, "LEFEVRE") == ["c0001"]
        assert self.found(searchable, "lefèvre") == ["c0001"]
        assert self.found(searchable, "clai") == ["c0001"]
        assert self.found(searchable, "cla") == ["c0003", "c0001"]
        assert self.found(searchable, "claire.l@example.com") == ["c0001"]
        assert self.found(searchable, "33612345678") == ["c0001"]
        assert self.found(searchable, "Café") == ["c0003", "c0001"]
        assert self.found(searchable, "cafe froid") == ["c0001"]
        assert self.found(searchable, "dessert") == ["c0002"]
        assert self.found(searchable, "divine bob") == ["c0002"]
        assert self.found(searchable, "claire dessert") == []
        assert self.found(searchable, "nobody") == []

    def test_a_search_keeps_to_the_places_and_folders_asked(self, searchable: Store) -> None:
        assert self.found(searchable, "example") == ["c0002", "c0001"]
        assert self.found(searchable, "example", places=frozenset({"p01"})) == ["c0001"]
        assert self.found(searchable, "example", places=frozenset({"p09"})) == []
        assert self.found(searchable, "example", places=frozenset()) == []
        assert self.found(searchable, "example", folders=frozenset({Folder.DONE})) == []
        with searchable.transaction() as tx:
            tx.conversations.save(attrs.evolve(tx.conversations.get("c0001"), status=Status.DONE))
        assert self.found(searchable, "example", folders=frozenset({Folder.DONE})) == ["c0001"]
        assert self.found(searchable, "example", folders=frozenset({Folder.INBOX})) == ["c0002"]

    def test_results_page_newest_first_without_gaps_or_repeats(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.customer(n, clock, Contact(name="Jo Doe"), f"visit {n}") for n in range(13)])
        with store.transaction() as tx:  # an older conversation touched last moves to the front
            tx.conversations.save(
                attrs.evolve(tx.conversations.get("c0004"), last_updated_at=clock.now() + timedelta(hours=1))
            )
        seen: list[str] = []
        after = None
        while True:
            query = SearchQuery(place_ids=None, folders=EVERY_FOLDER, words=("jo", "doe"), limit=4, after=after)
            with store.transaction() as tx:
                page = list(tx.search.find(query))
            assert len(page) <= 4
            seen += [found.entry.id for found in page]
            if len(page) < 4:
                break
            after = SearchCursor(page[-1].position, search="")  # a store reads only the position
        assert seen == ["c0004", *(f"c{n:04}" for n in range(12, -1, -1) if n != 4)]

    def test_a_save_that_keeps_the_last_update_keeps_the_place_in_the_order(self, searchable: Store) -> None:
        with searchable.transaction() as tx:  # as analysing again does: new concepts, the same last update
            tx.conversations.save(attrs.evolve(tx.conversations.get("c0001"), on_hold=True))
        assert self.found(searchable, "cafe") == ["c0003", "c0001"]
        with searchable.transaction() as tx:
            touched = tx.conversations.get("c0001")
            tx.conversations.save(attrs.evolve(touched, last_updated_at=touched.last_updated_at + timedelta(days=1)))
        assert self.found(searchable, "cafe") == ["c0001", "c0003"]

    def test_what_a_save_adds_or_takes_out_is_found_or_no_longer_found(
        self, searchable: Store, clock: FakeClock
    ) -> None:
        customer = Actor(kind=ActorKind.CUSTOMER, id="", name="")
        message = Interaction(
            kind=InteractionKind.CUSTOMER_MESSAGE,
            at=clock.now(),
            author=customer,
            body="Merci pour le geste commercial",
        )
        note = attrs.evolve(message, kind=InteractionKind.NOTE, body="internal remark", author=Actor(
            kind=ActorKind.USER, id="admin", name="Ada"))  # fmt: skip
        with searchable.transaction() as tx:
            before = tx.conversations.get("c0002")
            tx.conversations.save(attrs.evolve(before, history=(*before.history, message, note)))
        assert self.found(searchable, "geste commercial") == ["c0002"]
        assert self.found(searchable, "internal") == []  # notes are not searched
        with searchable.transaction() as tx:
            erased = tx.conversations.get("c0001")
            feedback = attrs.evolve(erased.feedback, contact=Contact(), comments=())
            tx.conversations.save(attrs.evolve(erased, feedback=feedback))
        assert self.found(searchable, "claire") == []
        assert self.found(searchable, "33612345678") == []
        assert self.found(searchable, "froid") == []

    def test_a_failed_transaction_leaves_the_search_as_it_was(self, searchable: Store) -> None:
        with pytest.raises(RuntimeError), searchable.transaction() as tx:
            erased = tx.conversations.get("c0001")
            tx.conversations.save(attrs.evolve(erased, feedback=attrs.evolve(erased.feedback, contact=Contact())))
            raise RuntimeError("the use case failed")
        assert self.found(searchable, "claire") == ["c0001"]
