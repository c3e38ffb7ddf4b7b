"""The contract of ``tx.outbox``: queuing messages (and refusing a taken id), reading, replacing and listing
them, and claiming the due ones, by one dispatcher or by two at once."""

from __future__ import annotations

import time
from datetime import timedelta

import attrs
import pytest

from closedloop.domain.errors import AlreadyStored, DuplicateFeedback, NotFound
from closedloop.domain.messages import Delivery, OutboundMessage, RetryPolicy
from closedloop.ports import Store
from closedloop.testing.clock import FakeClock
from closedloop.testing.contract.base import ContractBase, at_once

POLICY = RetryPolicy(lease=timedelta(minutes=5))
#: Enough messages, taken a few at a time, that two dispatchers claim many times side by side.
RACED_MESSAGES = 60
RACED_LIMIT = 4


class OutboxContract(ContractBase):
    # -- queuing and reading ---------------------------------------------------------------------------------

    def test_outbox_messages_are_listed_oldest_first_and_updated(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.outbox.add([self.message(2, clock), self.message(1, clock), self.message(3, clock, "c0002")])
        with store.transaction() as tx:
            assert [m.id for m in tx.outbox.list(status=None, conversation_id=None, limit=None)] == ["m1", "m2", "m3"]
            tx.outbox.put(attrs.evolve(tx.outbox.get("m1"), status=Delivery.SENT, attempts=1))
        with store.transaction() as tx:
            pending = tx.outbox.list(status=Delivery.PENDING, conversation_id=None, limit=None)
            assert [m.id for m in pending] == ["m2", "m3"]
            assert [m.id for m in tx.outbox.list(status=None, conversation_id="c0002", limit=None)] == ["m3"]
            assert [m.id for m in tx.outbox.list(status=None, conversation_id=None, limit=1)] == ["m1"]
            assert tx.outbox.get("m1").attempts == 1
            with pytest.raises(NotFound):
                tx.outbox.get("nope")
            with pytest.raises(NotFound):
                tx.outbox.put(self.message(9, clock))

    def test_a_message_is_read_back_as_it_was_queued_and_as_it_was_replaced(
        self, store: Store, clock: FakeClock
    ) -> None:
        queued = attrs.evolve(self.message(1, clock), sender_name="Chez Nous", reply_link="https://example.com/r/1")
        with store.transaction() as tx:
            tx.outbox.add([queued])
            assert tx.outbox.get("m1") == queued
        failed = attrs.evolve(queued, status=Delivery.FAILED, attempts=6, last_error="550 no such mailbox")
        with store.transaction() as tx:
            tx.outbox.put(failed)
        with store.transaction() as tx:
            assert tx.outbox.get("m1") == failed
            assert tx.outbox.list(status=None, conversation_id=None, limit=None) == [failed]

    def test_outbox_lists_combine_status_conversation_and_limit(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.outbox.add([self.message(n, clock, conversation_id=f"c{n % 2}") for n in (5, 4, 3, 2, 1, 0)])
            tx.outbox.put(attrs.evolve(tx.outbox.get("m2"), status=Delivery.SENT))
        with store.transaction() as tx:

            def ids(status: Delivery | None, conversation_id: str | None, limit: int | None) -> list[str]:
                found = tx.outbox.list(status=status, conversation_id=conversation_id, limit=limit)
                return [message.id for message in found]

            assert ids(None, "c0", None) == ["m0", "m2", "m4"]
            assert ids(Delivery.PENDING, "c0", None) == ["m0", "m4"]
            assert ids(Delivery.PENDING, None, 3) == ["m0", "m1", "m3"]
            assert ids(Delivery.SENT, "c1", None) == []
            assert ids(Delivery.FAILED, None, None) == []
            assert ids(None, "unknown", None) == []
            assert ids(None, None, None) == [f"m{n}" for n in range(6)]

    # -- refusals --------------------------------------------------------------------------------------------

    def test_a_message_id_cannot_be_queued_twice(self, store: Store, clock: FakeClock) -> None:
        with store.transaction() as tx:
            tx.outbox.add([self.message(1, clock)])
        again = attrs.evolve(self.message(1, clock), body="another body")
        with pytest.raises(AlreadyStored) as refused, store.transaction() as tx:
            tx.outbox.add([again])
        assert not isinstance(refused.value, DuplicateFeedback), "a message is not feedback"
        with store.transaction() as tx:
            assert tx.outbox.get("m1") == self.message(1, clock)

    def test_a_batch_repeating_a_message_id_is_refused_whole_and_the_outbox_goes_on(
        self, store: Store, clock: FakeClock
    ) -> None:
        with pytest.raises(AlreadyStored), store.transaction() as tx:
            tx.outbox.add([self.message(1, clock), self.message(2, clock), self.message(1, clock)])
        with store.transaction() as tx:
            assert tx.outbox.list(status=None, conversation_id=None, limit=None) == []
            tx.outbox.add([self.message(1, clock), self.message(2, clock)])
        with store.transaction() as tx:
            assert [m.id for m in tx.outbox.list(status=None, conversation_id=None, limit=None)] == ["m1", "m2"]

    def test_a_refused_batch_of_messages_writes_nothing_even_when_the_use_case_goes_on(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.outbox.add([self.message(1, clock)])
        with store.transaction() as tx:
            with pytest.raises(AlreadyStored):
                tx.outbox.add([self.message(2, clock), attrs.evolve(self.message(1, clock), body="again")])
            assert tx.outbox.list(status=None, conversation_id=None, limit=None) == [self.message(1, clock)]
            tx.outbox.add([self.message(2, clock)])
        with store.transaction() as tx:
            assert tx.outbox.list(status=None, conversation_id=None, limit=None) == [
                self.message(1, clock),
                self.message(2, clock),
            ]

    # -- claiming --------------------------------------------------------------------------------------------

    def test_claiming_takes_the_soonest_due_first_and_leaves_what_is_not_due(
        self, store: Store, clock: FakeClock
    ) -> None:
        start = clock.now()
        now = start + timedelta(minutes=10)
        messages = [
            attrs.evolve(  # a retry, due the longest
                self.message(0, clock),
                created_at=start - timedelta(hours=2),
                next_attempt_at=start - timedelta(hours=1),
            ),
            self.message(1, clock),  # due since it was created
            attrs.evolve(  # created first of all, but its retry is due after the others
                self.message(2, clock),
                created_at=start - timedelta(hours=3),
                next_attempt_at=start + timedelta(minutes=5),
            ),
            attrs.evolve(self.message(3, clock), next_attempt_at=now + timedelta(seconds=1)),  # not yet
            attrs.evolve(self.message(4, clock), status=Delivery.SENDING, lease_until=start + timedelta(minutes=3)),
            attrs.evolve(self.message(5, clock), status=Delivery.SENDING, lease_until=now + timedelta(minutes=1)),
            attrs.evolve(self.message(6, clock), status=Delivery.SENT, sent_at=start),
            attrs.evolve(self.message(7, clock), status=Delivery.FAILED, last_error="550 no such mailbox"),
            attrs.evolve(self.message(8, clock), next_attempt_at=now),  # due this very moment
            attrs.evolve(self.message(9, clock, "c0002"), created_at=self.message(1, clock).created_at),
        ]
        with store.transaction() as tx:
            tx.outbox.add(messages)
        with store.transaction() as tx:
            claimed = tx.outbox.claim(now, POLICY, None)
        # m1 and m9 are due at the same instant: the id decides; m4's lease ran out at start + 3 minutes
        assert [message.id for message in claimed] == ["m0", "m1", "m9", "m4", "m2", "m8"]
        by_id = {message.id: message for message in messages}
        assert claimed == [POLICY.claim(by_id[message.id], now) for message in claimed]
        with store.transaction() as tx:
            for message in messages:
                expected = POLICY.claim(message, now) if message.id not in {"m3", "m5", "m6", "m7"} else message
                assert tx.outbox.get(message.id) == expected
            assert tx.outbox.claim(now, POLICY, None) == []

    def test_claiming_takes_at_most_the_limit_and_the_rest_on_the_next_claim(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.outbox.add([self.message(n, clock) for n in (4, 2, 5, 1, 3)])
        now = clock.advance(minutes=1)
        with store.transaction() as tx:
            first = [message.id for message in tx.outbox.claim(now, POLICY, 2)]
        with store.transaction() as tx:
            second = [message.id for message in tx.outbox.claim(now, POLICY, 2)]
            third = [message.id for message in tx.outbox.claim(now, POLICY, 2)]
            fourth = tx.outbox.claim(now, POLICY, 2)
        assert (first, second, third, fourth) == (["m1", "m2"], ["m3", "m4"], ["m5"], [])

    def test_a_message_whose_lease_ran_out_is_claimed_again_and_a_failed_claim_claims_nothing(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.outbox.add([self.message(1, clock)])
        now = clock.advance(minutes=1)
        with store.transaction() as tx:
            [first] = tx.outbox.claim(now, POLICY, None)
        with store.transaction() as tx:
            assert tx.outbox.claim(now + POLICY.lease - timedelta(seconds=1), POLICY, None) == []
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.outbox.claim(now + POLICY.lease, POLICY, None)
            raise RuntimeError("the dispatcher died before its claim was kept")
        with store.transaction() as tx:
            assert tx.outbox.get("m1") == first
            [again] = tx.outbox.claim(now + POLICY.lease, POLICY, None)
        assert (first.attempts, again.attempts) == (1, 2)
        assert again == POLICY.claim(first, now + POLICY.lease)

    def test_two_dispatchers_claiming_at_once_never_get_the_same_message_and_together_get_all(
        self, store: Store, clock: FakeClock
    ) -> None:
        """A store that runs one transaction at a time lets them take turns; one that runs both at once must
        pass over the messages the other has claimed but not yet committed."""
        with store.transaction() as tx:
            tx.outbox.add([self.message(n, clock, f"c{n % 7}") for n in range(RACED_MESSAGES)])
        now = clock.advance(minutes=5)

        def dispatch() -> list[str]:
            taken: list[str] = []
            while True:
                with store.transaction() as tx:
                    claimed = tx.outbox.claim(now, POLICY, RACED_LIMIT)
                    time.sleep(0.002)  # still claimed, not yet committed: the other dispatcher claims meanwhile
                if not claimed:
                    return taken
                taken += [message.id for message in claimed]

        one, other = at_once(dispatch, dispatch)
        assert not set(one) & set(other), "two dispatchers got the same message"
        assert sorted(one + other) == sorted(f"m{n}" for n in range(RACED_MESSAGES))
        with store.transaction() as tx:
            stored = tx.outbox.list(status=None, conversation_id=None, limit=None)
        assert {(message.status, message.attempts) for message in stored} == {(Delivery.SENDING, 1)}

    def test_claimed_messages_are_left_for_the_other_dispatcher_until_the_lease_ends(
        self, store: Store, clock: FakeClock
    ) -> None:
        with store.transaction() as tx:
            tx.outbox.add([self.message(n, clock) for n in range(3)])
        now = clock.advance(minutes=1)
        with store.transaction() as tx:
            mine = tx.outbox.claim(now, POLICY, 2)
        with store.transaction() as tx:
            theirs = tx.outbox.claim(now + timedelta(seconds=30), POLICY, None)
        assert [message.id for message in mine] == ["m0", "m1"]
        assert [message.id for message in theirs] == ["m2"]
        with store.transaction() as tx:
            tx.outbox.put(attrs.evolve(mine[0], status=Delivery.SENT, sent_at=now, lease_until=None))
        with store.transaction() as tx:
            late = tx.outbox.claim(now + POLICY.lease + timedelta(seconds=30), POLICY, None)
        assert [message.id for message in late] == ["m1", "m2"]  # m0 was sent; the others' leases ran out

    def test_a_cancelled_message_is_never_claimed_and_is_listed_as_cancelled(
        self, store: Store, clock: FakeClock
    ) -> None:
        """Cancelled when its customer was erased, whatever it was before: pending and due, or claimed by a
        dispatcher whose lease has run out. No dispatcher may take it, however late."""
        start = clock.now()

        def cancelled(message: OutboundMessage) -> OutboundMessage:
            return attrs.evolve(
                message, status=Delivery.CANCELLED, recipients=(), body="", next_attempt_at=None, lease_until=None
            )

        messages = [
            cancelled(self.message(1, clock)),
            attrs.evolve(cancelled(self.message(2, clock)), attempts=1, last_error="its customer was erased"),
            self.message(3, clock),
        ]
        with store.transaction() as tx:
            tx.outbox.add(messages)
        now = clock.advance(minutes=1)
        with store.transaction() as tx:
            [claimed] = tx.outbox.claim(now, POLICY, None)
            tx.outbox.put(cancelled(claimed))  # erased while it was out
        with store.transaction() as tx:
            assert tx.outbox.claim(start + timedelta(days=3650), POLICY, None) == []
            listed = tx.outbox.list(status=Delivery.CANCELLED, conversation_id=None, limit=None)
            assert [message.id for message in listed] == ["m1", "m2", "m3"]
            assert tx.outbox.list(status=Delivery.PENDING, conversation_id=None, limit=None) == []
            assert tx.outbox.get("m2") == messages[1]
            assert {message.due_at for message in listed} == {None}
