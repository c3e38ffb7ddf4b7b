"""The contract of ``tx.markers``: small named values, kept, replaced and rolled back."""

from __future__ import annotations

import pytest

from closedloop.ports import Store
from closedloop.testing.contract.base import ContractBase


class MarkersContract(ContractBase):
    def test_markers_are_kept_replaced_and_rolled_back(self, store: Store) -> None:
        with store.transaction() as tx:
            assert tx.markers.get("sync:example") is None
            tx.markers.put("sync:example", "2026-01-01T00:00:00+00:00")
        with store.transaction() as tx:
            assert tx.markers.get("sync:example") == "2026-01-01T00:00:00+00:00"
            tx.markers.put("sync:example", "2026-02-01T00:00:00+00:00")
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.markers.put("sync:example", "lost")
            tx.markers.put("sync:other", "lost")
            raise RuntimeError("a failure inside the use case")
        with store.transaction() as tx:
            assert tx.markers.get("sync:example") == "2026-02-01T00:00:00+00:00"
            assert tx.markers.get("sync:other") is None

    def test_a_marker_is_read_back_in_its_own_transaction_and_apart_from_the_others(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.markers.put("sync:google", "page 2")
            tx.markers.put("sync:facebook", "")
            assert tx.markers.get("sync:google") == "page 2"
        with store.transaction() as tx:
            assert (tx.markers.get("sync:google"), tx.markers.get("sync:facebook")) == ("page 2", "")
            assert tx.markers.get("sync:GOOGLE") is None
