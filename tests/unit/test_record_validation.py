"""The public records refuse a wrong value when they are built, with ``InvalidInput`` saying what to give
instead, never a bare TypeError, ValueError, AttributeError, OverflowError or RecursionError (issue 13,
points 1, 4 and 5): a record that cannot be stored, read back or put in an email is never made at all."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import closedloop as cl

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
NAN = float("nan")
HUGE = 10**400


def nested(depth: int) -> dict[str, Any]:
    """A dict ``depth`` levels deep, deeper than Python's stack would let anything walk it."""
    top: dict[str, Any] = {}
    level = top
    for _ in range(depth):
        level["a"] = {}
        level = level["a"]
    return top


def feedback(**given: Any) -> cl.Feedback:
    values: dict[str, Any] = {"source": "survey", "external_id": "s-1", "place_id": "paris", "received_at": WHEN}
    return cl.Feedback(**{**values, **given})


def message(**given: Any) -> cl.OutboundMessage:
    values: dict[str, Any] = {
        "id": "m-1",
        "conversation_id": "c-1",
        "channel": "email",
        "kind": "customer_reply",
        "recipients": ("claire@example.com",),
        "subject": "Your feedback",
        "body": "Sorry.",
        "created_at": WHEN,
    }
    return cl.OutboundMessage(**{**values, **given})


