"""The contract of ``tx.quality``: scorecards, reviews and review cycles read back exactly as they were put,
reviews listed by period, place, agent, reviewer and conversation, and the handled conversations sampling draws
from: those an agent responded to, tests and spam left out, as their facts say.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from closedloop.domain.conversation import Actor, ActorKind, Conversation, Interaction, InteractionKind, Status
from closedloop.domain.facts import facts_of
from closedloop.domain.feedback import Feedback, Rating, RatingKind
from closedloop.domain.quality import (
    CategoryRating,
    DisputeOutcome,
    Review,
    ReviewEvent,
    ReviewEventKind,
    Scale,
    Scorecard,
    ScorecardCategory,
)
from closedloop.domain.rules import open_conversation
from closedloop.domain.sampling import Assignment, Cycle, Handled
from closedloop.ports import Store
from closedloop.ports.store import ReviewQuery
from closedloop.testing.contract.base import ContractBase
from closedloop.testing.contract.reports import START, later, sample_conversation

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)
#: A zone east of UTC, so a time kept as local time would land in another day, or month.
PARIS_SUMMER = timezone(timedelta(hours=2))

STANDARD = Scorecard(
    id="standard",
    name="Standard",
    categories=(
        ScorecardCategory(id="tone", name="Tone", weight=20, scale=Scale.FOUR),
        ScorecardCategory(id="solution", name="Solution", description="Was it solved?", weight=40, critical=True),
        ScorecardCategory(id="grammar", name="Spelling and grammar", weight=0, scale=Scale.BINARY),
    ),
)
SHORT = Scorecard(id="short", name="Short", categories=(ScorecardCategory(id="tone", name="Tone", scale=Scale.THREE),))


def review(
    number: int, *, conversation: str, received: datetime, place: str = "p01", agent: str = "ann",
    reviewer: str = "rita", created: datetime | None = None,
) -> Review:  # fmt: skip
    """Review ``r<number>`` of a conversation received at ``received``."""
    return Review(
        id=f"r{number}",
        conversation_id=conversation,
        place_id=place,
        agent_id=agent,
        reviewer_id=reviewer,
        scorecard_id="standard",
        ratings=(
            CategoryRating(category_id="tone", choice=3, comment="friendly"),
            CategoryRating(category_id="solution", choice=number % 5 + 1),
            CategoryRating(category_id="grammar"),
        ),
        comment=f"review {number}",
        created_at=created or received + timedelta(days=3, seconds=number),
        received_at=received,
        history=(ReviewEvent(kind=ReviewEventKind.CREATED, at=created or received + timedelta(days=3), by=reviewer),),
    )


def disputed_and_resolved(original: Review) -> Review:
    """The review after its agent disputed it and a manager partly accepted, with new ratings."""
    at = original.created_at + timedelta(days=1, microseconds=7)
    return attrs.evolve(
        original,
        ratings=(CategoryRating(category_id="tone", choice=4), *original.ratings[1:]),
        history=(
            *original.history,
            ReviewEvent(kind=ReviewEventKind.DISPUTED, at=at, by=original.agent_id, comment="I did call back"),
            ReviewEvent(
                kind=ReviewEventKind.RESOLVED, at=at + timedelta(hours=2), by="max", comment="fair — tone raised",
                outcome=DisputeOutcome.PARTLY_ACCEPTED, replaced=original.ratings[:1],
            ),
        ),
    )  # fmt: skip


#: Reviews of a month and around it: (number, conversation, days after MARCH it was received, place, agent,
#: reviewer, seconds after the conversation's other reviews it was written). c2 has two reviews, the later
#: one first by id; c0 was received at the same time as c2; r6 and r7 lie just outside March, r8 (written
#: below) on its first microsecond.
LISTED = [
    (1, "c1", 3, "p01", "ann", "rita", 0),
    (2, "c2", 1, "p02", "bob", "rita", 60),
    (3, "c2", 1, "p02", "bob", "rob", 0),
    (4, "c3", 20, "p01", "bob", "rob", 0),
    (5, "c4", 10, "p03", "ann", "rob", 0),
    (6, "c5", -1, "p01", "ann", "rita", 0),
    (7, "c6", 31, "p01", "ann", "rita", 0),
    (9, "c0", 1, "p03", "ann", "rob", 0),
]


def listed_reviews() -> list[Review]:
    made = [
        review(number, conversation=conversation, received=MARCH + timedelta(days=days), place=place, agent=agent,
               reviewer=reviewer, created=MARCH + timedelta(days=days + 3, seconds=later))
        for number, conversation, days, place, agent, reviewer, later in LISTED
    ]  # fmt: skip
    made.append(review(8, conversation="c7", received=MARCH.astimezone(PARIS_SUMMER)))
    return made


AGENTS = {name: Actor(kind=ActorKind.USER, id=name, name=name.title()) for name in ("ann", "bob")}
THE_PLACE = Actor(kind=ActorKind.PLACE, id="place", name="The place")


def handled_conversation(
    number: int, received: datetime, *, place: str = "p01", replies: tuple[str, ...] = ("ann",),
    test: bool = False, status: Status | None = None, ratings: tuple[str, ...] = ("nps",),
) -> Conversation:  # fmt: skip
    """Conversation ``h<number>``, replied to by each of ``replies`` in turn (a user id, or ``place:<user>`` for
    a review reply the place signed on that user's behalf, or ``place:`` for one signed by nobody)."""
    feedback = Feedback(
        source="survey",
        external_id=f"handled-{number}",
        place_id=place,
        received_at=received,
        ratings=[Rating(key=key, kind=RatingKind.NPS if key == "nps" else RatingKind.CSAT, value=4) for key in ratings],
        test=test,
    )
    opened = open_conversation(f"h{number:03}", feedback, now=received, alert=None)
    history = list(opened.history)
    for step, who in enumerate(replies, start=1):
        at = received + timedelta(hours=step)
        if who.startswith("place:"):
            signed = {"sent_by": who.removeprefix("place:")} if who != "place:" else {}
            entry = Interaction(kind=InteractionKind.REVIEW_REPLY, at=at, author=THE_PLACE, body="hi", details=signed)
        else:
            entry = Interaction(kind=InteractionKind.EMAIL_REPLY, at=at, author=AGENTS[who], body="hello")
        history.append(entry)
    return attrs.evolve(opened, history=tuple(history), status=status or opened.status, last_updated_at=history[-1].at)


def reference_handled(
    conversations: list[Conversation], place_ids: frozenset[str] | None, since: datetime, until: datetime
) -> list[Handled]:
    """What ``handled`` gives, from each conversation's facts."""
    found = []
    for facts in map(facts_of, conversations):
        in_scope = place_ids is None or facts.place_id in place_ids
        if facts.counted and facts.first_responder is not None and since <= facts.received_at < until and in_scope:
            found.append(
                Handled(
                    conversation_id=facts.conversation_id, place_id=facts.place_id, agent_id=facts.first_responder,
                    received_at=facts.received_at, rating_keys=frozenset(rating.key for rating in facts.ratings),
                )
            )  # fmt: skip
    return sorted(found, key=lambda each: each.conversation_id)


class QualityContract(ContractBase):
    def test_quality_scorecards_are_listed_by_id_read_back_exactly_and_replaced(self, store: Store) -> None:
        with store.transaction() as tx:
            assert list(tx.quality.scorecards()) == []
            assert tx.quality.get_scorecard("standard") is None
            tx.quality.put_scorecard(STANDARD)
            tx.quality.put_scorecard(SHORT)
        renamed = attrs.evolve(SHORT, name="Short and sweet")
        with store.transaction() as tx:
            assert list(tx.quality.scorecards()) == [SHORT, STANDARD]
            read = tx.quality.get_scorecard("standard")
            assert read == STANDARD
            assert read is not None and all(type(category.scale) is Scale for category in read.categories)
            tx.quality.put_scorecard(renamed)
        with store.transaction() as tx:
            assert list(tx.quality.scorecards()) == [renamed, STANDARD]
            assert tx.quality.get_scorecard("unknown") is None

    def test_quality_a_review_is_read_back_exactly_and_put_again_replaces_it(self, store: Store) -> None:
        received = datetime(2026, 3, 31, 23, 30, 0, 123_456, tzinfo=PARIS_SUMMER)
        original = review(1, conversation="c1", received=received)
        with store.transaction() as tx:
            assert tx.quality.get_review("r1") is None
            tx.quality.put_review(original)
        with store.transaction() as tx:
            assert tx.quality.get_review("r1") == original
        resolved = disputed_and_resolved(original)
        with store.transaction() as tx:
            tx.quality.put_review(resolved)
        with store.transaction() as tx:
            read = tx.quality.get_review("r1")
            listed = tx.quality.reviews(ReviewQuery(place_ids=None, since=MARCH, until=APRIL))
        assert read == resolved and list(listed) == [resolved]
        assert read is not None and read.received_at == received and read.ratings[2].choice is None
        assert type(read.history[2].kind) is ReviewEventKind and type(read.history[2].outcome) is DisputeOutcome
        assert read.history[2].replaced == (CategoryRating(category_id="tone", choice=3, comment="friendly"),)

    def test_quality_a_review_put_in_a_failed_transaction_is_not_kept(self, store: Store) -> None:
        first = review(1, conversation="c1", received=MARCH)
        with store.transaction() as tx:
            tx.quality.put_review(first)
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.quality.put_review(disputed_and_resolved(first))
            tx.quality.put_review(review(2, conversation="c2", received=MARCH))
            raise RuntimeError("the use case failed")
        with store.transaction() as tx:
            assert tx.quality.get_review("r1") == first
            assert tx.quality.get_review("r2") is None

    @pytest.mark.parametrize(
        ("asked", "expected"),
        [
            ({}, ["r8", "r9", "r3", "r2", "r1", "r5", "r4"]),
            ({"place_ids": frozenset({"p01", "p03"})}, ["r8", "r9", "r1", "r5", "r4"]),
            ({"place_ids": frozenset({"p02", "elsewhere"})}, ["r3", "r2"]),
            ({"place_ids": frozenset()}, []),
            ({"agent_id": "bob"}, ["r3", "r2", "r4"]),
            ({"reviewer_id": "rob"}, ["r9", "r3", "r5", "r4"]),
            ({"conversation_id": "c2"}, ["r3", "r2"]),
            ({"agent_id": "ann", "reviewer_id": "rob", "place_ids": frozenset({"p03"})}, ["r9", "r5"]),
            ({"agent_id": "nobody"}, []),
            ({"since": MARCH - timedelta(days=1), "until": MARCH}, ["r6"]),
            ({"since": MARCH + timedelta(days=1), "until": MARCH + timedelta(days=10)}, ["r9", "r3", "r2", "r1"]),
            ({"since": MARCH - timedelta(days=5), "until": APRIL + timedelta(days=5)},
             ["r6", "r8", "r9", "r3", "r2", "r1", "r5", "r4", "r7"]),
        ],
    )  # fmt: skip
    def test_quality_reviews_are_those_the_query_asks_for_oldest_conversation_first(
        self, store: Store, asked: dict[str, Any], expected: list[str]
    ) -> None:
        """A period holds the reviews of conversations received from its start up to, not including, its end;
        a conversation's reviews come oldest first."""
        made = listed_reviews()
        random.Random(4).shuffle(made)
        with store.transaction() as tx:
            for each in made:
                tx.quality.put_review(each)
        query = attrs.evolve(ReviewQuery(place_ids=None, since=MARCH, until=APRIL), **asked)
        with store.transaction() as tx:
            found = tx.quality.reviews(query)
        assert [each.id for each in found] == expected
        assert all(each == next(mine for mine in made if mine.id == each.id) for each in found)

    def test_quality_review_cycles_are_read_back_exactly_and_replaced(self, store: Store) -> None:
        assignments = (
            Assignment(conversation_id="c1", place_id="p01", agent_id="ann", reviewer_id="rob"),
            Assignment(conversation_id="c2", place_id="p02", agent_id="bob", reviewer_id="rita"),
        )
        cycle = Cycle(
            id="2026-03", since=MARCH, until=APRIL, created_at=APRIL + timedelta(hours=9, microseconds=5),
            created_by="max", seed=20260301, share=0.05, assignments=assignments,
        )  # fmt: skip
        with store.transaction() as tx:
            assert tx.quality.get_cycle("2026-03") is None
            tx.quality.put_cycle(cycle)
            tx.quality.put_cycle(attrs.evolve(cycle, id="2026-02", assignments=()))
        with store.transaction() as tx:
            assert tx.quality.get_cycle("2026-03") == cycle
        again = attrs.evolve(cycle, seed=7, share=0.1, assignments=assignments[1:])
        with store.transaction() as tx:
            tx.quality.put_cycle(again)
        with store.transaction() as tx:
            assert tx.quality.get_cycle("2026-03") == again
            assert tx.quality.get_cycle("2026-02") == attrs.evolve(cycle, id="2026-02", assignments=())

    def test_quality_handled_conversations_are_those_an_agent_responded_to_tests_and_spam_left_out(
        self, store: Store
    ) -> None:
        day = timedelta(days=1)
        with store.transaction() as tx:
            tx.conversations.add(
                [
                    handled_conversation(1, MARCH + 2 * day, ratings=("nps", "handling")),
                    handled_conversation(2, MARCH + 2 * day, test=True),
                    handled_conversation(3, MARCH + 2 * day, status=Status.SPAM),
                    handled_conversation(4, MARCH + 2 * day, replies=()),
                    handled_conversation(5, MARCH + 3 * day, place="p02", replies=("bob",), ratings=()),
                    handled_conversation(6, MARCH - timedelta(microseconds=1)),
                    handled_conversation(7, APRIL),
                    handled_conversation(8, MARCH.astimezone(PARIS_SUMMER)),
                    handled_conversation(9, MARCH + 4 * day, replies=("bob", "ann")),
                    handled_conversation(10, MARCH + 5 * day, replies=("place:ann",)),
                    handled_conversation(11, MARCH + 5 * day, replies=("place:",)),
                    handled_conversation(12, MARCH + 6 * day, replies=()),
                    handled_conversation(13, MARCH + 6 * day),
                ]
            )
        with store.transaction() as tx:  # a reply comes to h012 and h013 turns out to be spam
            replied = handled_conversation(12, MARCH + 6 * day, replies=("bob",))
            tx.conversations.save(attrs.evolve(replied, version=tx.conversations.get("h012").version))
            tx.conversations.save(attrs.evolve(tx.conversations.get("h013"), status=Status.SPAM))

        def handled(number: int, agent: str, received: datetime, place: str = "p01", keys: str = "nps") -> Handled:
            return Handled(
                conversation_id=f"h{number:03}", place_id=place, agent_id=agent, received_at=received,
                rating_keys=frozenset(keys.split()),
            )  # fmt: skip

        expected = [
            handled(1, "ann", MARCH + 2 * day, keys="nps handling"),
            handled(5, "bob", MARCH + 3 * day, place="p02", keys=""),
            handled(8, "ann", MARCH),
            handled(9, "bob", MARCH + 4 * day),
            handled(10, "ann", MARCH + 5 * day),
            handled(12, "bob", MARCH + 6 * day),
        ]
        with store.transaction() as tx:
            assert list(tx.quality.handled(None, MARCH, APRIL)) == expected
            assert list(tx.quality.handled(frozenset({"p02", "p09"}), MARCH, APRIL)) == expected[1:2]
            assert list(tx.quality.handled(frozenset({"p01"}), MARCH, MARCH + 3 * day)) == [expected[0], expected[2]]
            assert list(tx.quality.handled(frozenset(), MARCH, APRIL)) == []
            assert list(tx.quality.handled(None, APRIL, APRIL + day)) == [handled(7, "ann", APRIL)]

    def test_quality_handled_conversations_are_what_their_facts_say(self, store: Store) -> None:
        """On conversations of every kind the metrics tell apart, some saved again after a reply."""
        generator = random.Random(17)
        made = [sample_conversation(number, generator) for number in range(120)]
        with store.transaction() as tx:
            tx.conversations.add(made)
        for index in range(0, len(made), 3):
            with store.transaction() as tx:
                made[index] = tx.conversations.save(later(tx.conversations.get(made[index].id), generator))
        since, until = START + timedelta(days=10), START + timedelta(days=60)
        for scope in (None, frozenset({"p01", "p02", "p04"})):
            reference = reference_handled(made, scope, since, until)
            with store.transaction() as tx:
                assert list(tx.quality.handled(scope, since, until)) == reference
            assert len(reference) > 5 and any(each.rating_keys for each in reference)
