"""desk.qa through the desk on every store: a month of handled conversations sampled, split among reviewers,
reviewed, disputed and summarised, with each user seeing and doing only what their rights and places allow.

The story (UTC): places p1 and p2. In March 2026 Ana handles 40 conversations at p1 (5 of whose customers
rated the handling), Ben 20 at p2 and Rita 10 at p2; one conversation at p1 is left unanswered, one is a test.
In February Ana handled one more. Rita (an agent with the reviewer right) sees both places, Sam (reviewer) only
p1, Mia manages both, Boss is the admin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from closedloop import AccessDenied, Contact, Desk, Feedback, InvalidInput, NotFound, Place, Rating, RatingKind, User
from closedloop.domain.quality import CategoryRating, DisputeOutcome, ReviewEventKind
from closedloop.testing import FakeClock

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 1, tzinfo=UTC)
Story = tuple[Desk, dict[str, list[str]]]
FULL_MARKS = [CategoryRating(category_id=c, choice=n) for c, n in [("tone", 5), ("solution", 4), ("closing", 2)]]


def handled(desk: Desk, clock: FakeClock, number: int, place: str, agent: str | None, when: datetime,
            *ratings: Rating, test: bool = False) -> str:  # fmt: skip
    clock.set(when)
    feedback = Feedback(source="survey", external_id=f"f{number}", place_id=place, received_at=when, test=test,
                        contact=Contact(name="Jo Doe", tel="+33 6 12 34 56 78"), comments="ok",
                        ratings=ratings or [Rating(key="nps", kind=RatingKind.NPS, value=number % 11)])  # fmt: skip
    conversation_id = desk.ingest(feedback).id
    if agent is not None:
        clock.set(when + timedelta(hours=2))
        desk.log_call(conversation_id, by=agent, summary="Talked it through")
    return conversation_id


def tell_the_story(desk: Desk, clock: FakeClock) -> dict[str, list[str]]:
    for place_id in ("p1", "p2"):
        desk.add_place(Place(id=place_id, name=f"Place {place_id}"))
    desk.add_user(User(id="boss", name="Boss", role="admin"))
    desk.add_user(User(id="mia", name="Mia", role="manager", places={"p1", "p2"}))
    desk.add_user(User(id="rita", name="Rita", places={"p1", "p2"}, rights={"reviewer"}))
    desk.add_user(User(id="sam", name="Sam", places={"p1"}, rights={"reviewer"}))
    desk.add_user(User(id="ana", name="Ana", places={"p1"}))
    desk.add_user(User(id="ben", name="Ben", places={"p2"}))
    ids: dict[str, list[str]] = {"ana": [], "ben": [], "rita": [], "other": []}
    number = 0
    for agent, place, count in [("ana", "p1", 40), ("ben", "p2", 20), ("rita", "p2", 10)]:
        for index in range(count):
            number += 1
            rated = [Rating(key="handling", kind=RatingKind.CSAT, value=4)] if agent == "ana" and index < 5 else []
            ids[agent].append(handled(desk, clock, number, place, agent, MARCH + timedelta(hours=number), *rated))
    ids["other"].append(handled(desk, clock, 900, "p1", None, MARCH + timedelta(days=20)))
    ids["other"].append(handled(desk, clock, 901, "p1", "ana", MARCH + timedelta(days=20), test=True))
    ids["february"] = [handled(desk, clock, 902, "p1", "ana", FEBRUARY + timedelta(days=3))]
    clock.set(datetime(2026, 4, 3, tzinfo=UTC))
    return ids


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def story(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Story]:
    url = {"memory": None, "sqlite": f"sqlite:///{tmp_path / 'quality.db'}"}.get(request.param)
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    clock = FakeClock(FEBRUARY)
    with Desk.open(url, clock=clock, load_entry_points=False) as desk:
        yield desk, tell_the_story(desk, clock)


def test_a_sample_is_reproducible_spread_across_agents_and_leaves_out_rated_handling(story: Story) -> None:
    desk, _ids = story
    sample = desk.qa.sample("2026-03", by="rita")
    assert desk.qa.sample("2026-03", by="rita") == sample
    # Ana: 35 unrated x 5% = 1.75 -> 2; Ben: 20 -> 1; Rita: 10 -> 0.5 rounds up to 1; the test and the unanswered
    # conversation are never drawn
    assert Counter(item.agent_id for item in sample) == {"ana": 2, "ben": 1, "rita": 1}
    assert not any("handling" in item.rating_keys for item in sample)
    assert all(item.received_at.month == 3 for item in sample)
    everything = desk.qa.sample("2026-03", by="rita", include_rated=True, share=1.0)
    assert len(everything) == 70
    half = desk.qa.sample("2026-03", by="rita", share=0.5)
    assert desk.qa.sample("2026-03", by="rita", share=0.5, seed=12345) != half


def test_a_sample_covers_only_the_places_the_user_may_see(story: Story) -> None:
    desk, _ids = story
    assert {item.place_id for item in desk.qa.sample("2026-03", by="sam", share=1.0)} == {"p1"}
    assert {item.place_id for item in desk.qa.sample("2026-03", by="boss", share=1.0, places="p2")} == {"p2"}
    with pytest.raises(AccessDenied, match="p2"):
        desk.qa.sample("2026-03", by="sam", places="p2")
    with pytest.raises(AccessDenied, match="only reviewers, managers and admins"):
        desk.qa.sample("2026-03", by="ana")
    with pytest.raises(InvalidInput, match="a period is a month such as '2026-03'"):
        desk.qa.sample("March", by="rita")


def test_a_cycle_splits_the_sample_never_giving_reviewers_their_own_work_and_shows_progress(story: Story) -> None:
    desk, _ids = story
    cycle = desk.qa.assign("2026-03", by="mia", reviewers=["rita", "sam", "boss"], share=0.2)
    assert cycle.id == "2026-03"
    assert sorted(a.conversation_id for a in cycle.assignments) == [
        item.conversation_id for item in desk.qa.sample("2026-03", by="mia", share=0.2, seed=cycle.seed)
    ]
    assert all(a.reviewer_id != a.agent_id for a in cycle.assignments)
    assert all(a.place_id == "p1" for a in cycle.assignments if a.reviewer_id == "sam")
    counts = Counter(a.reviewer_id for a in cycle.assignments)
    assert desk.qa.progress("2026-03", by="mia") == {name: (0, count) for name, count in counts.items()}

    mine = next(a for a in cycle.assignments if a.reviewer_id == "rita")
    desk.qa.review(mine.conversation_id, by="rita", ratings=FULL_MARKS, agent=mine.agent_id)
    assert desk.qa.progress("2026-03", by="rita") == {"rita": (1, counts["rita"])}  # a reviewer sees their own line
    again = desk.qa.assign("2026-03", by="boss", reviewers=["rita", "sam", "boss"], share=0.2)
    assert again.assignments == cycle.assignments  # the same cycle again, replacing the first

    with pytest.raises(AccessDenied, match="only a manager or an admin"):
        desk.qa.assign("2026-03", by="rita", reviewers=["sam"])
    with pytest.raises(InvalidInput, match="'ben' has no reviewer right"):
        desk.qa.assign("2026-03", by="mia", reviewers=["rita", "ben"])
    with pytest.raises(InvalidInput, match="no reviewer may review"):
        desk.qa.assign("2026-03", by="mia", reviewers=["sam"])  # p2 is outside Sam's places
    with pytest.raises(NotFound, match=r"desk\.qa\.assign"):
        desk.qa.progress("2026-01", by="mia")


def test_a_review_scores_the_agent_and_is_refused_for_ones_own_or_unhandled_work(story: Story) -> None:
    desk, ids = story
    ratings = [CategoryRating(category_id="tone", choice=4), CategoryRating(category_id="solution", choice=3),
               CategoryRating(category_id="empathy", choice=None, comment="no feelings involved")]  # fmt: skip
    review = desk.qa.review(ids["ana"][7], by="rita", ratings=ratings, comment="Good call")
    assert (review.agent_id, review.reviewer_id, review.scorecard_id, review.place_id) == (
        "ana",
        "rita",
        "default",
        "p1",
    )
    assert desk.qa.score(review) == pytest.approx((75 * 20 + 200 / 3 * 30) / 50)
    assert [card.id for card in desk.qa.scorecards(by="ana")] == ["default"]

    with pytest.raises(AccessDenied, match="their own work"):
        desk.qa.review(ids["rita"][0], by="rita", ratings=FULL_MARKS)
    with pytest.raises(InvalidInput, match="no reply, call or note"):
        desk.qa.review(ids["other"][0], by="rita", ratings=FULL_MARKS)
    with pytest.raises(AccessDenied, match="no reviewer right"):
        desk.qa.review(ids["rita"][1], by="ben", ratings=FULL_MARKS)
    with pytest.raises(AccessDenied, match="may not see place 'p2'"):
        desk.qa.review(ids["ben"][0], by="sam", ratings=FULL_MARKS)
    with pytest.raises(InvalidInput, match="already reviewed"):
        desk.qa.review(ids["ana"][7], by="rita", ratings=FULL_MARKS)
    with pytest.raises(InvalidInput, match="did not reply to, call or write a note"):
        desk.qa.review(ids["ana"][8], by="rita", ratings=FULL_MARKS, agent="ben")
    with pytest.raises(InvalidInput, match="rated from 1 to 4"):
        desk.qa.review(ids["ana"][8], by="rita", ratings=[CategoryRating(category_id="solution", choice=5)])


def test_only_the_agent_disputes_only_a_manager_resolves_and_the_history_keeps_every_score(story: Story) -> None:
    desk, ids = story
    review = desk.qa.review(ids["ana"][9], by="sam", ratings=[CategoryRating(category_id="solution", choice=2)])
    assert desk.qa.score(review) == 0.0  # a critical category failed
    with pytest.raises(NotFound):
        desk.qa.dispute(review.id, by="ben", comment="Not fair")  # Ben cannot even see it
    with pytest.raises(AccessDenied, match="only the reviewed agent"):
        desk.qa.dispute(review.id, by="rita", comment="Not fair")
    with pytest.raises(InvalidInput, match="no open dispute"):
        desk.qa.resolve(review.id, by="mia", outcome="rejected")

    disputed = desk.qa.dispute(review.id, by="ana", comment="The refund rule changed on 1 March")
    assert disputed.disputed
    with pytest.raises(AccessDenied, match="only a manager or an admin"):
        desk.qa.resolve(review.id, by="sam", outcome="accepted", ratings=FULL_MARKS)
    with pytest.raises(InvalidInput, match="corrected ratings"):
        desk.qa.resolve(review.id, by="mia", outcome="accepted")
    resolved = desk.qa.resolve(review.id, by="mia", outcome="partly_accepted", comment="Fair point",
                               ratings=[CategoryRating(category_id="solution", choice=3)])  # fmt: skip
    assert not resolved.disputed and desk.qa.score(resolved) == pytest.approx(200 / 3)
    assert [event.kind for event in resolved.history] == [
        ReviewEventKind.CREATED, ReviewEventKind.DISPUTED, ReviewEventKind.RESOLVED
    ]  # fmt: skip
    assert resolved.history[-1].outcome is DisputeOutcome.PARTLY_ACCEPTED
    assert resolved.history[-1].replaced == review.ratings  # the score it had is kept

    with pytest.raises(AccessDenied, match="only its reviewer"):
        desk.qa.revise(review.id, by="mia", ratings=FULL_MARKS)
    revised = desk.qa.revise(review.id, by="sam", ratings=FULL_MARKS, comment="Rescored")
    assert revised.history[-1].kind is ReviewEventKind.REVISED and revised.history[-1].replaced == resolved.ratings
    stored = desk.qa.reviews(by="ana")
    assert [(found.id, found.comment, len(found.history)) for found in stored] == [(review.id, "Rescored", 4)]


def test_each_user_sees_only_the_reviews_they_may(story: Story) -> None:
    desk, ids = story
    of_ana = desk.qa.review(ids["ana"][10], by="rita", ratings=FULL_MARKS)
    of_ben = desk.qa.review(ids["ben"][0], by="rita", ratings=FULL_MARKS)
    with pytest.raises(AccessDenied, match="no reviewer right"):
        desk.qa.review(ids["rita"][0], by="mia", ratings=FULL_MARKS)  # managing is not reviewing
    of_rita = desk.qa.review(ids["rita"][0], by="boss", ratings=FULL_MARKS)  # admins have every right

    def seen(user: str, **filters: object) -> set[str]:
        return {review.id for review in desk.qa.reviews(by=user, **filters)}  # type: ignore[arg-type]

    assert seen("mia") == seen("boss") == {of_ana.id, of_ben.id, of_rita.id}
    assert seen("sam") == {of_ana.id}  # only p1
    assert seen("ana") == {of_ana.id} and seen("ben") == {of_ben.id}  # agents see only their own work
    assert seen("mia", period="2026-03", agent="ben") == {of_ben.id}
    assert seen("mia", period="2026-02") == set()
    with pytest.raises(AccessDenied, match="their own work"):
        desk.qa.reviews(by="ana", agent="ben")


def test_a_summary_puts_iqs_and_its_trend_beside_the_customers_figures(story: Story) -> None:
    desk, ids = story
    desk.qa.review(ids["february"][0], by="rita", ratings=FULL_MARKS)
    desk.qa.review(ids["ana"][11], by="rita", ratings=FULL_MARKS)
    desk.qa.review(ids["ana"][12], by="sam", ratings=[
        CategoryRating(category_id="tone", choice=3, comment="Rushed"),
        CategoryRating(category_id="solution", choice=2, comment="Wrong opening hours"),
    ])  # fmt: skip
    desk.qa.review(ids["ben"][1], by="rita", ratings=FULL_MARKS)

    summary = desk.qa.summary("2026-03", by="mia")
    ana, ben = summary.agent("ana"), summary.agent("ben")
    assert ana is not None and ben is not None
    assert (ana.reviews, ana.iqs, ana.previous_iqs, ana.change) == (2, 50.0, 100.0, -50.0)
    assert [weak.category_id for weak in ana.weakest] == ["solution", "tone"]
    assert ana.weakest[0].comments == ("Wrong opening hours",)
    assert summary.team.reviews == 3 and summary.team.iqs == pytest.approx(200 / 3)
    by_agent = desk.metrics("mia", since=summary.since, until=summary.until, by="agent")
    nps_of_ana = by_agent.bucket("ana").figures.score("nps")  # type: ignore[union-attr]
    assert nps_of_ana is not None and ana.nps == nps_of_ana.nps
    assert summary.team.nps == by_agent.figures.score("nps").nps  # type: ignore[union-attr]

    own = desk.qa.summary("2026-03", by="ana")
    assert [figures.agent_id for figures in own.agents] == ["ana"] and own.team.reviews == 2


def test_cycles_are_kept_per_scope_and_nobody_replaces_one_they_cannot_see_whole(story: Story) -> None:
    desk, _ids = story
    desk.add_user(User(id="lea", name="Lea", role="manager", places={"p2"}))
    whole = desk.qa.assign("2026-03", by="mia", reviewers=["rita", "boss"], share=0.2)
    mine = desk.qa.assign("2026-03", by="lea", reviewers=["rita", "boss"], share=0.2)
    assert (whole.id, mine.id) == ("2026-03", "2026-03@p2")
    assert {a.place_id for a, _done in desk.qa.assignments("2026-03", by="mia")} == {"p1", "p2"}, "Lea's is apart"
    with pytest.raises(AccessDenied, match=r"made by 'mia' and covers places p1"):
        desk.qa.assign("2026-03", by="lea", reviewers=["rita", "boss"], cycle="2026-03")
    named = desk.qa.assign("2026-03", by="lea", reviewers=["rita", "boss"], cycle="lea-march", places="p2", share=0.2)
    assert named.id == "lea-march" and named.assignments == mine.assignments
    # Ben's 20 and Rita's 10 at p2, a fifth of each
    assert sum(assigned for _done, assigned in desk.qa.progress("2026-03@p2", by="lea").values()) == 6
    assert desk.qa.assign("2026-03", by="boss", reviewers=["rita"], places="p1").id == "2026-03@p1"


def test_the_agent_sampled_is_the_one_reviewed_and_no_one_who_took_part_reviews(story: Story) -> None:
    desk, ids = story
    conversation = ids["other"][0]  # unanswered at p1: Sam writes a note, then Ana calls the customer
    desk.note(conversation, by="sam", body="Ana, can you call them back?")
    desk.log_call(conversation, by="ana", summary="Called back")
    drawn = {item.conversation_id: item.agent_id for item in desk.qa.sample("2026-03", by="mia", share=1.0)}
    assert drawn[conversation] == "ana", "the caller, not the first to write a note"
    cycle = desk.qa.assign("2026-03", by="mia", reviewers=["sam", "rita", "boss"], share=1.0, include_rated=True)
    assert len(cycle.assignments) == 71
    given = next(a for a in cycle.assignments if a.conversation_id == conversation)
    assert given.agent_id == "ana" and given.reviewer_id != "sam"
    with pytest.raises(AccessDenied, match="wrote a note"):
        desk.qa.review(conversation, by="sam", ratings=FULL_MARKS, agent="ana")
    assert desk.qa.review(conversation, by="rita", ratings=FULL_MARKS).agent_id == "ana"


def test_a_reviewer_sees_what_is_assigned_to_them_and_what_is_done(story: Story) -> None:
    desk, _ids = story
    cycle = desk.qa.assign("2026-03", by="mia", reviewers=["rita", "sam"], share=0.2, rated_key="nps")
    assert not any("nps" in item.rating_keys for item in desk.qa.sample("2026-03", by="mia", rated_key="nps"))
    theirs = desk.qa.assignments(cycle.id, by="rita")
    assert theirs and all(a.reviewer_id == "rita" and not done for a, done in theirs)
    first = theirs[0][0]
    desk.qa.review(first.conversation_id, by="rita", ratings=FULL_MARKS, agent=first.agent_id)
    assert (first, True) in desk.qa.assignments(cycle.id, by="rita")
    assert len(desk.qa.assignments(cycle.id, by="mia")) == len(cycle.assignments)
    with pytest.raises(AccessDenied, match="no reviewer right"):
        desk.qa.assignments(cycle.id, by="ana")


def test_a_scorecard_version_that_rescales_or_drops_a_rated_category_is_refused(story: Story) -> None:
    desk, ids = story
    card = desk.qa.default_scorecard()
    desk.qa.review(ids["ana"][3], by="rita", ratings=FULL_MARKS)
    rescaled = [attrs.evolve(c, scale=3) if c.id == "tone" else c for c in card.categories]
    with pytest.raises(InvalidInput, match=r"tone.*new id"):
        desk.qa.put_scorecard(attrs.evolve(card, categories=rescaled), by="boss")
    with pytest.raises(InvalidInput, match="closing"):
        desk.qa.put_scorecard(
            attrs.evolve(card, categories=[c for c in card.categories if c.id != "closing"]), by="boss"
        )
    reweighted = [attrs.evolve(c, weight=5, name="Tone") if c.id == "tone" else c for c in card.categories]
    desk.qa.put_scorecard(attrs.evolve(card, categories=reweighted), by="boss")
    unrated = [c for c in reweighted if c.id != "empathy"]  # nobody rated empathy
    desk.qa.put_scorecard(attrs.evolve(card, categories=unrated), by="boss")


def test_periods_out_of_range_and_unknown_agents_are_refused_clearly(story: Story) -> None:
    desk, _ids = story
    for period in ("9999-12", "0001-01", "1969-12"):
        with pytest.raises(InvalidInput, match="1970 to 9998"):
            desk.qa.summary(period, by="mia")
    with pytest.raises(InvalidInput, match="1970 to 9998"):
        desk.qa.summary((datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)), by="mia")
    long = desk.qa.summary((datetime(1970, 1, 1, tzinfo=UTC), datetime(9998, 1, 1, tzinfo=UTC)), by="mia")
    assert long.team.previous_iqs is None  # the period before reaches back no further than the range allows
    with pytest.raises(NotFound, match="ghost"):
        desk.qa.summary("2026-03", by="mia", agent="ghost")


def test_a_summary_names_its_places_and_one_agents_figures_as_theirs(story: Story) -> None:
    desk, ids = story
    desk.qa.review(ids["ana"][4], by="rita", ratings=FULL_MARKS)
    assert desk.qa.summary("2026-03", by="sam").places == ("p1",)
    assert desk.qa.summary("2026-03", by="boss").places is None
    assert desk.qa.summary("2026-03", by="boss", places="p2").places == ("p2",)
    team = desk.qa.summary("2026-03", by="mia")
    assert team.is_team and team.team.agent_id is None
    one = desk.qa.summary("2026-03", by="mia", agent="ana")
    assert not one.is_team and one.team.agent_id == "ana" and one.team.reviews == 1
    assert desk.qa.summary("2026-03", by="ana").team.agent_id == "ana"


def test_a_reviewer_may_not_resolve_a_dispute_of_their_review_and_no_revision_while_it_is_open(story: Story) -> None:
    desk, ids = story
    review = desk.qa.review(ids["ana"][5], by="boss", ratings=[CategoryRating(category_id="tone", choice=2)])
    desk.qa.dispute(review.id, by="ana", comment="It was a hard call")
    with pytest.raises(InvalidInput, match="resolves the dispute first"):
        desk.qa.revise(review.id, by="boss", ratings=FULL_MARKS)
    with pytest.raises(AccessDenied, match="may not resolve"):
        desk.qa.resolve(review.id, by="boss", outcome="rejected")
    desk.qa.resolve(review.id, by="mia", outcome="rejected")
    assert desk.qa.revise(review.id, by="boss", ratings=FULL_MARKS).ratings != review.ratings