REFUSED: dict[str, tuple[Callable[[], object], str]] = {
    # point 1: what used to be stored and then broke every read of the page holding it
    "feedback without contact": (lambda: feedback(contact=None), "feedback 'contact' must be a Contact("),
    "feedback received_at None": (
        lambda: feedback(received_at=None),
        "feedback 'received_at' must be a timezone-aware datetime",
    ),
    "feedback received_at as text": (
        lambda: feedback(received_at="2026-01-05"),
        "must be a timezone-aware datetime, e.g. datetime.now(timezone.utc), parsed first if you have a text",
    ),
    "feedback received_at naive": (lambda: feedback(received_at=datetime(2026, 1, 5)), "must be timezone-aware"),
    "custom scale up to infinity": (
        lambda: cl.Rating(key="k", value=1, scale=(0, float("inf"))),
        "the highest value of rating 'k' must be a finite number",
    ),
    "custom scale from NaN": (
        lambda: cl.Rating(key="k", value=1, scale=(NAN, 5)),
        "the lowest value of rating 'k' must be a finite number",
    ),
    "custom scale of a huge int": (lambda: cl.Rating(key="k", value=1, scale=(0, HUGE)), "must be a finite number"),
    "custom scale upside down": (lambda: cl.Rating(key="k", value=1, scale=(5, 1)), "with lowest < highest"),
    "custom scale not a pair": (lambda: cl.Rating(key="k", value=1, scale=5), "scale must be (lowest, highest)"),
    "custom scale a text": (lambda: cl.Rating(key="k", value=1, scale="ab"), "scale must be (lowest, highest)"),
    "rating value NaN": (lambda: cl.Rating(key="nps", kind="nps", value=NAN), "must lie between 0 and 10; got nan"),
    "rating value infinite": (lambda: cl.Rating(key="k", value=float("inf"), scale=(0, 5)), "must lie between"),
    "rating value huge": (lambda: cl.Rating(key="k", value=HUGE, scale=(0, 5)), "must lie between 0 and 5"),
    "rating value a text": (lambda: cl.Rating(key="nps", kind="nps", value="9"), "needs a number as value"),
    "rating value a bool": (lambda: cl.Rating(key="nps", kind="nps", value=True), "needs a number as value"),
    "nps rating between two answers": (
        lambda: cl.Rating(key="nps", kind="nps", value=7.5),
        "rating 'nps' of kind nps must be a whole number from 0 to 10; got 7.5",
    ),
    # point 5: allowed values are listed
    "feedback source": (
        lambda: feedback(source="bogus"),
        "feedback source must be one of survey, rating, review, social; got 'bogus'",
    ),
    "feedback source a list": (lambda: feedback(source=["survey"]), "feedback source must be one of survey"),
    "rating kind": (
        lambda: cl.Rating(key="k", kind="bogus", value=1),
        "rating kind must be one of nps, csat, ces, stars, custom; got 'bogus'",
    ),
    "user role": (lambda: cl.User(id="u", name="U", role="god"), "user role must be one of admin, manager, agent"),
    "alert status": (
        lambda: cl.Alert(raised_at=WHEN, reasons=("r",), status="bogus"),
        "alert status must be one of to_process, in_progress, processed; got 'bogus'",
    ),
    "template level": (
        lambda: cl.Template(id="t", name="T", body="Hi", level="galaxy"),
        "template level must be one of organisation, group, place; got 'galaxy'",
    ),
    "message kind": (lambda: message(kind="fax"), "message kind must be one of customer_reply, review_reply"),
    "message status": (lambda: message(status="lost"), "message status must be one of pending, sending, sent"),
    "rule kind": (lambda: cl.RatingAtMost(kind="bogus", threshold=2), "must be one of nps, csat, ces, stars"),
    # point 5: types
    "comments None": (lambda: feedback(comments=None), "feedback comments are a text, or a list of texts"),
    "comments a number": (lambda: feedback(comments=5), "feedback comments are a text, or a list of texts"),
    "comments a dict": (lambda: feedback(comments={"text": "x"}), "feedback comments are a text, or a list"),
    "ratings None": (lambda: feedback(ratings=None), "feedback ratings are a list of Rating("),
    "ratings a text": (lambda: feedback(ratings="nps"), "feedback ratings are a list of Rating("),
    "external id a list": (lambda: feedback(external_id=["s-1"]), "feedback 'external_id' must be a non-empty text"),
    "external id a huge int": (lambda: feedback(external_id=HUGE), "feedback 'external_id' must be a non-empty text"),
    "place id NaN": (lambda: feedback(place_id=NAN), "feedback 'place_id' must be a non-empty text; got nan"),
    "place id empty": (lambda: feedback(place_id="  "), "feedback 'place_id' must be a non-empty text"),
    "platform None": (lambda: feedback(platform=None), "feedback 'platform' must be text; got None"),
    "locale a list": (lambda: feedback(locale=["fr"]), "feedback 'locale' must be text; got ['fr']"),
    "test flag a text": (lambda: feedback(test="yes"), "feedback 'test' must be True or False"),
    "metadata 5,000 deep": (lambda: feedback(metadata=nested(5000)), "the value of 'a' must be text; got {'a': {"),
    "metadata a list": (lambda: feedback(metadata=["order"]), "answers, metadata and details map names to texts"),
    "answers a text": (lambda: feedback(answers="why"), "answers, metadata and details map names to texts"),
    "metadata value a huge int": (lambda: feedback(metadata={"n": 10**5000}), "may have at most 15 digits"),
    "contact name 5,000 deep": (lambda: cl.Contact(name=nested(5000)), "a contact detail or email must be text"),
    "comment text None": (lambda: cl.Comment(text=None), "comment 'text' must be text; got None"),
    "user places a number": (lambda: cl.User(id="u", name="U", places=5), "user places must be ids"),
    "user groups of numbers": (lambda: cl.User(id="u", name="U", groups=[1]), "each of user groups must be a non"),
    "user id None": (lambda: cl.User(id=None, name="U"), "user 'id' must be a non-empty text; got None"),
    "group places None": (lambda: cl.PlaceGroup(id="g", name="G", place_ids=None), "group place_ids must be ids"),
    "place id a list": (lambda: cl.Place(id=["p"], name="P"), "place 'id' must be a non-empty text"),
    "template target a number": (
        lambda: cl.Template(id="t", name="T", body="Hi", level="place", target=5),
        "template 'target' must be text",
    ),
    "message recipients a text": (lambda: message(recipients="a@b.c"), "message recipients must be a list of texts"),
    "message created_at naive": (lambda: message(created_at=datetime(2026, 1, 5)), "must be timezone-aware"),
    "message attempts negative": (lambda: message(attempts=-1), "message 'attempts' must be a whole number"),
    "retry max_attempts huge": (lambda: cl.RetryPolicy(max_attempts=HUGE), "max_attempts must be a whole number"),
    "retry max_attempts a text": (lambda: cl.RetryPolicy(max_attempts="6"), "max_attempts must be a whole number"),
    "retry wait a number": (lambda: cl.RetryPolicy(first_wait=30), "first_wait must be a positive timedelta"),
    "retry lease zero": (lambda: cl.RetryPolicy(lease=timedelta(0)), "lease must be a positive timedelta"),
    "rule threshold NaN": (lambda: cl.RatingAtMost(kind="nps", threshold=NAN), "'threshold' must be a finite"),
    "rule threshold a text": (lambda: cl.RatingAtMost(kind="nps", threshold="6"), "'threshold' must be a number"),
    "keywords None": (lambda: cl.KeywordsInComments(words=None), "KeywordsInComments words must be a list of texts"),
    "keywords of numbers": (lambda: cl.KeywordsInComments(words=[5]), "each of KeywordsInComments words must be"),
    "concept sentiment NaN": (lambda: cl.Concept(name="food", sentiment=NAN), "'sentiment' must be a finite number"),
    "platform reply without time": (lambda: cl.PlatformReply(body="Thanks", at=None), "must be a timezone-aware"),
    "review without feedback": (
        lambda: cl.PlatformReview(feedback=None, updated_at=WHEN),
        "review 'feedback' must be a Feedback",
    ),
    "send result id as bytes": (lambda: cl.SendResult(message_id=b"m-1", ok=True), "'message_id' must be text"),
    "send result ok a text": (lambda: cl.SendResult(message_id="m-1", ok="yes"), "'ok' must be True or False"),
    "send result wait a number": (
        lambda: cl.SendResult(message_id="m-1", ok=False, retry_after=30),
        "'retry_after' must be a timedelta or None",
    ),
    "channel limit zero": (lambda: cl.ChannelLimits(max_bytes=0), "'max_bytes' must be a whole number from 1"),
    # point 4: one rule for text, lone surrogates refused in every text
    "surrogate in a comment": (lambda: feedback(comments="cold\ud800"), "comment 'text' holds a lone surrogate"),
    "surrogate after an accent": (  # a text that is not ASCII is told storable or not by encoding it: same message
        lambda: feedback(comments="Tr\u00e8s froid \udc00"),
        "comment 'text' holds a lone surrogate (U+DC00 at position 11), which no text encoding can store",
    ),
    "surrogate in a contact's accented name": (lambda: cl.Contact(name="Zo\u00e9 \ud800"), "holds a lone surrogate"),
    "surrogate in an id": (lambda: feedback(external_id="s-\udc80"), "feedback 'external_id' holds a lone surrogate"),
    "surrogate in metadata": (lambda: feedback(metadata={"k": "\ud83d"}), "the value of 'k' holds a lone surrogate"),
    "surrogate in a contact": (lambda: cl.Contact(email="jo\udfff@example.com"), "holds a lone surrogate"),
    "surrogate in a place name": (lambda: cl.Place(id="p", name="Opera\ud800"), "place 'name' holds a lone"),
    "surrogate in a user name": (lambda: cl.User(id="u", name="\ud800"), "user 'name' holds a lone surrogate"),
    "surrogate in a template": (lambda: cl.Template(id="t", name="T", body="Hi \udc00"), "'body' holds a lone"),
    "surrogate in a rating label": (lambda: cl.Rating(key="k", kind="nps", value=1, label="\ud800"), "'label' holds"),
    "surrogate in a message": (lambda: message(body="\udc00"), "message 'body' holds a lone surrogate"),
    "surrogate in a keyword": (lambda: cl.KeywordsInComments(words=["\ud800"]), "holds a lone surrogate"),
    # point 4: names that go in email headers hold one line
    "place name with CR LF": (lambda: cl.Place(id="p", name="Opera\r\nBcc: x@evil.test"), "'name' must be one line"),
    "place name with NUL": (lambda: cl.Place(id="p", name="Opera\x00"), "place 'name' must not hold a NUL character"),
    "user name with LF": (lambda: cl.User(id="u", name="Max\nBcc: x@evil.test"), "user 'name' must be one line"),
    "user email with CR": (lambda: cl.User(id="u", name="Max", email="m@x.test\r"), "user 'email' must be one line"),
    "message subject with LF": (lambda: message(subject="Hi\nBcc: x"), "message 'subject' must be one line"),
    "sender name with U+2028": (lambda: message(sender_name="Shop\u2028"), "message 'sender_name' must be one line"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_record_refuses_a_wrong_value_with_invalid_input_saying_what_to_give(case: str) -> None:
    make, reason = REFUSED[case]

    with pytest.raises(cl.InvalidInput, match=re.escape(reason)):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: feedback(comments="Très bon accueil 👍", contact=cl.Contact(name="Zoé Ørsted")),
        lambda: cl.Place(id="paris", name="Paris\tOpéra"),  # a tab is not a line break
        lambda: cl.Rating(key="k", value=10**15, scale=(0, 10**15)),
        lambda: cl.Rating(key="k", value=-2.5, scale=[-5, 5]),
        lambda: cl.Rating(key="nps", kind="nps", value=7.0),  # a whole number, as a float
        lambda: cl.Rating(key="csat", kind="csat", value=4.5),  # only an NPS answer is always whole
        lambda: feedback(metadata={"order": 17, "price": 12.5, "missing": None}),
        lambda: cl.User(id="u", name="U", places="paris", groups=("france",)),
        lambda: cl.RetryPolicy(max_attempts=1_000_000),
        lambda: message(recipients=["a@b.c"]),
    ],
)
def test_values_a_caller_may_give_are_still_taken(make: Callable[[], object]) -> None:
    make()


