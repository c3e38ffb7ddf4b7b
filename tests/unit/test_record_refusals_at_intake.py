"""Bad feedback never gets in, through ``desk.ingest`` or the dicts of ``desk.ingest_many``, on the memory
store and SQLite (issue 13, points 1, 5 and 7): a refused item is a rejection with its reason, nothing of it
is stored, the rest of the batch goes in, and every page stays readable. Documents stored by earlier
releases still read back as they did."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import closedloop as cl
from closedloop.serialization import decode, encode, from_data, to_data

WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def good(number: int) -> dict[str, Any]:
    """A survey answer as an application reads it from JSON: plain texts, numbers, lists and dicts."""
    return {
        "source": "survey",
        "external_id": f"good-{number}",
        "place_id": "paris",
        "received_at": "2026-01-05T09:30:00+00:00",
        "contact": {"name": "Claire Martin", "email": "claire@example.com"},
        "ratings": [{"key": "nps", "kind": "nps", "value": 9}],
        "comments": [{"text": "Lovely.", "question": "comment"}],
    }


def deep(depth: int) -> dict[str, Any]:
    top: dict[str, Any] = {}
    level = top
    for _ in range(depth):
        level["a"] = {}
        level = level["a"]
    return top


# what each bad item is, and what its rejection must say
BAD_ITEMS: dict[str, tuple[dict[str, Any], str]] = {
    "contact given as a text": (
        {"contact": "jo@example.com"},
        "a Contact is given as a mapping of its fields (name, email, tel); got 'jo@example.com' @ $.contact",
    ),
    "unknown key": (
        {"colour": "red"},
        "unknown key 'colour': a Feedback has only source, external_id, place_id, received_at, platform, contact,",
    ),
    "unknown key in the contact": (
        {"contact": {"emial": "jo@example.com"}},
        "unknown key 'emial': a Contact has only name, email, tel @ $.contact",
    ),
    "unknown key in a rating": (
        {"ratings": [{"key": "nps", "kind": "nps", "value": 9, "vaule": 3}]},
        "unknown key 'vaule': a Rating has only key, value, kind, scale, journey_moment, label @ $.ratings",
    ),
    "unknown key in a comment": (
        {"comments": [{"text": "Cold.", "topic": "food"}]},
        "unknown key 'topic': a Comment has only text, question @ $.comments",
    ),
    "received_at a number": ({"received_at": 5}, "must be a time as an ISO 8601 text with its offset"),
    "received_at missing": ({"received_at": None}, "@ $.received_at"),
    "received_at without its offset": ({"received_at": "2026-01-05"}, "must be timezone-aware"),
    "custom scale up to infinity": (
        {"ratings": [{"key": "k", "value": 1, "scale": [0, math.inf]}]},
        "the highest value of rating 'k' must be a finite number",
    ),
    "rating value NaN": ({"ratings": [{"key": "nps", "kind": "nps", "value": math.nan}]}, "must lie between 0 and 10"),
    "rating value huge": ({"ratings": [{"key": "nps", "kind": "nps", "value": 10**400}]}, "must lie between 0 and 10"),
    "rating value a bool": ({"ratings": [{"key": "nps", "kind": "nps", "value": True}]}, "must be a number; got True"),
    "source not one of the four": (
        {"source": "bogus"},
        "source must be one of survey, rating, review, social; got 'bogus' @ $.source",
    ),
    "rating kind not one of the five": (
        {"ratings": [{"key": "k", "kind": "bogus", "value": 1}]},
        "rating kind must be one of nps, csat, ces, stars, custom; got 'bogus'",
    ),
    "comments a number": ({"comments": 5}, "comments are a text or a list of texts and comments; got 5"),
    "metadata 5,000 deep": ({"metadata": deep(5000)}, "must be text; got {'a': {'a': {"),
    "external id a huge int": ({"external_id": 10**400}, "may have at most 15 digits"),
    "external id NaN": ({"external_id": math.nan}, "feedback 'external_id' must be a non-empty text; got ''"),
    "lone surrogate in a comment": ({"comments": "cold\ud800"}, "holds a lone surrogate"),
}


@pytest.mark.parametrize("case", BAD_ITEMS)
def test_from_data_refuses_a_bad_dict_saying_what_to_fix(case: str) -> None:
    change, reason = BAD_ITEMS[case]

    with pytest.raises(cl.InvalidInput, match=re.escape(reason)):
        from_data({**good(0), **change}, cl.Feedback)


def test_a_dict_still_gives_times_as_iso_texts_with_their_offset() -> None:
    feedback = from_data({**good(0), "received_at": "2026-01-05T10:30:00+01:00"}, cl.Feedback)

    assert feedback.received_at == WHEN


def test_from_data_refuses_what_is_not_a_mapping_at_all() -> None:
    for given in (None, "feedback", ["source", "survey"], 5):
        with pytest.raises(cl.InvalidInput, match="a Feedback is given as a mapping of its fields"):
            from_data(given, cl.Feedback)


# -- documents a store wrote are read as earlier releases wrote them ----------------------------------------


def stored_conversations() -> list[cl.Conversation]:
    """A conversation of every source, rating kind, interaction kind and alert status."""
    user = cl.Actor(kind=cl.ActorKind.USER, id="max", name="Max Manager")
    history = tuple(
        cl.Interaction(kind=kind, at=WHEN, author=user, body=f"{kind.value} entry", details={"n": "1"})
        for kind in cl.InteractionKind
    )
    ratings = [
        cl.Rating(key=kind.value, kind=kind, value=1) for kind in cl.RatingKind if kind is not cl.RatingKind.CUSTOM
    ]
    ratings.append(cl.Rating(key="custom", value=0.5, scale=(-1, 1), journey_moment="visit", label="How?"))
    conversations = []
    for number, (source, status) in enumerate(zip(cl.Source, cl.AlertStatus, strict=False)):
        feedback = cl.Feedback(
            source=source,
            platform="google" if source.is_public else "",
            external_id=f"x-{number}",
            place_id="paris",
            received_at=WHEN,
            contact=cl.Contact(name="Zoé Ørsted", email="zoe@example.com", tel="+33 6 12 34 56 78"),
            ratings=ratings,
            comments=["Très bien 👍", cl.Comment(text="Cold", question="improve")],
            answers={"why": "birthday"},
            metadata={"order": "A-1"},
        )
        conversations.append(
            cl.Conversation(
                id=f"c-{number}",
                feedback=feedback,
                status=list(cl.Status)[number],
                created_at=WHEN,
                last_updated_at=WHEN,
                last_updated_by="max",
                alert=cl.Alert(raised_at=WHEN, reasons=("nps <= 6",), status=status),
                analysis=(cl.Concept(name="food", sentiment=-0.5),),
                history=history,
            )
        )
    return conversations


@pytest.mark.parametrize("conversation", stored_conversations(), ids=lambda conversation: conversation.id)
def test_a_stored_conversation_of_every_kind_reads_back_as_it_was(conversation: cl.Conversation) -> None:
    assert decode(encode(conversation), cl.Conversation) == conversation
    assert from_data(json.loads(json.dumps(to_data(conversation))), cl.Conversation) == conversation


def test_a_stored_document_with_keys_no_record_has_still_reads_back() -> None:
    """Only callers' data is held to the records' keys; what a store wrote is read as before."""
    conversation = stored_conversations()[0]
    document = json.loads(encode(conversation))
    document["retired_field"] = 1
    document["feedback"]["contact"]["fax"] = "+33 1"
    document["feedback"]["ratings"][0]["weight"] = 2

    assert decode(json.dumps(document), cl.Conversation) == conversation


def test_names_an_earlier_release_stored_with_line_breaks_read_back_on_one_line() -> None:
    user = json.loads(encode(cl.User(id="max", name="Max Manager", email="max@example.com")))
    user["name"] = "Max\r\nManager"
    sent = json.loads(encode(cl.OutboundMessage(
        id="m-1", conversation_id="c-1", channel="email", kind="handoff", recipients=("a@b.c",),
        subject="Hello", body="Body\nstays\nas it is", created_at=WHEN,
    )))  # fmt: skip
    sent["subject"] = "Max forwarded\nfeedback"
    sent["sender_name"] = "Max\u2028Manager"

    assert decode(json.dumps(user), cl.User).name == "Max  Manager"
    message = decode(json.dumps(sent), cl.OutboundMessage)
    assert (message.subject, message.sender_name, message.body) == (
        "Max forwarded feedback",
        "Max Manager",
        "Body\nstays\nas it is",
    )


# -- through the desk, on the memory store and SQLite --------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[cl.Desk]:
    url = f"sqlite:///{tmp_path / 'desk.db'}" if request.param == "sqlite" else None
    opened = cl.Desk.open(url, load_entry_points=False)
    opened.add_place(cl.Place(id="paris", name="Paris Opera"))
    opened.add_user(cl.User(id="admin", name="Ada Admin", role="admin"))
    yield opened
    opened.close()


def stored(desk: cl.Desk) -> list[str]:
    page = desk.inbox("admin", limit=500)
    assert page.next is None
    return sorted(conversation.feedback.external_id for conversation in page)


@pytest.mark.parametrize(
    "bad",
    [
        {"contact": None},
        {"received_at": None},
        {"received_at": "2026-01-05"},
        {"ratings": [cl.Rating(key="k", value=1, scale=(0, 5))], "comments": None},
        {"source": "bogus"},
        {"metadata": deep(5000)},
    ],
    ids=["contact None", "received_at None", "received_at a text", "comments None", "source", "deep metadata"],
)
def test_desk_ingest_never_gets_feedback_a_record_refuses(desk: cl.Desk, bad: dict[str, Any]) -> None:
    values = {"source": "survey", "external_id": "bad", "place_id": "paris", "received_at": WHEN, **bad}

    with pytest.raises(cl.InvalidInput):
        desk.ingest(cl.Feedback(**values))

    assert stored(desk) == []
    assert desk.counts("admin").inbox == 0


def test_ingest_many_rejects_each_bad_dict_with_its_reason_and_takes_in_the_rest(desk: cl.Desk) -> None:
    items: list[Any] = [good(0)]
    for number, (change, _reason) in enumerate(BAD_ITEMS.values(), start=1):
        items.append({**good(number), "external_id": f"bad-{number}", **change})
    items.append(good(len(items)))

    report = desk.ingest_many(items, batch_size=7)

    assert (report.ingested, report.rejected_count) == (2, len(BAD_ITEMS))
    assert [rejection.position for rejection in report.rejected] == list(range(1, len(BAD_ITEMS) + 1))
    for rejection, (_change, reason) in zip(report.rejected, BAD_ITEMS.values(), strict=True):
        assert reason in rejection.reason
    assert stored(desk) == ["good-0", f"good-{len(items) - 1}"]
    for conversation in desk.inbox("admin"):
        assert json.loads(desk.export_file(conversation.id, by="admin"))["conversation"]["id"] == conversation.id


def test_a_bad_dict_rejected_once_goes_in_when_mended(desk: cl.Desk) -> None:
    item = {**good(1), "contact": "jo@example.com"}

    first = desk.ingest_many([item])
    second = desk.ingest_many([{**item, "contact": {"email": "jo@example.com"}}])

    assert (first.ingested, first.rejected_count, second.ingested) == (0, 1, 1)
    assert [c.feedback.contact.email for c in desk.inbox("admin")] == ["jo@example.com"]
