"""The contract of ``tx.privacy`` and of removing a conversation's reply links: contact details listed in
conversation id order page by page, as the feedback gave them; untouched conversations of a folder, up to but
not including a moment; erasure records read back exactly, oldest first, and forgotten once the time they are
kept until is past; and nothing of it kept by a transaction that fails.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from closedloop.domain.conversation import Conversation, Folder, Status
from closedloop.domain.errors import AlreadyStored
from closedloop.domain.feedback import Contact
from closedloop.domain.privacy import ErasureRecord
from closedloop.ports import Store
from closedloop.ports.store import ContactRow
from closedloop.testing.clock import FakeClock
from closedloop.testing.contract.base import ContractBase

MAY = datetime(2026, 5, 1, tzinfo=UTC)
#: A zone west of UTC, so a time kept as local time would land on another moment.
NEW_YORK_SUMMER = timezone(timedelta(hours=-4))

#: Contact details of every shape the feedback may give: whole, partial, none, and beyond ASCII.
CONTACTS = {
    "c0003": Contact(name="Zoë Ångström", email="zoe+news@example.org", tel="+46 70 123 45 67"),
    "c0001": Contact(name="Jo Doe", email="jo@example.com", tel="+33 6 12 34 56 78"),
    "c0010": Contact(),
    "c0002": Contact(email="only@example.net"),
    "c0007": Contact(name='Sam "Quotes" O\'Neil', tel="06 12 34 56 78"),
}


def erasure(number: int, at: datetime, keep_until: datetime, by: str = "admin") -> ErasureRecord:
    """Record ``e<number>``: an erasure made at ``at``, kept until ``keep_until``."""
    return ErasureRecord(
        id=f"e{number}",
        at=at,
        by=by,
        reason=f"asked by the customer ({number})",
        subject="j***@e***.com, +33*******78",
        conversations=number,
        keep_until=keep_until,
    )


class PrivacyContract(ContractBase):
    def with_contact(self, conversation_id: str, contact: Contact, clock: FakeClock, place: str) -> Conversation:
        made = self.conversation(int(conversation_id[1:]), clock, place)
        return attrs.evolve(made, feedback=attrs.evolve(made.feedback, contact=contact))

    def test_privacy_removing_a_conversations_reply_links_removes_those_alone(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            for token_hash, conversation_id in (("h1", "c0001"), ("h2", "c0002"), ("h3", "c0001")):
                tx.tokens.add(self.token(token_hash, clock, conversation_id=conversation_id))
            tx.tokens.use("h3", clock.now())
        with store.transaction() as tx:
            assert tx.tokens.remove("c0001") == 2
            assert tx.tokens.get("h1") is None and tx.tokens.get("h3") is None
        with store.transaction() as tx:
            assert tx.tokens.get("h1") is None and tx.tokens.get("h3") is None
            assert tx.tokens.get("h2") == self.token("h2", clock, conversation_id="c0002")
            assert tx.tokens.remove("c0001") == 0
            assert tx.tokens.remove("unknown") == 0
            tx.tokens.add(self.token("h1", clock, conversation_id="c0003"))  # its hash is free again
        with store.transaction() as tx:
            assert tx.tokens.get("h1") == self.token("h1", clock, conversation_id="c0003")

    def test_privacy_reply_links_removed_in_a_failed_transaction_are_kept(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.tokens.add(self.token("h1", clock))
            tx.tokens.add(self.token("h2", clock))
        with pytest.raises(RuntimeError), store.transaction() as tx:
            assert tx.tokens.remove("c0001") == 2
            raise RuntimeError("the erasure failed")
        with store.transaction() as tx:
            assert tx.tokens.get("h1") == self.token("h1", clock)
            assert tx.tokens.remove("c0001") == 2

    def test_privacy_contacts_come_as_the_feedback_gave_them_in_conversation_id_order_page_by_page(
        self, store: Store, clock: FakeClock
    ) -> None:
        made = [
            self.with_contact(conversation_id, contact, clock, place=f"p0{index}")
            for index, (conversation_id, contact) in enumerate(CONTACTS.items())
        ]
        with store.transaction() as tx:
            tx.conversations.add(made)
        expected = [
            ContactRow(
                conversation_id=conversation.id,
                place_id=conversation.place_id,
                name=conversation.feedback.contact.name,
                email=conversation.feedback.contact.email,
                tel=conversation.feedback.contact.tel,
            )
            for conversation in sorted(made, key=lambda each: each.id)
        ]
        with store.transaction() as tx:
            assert list(tx.privacy.contacts(None, 10)) == expected
            assert list(tx.privacy.contacts(None, 2)) == expected[:2]
            assert list(tx.privacy.contacts("c0002", 2)) == expected[2:4]
            assert list(tx.privacy.contacts("c0003", 10)) == expected[3:]
            assert list(tx.privacy.contacts("c0004", 10)) == expected[3:], "after need not be a stored id"
            assert list(tx.privacy.contacts("c0010", 10)) == []
            assert list(tx.privacy.contacts(None, 0)) == []
        assert expected[4].name == expected[4].email == expected[4].tel == ""

    def test_privacy_contacts_follow_a_saved_conversation_and_a_failed_transaction_changes_nothing(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.conversations.add([self.with_contact("c0001", CONTACTS["c0001"], clock, "p01")])
        with pytest.raises(RuntimeError), store.transaction() as tx:
            stored = tx.conversations.get("c0001")
            tx.conversations.save(attrs.evolve(stored, feedback=attrs.evolve(stored.feedback, contact=Contact())))
            tx.conversations.add([self.with_contact("c0002", CONTACTS["c0002"], clock, "p02")])
            raise RuntimeError("the erasure failed")
        with store.transaction() as tx:
            assert [row.email for row in tx.privacy.contacts(None, 10)] == ["jo@example.com"]
            stored = tx.conversations.get("c0001")
            tx.conversations.save(attrs.evolve(stored, feedback=attrs.evolve(stored.feedback, contact=Contact())))
        with store.transaction() as tx:
            assert list(tx.privacy.contacts(None, 10)) == [
                ContactRow(conversation_id="c0001", place_id="p01", name="", email="", tel="")
            ]

    def test_privacy_untouched_conversations_are_those_of_the_folder_updated_before_the_moment(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Listed in id order past ``after``; one updated at the very moment is not untouched before it."""
        updated = {  # id: (status, updated this long before MAY)
            "c0001": (Status.DONE, timedelta(days=40)),
            "c0002": (Status.DONE, timedelta(microseconds=1)),
            "c0003": (Status.DONE, timedelta(0)),
            "c0004": (Status.SPAM, timedelta(days=400)),
            "c0005": (Status.NEW, timedelta(days=400)),
            "c0006": (Status.DONE, -timedelta(days=1)),
            "c0007": (Status.DONE, timedelta(days=800)),
            "c0008": (Status.SPAM, timedelta(hours=1)),
        }
        made = []
        for conversation_id, (status, ago) in updated.items():
            opened = self.conversation(int(conversation_id[1:]), clock)
            moment = (MAY - ago).astimezone(NEW_YORK_SUMMER)
            made.append(attrs.evolve(opened, status=status, last_updated_at=moment))
        random.Random(18).shuffle(made)
        with store.transaction() as tx:
            tx.conversations.add(made)
        with store.transaction() as tx:
            assert list(tx.privacy.untouched(Folder.DONE, MAY, None, 10)) == ["c0001", "c0002", "c0007"]
            assert list(tx.privacy.untouched(Folder.DONE, MAY, None, 2)) == ["c0001", "c0002"]
            assert list(tx.privacy.untouched(Folder.DONE, MAY, "c0002", 2)) == ["c0007"]
            assert list(tx.privacy.untouched(Folder.DONE, MAY, "c0007", 2)) == []
            assert list(tx.privacy.untouched(Folder.DONE, MAY - timedelta(days=40), None, 10)) == ["c0007"]
            assert list(tx.privacy.untouched(Folder.DONE, MAY + timedelta(days=2), "c0003", 10)) == ["c0006", "c0007"]
            assert list(tx.privacy.untouched(Folder.SPAM, MAY, None, 10)) == ["c0004", "c0008"]
            assert list(tx.privacy.untouched(Folder.INBOX, MAY, None, 10)) == ["c0005"]
            assert list(tx.privacy.untouched(Folder.SPAM, MAY - timedelta(days=30), None, 10)) == ["c0004"]
            assert list(tx.privacy.untouched(Folder.DONE, MAY, None, 0)) == []
        with store.transaction() as tx:  # c0001 is touched again: it is no longer untouched
            tx.conversations.save(attrs.evolve(tx.conversations.get("c0001"), last_updated_at=MAY))
        with store.transaction() as tx:
            assert list(tx.privacy.untouched(Folder.DONE, MAY, None, 10)) == ["c0002", "c0007"]

    def test_privacy_erasure_records_are_read_back_exactly_oldest_first(self, store: Store) -> None:
        made = [
            erasure(1, MAY + timedelta(days=2), MAY + timedelta(days=367)),
            erasure(2, MAY.astimezone(NEW_YORK_SUMMER), MAY + timedelta(days=365, microseconds=9), by="retention"),
            erasure(3, MAY + timedelta(days=1, microseconds=1), MAY + timedelta(days=366)),
            erasure(4, MAY + timedelta(days=2), MAY + timedelta(days=367)),
        ]
        with store.transaction() as tx:
            assert list(tx.privacy.erasures()) == []
            for record in made:
                tx.privacy.add_erasure(record)
        with store.transaction() as tx:
            found = list(tx.privacy.erasures())
        assert found == [made[1], made[2], made[0], made[3]]
        assert found[0].at == MAY and found[0].keep_until == made[1].keep_until

    def test_privacy_an_erasure_record_is_kept_once_and_a_refusal_leaves_the_transaction_going_on(
        self, store: Store
    ) -> None:
        first = erasure(1, MAY, MAY + timedelta(days=365))
        with store.transaction() as tx:
            tx.privacy.add_erasure(first)
            with pytest.raises(AlreadyStored):
                tx.privacy.add_erasure(attrs.evolve(first, reason="again"))
            tx.privacy.add_erasure(erasure(2, MAY, MAY + timedelta(days=365)))
        with pytest.raises(AlreadyStored), store.transaction() as tx:
            tx.privacy.add_erasure(attrs.evolve(first, conversations=7))
        with store.transaction() as tx:
            assert [record.id for record in tx.privacy.erasures()] == ["e1", "e2"]
            assert tx.privacy.erasures()[0] == first

    def test_privacy_erasure_records_written_or_forgotten_in_a_failed_transaction_are_as_before(
        self, store: Store
    ) -> None:
        kept = erasure(1, MAY, MAY + timedelta(days=1))
        with store.transaction() as tx:
            tx.privacy.add_erasure(kept)
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.privacy.add_erasure(erasure(2, MAY, MAY + timedelta(days=1)))
            assert tx.privacy.forget_erasures(MAY + timedelta(days=2)) == 2
            raise RuntimeError("the use case failed")
        with store.transaction() as tx:
            assert list(tx.privacy.erasures()) == [kept]

    def test_privacy_erasure_records_are_forgotten_once_the_time_they_are_kept_until_is_past(
        self, store: Store
    ) -> None:
        """One kept until the very moment of the run stays for that run, and goes at the next."""
        now = MAY + timedelta(days=365)
        tick = timedelta(microseconds=1)
        made = [
            erasure(1, MAY, now - tick),
            erasure(2, MAY, now),
            erasure(3, MAY, now + tick),
            erasure(4, MAY - timedelta(days=10), now - timedelta(days=10)),
            erasure(5, MAY, (now + timedelta(days=3)).astimezone(NEW_YORK_SUMMER)),
        ]
        with store.transaction() as tx:
            for record in made:
                tx.privacy.add_erasure(record)
        with store.transaction() as tx:
            assert tx.privacy.forget_erasures(now - timedelta(days=20)) == 0
            assert tx.privacy.forget_erasures(now) == 2
        with store.transaction() as tx:
            assert list(tx.privacy.erasures()) == [made[1], made[2], made[4]]
            assert tx.privacy.forget_erasures(now) == 0
            assert tx.privacy.forget_erasures(now + tick) == 1
        with store.transaction() as tx:
            assert [record.id for record in tx.privacy.erasures()] == ["e3", "e5"]
            assert tx.privacy.forget_erasures(now + timedelta(days=3, microseconds=1)) == 2
            assert list(tx.privacy.erasures()) == []