def test_a_custom_scale_given_as_a_list_is_kept_as_a_pair() -> None:
    rating = cl.Rating(key="k", value=2, scale=[0, 5])

    assert rating.scale == (0, 5)
    assert rating == cl.Rating(key="k", value=2, scale=(0, 5))


def test_one_keyword_given_as_a_text_is_one_word_not_a_word_per_letter() -> None:
    rule = cl.KeywordsInComments(words="refund")

    assert rule.words == ("refund",)
    assert rule.check(feedback(comments="I want a refund")) is not None
    assert rule.check(feedback(comments="u r so kind")) is None


def test_the_wait_before_a_retry_never_overflows_however_many_attempts() -> None:
    policy = cl.RetryPolicy(max_attempts=10**9, first_wait=timedelta(seconds=30), longest_wait=timedelta(days=366))
    pending = message(attempts=10**6)

    retried = policy.outcome(pending, WHEN, ok=False, error="busy", permanent=False)
    asked_for_years = policy.outcome(
        pending, WHEN, ok=False, error="busy", permanent=False, retry_after=timedelta(days=10**8)
    )

    assert retried.next_attempt_at == WHEN + timedelta(days=366)
    assert asked_for_years.next_attempt_at == WHEN + timedelta(days=366)
    assert policy.wait_after(3) == timedelta(seconds=120)


def test_a_retry_policy_refuses_waits_longer_than_a_year() -> None:
    with pytest.raises(cl.InvalidInput, match=re.escape("longest_wait must be a positive timedelta of at most 366")):
        cl.RetryPolicy(longest_wait=timedelta.max)


def test_a_refused_value_is_shown_short_whatever_it_is() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no picture of me")

    for wrong in (Hostile(), nested(5000), 10**5000, ["x" * 10_000] * 1000):
        with pytest.raises(cl.InvalidInput) as refused:
            feedback(locale=wrong)

        assert len(str(refused.value)) < 200


@pytest.mark.parametrize("make", [lambda: cl.Place(id="a\x00b", name="A"), lambda: cl.User(id="u\x00", name="U")])
def test_an_id_holding_a_nul_is_refused_by_the_record_itself(make: Callable[[], object]) -> None:
    with pytest.raises(cl.InvalidInput, match="NUL"):
        make()
