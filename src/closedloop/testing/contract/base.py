"""What every part of the store contract shares: the store under test, a clock, records to store, and a way to
run two transactions at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

import pytest

from closedloop.domain.conversation import Conversation
from closedloop.domain.customer import ReplyToken
from closedloop.domain.feedback import Contact, Feedback, Rating, RatingKind
from closedloop.domain.messages import MessageKind, OutboundMessage
from closedloop.domain.people import Place, PlaceGroup, Role, User
from closedloop.domain.rules import open_conversation
from closedloop.ports import Store
from closedloop.testing.channels import RecordingChannel
from closedloop.testing.clock import FakeClock

if TYPE_CHECKING:
    from closedloop.desk import Desk

PLACE_COUNT = 70  # more than a store may merge place by place, so both ways of scoping are exercised

#: How long a thread of a contract test may wait for another; far more than any store needs.
PATIENCE_SECONDS = 10.0

T = TypeVar("T")
K = TypeVar("K")


def at_once(*work: Callable[[], T]) -> list[T]:
    """Run each callable on a thread of its own, all released together, and return their results in order.

    They meet before any of them opens a transaction, never inside one: a store that runs one transaction at
    a time makes the others wait, and a meeting inside a transaction would then never happen.
    """
    start = threading.Barrier(len(work), timeout=PATIENCE_SECONDS)

    def released(job: Callable[[], T]) -> T:
        start.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        futures = [pool.submit(released, job) for job in work]
        return [future.result(timeout=PATIENCE_SECONDS * 3) for future in futures]


def nonzero(counts: Mapping[K, int]) -> dict[K, int]:
    """The counts that are not zero: a store may keep a zero for a folder and category that was emptied."""
    return {key: count for key, count in counts.items() if count}


class ContractBase:
    """The store under test and the records the contract stores in it. Not collected: its name lacks ``Test``."""

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
        """A desk over the store, with places, a group, an admin and an agent: for the behaviour only a whole
        desk shows, such as the inbox's pages and counts after actions."""
        from closedloop.desk import Desk  # here, so the tests that use the store alone run without the desk

        desk = Desk.open(store=store, clock=clock, plugins=[RecordingChannel("email")])
        for number in range(PLACE_COUNT):
            desk.add_place(Place(id=f"p{number:02}", name=f"Place {number}"))
        desk.add_group(PlaceGroup(id="north", name="North", place_ids={"p00", "p01", "p02"}))
        desk.add_user(User(id="admin", name="Ada Admin", role=Role.ADMIN, email="ada@example.com"))
        desk.add_user(User(id="agent", name="Al Agent", places={"p01"}, groups={"north"}))
        return desk

    # -- records ---------------------------------------------------------------------------------------------

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

    def message(self, number: int, clock: FakeClock, conversation_id: str = "c0001") -> OutboundMessage:
        """Message ``m<number>``, created ``number`` seconds after the clock's time."""
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

    @staticmethod
    def token(token_hash: str, clock: FakeClock, conversation_id: str = "c0001") -> ReplyToken:
        return ReplyToken(
            token_hash=token_hash,
            conversation_id=conversation_id,
            created_at=clock.now(),
            expires_at=clock.now() + timedelta(days=30),
        )
