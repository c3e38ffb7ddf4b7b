"""The contract of ``tx.tokens``: reply links stored by hash, taken once, and used once even by two at once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import attrs
import pytest

from closedloop.domain.errors import AlreadyStored, DuplicateFeedback, NotFound, UsedToken
from closedloop.ports import Store
from closedloop.testing.clock import FakeClock
from closedloop.testing.contract.base import ContractBase, at_once


class TokensContract(ContractBase):
    def test_a_reply_link_is_used_once(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.tokens.add(self.token("h1", clock))
        with store.transaction() as tx:
            assert tx.tokens.get("h1") == self.token("h1", clock)
            tx.tokens.use("h1", clock.now())
        with store.transaction() as tx:
            stored = tx.tokens.get("h1")
            assert stored is not None and stored.used_at == clock.now()
            with pytest.raises(UsedToken):
                tx.tokens.use("h1", clock.now())
            with pytest.raises(NotFound):
                tx.tokens.use("unknown", clock.now())
            assert tx.tokens.get("unknown") is None

    def test_a_token_hash_cannot_be_stored_twice(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.tokens.add(self.token("h1", clock))
        with pytest.raises(AlreadyStored) as refused, store.transaction() as tx:
            tx.tokens.add(self.token("h1", clock, conversation_id="c0002"))
        assert not isinstance(refused.value, DuplicateFeedback), "a reply link is not feedback"
        with store.transaction() as tx:
            assert tx.tokens.get("h1") == self.token("h1", clock)  # the first link still opens its conversation
            tx.tokens.add(self.token("h2", clock, conversation_id="c0002"))
        with store.transaction() as tx:
            assert tx.tokens.get("h2") == self.token("h2", clock, conversation_id="c0002")

    def test_a_refused_link_leaves_the_transaction_going_on(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.tokens.add(self.token("h1", clock))
            with pytest.raises(AlreadyStored):
                tx.tokens.add(self.token("h1", clock, conversation_id="c0002"))
            tx.tokens.use("h1", clock.now())
        with store.transaction() as tx:
            assert tx.tokens.get("h1") == attrs.evolve(self.token("h1", clock), used_at=clock.now())

    def test_a_used_link_cannot_be_stored_again_fresh(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.tokens.add(self.token("h1", clock))
            tx.tokens.use("h1", clock.now())
        with pytest.raises(AlreadyStored), store.transaction() as tx:
            tx.tokens.add(self.token("h1", clock))
        with store.transaction() as tx, pytest.raises(UsedToken):
            tx.tokens.use("h1", clock.now())

    def test_two_customers_using_one_link_at_once_use_it_once(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.tokens.add(self.token("h1", clock))

        def use(moment: datetime) -> str:
            try:
                with store.transaction() as tx:
                    tx.tokens.use("h1", moment)
                    time.sleep(0.05)  # used, not yet committed: the other one tries meanwhile
            except UsedToken:
                return "refused"
            return "used"

        first, second = clock.now() + timedelta(seconds=1), clock.now() + timedelta(seconds=2)
        outcomes = at_once(lambda: use(first), lambda: use(second))
        assert sorted(outcomes) == ["refused", "used"]
        with store.transaction() as tx:
            stored = tx.tokens.get("h1")
        assert stored is not None
        assert stored.used_at == (first if outcomes[0] == "used" else second)
