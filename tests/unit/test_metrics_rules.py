"""The metrics' rules that no store may read differently: which kind a key two kinds share is reported under,
and how concept sentiments are added up."""

from __future__ import annotations

from datetime import UTC, datetime

from closedloop.domain.conversation import Category, Status
from closedloop.domain.facts import ConceptFact, Facts, RatingFact
from closedloop.domain.feedback import RatingKind, Source
from closedloop.domain.metrics import figures_of

RECEIVED = datetime(2026, 3, 1, 9, tzinfo=UTC)


def facts(number: int, *ratings: RatingFact, concepts: tuple[ConceptFact, ...] = ()) -> Facts:
    return Facts(
        conversation_id=f"c{number}", place_id="p1", source=Source.SURVEY, platform="", received_at=RECEIVED,
        status=Status.NEW, category=Category.NEW_MESSAGE, test=False, alert_status=None, first_response_at=None,
        first_responder=None, first_contact_at=None, done_at=None, customer_messages=0, ratings=ratings,
        concepts=concepts,
    )  # fmt: skip


def stars(value: float) -> RatingFact:
    return RatingFact(key="service", kind=RatingKind.STARS, value=value)


def csat(value: float) -> RatingFact:
    return RatingFact(key="service", kind=RatingKind.CSAT, value=value)


def test_a_key_in_two_kinds_is_reported_under_the_kind_with_more_answers_whatever_came_first() -> None:
    (score,) = figures_of([facts(1, csat(5)), facts(2, stars(4)), facts(3, stars(2))]).scores
    assert (score.kind, score.answers, score.mean) == (RatingKind.STARS, 2, 3.0)


def test_on_a_tie_the_kind_first_in_alphabetical_order_wins() -> None:
    for order in ([stars(4), csat(5)], [csat(5), stars(4)]):
        (score,) = figures_of([facts(number, rating) for number, rating in enumerate(order)]).scores
        assert (score.kind, score.answers, score.csat) == (RatingKind.CSAT, 1, 100.0)


def test_concept_sentiments_count_in_hundredths() -> None:
    mentions = [ConceptFact(name="staff", sentiment=value) for value in (0.236, 0.236, -0.001)]
    (concept,) = figures_of([facts(number, concepts=(mention,)) for number, mention in enumerate(mentions)]).concepts
    assert (concept.mentions, concept.sentiment) == (3, 0.16)  # (24 + 24 + 0) / 3 hundredths
