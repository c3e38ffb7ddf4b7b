"""The contract of ``tx.directory``: places, groups and users, stored and replaced by id."""

from __future__ import annotations

from closedloop.domain.people import Place, PlaceGroup, Role, User
from closedloop.ports import Store
from closedloop.testing.contract.base import ContractBase


class DirectoryContract(ContractBase):
    def test_an_empty_store_has_no_places_groups_or_users(self, store: Store) -> None:
        with store.transaction() as tx:
            assert dict(tx.directory.places()) == {}
            assert tx.directory.place_ids() == frozenset()
            assert dict(tx.directory.groups()) == {}
            assert tx.directory.get_user("nobody") is None
            assert dict(tx.directory.users()) == {}

    def test_places_groups_and_users_are_stored_and_replaced(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.directory.put_place(Place(id="a", name="A"))
            tx.directory.put_place(Place(id="a", name="A renamed"))
            tx.directory.put_group(PlaceGroup(id="g", name="G", place_ids={"a"}))
            tx.directory.put_user(User(id="u", name="U", places={"a"}))
        with store.transaction() as tx:
            assert tx.directory.places() == {"a": Place(id="a", name="A renamed")}
            assert tx.directory.place_ids() == frozenset({"a"})
            assert tx.directory.groups() == {"g": PlaceGroup(id="g", name="G", place_ids={"a"})}
            assert tx.directory.get_user("u") == User(id="u", name="U", places={"a"})
            assert tx.directory.get_user("nobody") is None
            assert tx.directory.users() == {"u": User(id="u", name="U", places={"a"})}

    def test_a_group_or_user_put_again_replaces_the_stored_one_in_a_later_transaction(self, store: Store) -> None:
        with store.transaction() as tx:
            for place_id in ("a", "b", "c"):
                tx.directory.put_place(Place(id=place_id, name=place_id.upper()))
            tx.directory.put_group(PlaceGroup(id="g", name="G", place_ids={"a"}))
            tx.directory.put_group(PlaceGroup(id="h", name="H", place_ids={"c"}))
            tx.directory.put_user(User(id="u", name="Una User", places={"a"}))
        renamed_group = PlaceGroup(id="g", name="G and B", place_ids={"a", "b"})
        promoted = User(id="u", name="Una User", role=Role.MANAGER, email="una@example.com", groups={"g"})
        with store.transaction() as tx:
            tx.directory.put_group(renamed_group)
            tx.directory.put_user(promoted)
        with store.transaction() as tx:
            assert tx.directory.groups() == {"g": renamed_group, "h": PlaceGroup(id="h", name="H", place_ids={"c"})}
            assert tx.directory.get_user("u") == promoted
            assert tx.directory.users() == {"u": promoted}
            assert tx.directory.place_ids() == frozenset({"a", "b", "c"})
            assert set(tx.directory.places()) == {"a", "b", "c"}
