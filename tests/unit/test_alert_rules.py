"""Alert rules: which feedback raises an alert at intake, and how applications and plugins add rules."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

import closedloop as cl
from closedloop.domain.alerts import default_rules, raise_alert

PARIS = ZoneInfo("Europe/Paris")


def rated(kind: cl.RatingKind, value: float) -> dict[str, object]:
    return {"ratings": [cl.Rating(key=kind.value, kind=kind, value=value)]}


def alert_of(desk: cl.Desk, feedback: cl.Feedback) -> cl.Alert | None:
    return desk.ingest(feedback).alert


@pytest.mark.parametrize("score", range(7))
def test_nps_detractors_raise_an_alert(seeded_desk, make_feedback, score):
    alert = alert_of(seeded_desk, make_feedback(**rated(cl.RatingKind.NPS, score)))

    assert alert is not None
    (reason,) = alert.reasons
    assert reason.startswith("nps detractor: ")
    assert f"nps is {score}" in reason


@pytest.mark.parametrize("score", [7, 8, 9, 10])
def test_passives_and_promoters_raise_none(seeded_desk, make_feedback, score):
    assert alert_of(seeded_desk, make_feedback(**rated(cl.RatingKind.NPS, score))) is None


@pytest.mark.parametrize(
    ("kind", "value", "raised"),
    [(k, v, v <= 2) for k in (cl.RatingKind.STARS, cl.RatingKind.CSAT) for v in range(1, 6)],
)
def test_one_or_two_stars_or_csat_raise_an_alert(seeded_desk, make_feedback, kind, value, raised):
    alert = alert_of(seeded_desk, make_feedback(**rated(kind, value)))

    assert (alert is not None) is raised


def test_ces_and_custom_ratings_raise_none_by_default(seeded_desk, make_feedback):
    ratings = [
        cl.Rating(key="ces", kind=cl.RatingKind.CES, value=1),
        cl.Rating(key="cleanliness", value=0, scale=(0, 10)),
    ]

    assert alert_of(seeded_desk, make_feedback(ratings=ratings)) is None


def test_a_raised_alert_is_to_process_with_every_reason(seeded_desk, make_feedback, clock):
    ratings = [
        cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=0),
        cl.Rating(key="csat", kind=cl.RatingKind.CSAT, value=1),
    ]

    conversation = seeded_desk.ingest(make_feedback(ratings=ratings))

    assert conversation.alert == cl.Alert(
        raised_at=clock.now(),
        reasons=("nps detractor: nps is 0, at or below 6", "csat <= 2: csat is 1, at or below 2"),
        status=cl.AlertStatus.TO_PROCESS,
    )
    assert conversation.category is cl.Category.ALERT
    assert seeded_desk.counts("admin").alert == 1


def test_feedback_without_ratings_raises_none(seeded_desk, make_feedback):
    conversation = seeded_desk.ingest(make_feedback(ratings=[]))

    assert conversation.alert is None
    assert conversation.category is cl.Category.NEW_MESSAGE


# -- keyword rule --------------------------------------------------------------------------------------------

KEYWORDS = cl.KeywordsInComments(words=["refund", "food poisoning"])


@pytest.mark.parametrize(
    "comments",
    [
        "I want a refund.",
        "REFUND NOW",
        "Refund, please!",
        ["Nice staff.", "But I want my refund"],
        "I think it was Food Poisoning",
    ],
)
def test_keyword_rule_matches_whole_words_ignoring_case(make_feedback, comments):
    assert KEYWORDS.check(make_feedback(comments=comments)) is not None


@pytest.mark.parametrize("comments", ["They refunded me.", "No refunds policy", "prefund", "", "food was fine"])
def test_keyword_rule_ignores_parts_of_words(make_feedback, comments):
    assert KEYWORDS.check(make_feedback(comments=comments)) is None


def test_keyword_rule_needs_a_word():
    with pytest.raises(cl.InvalidInput):
        cl.KeywordsInComments(words=[])
    with pytest.raises(cl.InvalidInput):
        cl.KeywordsInComments(words=["refund", "  "])


def test_rating_rule_needs_a_kind_or_key():
    with pytest.raises(cl.InvalidInput):
        cl.RatingAtMost(threshold=3)


# -- the desk's own rules ------------------------------------------------------------------------------------


def test_desk_alert_rules_replace_the_defaults(open_desk, make_feedback):
    desk = open_desk(alert_rules=[KEYWORDS, cl.RatingAtMost(key="cleanliness", threshold=3)])

    assert desk.ingest(make_feedback(comments="Refund!")).alert.reasons == ("keywords: comment mentions 'refund'",)
    dirty = make_feedback(ratings=[cl.Rating(key="cleanliness", value=2, scale=(0, 10))])
    assert desk.ingest(dirty).alert.reasons == ("cleanliness <= 3: cleanliness is 2, at or below 3",)
    assert desk.ingest(make_feedback(**rated(cl.RatingKind.NPS, 0))).alert is None


def test_no_alert_rules_means_no_alerts(open_desk, make_feedback):
    desk = open_desk(alert_rules=[])

    assert desk.ingest(make_feedback(**rated(cl.RatingKind.NPS, 0))).alert is None


class VipCustomer:
    """Any object with a name and check() is an alert rule."""

    name = "vip"

    def check(self, feedback: cl.Feedback) -> str | None:
        return "a VIP customer wrote" if feedback.metadata.get("tier") == "vip" else None


def test_any_object_with_name_and_check_is_a_rule(open_desk, make_feedback):
    desk = open_desk(alert_rules=[VipCustomer()])

    assert desk.ingest(make_feedback(metadata={"tier": "vip"})).alert.reasons == ("vip: a VIP customer wrote",)
    assert desk.ingest(make_feedback(metadata={"tier": "gold"})).alert is None


def test_an_object_that_is_not_a_rule_is_refused_at_open(open_desk):
    with pytest.raises(cl.InvalidInput, match="alert rule"):
        open_desk(alert_rules=["refund"])


# -- plugins -------------------------------------------------------------------------------------------------


class VipPlugin:
    @cl.hookimpl
    def closedloop_register_alert_rules(self, registry: cl.Registry, settings: cl.Settings) -> None:
        registry.add_alert_rule(VipCustomer())


def test_plugins_add_rules_on_top_of_the_defaults(open_desk, make_feedback):
    desk = open_desk(VipPlugin())

    vip_detractor = make_feedback(metadata={"tier": "vip"}, **rated(cl.RatingKind.NPS, 4))
    reasons = desk.ingest(vip_detractor).alert.reasons

    assert sorted(reasons) == ["nps detractor: nps is 4, at or below 6", "vip: a VIP customer wrote"]
    assert desk.ingest(make_feedback(metadata={"tier": "vip"})).alert.reasons == ("vip: a VIP customer wrote",)


def test_plugins_add_rules_on_top_of_the_desks_own(open_desk, make_feedback):
    desk = open_desk(VipPlugin(), alert_rules=[KEYWORDS])

    reasons = desk.ingest(make_feedback(metadata={"tier": "vip"}, comments="refund")).alert.reasons

    assert sorted(reasons) == ["keywords: comment mentions 'refund'", "vip: a VIP customer wrote"]
    assert desk.ingest(make_feedback(**rated(cl.RatingKind.NPS, 0))).alert is None


def test_a_plugin_rule_that_is_not_a_rule_is_refused(open_desk):
    class Broken:
        @cl.hookimpl
        def closedloop_register_alert_rules(self, registry: cl.Registry, settings: cl.Settings) -> None:
            registry.add_alert_rule(object())

    with pytest.raises(cl.InvalidInput, match="alert rule"):
        open_desk(Broken())


class UnhashableZone(datetime.tzinfo):
    """A zone as some libraries make them, which cannot be hashed."""

    __hash__ = None  # type: ignore[assignment]

    def utcoffset(self, _moment: datetime.datetime | None) -> datetime.timedelta:
        return datetime.timedelta(hours=2)

    def dst(self, _moment: datetime.datetime | None) -> datetime.timedelta:
        return datetime.timedelta(0)


@pytest.mark.parametrize(
    "moments",
    [
        [datetime.datetime(2026, 3, 1, 12, 0, tzinfo=UnhashableZone())],
        [  # the hour a clock change repeats: equal times, an hour apart
            datetime.datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"), fold=fold) for fold in (0, 1)
        ],
        [datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC), datetime.datetime(2026, 3, 1, 13, 0, tzinfo=PARIS)],
    ],
)
def test_an_alert_is_raised_at_the_very_moment_given_whatever_its_zone(make_feedback, moments):
    feedback = make_feedback(**rated(cl.RatingKind.NPS, 2))
    for moment in moments:
        alert = raise_alert(feedback, default_rules(), moment)
        assert alert is not None and alert.raised_at is moment
