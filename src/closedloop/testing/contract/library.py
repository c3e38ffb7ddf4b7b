"""The contract of ``tx.library``: each user's common replies, and the shared templates by id."""

from __future__ import annotations

import attrs
import pytest

from closedloop.domain.errors import NotFound
from closedloop.domain.templates import ScopeLevel, Template
from closedloop.ports import Store
from closedloop.testing.contract.base import ContractBase

THANKS = Template(id="t", name="Thanks", body="Thank you {first_name}", level=ScopeLevel.ORGANISATION)
SORRY = Template(id="s", name="Sorry", body="We are sorry, {first_name}", level=ScopeLevel.PLACE, target="p01")


class LibraryContract(ContractBase):
    def test_common_replies_and_templates_are_kept(self, store: Store) -> None:
        template = THANKS
        with store.transaction() as tx:
            tx.library.put_common_replies("u", ("b", "a"))
            tx.library.put_template(template)
            tx.library.put_template(attrs.evolve(template, name="Thanks!"))
        with store.transaction() as tx:
            assert tx.library.common_replies("u") == ("b", "a")
            assert list(tx.library.templates()) == [attrs.evolve(template, name="Thanks!")]
            tx.library.delete_template("t")
            with pytest.raises(NotFound):
                tx.library.delete_template("t")
            assert list(tx.library.templates()) == []

    def test_common_replies_are_each_users_own_and_put_again_replaces_them(self, store: Store) -> None:
        with store.transaction() as tx:
            assert tx.library.common_replies("ana") == ()
            tx.library.put_common_replies("ana", ("newest", "older", "oldest"))
            tx.library.put_common_replies("bob", ("hello",))
        with store.transaction() as tx:
            tx.library.put_common_replies("ana", ("only this",))
        with store.transaction() as tx:
            assert tx.library.common_replies("ana") == ("only this",)
            assert tx.library.common_replies("bob") == ("hello",)
            tx.library.put_common_replies("bob", ())
        with store.transaction() as tx:
            assert tx.library.common_replies("bob") == ()
            assert tx.library.common_replies("nobody") == ()

    def test_a_template_is_read_by_id_replaced_and_deleted(self, store: Store) -> None:
        with store.transaction() as tx:
            assert tx.library.get_template("t") is None
            tx.library.put_template(THANKS)
            tx.library.put_template(SORRY)
            assert tx.library.get_template("t") == THANKS
        renamed = attrs.evolve(SORRY, name="Sorry again", body="Sorry, {customer_name}")
        with store.transaction() as tx:
            tx.library.put_template(renamed)
        with store.transaction() as tx:
            assert tx.library.get_template("s") == renamed
            assert sorted(tx.library.templates(), key=lambda template: template.id) == [renamed, THANKS]
            tx.library.delete_template("s")
        with store.transaction() as tx:
            assert tx.library.get_template("s") is None
            assert list(tx.library.templates()) == [THANKS]
            assert tx.library.get_template("unknown") is None

    def test_deleting_an_unknown_template_is_not_found_and_changes_nothing(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.library.put_template(THANKS)
        with pytest.raises(NotFound), store.transaction() as tx:
            tx.library.delete_template("unknown")
        with store.transaction() as tx:
            assert list(tx.library.templates()) == [THANKS]
