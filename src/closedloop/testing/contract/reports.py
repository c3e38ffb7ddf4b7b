"""The contract of ``tx.reports``: the store's metrics are the reference figures of the same conversations.

A store may aggregate however it likes (the SQL store sums facts tables where they are); the numbers must be
those :func:`closedloop.domain.reports.report_of` gives from the stored conversations' facts, for every
bucketing, place filter, time zone and window, after conversations were added in bulk and saved again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from closedloop.domain.alerts import Alert, AlertStatus
from closedloop.domain.conversation import Actor, ActorKind, Concept, Conversation, Interaction, InteractionKind, Status
from closedloop.domain.facts import facts_of
from closedloop.domain.feedback import Feedback, Rating, RatingKind
from closedloop.domain.metrics import Bucketing, MetricsQuery
from closedloop.domain.people import PlaceGroup
from closedloop.domain.reports import report_of
from closedloop.ports import Store
from closedloop.testing.contract.base import ContractBase

START = datetime(2026, 1, 20, 9, tzinfo=UTC)
PLACES = [f"p{number:02}" for number in range(8)]
GROUPS = {
    "north": PlaceGroup(id="north", name="North", place_ids={"p00", "p01", "p02"}),
    "south": PlaceGroup(id="south", name="South", place_ids={"p02", "p03"}),
    "empty": PlaceGroup(id="empty", name="Empty", place_ids={"p07"}),
}
AGENTS = [Actor(kind=ActorKind.USER, id=name, name=name.title()) for name in ("ann", "bob")]
CUSTOMER = Actor(kind=ActorKind.CUSTOMER, id="customer", name="Jo Doe")
PLACE = Actor(kind=ActorKind.PLACE, id="place", name="The place")
#: Each rating key keeps one kind, as a survey does; values include halves, which stars round to even.
RATINGS = (
    ("nps", RatingKind.NPS, [float(value) for value in range(11)]),
    ("csat", RatingKind.CSAT, [1.0, 2.0, 3.0, 4.0, 5.0]),
    ("effort", RatingKind.CES, [float(value) for value in range(1, 8)]),
    ("stars", RatingKind.STARS, [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]),
)
CONCEPTS = ("staff", "waiting", "price")
#: Sentiments are sixteenths, which add up exactly in any order: a mean that falls on a rounding tie then
#: rounds the same however a store adds it up (decimal sentiments can round either way at a tie).


def _history(generator: random.Random, received: datetime) -> list[Interaction]:
    """Some replies, calls, notes and customer messages, each later than the one before."""
    entries = []
    at = received
    for _ in range(generator.choice((0, 0, 1, 2, 3))):
        at += timedelta(minutes=generator.choice((5, 90, 600, 2_000, 4_000)), microseconds=generator.randint(0, 999))
        kind = generator.choice(
            (InteractionKind.EMAIL_REPLY, InteractionKind.CALL_LOG, InteractionKind.NOTE,
             InteractionKind.REVIEW_REPLY, InteractionKind.CUSTOMER_MESSAGE, InteractionKind.HOLD)
        )  # fmt: skip
        if kind is InteractionKind.CUSTOMER_MESSAGE:
            entries.append(Interaction(kind=kind, at=at, author=CUSTOMER, body="thanks"))
        elif kind is InteractionKind.REVIEW_REPLY:
            signed = {"sent_by": generator.choice(AGENTS).id} if generator.random() < 0.7 else {}
            entries.append(Interaction(kind=kind, at=at, author=PLACE, body="thank you", details=signed))
        else:
            entries.append(Interaction(kind=kind, at=at, author=generator.choice(AGENTS), body="hello"))
    return entries


def sample_conversation(number: int, generator: random.Random) -> Conversation:
    """A conversation of every kind the metrics tell apart: tests, spam, done, alerts, several sources."""
    received = START + timedelta(hours=generator.randint(0, 24 * 95), seconds=generator.randint(0, 3_599))
    review = generator.random() < 0.3
    ratings = [
        Rating(key=key, kind=kind, value=generator.choice(values))
        for key, kind, values in RATINGS
        if generator.random() < 0.6
    ]
    feedback = Feedback(
        source="review" if review else generator.choice(("survey", "rating")),
        platform=generator.choice(("google", "tripadvisor")) if review else generator.choice(("", "", "kiosk")),
        external_id=f"metrics-{number}",
        place_id=generator.choice(PLACES[:-1]),
        received_at=received,
        ratings=ratings,
        test=generator.random() < 0.08,
    )
    history = _history(generator, received)
    status = generator.choice((Status.NEW, Status.PENDING_ACTION, Status.AWAITING_CUSTOMER, Status.DONE, Status.SPAM))
    if status is Status.DONE and generator.random() < 0.8:
        moved = (history[-1].at if history else received) + timedelta(hours=generator.randint(1, 90))
        history.append(
            Interaction(kind=InteractionKind.STATUS_CHANGE, at=moved, author=AGENTS[0], to_status=Status.DONE)
        )
    alert = None
    if generator.random() < 0.4:
        alert = Alert(raised_at=received, reasons=("low score",), status=generator.choice(list(AlertStatus)))
    return Conversation(
        id=f"m{number:04}",
        feedback=feedback,
        status=status,
        created_at=received,
        last_updated_at=history[-1].at if history else received,
        last_updated_by="ann",
        on_hold=generator.random() < 0.1,
        alert=alert,
        analysis=tuple(
            Concept(name=name, sentiment=generator.randint(-16, 16) / 16)
            for name in CONCEPTS
            if generator.random() < 0.4
        ),
        history=tuple(history),
    )


def later(conversation: Conversation, generator: random.Random) -> Conversation:
    """The conversation after more happened to it: a reply or call, then perhaps done, spam or a test no more."""
    at = max([conversation.feedback.received_at, *(entry.at for entry in conversation.history)])
    reply = Interaction(
        kind=generator.choice((InteractionKind.EMAIL_REPLY, InteractionKind.CALL_LOG)),
        at=at + timedelta(hours=generator.randint(1, 70)),
        author=generator.choice(AGENTS),
        body="we called",
    )
    status = generator.choice((Status.DONE, Status.SPAM, Status.NEW, conversation.status))
    alert = conversation.alert and attrs.evolve(conversation.alert, status=AlertStatus.PROCESSED)
    return attrs.evolve(
        conversation,
        history=(*conversation.history, reply),
        status=status,
        alert=alert,
        last_updated_at=reply.at,
        on_hold=False,
        analysis=conversation.analysis[:1],
    )


def queries(place_ids: Sequence[frozenset[str] | None]) -> list[MetricsQuery]:
    """Questions over the sample: whole and partial months, two zones far apart, two windows."""
    made = []
    for chosen in place_ids:
        made.append(
            MetricsQuery(place_ids=chosen, since=START - timedelta(days=30), until=START + timedelta(days=120),
                         zone=ZoneInfo("Europe/Paris"))
        )  # fmt: skip
        made.append(
            MetricsQuery(place_ids=chosen, since=START + timedelta(days=3, hours=5), until=START + timedelta(days=61),
                         zone=ZoneInfo("Pacific/Auckland"), window=timedelta(hours=3))
        )  # fmt: skip
    return made


class ReportsContract(ContractBase):
    @pytest.fixture
    def sample(self, store: Store) -> list[Conversation]:
        """Conversations added in two batches, then some saved again after more happened to them."""
        generator = random.Random(15)
        made = [sample_conversation(number, generator) for number in range(160)]
        with store.transaction() as tx:
            tx.conversations.add(made[:150])
        with store.transaction() as tx:
            for conversation in made[150:]:
                tx.conversations.add([conversation])
        for index in range(0, len(made), 4):
            with store.transaction() as tx:
                made[index] = tx.conversations.save(later(tx.conversations.get(made[index].id), generator))
        return made

    @pytest.mark.parametrize("by", [None, *Bucketing])
    def test_metrics_are_the_reference_figures_of_the_stored_conversations(
        self, store: Store, sample: list[Conversation], by: Bucketing | None
    ) -> None:
        facts = [facts_of(conversation) for conversation in sample]
        for query in queries([None, frozenset({"p01", "p02", "p03", "p07"}), frozenset({"p05"})]):
            with store.transaction() as tx:
                report = tx.reports.metrics(query, by, GROUPS)
            assert report == report_of(facts, query, by, GROUPS), (query, by)
        with store.transaction() as tx:
            figures = tx.reports.metrics(queries([None])[0], None, GROUPS).figures
        # the sample reaches every figure, so agreeing says something
        assert figures.left_out["tests"] and figures.left_out["spam"] and figures.concepts
        assert figures.closed_loop.alerts_closed and figures.closed_loop.detractors_closed
        assert figures.responsiveness.answered and figures.responsiveness.done and figures.volume.customer_messages

    def test_no_places_and_no_feedback_give_empty_figures(self, store: Store, sample: list[Conversation]) -> None:
        for query in queries([frozenset(), frozenset({"p07"})]):
            with store.transaction() as tx:
                report = tx.reports.metrics(query, Bucketing.MONTH, GROUPS)
            assert report == report_of([], query, Bucketing.MONTH, GROUPS)
            assert report.figures.volume.feedback == 0 and report.buckets
