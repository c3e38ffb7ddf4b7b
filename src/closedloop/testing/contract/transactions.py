"""The contract of ``store.transaction()``: what a use case writes through any repository is kept together,
or undone together."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from closedloop.domain.conversation import Category, Folder
from closedloop.domain.messages import RetryPolicy
from closedloop.domain.people import Place, User
from closedloop.domain.templates import Template
from closedloop.ports import Store
from closedloop.testing.clock import FakeClock
from closedloop.testing.contract.base import ContractBase


class TransactionContract(ContractBase):
    def test_a_failed_transaction_leaves_nothing_behind(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.conversation(1, clock)])
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.directory.put_place(Place(id="ghost", name="Ghost"))
            tx.conversations.add([self.conversation(2, clock)])
            loaded = tx.conversations.get("c0001")
            tx.conversations.save(attrs.evolve(loaded, on_hold=True))
            tx.library.put_common_replies("u", ("hello",))
            tx.tokens.add(self.token("h", clock))
            raise RuntimeError("fail in the middle")
        with store.transaction() as tx:
            assert "ghost" not in tx.directory.places()
            assert tx.conversations.find([self.conversation(2, clock).feedback.key]) == {}
            assert tx.conversations.get("c0001").version == 1
            assert tx.library.common_replies("u") == ()
            assert tx.tokens.get("h") is None
            assert tx.conversations.counts(None) == {(Folder.INBOX, Category.NEW_MESSAGE): 1}

    def test_a_failed_transaction_undoes_the_rest_of_every_repository_too(self, store: Store, clock: FakeClock) -> None:
        template = Template(id="t", name="Thanks", body="Thank you")
        with store.transaction() as tx:
            tx.outbox.add([self.message(1, clock)])
            tx.library.put_template(template)
            tx.tokens.add(self.token("h", clock))
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.directory.put_user(User(id="u", name="U"))
            tx.outbox.add([self.message(2, clock)])
            tx.outbox.claim(clock.now() + timedelta(hours=1), RetryPolicy(), None)
            tx.tokens.use("h", clock.now())
            tx.library.delete_template("t")
            tx.library.put_template(Template(id="other", name="Other", body="Other"))
            tx.markers.put("m", "lost")
            raise RuntimeError("fail at the end")
        with store.transaction() as tx:
            assert tx.directory.get_user("u") is None
            assert tx.outbox.list(status=None, conversation_id=None, limit=None) == [self.message(1, clock)]
            assert tx.tokens.get("h") == self.token("h", clock)
            assert list(tx.library.templates()) == [template]
            assert tx.markers.get("m") is None

    def test_what_one_transaction_writes_the_next_one_reads(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.directory.put_place(Place(id="p01", name="Place 1"))
            tx.conversations.add([self.conversation(1, clock)])
            tx.outbox.add([self.message(1, clock)])
            tx.tokens.add(self.token("h", clock))
            tx.markers.put("m", "kept")
            tx.library.put_common_replies("u", ("kept",))
        with store.transaction() as tx:
            assert tx.directory.place_ids() == frozenset({"p01"})
            assert tx.conversations.get("c0001") == self.conversation(1, clock)
            assert tx.outbox.get("m1") == self.message(1, clock)
            assert tx.tokens.get("h") == self.token("h", clock)
            assert tx.markers.get("m") == "kept"
            assert tx.library.common_replies("u") == ("kept",)
