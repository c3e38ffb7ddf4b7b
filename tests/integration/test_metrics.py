"""desk.metrics on a small known story, checked figure by figure against values worked out by hand, on every
store: the memory store computes from facts, the SQL stores where the data is, and all must agree.

The story (UTC times), places p1 and p2 in the group "north", p3 alone; Ana sees "north", Léo p3:
- f8 (p1, NPS 9) on 20 Feb: before the period.
- f1 (p1, NPS 10, CSAT 5) on 2 Mar 09:00; Ana emails a reply 72 h later; the customer answers through the link.
- f6 (p1, NPS 0) on 2 Mar 09:00: a test, left out.
- f2 (p1, NPS 3: an alert, a detractor) on 2 Mar 23:30, which is 3 Mar in Paris; Ana logs a call 5 h later
  (alert in progress) and marks it done 30 h after it came.
- f3 (p2, NPS 8, CES 6) on 10 Mar; f7 (p2, NPS 10) the same day, marked spam: left out.
- f4 (p3, a Google review, 2 stars: an alert) on 15 Mar; Léo replies in public 60 h later: too late to close the
  loop within 48 h.
- f5 (p3, CSAT 2: an alert) on 1 Apr 10:00; Léo writes a note an hour later (in progress): a response, but no
  contact with the customer.
The period: 1 Mar to 2 Apr 00:00 in Paris.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import closedloop
from closedloop import (
    AccessDenied,
    AlertStatus,
    Category,
    Concept,
    Contact,
    Desk,
    Feedback,
    InvalidInput,
    Place,
    PlaceGroup,
    Rating,
    RatingKind,
    User,
)
from closedloop.domain.messages import MessageKind
from closedloop.testing import FakeClock, RecordingChannel

PARIS = "Europe/Paris"
SINCE, UNTIL = date(2026, 3, 1), date(2026, 4, 2)
CONCEPTS = {
    "The staff were lovely": [Concept(name="staff", sentiment=0.8)],
    "Waited an hour": [Concept(name="waiting", sentiment=-0.6)],
    "Rude staff": [Concept(name="staff", sentiment=-0.4)],
    "Too dear": [Concept(name="price", sentiment=-0.5)],
    "Win money": [Concept(name="price", sentiment=1.0)],
}


class FixedAnalyzer:
    """Gives each known comment its concepts, so the concept figures can be worked out by hand."""

    name = "fixed"

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> list[list[Concept]]:
        return [CONCEPTS.get(text, []) for text in texts]

    @closedloop.hookimpl
    def closedloop_register_analyzers(self, registry: closedloop.Registry) -> None:
        registry.add_analyzer(self)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def survey(
    external_id: str, place: str, received: datetime, comment: str, *ratings: Rating, test: bool = False
) -> Feedback:
    return Feedback(source="survey", external_id=external_id, place_id=place, received_at=received, test=test,
                    contact=Contact(name="Jo Doe", email="jo@example.com", tel="+33 6 12 34 56 78"),
                    ratings=ratings, comments=comment)  # fmt: skip


def nps(value: int) -> Rating:
    return Rating(key="nps", kind=RatingKind.NPS, value=value)


def tell_the_story(desk: Desk, clock: FakeClock, email: RecordingChannel) -> None:
    for place_id in ("p1", "p2", "p3"):
        desk.add_place(Place(id=place_id, name=f"Place {place_id}"))
    desk.add_group(PlaceGroup(id="north", name="North", place_ids=["p1", "p2"]))
    desk.add_user(User(id="boss", name="Boss", role="admin"))
    desk.add_user(User(id="ana", name="Ana Roux", groups={"north"}))
    desk.add_user(User(id="leo", name="Léo Faure", places={"p3"}))

    def ingest(item: Feedback) -> str:
        clock.set(item.received_at)
        return desk.ingest(item).id

    ingest(survey("f8", "p1", at(2, 20, 10), "", nps(9)))
    f1 = ingest(survey("f1", "p1", at(3, 2, 9), "The staff were lovely", nps(10),
                       Rating(key="csat", kind=RatingKind.CSAT, value=5)))  # fmt: skip
    ingest(survey("f6", "p1", at(3, 2, 9), "Waited", nps(0), test=True))
    f2 = ingest(survey("f2", "p1", at(3, 2, 23, 30), "Waited an hour", nps(3)))
    clock.set(at(3, 3, 4, 30))
    desk.log_call(f2, by="ana", summary="Apologised", alert_status="in_progress")
    clock.set(at(3, 4, 5, 30))
    desk.mark_done(f2, by="ana")
    clock.set(at(3, 5, 9))
    desk.reply(f1, by="ana", body="Thank you!")
    desk.dispatch()
    clock.set(at(3, 6, 9))
    token = (email.sent[-1].reply_link or "").rsplit("/", 1)[-1]
    desk.customer_reply(token, body="See you soon")
    ingest(survey("f3", "p2", at(3, 10, 12), "ok", nps(8), Rating(key="ces", kind=RatingKind.CES, value=6)))
    spam = ingest(survey("f7", "p2", at(3, 10, 12), "Win money", nps(10)))
    desk.mark_spam(spam, by="boss")
    f4 = ingest(Feedback(source="review", platform="google", external_id="f4", place_id="p3",
                         received_at=at(3, 15, 8), comments="Rude staff",
                         ratings=[Rating(key="stars", kind=RatingKind.STARS, value=2)]))  # fmt: skip
    clock.set(at(3, 17, 20))
    desk.reply(f4, by="leo", body="We are sorry to read this.", channel="review")
    f5 = ingest(Feedback(source="rating", external_id="f5", place_id="p3", received_at=at(4, 1, 10),
                         comments="Too dear", ratings=[Rating(key="csat", kind=RatingKind.CSAT, value=2)]))  # fmt: skip
    clock.set(at(4, 1, 11))
    desk.note(f5, by="leo", body="Checking the prices", alert_status="in_progress")
    clock.set(at(4, 20, 9))


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    url = {"memory": None, "sqlite": f"sqlite:///{tmp_path / 'metrics.db'}"}.get(request.param)
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    clock, email = FakeClock(at(2, 1, 0)), RecordingChannel("email")
    reviews = RecordingChannel("google", kinds=[MessageKind.REVIEW_REPLY])
    opened = Desk.open(url, clock=clock, plugins=[email, reviews, FixedAnalyzer()], load_entry_points=False,
                       blocked_plugins=["closedloop.analysis.offline"])  # fmt: skip
    tell_the_story(opened, clock, email)
    yield opened
    opened.close()


def test_every_figure_of_the_period_matches_the_hand_worked_values(desk: Desk) -> None:
    figures = desk.metrics("boss", since=SINCE, until=UNTIL, zone=PARIS).figures

    assert figures.left_out == {"tests": 1, "spam": 1}
    nps_score, csat, ces, stars = (figures.score(key) for key in ("nps", "csat", "ces", "stars"))
    assert nps_score is not None and csat is not None and ces is not None and stars is not None
    assert (nps_score.answers, nps_score.promoters, nps_score.passives, nps_score.detractors) == (3, 1, 1, 1)
    assert (nps_score.nps, nps_score.mean) == (0.0, 7.0)
    assert (csat.answers, csat.satisfied, csat.csat, csat.mean) == (2, 1, 50.0, 3.5)
    assert (ces.answers, ces.easy, ces.easy_share, ces.mean) == (1, 1, 100.0, 6.0)
    assert (stars.answers, stars.mean, dict(stars.distribution)) == (1, 2.0, {1: 0, 2: 1, 3: 0, 4: 0, 5: 0})

    responsiveness = figures.responsiveness
    assert (responsiveness.feedback, responsiveness.answered, responsiveness.reply_rate) == (5, 4, 80.0)
    # first responses after 1 h, 5 h, 60 h and 72 h: the nearest-rank median is the 2nd, the 90th percentile the 4th
    assert (responsiveness.first_response_median, responsiveness.first_response_p90) == (
        timedelta(hours=5), timedelta(hours=72)
    )  # fmt: skip
    assert (responsiveness.done, responsiveness.time_to_done_median) == (1, timedelta(hours=30))

    loop = figures.closed_loop
    assert (loop.alerts, loop.alerts_closed, loop.detractors, loop.detractors_closed) == (3, 1, 1, 1)
    assert loop.alert_rate == pytest.approx(100 / 3)
    assert loop.detractor_rate == 100.0
    assert dict(loop.alerts_by_status) == {
        AlertStatus.TO_PROCESS: 1, AlertStatus.IN_PROGRESS: 1, AlertStatus.PROCESSED: 1
    }  # fmt: skip

    volume = figures.volume
    assert (volume.feedback, dict(volume.by_source), dict(volume.by_platform)) == (
        5, {"rating": 1, "review": 1, "survey": 3}, {"google": 1}
    )  # fmt: skip
    assert dict(volume.backlog) == {Category.ON_HOLD: 0, Category.ALERT: 2, Category.NEW_MESSAGE: 2}
    assert volume.customer_messages == 1

    assert [(c.name, c.mentions, c.sentiment) for c in figures.concepts] == [
        ("staff", 2, 0.2), ("price", 1, -0.5), ("waiting", 1, -0.6)
    ]  # fmt: skip


def test_the_window_decides_what_closes_the_loop(desk: Desk) -> None:
    loop = desk.metrics("boss", since=SINCE, until=UNTIL, zone=PARIS, window=timedelta(hours=60)).figures.closed_loop
    assert (loop.alerts_closed, loop.detractors_closed) == (2, 1)  # Léo's reply after exactly 60 h now counts
    assert (
        desk.metrics("boss", since=SINCE, until=UNTIL, window=timedelta(hours=4)).figures.closed_loop.alerts_closed == 0
    )


def test_months_and_days_are_cut_in_the_reports_time_zone_and_empty_ones_are_kept(desk: Desk) -> None:
    months = desk.metrics("boss", since=SINCE, until=UNTIL, zone=PARIS, by="month")
    assert [bucket.key for bucket in months.buckets] == ["2026-03", "2026-04"]
    march, april = months.buckets
    assert (march.figures.volume.feedback, april.figures.volume.feedback) == (4, 1)
    assert march.start == datetime(2026, 3, 1, tzinfo=months.query.zone)

    in_paris = desk.metrics("boss", since=SINCE, until=UNTIL, zone=PARIS, by="day")
    assert len(in_paris.buckets) == 32  # 1 March to 1 April, each day even without feedback
    counts = {bucket.key: bucket.figures.volume.feedback for bucket in in_paris.buckets}
    assert (counts["2026-03-02"], counts["2026-03-03"], counts["2026-03-04"]) == (1, 1, 0)  # f2 came after midnight
    in_utc = desk.metrics("boss", since=SINCE, until=UNTIL, zone="UTC", by="day")
    assert in_utc.bucket("2026-03-02").figures.volume.feedback == 2  # type: ignore[union-attr]

    weeks = desk.metrics("boss", since=SINCE, until=UNTIL, zone=PARIS, by="week")
    assert weeks.buckets[0].key == "2026-02-23"  # weeks start on Monday; 1 March is a Sunday
    assert sum(bucket.figures.volume.feedback for bucket in weeks.buckets) == 5


def test_buckets_by_place_group_agent_and_source(desk: Desk) -> None:
    def split(by: str) -> dict[str, int]:
        report = desk.metrics("boss", since=SINCE, until=UNTIL, zone=PARIS, by=by)
        return {bucket.key: bucket.figures.volume.feedback for bucket in report.buckets}

    assert split("place") == {"p1": 2, "p2": 1, "p3": 2}
    assert split("group") == {"north": 3}
    assert split("agent") == {"": 1, "ana": 2, "leo": 2}
    assert split("source") == {"rating": 1, "review": 1, "survey": 3}


def test_a_user_sees_the_figures_of_their_places_only_and_filters_narrow_them(desk: Desk) -> None:
    ana = desk.metrics("ana", since=SINCE, until=UNTIL, zone=PARIS).figures
    assert ana.volume.feedback == 3
    assert ana.left_out == {"tests": 1, "spam": 1}
    assert [(c.name, c.mentions) for c in ana.concepts] == [("staff", 1), ("waiting", 1)]
    assert desk.metrics("boss", places=["north"], since=SINCE, until=UNTIL).figures.volume.feedback == 3
    assert desk.metrics("boss", places="p3", since=SINCE, until=UNTIL).figures.volume.feedback == 2
    with pytest.raises(AccessDenied):
        desk.metrics("ana", places=["p3"], since=SINCE, until=UNTIL)


def test_a_period_without_feedback_has_figures_of_nothing(desk: Desk) -> None:
    figures = desk.metrics("boss", since=date(2025, 1, 1), until=date(2025, 2, 1)).figures
    assert (figures.volume.feedback, figures.scores, figures.concepts) == (0, (), ())
    assert (figures.responsiveness.reply_rate, figures.closed_loop.alert_rate) == (None, None)


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"since": date(2026, 4, 1), "until": date(2026, 3, 1)}, "since must come before until"),
        ({"since": datetime(2026, 3, 1)}, "since must carry its time zone"),
        ({"until": "2026-03-01"}, "until must be a date or an aware datetime"),
        ({"zone": "Mars/Olympus"}, "is not a time zone"),
        ({"by": "year"}, "by"),
        ({"window": timedelta(0)}, "window must be a positive timedelta"),
        ({"places": ["nowhere"]}, "neither a place id nor a group id"),
    ],
)
def test_a_wrong_question_is_refused_saying_what_to_give(desk: Desk, arguments: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        desk.metrics("boss", **arguments)  # type: ignore[arg-type]
