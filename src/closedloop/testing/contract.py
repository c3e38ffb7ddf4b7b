"""The contract every store passes: subclass :class:`StoreContract`, implement ``make_store``, let pytest run it.

It is shipped inside the package so that third-party stores run exactly the suite the built-in memory,
SQLite and PostgreSQL stores run::

    from closedloop.testing.contract import StoreContract

    class TestMyStore(StoreContract):
        def make_store(self):
            return MyStore(...)

A store that also offers :class:`closedloop.ports.ReadsBesideWrites` subclasses
:class:`ReadsBesideWritesContract` instead, which adds what that promise means; one that offers
:class:`closedloop.ports.WritesInBulk` adds :class:`WritesInBulkContract` as well.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import attrs
import pytest

from closedloop.desk import Desk
from closedloop.domain.conversation import Category, Conversation, Folder
from closedloop.domain.customer import ReplyToken
from closedloop.domain.errors import ClosedLoopError, ConcurrentUpdate, NotFound, UsedToken
from closedloop.domain.feedback import Contact, Feedback, Rating, RatingKind
from closedloop.domain.inbox import Cursor, InboxQuery, inbox_key
from closedloop.domain.messages import Delivery, MessageKind, OutboundMessage
from closedloop.domain.people import Place, PlaceGroup, Role, User
from closedloop.domain.rules import open_conversation
from closedloop.domain.templates import ScopeLevel, Template
from closedloop.ports import ReadsBesideWrites, Store, WritesInBulk
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock

PLACE_COUNT = 70  # more than a store may merge place by place, so both ways of scoping are exercised


class StoreContract:
    """The behaviour closedloop relies on from a store. Not collected itself: its name lacks ``Test``."""

    def make_store(self) -> Store:
        raise NotImplementedError("return a new, empty store")

    @pytest.fixture
    def store(self) -> Iterator[Store]:
        made = self.make_store()
        try:
            yield made
        finally:
            made.close()

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def contract_desk(self, store: Store, clock: FakeClock) -> Desk:
        desk = Desk.open(store=store, clock=clock, plugins=[RecordingChannel("email")])
        for number in range(PLACE_COUNT):
            desk.add_place(Place(id=f"p{number:02}", name=f"Place {number}"))
        desk.add_group(PlaceGroup(id="north", name="North", place_ids={"p00", "p01", "p02"}))
        desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN, email="ada@example.com"))
        desk.add_user(User(id="agent", name="Al Agent", places={"p01"}, groups={"north"}))
        return desk

    # -- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def feedback(number: int, clock: FakeClock, place: str = "p01", nps: int = 9) -> Feedback:
        return Feedback(
            source="survey",
            external_id=f"fb-{number}",
            place_id=place,
            received_at=clock.now(),
            contact=Contact(name="Jo Doe", email="jo@example.com", tel="+33 6 12 34 56 78"),
            ratings=[Rating(key="nps", kind=RatingKind.NPS, value=nps)],
            comments=f"comment {number}",
        )

    def conversation(self, number: int, clock: FakeClock, place: str = "p01") -> Conversation:
        return open_conversation(f"c{number:04}", self.feedback(number, clock, place), now=clock.now(), alert=None)

    # -- places and people -----------------------------------------------------------------------------------

    def test_places_groups_and_users_are_stored_and_replaced(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.put_place(Place(id="a", name="A"))
            tx.put_place(Place(id="a", name="A renamed"))
            tx.put_group(PlaceGroup(id="g", name="G", place_ids={"a"}))
            tx.put_user(User(id="u", name="U", places={"a"}))
        with store.transaction() as tx:
            assert tx.places() == {"a": Place(id="a", name="A renamed")}
            assert tx.place_ids() == frozenset({"a"})
            assert tx.groups() == {"g": PlaceGroup(id="g", name="G", place_ids={"a"})}
            assert tx.get_user("u") == User(id="u", name="U", places={"a"})
            assert tx.get_user("nobody") is None

    # -- conversations ---------------------------------------------------------------------------------------

    def test_added_conversations_are_found_by_key_and_start_at_version_one(
        self, store: Store, clock: FakeClock
    ) -> None:
        first, second = self.conversation(1, clock), self.conversation(2, clock)
        with store.transaction() as tx:
            tx.add_conversations([first, second])
        with store.transaction() as tx:
            assert tx.get_conversation(first.id) == attrs.evolve(first, version=1)
            found = tx.find_conversations([first.feedback.key, ("survey", "", "missing")])
            assert found == {first.feedback.key: first.id}
            with pytest.raises(NotFound):
                tx.get_conversation("missing")

    def test_the_same_feedback_key_cannot_be_added_twice(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.add_conversations([self.conversation(1, clock)])
        twin = attrs.evolve(self.conversation(1, clock), id="other")
        with pytest.raises(ClosedLoopError), store.transaction() as tx:
            tx.add_conversations([twin])
        with store.transaction() as tx, pytest.raises(NotFound):
            tx.get_conversation("other")

    def test_saving_bumps_the_version_and_a_stale_save_is_refused(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.add_conversations([self.conversation(1, clock)])
        with store.transaction() as tx:
            loaded = tx.get_conversation("c0001")
            saved = tx.save_conversation(attrs.evolve(loaded, assignee="someone"))
        assert saved.version == 2
        with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
            tx.save_conversation(attrs.evolve(loaded, assignee="late writer"))
        with store.transaction() as tx:
            assert tx.get_conversation("c0001") == saved

    def test_a_failed_transaction_leaves_nothing_behind(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.add_conversations([self.conversation(1, clock)])
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.put_place(Place(id="ghost", name="Ghost"))
            tx.add_conversations([self.conversation(2, clock)])
            loaded = tx.get_conversation("c0001")
            tx.save_conversation(attrs.evolve(loaded, on_hold=True))
            tx.put_common_replies("u", ("hello",))
            tx.add_token(self.token("h", clock))
            raise RuntimeError("fail in the middle")
        with store.transaction() as tx:
            assert "ghost" not in tx.places()
            assert tx.find_conversations([self.conversation(2, clock).feedback.key]) == {}
            assert tx.get_conversation("c0001").version == 1
            assert tx.get_common_replies("u") == ()
            assert tx.get_token("h") is None
            assert tx.count_conversations(None) == {(Folder.INBOX, Category.NEW_MESSAGE): 1}

    # -- the inbox -------------------------------------------------------------------------------------------

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
            tx.add_conversations(conversations)

        def ids(query: InboxQuery) -> list[str]:
            with store.transaction() as tx:
                return [conversation.id for conversation in tx.list_conversations(query)]

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
            third = tx.list_conversations(InboxQuery(place_ids=many, limit=3))[-1]
        after_third = ids(InboxQuery(place_ids=many, limit=500, after=Cursor.after(third)))
        assert after_third == [i for i in everyone if int(i[1:]) % PLACE_COUNT][3:]

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

    # -- common replies and templates ------------------------------------------------------------------------

    def test_common_replies_and_templates_are_kept(self, store: Store) -> None:
        template = Template(id="t", name="Thanks", body="Thank you {first_name}", level=ScopeLevel.ORGANISATION)
        with store.transaction() as tx:
            tx.put_common_replies("u", ("b", "a"))
            tx.put_template(template)
            tx.put_template(attrs.evolve(template, name="Thanks!"))
        with store.transaction() as tx:
            assert tx.get_common_replies("u") == ("b", "a")
            assert list(tx.templates()) == [attrs.evolve(template, name="Thanks!")]
            tx.delete_template("t")
            with pytest.raises(NotFound):
                tx.delete_template("t")
            assert list(tx.templates()) == []

    # -- the outbox ------------------------------------------------------------------------------------------

    def message(self, number: int, clock: FakeClock, conversation_id: str = "c0001") -> OutboundMessage:
        return OutboundMessage(
            id=f"m{number}",
            conversation_id=conversation_id,
            channel="email",
            kind=MessageKind.CUSTOMER_REPLY,
            recipients=("jo@example.com",),
            subject="Your feedback",
            body=f"body {number}",
            created_at=clock.now() + timedelta(seconds=number),
        )

    def test_outbox_messages_are_listed_oldest_first_and_updated(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.add_messages([self.message(2, clock), self.message(1, clock), self.message(3, clock, "c0002")])
        with store.transaction() as tx:
            assert [m.id for m in tx.list_messages(status=None, conversation_id=None, limit=None)] == ["m1", "m2", "m3"]
            tx.put_message(attrs.evolve(tx.get_message("m1"), status=Delivery.SENT, attempts=1))
        with store.transaction() as tx:
            pending = tx.list_messages(status=Delivery.PENDING, conversation_id=None, limit=None)
            assert [m.id for m in pending] == ["m2", "m3"]
            assert [m.id for m in tx.list_messages(status=None, conversation_id="c0002", limit=None)] == ["m3"]
            assert [m.id for m in tx.list_messages(status=None, conversation_id=None, limit=1)] == ["m1"]
            assert tx.get_message("m1").attempts == 1
            with pytest.raises(NotFound):
                tx.get_message("nope")
            with pytest.raises(NotFound):
                tx.put_message(self.message(9, clock))

    # -- reply links -----------------------------------------------------------------------------------------

    @staticmethod
    def token(token_hash: str, clock: FakeClock) -> ReplyToken:
        return ReplyToken(
            token_hash=token_hash,
            conversation_id="c0001",
            created_at=clock.now(),
            expires_at=clock.now() + timedelta(days=30),
        )

    def test_a_reply_link_is_used_once(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.add_token(self.token("h1", clock))
        with store.transaction() as tx:
            assert tx.get_token("h1") == self.token("h1", clock)
            tx.use_token("h1", clock.now())
        with store.transaction() as tx:
            stored = tx.get_token("h1")
            assert stored is not None and stored.used_at == clock.now()
            with pytest.raises(UsedToken):
                tx.use_token("h1", clock.now())
            with pytest.raises(NotFound):
                tx.use_token("unknown", clock.now())
            assert tx.get_token("unknown") is None

    def test_markers_are_kept_replaced_and_rolled_back(self, store: Store) -> None:
        with store.transaction() as tx:
            assert tx.get_marker("sync:example") is None
            tx.put_marker("sync:example", "2026-01-01T00:00:00+00:00")
        with store.transaction() as tx:
            assert tx.get_marker("sync:example") == "2026-01-01T00:00:00+00:00"
            tx.put_marker("sync:example", "2026-02-01T00:00:00+00:00")
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.put_marker("sync:example", "lost")
            tx.put_marker("sync:other", "lost")
            raise RuntimeError("a failure inside the use case")
        with store.transaction() as tx:
            assert tx.get_marker("sync:example") == "2026-02-01T00:00:00+00:00"
            assert tx.get_marker("sync:other") is None


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
            tx.put_place(Place(id="p01", name="Place 1"))
            tx.add_conversations([first])
        writing, read = threading.Event(), threading.Event()

        def write_and_hold() -> None:
            with store.transaction() as tx:
                tx.add_conversations([second])
                writing.set()
                read.wait(self.PATIENCE_SECONDS)

        with ThreadPoolExecutor(max_workers=1) as pool:
            writer = pool.submit(write_and_hold)
            assert writing.wait(self.PATIENCE_SECONDS)
            began = time.monotonic()
            reader = store.reader()
            assert reader is not None
            with reader as tx:
                found = tx.find_conversations([first.feedback.key, second.feedback.key])
                places = tx.place_ids()
            waited = time.monotonic() - began
            read.set()
            writer.result()
        assert waited < self.PATIENCE_SECONDS / 2, "the reader waited for the writer"
        assert found == {first.feedback.key: first.id}, "the reader saw an uncommitted conversation"
        assert places == frozenset({"p01"})
        reader = store.reader()
        assert reader is not None
        with reader as tx:
            assert set(tx.find_conversations([second.feedback.key])) == {second.feedback.key}

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
            tx.add_conversations(encoded)
        with store.transaction() as tx:
            for conversation in conversations:
                assert tx.get_conversation(conversation.id) == attrs.evolve(conversation, version=1)
            assert tx.count_conversations(None) == {(Folder.INBOX, conversations[0].category): len(texts)}
        with pytest.raises(ClosedLoopError), store.transaction() as tx:
            tx.add_conversations(store.encode_new([attrs.evolve(conversations[1], id="twin")]))


class WritesInBulkContract(StoreContract):
    """What a store offering :class:`closedloop.ports.WritesInBulk` adds to the contract: whatever it arranges
    while bulk intakes run, from one thread or several, every write is kept and the store is as usual after."""

    def test_writes_in_bulk_from_two_threads_are_all_kept_and_the_store_is_as_usual_after(
        self, store: Store, clock: FakeClock
    ) -> None:
        assert isinstance(store, WritesInBulk)
        with store.transaction() as tx:
            tx.put_place(Place(id="p01", name="Place 1"))

        def write_in_bulk(first: int) -> None:
            with store.writing_in_bulk():
                for number in range(first, first + 20):
                    with store.transaction() as tx:
                        tx.add_conversations([self.conversation(number, clock)])

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(write_in_bulk, (0, 100)))
        with store.writing_in_bulk(), store.writing_in_bulk():
            pass  # nested, and nothing written
        with pytest.raises(RuntimeError), store.writing_in_bulk():
            raise RuntimeError("an intake that failed")
        with store.transaction() as tx:
            tx.add_conversations([self.conversation(500, clock)])
        numbers = [*range(20), *range(100, 120), 500]
        with store.transaction() as tx:
            found = tx.find_conversations([self.feedback(number, clock).key for number in numbers])
            assert len(found) == len(numbers)
            assert sum(tx.count_conversations(None).values()) == len(numbers)
