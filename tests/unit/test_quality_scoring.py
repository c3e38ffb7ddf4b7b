"""Quality review scoring as Zendesk QA publishes it, and the pure sampling and splitting behind review cycles:
the figures a team compares with the tool's, and the fairness a reviewer relies on (a reproducible draw, each
agent's share, never one's own work)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import InvalidInput
from closedloop.domain.quality import (
    CategoryRating,
    Review,
    ReviewEvent,
    Scale,
    Scorecard,
    ScorecardCategory,
    category_scores,
    checked_ratings,
    iqs,
    review_score,
)
from closedloop.domain.quality_summary import Satisfaction, summarize
from closedloop.domain.sampling import Assignment, Handled, assign, drawn, progress, sample, seed_of
from closedloop.quality import default_scorecard, scorecard_from_toml

MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def rate(category_id: str, choice: int | None, comment: str = "") -> CategoryRating:
    return CategoryRating(category_id=category_id, choice=choice, comment=comment)


@pytest.mark.parametrize(
    ("scale", "scores"),
    [
        (Scale.BINARY, [0.0, 100.0]),
        (Scale.THREE, [0.0, 50.0, 100.0]),
        (Scale.FOUR, [0.0, 33.3, 66.7, 100.0]),
        (Scale.FIVE, [0.0, 25.0, 50.0, 75.0, 100.0]),
    ],
)
def test_each_choice_scores_as_the_published_scale_table(scale: Scale, scores: list[float]) -> None:
    category = ScorecardCategory(id="c", name="C", scale=scale)
    assert [round(category.score(choice), 1) for choice in range(1, int(scale) + 1)] == scores
    with pytest.raises(InvalidInput, match="rated from 1 to"):
        category.score(int(scale) + 1)


def test_the_default_scorecard_ships_its_five_categories() -> None:
    card = default_scorecard()
    assert [(c.id, int(c.scale), c.critical) for c in card.categories] == [
        ("tone", 5, False), ("solution", 4, True), ("spelling", 3, False), ("empathy", 5, False), ("closing", 2, False)
    ]  # fmt: skip
    assert sum(category.weight for category in card.categories) == 100


def test_a_scorecard_file_with_an_unknown_field_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="unknown scorecard category field"):
        scorecard_from_toml('id = "x"\nname = "X"\n[[categories]]\nid = "a"\nname = "A"\nwieght = 3\n')


def test_a_review_is_the_weighted_mean_of_its_rated_categories_and_na_counts_nowhere() -> None:
    card = default_scorecard()  # weights: tone 20, solution 30, spelling 15, empathy 20, closing 15
    ratings = [rate("tone", 4), rate("solution", 3), rate("spelling", 3), rate("empathy", None), rate("closing", 2)]
    # (75 x 20 + 66.67 x 30 + 100 x 15 + 100 x 15) / (20 + 30 + 15 + 15): empathy is N/A, out of both sums
    assert review_score(card, ratings) == pytest.approx(81.25)
    assert set(category_scores(card, ratings)) == {"tone", "solution", "spelling", "closing"}
    with_empathy = [*ratings[:3], rate("empathy", 1), ratings[4]]
    assert review_score(card, with_empathy) == pytest.approx(6500 / 100)


def test_a_critical_category_below_fifty_zeroes_the_review_and_fifty_passes() -> None:
    card = default_scorecard()
    failed = [rate("tone", 5), rate("solution", 2), rate("spelling", 3), rate("closing", 2)]  # solution: 33.3
    assert review_score(card, failed) == 0.0
    card_three = Scorecard(id="s", name="S", categories=[
        ScorecardCategory(id="must", name="Must", scale=3, critical=True, weight=50),
        ScorecardCategory(id="nice", name="Nice", scale=2, weight=50),
    ])  # fmt: skip
    assert review_score(card_three, [rate("must", 2), rate("nice", 2)]) == 75.0  # exactly 50 is a pass


def test_the_published_iqs_example() -> None:
    assert iqs([100, 9.91, 63.96, 90.99, 0]) == pytest.approx(52.97, abs=0.005)
    assert iqs([None, 80.0]) == 80.0  # a review with nothing weighted rated has no score and is left out
    assert iqs([]) is None


def conversations(counts: dict[str, int], place: str = "p1") -> list[Handled]:
    return [
        Handled(
            conversation_id=f"{agent}-{number:03d}",
            place_id=place,
            agent_id=agent,
            received_at=MARCH + timedelta(hours=number),
        )
        for agent, count in counts.items()
        for number in range(count)
    ]


TEAM = {"ana": 40, "ben": 100, "cy": 7, "dee": 1, "eve": 30, "fay": 50}


def test_the_same_seed_draws_the_same_sample_and_another_seed_another() -> None:
    handled = conversations(TEAM)
    first = sample(handled, 0.05, seed=7)
    assert sample(list(reversed(handled)), 0.05, seed=7) == first  # the order the store lists them in is irrelevant
    assert sample(handled, 0.05, seed=8) != first
    assert [item.conversation_id for item in first] == sorted(item.conversation_id for item in first)
    assert seed_of("2026-03") == seed_of("2026-03") != seed_of("2026-04")


def test_each_agent_gets_the_share_rounded_half_up_and_at_least_one() -> None:
    counts = Counter(item.agent_id for item in sample(conversations(TEAM), 0.05, seed=1))
    # 40 x 5% = 2, 100 -> 5, 7 -> 0.35 but at least 1, 1 -> 1, 30 -> 1.5 rounds up to 2, 50 -> 2.5 to 3
    assert counts == {"ana": 2, "ben": 5, "cy": 1, "dee": 1, "eve": 2, "fay": 3}


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 300), min_size=1), st.floats(0.01, 1.0),
       st.integers(0, 2**32))  # fmt: skip
def test_the_share_holds_within_rounding_for_every_agent(team: dict[str, int], share: float, seed: int) -> None:
    counts = Counter(item.agent_id for item in sample(conversations(team), share, seed))
    for agent, count in team.items():
        assert counts[agent] == drawn(count, share)
        assert counts[agent] >= 1 and (abs(counts[agent] - count * share) <= 0.5 or counts[agent] == 1)


def test_conversations_whose_customer_rated_the_handling_are_left_out_when_asked() -> None:
    rated = Handled(conversation_id="ana-x", place_id="p1", agent_id="ana", received_at=MARCH,
                    rating_keys=frozenset({"handling", "nps"}))  # fmt: skip
    assert sample([rated], 1.0, seed=1, exclude_keys={"handling"}) == []
    assert sample([rated], 1.0, seed=1) == [rated]


@pytest.mark.parametrize("share", [0, -0.1, 1.5, "5%", True, float("nan")])
def test_a_share_outside_zero_to_one_is_refused(share: object) -> None:
    with pytest.raises(InvalidInput, match="share must be a number above 0 and at most 1"):
        sample(conversations({"ana": 3}), share, seed=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5, "7", None])
def test_a_seed_that_is_not_a_whole_number_a_database_can_hold_is_refused(seed: object) -> None:
    with pytest.raises(InvalidInput, match="seed must be a whole number from 0 to 2"):
        sample(conversations({"ana": 3}), 0.5, seed)  # type: ignore[arg-type]


def test_the_split_is_even_and_never_gives_reviewers_their_own_conversations() -> None:
    drawn_sample = sample(conversations(TEAM), 0.2, seed=3)
    reviewers = ["ana", "ben", "zed"]  # ana and ben are agents too
    assignments = assign(drawn_sample, reviewers, seed=3)
    assert sorted(a.conversation_id for a in assignments) == [item.conversation_id for item in drawn_sample]
    assert all(a.reviewer_id != a.agent_id for a in assignments)
    loads = Counter(a.reviewer_id for a in assignments)
    assert max(loads.values()) - min(loads.values()) <= 1
    assert assign(drawn_sample, reviewers, seed=3) == assignments


def test_a_split_that_would_give_a_reviewer_their_own_work_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"no reviewer may review conversation 'ana-000'.*add a reviewer"):
        assign(conversations({"ana": 2, "ben": 1}), ["ana"], seed=1)
    with pytest.raises(InvalidInput, match="at least one reviewer"):
        assign(conversations({"ana": 2}), [], seed=1)


def test_the_split_respects_each_reviewers_scope() -> None:
    drawn_sample = conversations({"ana": 4}, place="p1") + conversations({"ben": 4}, place="p2")
    assignments = assign(drawn_sample, ["rita", "sam"], seed=5, scopes={"rita": frozenset({"p1"}), "sam": None})
    assert {a.conversation_id for a in assignments if a.reviewer_id == "rita"} <= {f"ana-00{n}" for n in range(4)}
    with pytest.raises(InvalidInput, match="who sees that place"):
        assign(drawn_sample, ["rita"], seed=5, scopes={"rita": frozenset({"p1"})})


def test_progress_counts_what_each_reviewer_did_of_what_they_were_given() -> None:
    given_out = [
        Assignment(conversation_id=c, place_id="p1", agent_id="ana", reviewer_id=r)
        for c, r in [("c1", "rita"), ("c2", "rita"), ("c3", "sam")]
    ]
    done = [("rita", "c2"), ("sam", "c1"), ("tom", "c3")]  # reviews outside one's assignment do not count
    assert progress(given_out, done) == {"rita": (1, 2), "sam": (0, 1)}


def made(review_id: str, agent: str, ratings: list[CategoryRating], received: datetime = MARCH) -> Review:
    return Review(id=review_id, conversation_id=f"c-{review_id}", place_id="p1", agent_id=agent, reviewer_id="rita",
                  scorecard_id="default", ratings=tuple(ratings), created_at=received, received_at=received,
                  history=(ReviewEvent(kind="created", at=received, by="rita"),))  # fmt: skip


def test_a_summary_gives_iqs_its_change_category_averages_and_the_weakest_with_comments() -> None:
    card = default_scorecard()
    reviews = [
        made(
            "r1", "ana", [rate("tone", 5), rate("solution", 2, "Wrong refund rule"), rate("closing", 1, "No goodbye")]
        ),
        made("r2", "ana", [rate("tone", 3, "A bit curt"), rate("solution", 4), rate("closing", 2)]),
        made("r3", "ben", [rate("tone", 5), rate("solution", 4), rate("closing", 2)]),
    ]
    previous = [made("p1", "ana", [rate("tone", 5), rate("solution", 4), rate("closing", 2)])]
    summary = summarize(period="2026-03", since=MARCH, until=MARCH + timedelta(days=31), reviews=reviews,
                        previous=previous, scorecards={"default": card},
                        satisfaction={"ana": Satisfaction(csat=80.0, nps=20.0)},
                        team_satisfaction=Satisfaction(csat=75.0))  # fmt: skip
    ana = summary.agent("ana")
    assert ana is not None and summary.agent("ben") is not None
    r2 = (50 * 20 + 100 * 30 + 100 * 15) / 65
    assert (ana.reviews, ana.previous_iqs) == (2, 100.0)
    assert ana.iqs == pytest.approx(r2 / 2)  # r1 failed critically: 0
    assert ana.change == pytest.approx(r2 / 2 - 100)
    averages = {c.category_id: round(c.average, 2) for c in ana.categories}
    assert averages == {"closing": 50.0, "solution": 66.67, "tone": 75.0}  # the critical failure does not zero them
    assert [(w.category_id, w.comments) for w in ana.weakest] == [
        ("closing", ("No goodbye",)), ("solution", ("Wrong refund rule",)), ("tone", ("A bit curt",))
    ]  # fmt: skip
    assert (ana.csat, ana.nps) == (80.0, 20.0)
    assert (summary.team.reviews, summary.team.csat) == (3, 75.0)
    assert summary.team.iqs == pytest.approx((r2 + 100) / 3)
    assert summary.agent("ben").weakest == ()  # type: ignore[union-attr]  # full marks everywhere: nothing weak


def test_a_critical_flag_that_is_not_true_or_false_is_refused_as_bad_input() -> None:
    with pytest.raises(InvalidInput, match="critical flag is True or False"):
        ScorecardCategory(id="tone", name="Tone", critical="yes")  # type: ignore[arg-type]


def test_the_share_is_rounded_half_up_exactly() -> None:
    assert drawn(90, 0.35) == 32  # 31.5, which a float product reads as 31.499...
    assert drawn(10, 0.25) == 3 and drawn(10, 0.24) == 2


def test_a_review_that_rates_only_weightless_categories_is_refused() -> None:
    card = Scorecard(id="c", name="C", categories=[ScorecardCategory(id="tone", name="Tone", weight=20),
                                                   ScorecardCategory(id="note", name="Note", weight=0)])  # fmt: skip
    with pytest.raises(InvalidInput, match="weight above 0"):
        checked_ratings(card, [rate("note", 3)])
    assert review_score(card, checked_ratings(card, [rate("note", 3), rate("tone", 5)])) == 100.0


def test_the_weakest_categories_quote_no_full_marks_and_skip_weightless_categories() -> None:
    tone, note = ScorecardCategory(id="tone", name="Tone", weight=20), ScorecardCategory(id="note", name="N", weight=0)
    card = Scorecard(id="default", name="C", categories=[tone, note])
    reviews = [
        made("r1", "ana", [rate("tone", 5, "Lovely"), rate("note", 1, "Ignore me")]),
        made("r2", "ana", [rate("tone", 3, "Curt")]),
    ]
    summary = summarize(period="2026-03", since=MARCH, until=MARCH + timedelta(days=31), reviews=reviews,
                        previous=[], scorecards={"default": card}, satisfaction={},
                        team_satisfaction=Satisfaction())  # fmt: skip
    assert [(weak.category_id, weak.comments) for weak in summary.team.weakest] == [("tone", ("Curt",))]
