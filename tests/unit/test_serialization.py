"""closedloop.serialization: every domain object to JSON-ready data and back, and the exported customer file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import cattrs
import pytest

import closedloop as cl
from closedloop.domain.rules import open_conversation
from closedloop.serialization import decode, encode, from_data, from_json, to_data

WHEN = datetime(2026, 1, 3, 14, 15, 16, tzinfo=UTC)
PARIS_TIME = datetime(2026, 1, 3, 15, 15, 16, tzinfo=timezone(timedelta(hours=1), "CET"))


def rich_feedback() -> cl.Feedback:
    return cl.Feedback(
        source=cl.Source.REVIEW,
        platform="google",
        external_id="g-42",
        place_id="paris",
        received_at=PARIS_TIME,
        contact=cl.Contact(name="Claire Martin", email="claire@example.com", tel="+33 6 12 34 56 78"),
        ratings=[
            cl.Rating(key="stars", kind=cl.RatingKind.STARS, value=2),
            cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=6, journey_moment="after visit", label="Recommend?"),
            cl.Rating(key="cleanliness", value=7.5, scale=(0, 10)),
        ],
        comments=[cl.Comment(text="Cold soup."), cl.Comment(text="Too slow", question="what to improve")],
        answers={"visit_reason": "birthday"},
        metadata={"order": "A-17", "tier": "vip"},
        locale="fr",
        test=True,
    )


def conversation_with_history() -> cl.Conversation:
    user = cl.Actor(kind=cl.ActorKind.USER, id="admin", name="Ada Admin")
    history = (
        cl.Interaction(kind=cl.InteractionKind.STATUS_CHANGE, at=WHEN, author=user, to_status=cl.Status.NEW),
        cl.Interaction(
            kind=cl.InteractionKind.CALL_LOG,
            at=WHEN,
            author=user,
            body="Apologised.",
            alert_status=cl.AlertStatus.IN_PROGRESS,
            details={"tel": "+33612345678", "duration_seconds": "90"},
        ),
        cl.Interaction(
            kind=cl.InteractionKind.STATUS_CHANGE,
            at=WHEN,
            author=user,
            from_status=cl.Status.NEW,
            to_status=cl.Status.PENDING_ACTION,
        ),
        cl.Interaction(
            kind=cl.InteractionKind.SHARE,
            at=WHEN,
            author=user,
            recipients=("boss@example.com", "cto@example.com"),
            message_id="m-1",
        ),
    )
    return cl.Conversation(
        id="c-1",
        feedback=rich_feedback(),
        status=cl.Status.PENDING_ACTION,
        created_at=WHEN,
        last_updated_at=WHEN + timedelta(minutes=5),
        last_updated_by="admin",
        on_hold=True,
        alert=cl.Alert(raised_at=WHEN, reasons=("stars <= 2: stars is 2, at or below 2",), status="in_progress"),
        assignee="manager",
        analysis=(cl.Concept(name="food", sentiment=-0.8), cl.Concept(name="staff", sentiment=0.5)),
        history=history,
        version=3,
    )


OBJECTS = {
    "feedback": rich_feedback(),
    "minimal feedback": cl.Feedback(source="survey", external_id="s-1", place_id="lyon", received_at=WHEN),
    "rating": cl.Rating(key="ces", kind=cl.RatingKind.CES, value=3, journey_moment="delivery"),
    "contact": cl.Contact(name="Claire Martin", email="claire@example.com"),
    "place": cl.Place(id="paris", name="Paris Opera"),
    "group": cl.PlaceGroup(id="france", name="France", place_ids={"paris", "lyon"}),
    "user": cl.User(
        id="max", name="Max Manager", role=cl.Role.MANAGER, email="max@example.com", places={"lyon"}, groups={"france"}
    ),
    "conversation": conversation_with_history(),
    "interaction": conversation_with_history().history[1],
    "alert": cl.Alert(raised_at=WHEN, reasons=("a", "b"), status=cl.AlertStatus.PROCESSED),
    "message": cl.OutboundMessage(
        id="m-1",
        conversation_id="c-1",
        channel="email",
        kind=cl.MessageKind.CUSTOMER_REPLY,
        recipients=("claire@example.com",),
        subject="Your feedback to Paris Opera",
        body="Sorry.",
        created_at=WHEN,
        sender_name="Test Business",
        reply_link="https://app.example/reply/abc",
        external_id="s-1",
        status=cl.Delivery.SENT,
        attempts=2,
        last_error=None,
        sent_at=WHEN + timedelta(seconds=3),
    ),
    "failed message": cl.OutboundMessage(
        id="m-2",
        conversation_id="c-1",
        channel="google",
        kind=cl.MessageKind.REVIEW_REPLY,
        recipients=(),
        subject="",
        body="Thanks",
        created_at=WHEN,
        status=cl.Delivery.FAILED,
        last_error="quota exceeded",
    ),
    "template": cl.Template(id="t-1", name="Apology", body="Sorry {first_name}", level="group", target="france"),
    "org template": cl.Template(id="t-2", name="Thanks", body="Thanks {{really}}"),
    "reply token": cl.ReplyToken(
        token_hash="ab" * 32, conversation_id="c-1", created_at=WHEN, expires_at=WHEN + timedelta(days=30)
    ),
    "used reply token": cl.ReplyToken(
        token_hash="cd" * 32,
        conversation_id="c-1",
        created_at=WHEN,
        expires_at=WHEN + timedelta(days=30),
        used_at=WHEN + timedelta(days=1),
    ),
    "customer file": cl.CustomerFile(
        place=cl.Place(id="paris", name="Paris Opera"), conversation=conversation_with_history()
    ),
}


@pytest.mark.parametrize("name", OBJECTS)
def test_round_trip_through_json(name):
    original = OBJECTS[name]

    text = json.dumps(to_data(original))
    back = from_data(json.loads(text), type(original))

    assert back == original
    assert to_data(back) == to_data(original)


@pytest.mark.parametrize("name", OBJECTS)
def test_stored_documents_read_back_as_what_was_stored(name):
    """Stores keep ``encode``'s JSON and read it with ``decode``, which builds the records in msgspec rather
    than through cattrs: both must give the same objects."""
    original = OBJECTS[name]

    back = decode(encode(original), type(original))

    assert back == original
    assert back == from_data(json.loads(encode(original)), type(original))


@pytest.mark.parametrize(
    ("change", "cls"),
    [
        (lambda data: {**data, "value": 99}, cl.Rating),
        (lambda data: {**data, "key": ""}, cl.Rating),
        (lambda data: {**data, "received_at": "2026-01-01T00:00:00"}, cl.Feedback),
        (lambda data: {**data, "source": "review"}, cl.Feedback),  # a public review needs its platform
    ],
)
def test_reading_a_stored_document_still_checks_the_domain_rules(change, cls):
    """A document altered in the database is refused rather than read as a record no constructor would make."""
    stored = to_data(OBJECTS["rating"] if cls is cl.Rating else OBJECTS["minimal feedback"])

    with pytest.raises(cattrs.BaseValidationError) as refused:
        decode(json.dumps(change(stored)), cls)

    assert [type(error) for error in refused.value.exceptions] == [cl.InvalidInput]


def test_documents_of_earlier_releases_with_loosely_typed_values_read_back_as_text():
    """Before 0.1's checks on text fields, the records kept a number among texts or a null for a text as
    given, and stores hold such documents; reading them must not fail."""
    stored = json.loads(encode(OBJECTS["feedback"]))
    stored["metadata"] = {"order": 17, "vip": True}
    stored["contact"] = {"name": "Claire", "email": None, "tel": ["+33 6"]}
    stored["ratings"][1]["label"] = ["Recommend?"]
    stored["locale"] = None
    stored["test"] = 1

    back = decode(json.dumps(stored), cl.Feedback)

    assert back.metadata == {"order": "17", "vip": "True"}
    assert (back.contact.name, back.contact.email, back.contact.tel) == ("Claire", "", "['+33 6']")
    assert (back.ratings[1].label, back.locale, back.test) == ("['Recommend?']", "", True)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"metadata": {"order": 17, "score": 4.5}}, {"metadata": {"order": "17", "score": "4.5"}}),
        ({"answers": {"visit": None}}, {"answers": {"visit": ""}}),
        ({"contact": cl.Contact(name="Claire", email=None, tel=33612345678)}, {"contact": {"tel": "33612345678"}}),
        # a data frame's column of phone numbers with one missing holds floats and a NaN
        (
            {"contact": cl.Contact(tel=33612345678.0, email=float("nan"))},
            {"contact": {"tel": "33612345678", "email": ""}},
        ),
        ({"metadata": {"price": Decimal("12.50"), "big": 1e300}}, {"metadata": {"price": "12.50", "big": "1e+300"}}),
    ],
)
def test_numbers_become_text_and_none_empty_text_in_feedback(given, expected):
    """As rows of files and databases give them; from a dict the same as from Python."""
    from_python = cl.Feedback(source="survey", external_id="s-1", place_id="lyon", received_at=WHEN, **given)
    from_dict = from_data({**to_data(OBJECTS["minimal feedback"]), **to_data(from_python)}, cl.Feedback)

    for feedback in (from_python, from_dict):
        data = to_data(feedback)
        for field, values in expected.items():
            assert {key: data[field][key] for key in values} == values


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({"metadata": {"order": [17]}}, "the value of 'order' must be text; got [17]"),
        ({"metadata": ["order"]}, "map names to texts"),
        ({"platform": None}, "feedback 'platform' must be text; got None"),
        ({"locale": 2}, "feedback 'locale' must be text; got 2"),
        ({"test": "yes"}, "feedback 'test' must be True or False; got 'yes'"),
        ({"comments": [None]}, "feedback comments are texts or Comment(text=...) objects; got None"),
        ({"ratings": [{"key": "nps", "value": 9}]}, "feedback ratings are Rating(key=..., value=...) objects"),
    ],
)
def test_feedback_refuses_values_that_are_not_text_saying_which(given, reason):
    with pytest.raises(cl.InvalidInput, match=re.escape(reason)):
        cl.Feedback(source="survey", external_id="s-1", place_id="lyon", received_at=WHEN, **given)


def test_a_contact_refuses_details_that_are_not_text():
    with pytest.raises(cl.InvalidInput, match=re.escape("a contact detail or email must be text; got ['a@b.c']")):
        cl.Contact(email=["a@b.c"])


@pytest.mark.parametrize(
    ("given", "test"),
    [(True, True), ("false", False), ("Yes", True), ("0", False), (1, True), ("", False)],
)
def test_a_dict_may_spell_the_test_flag_as_files_do(given, test):
    assert from_data({**to_data(OBJECTS["minimal feedback"]), "test": given}, cl.Feedback).test is test


@pytest.mark.parametrize("given", ["maybe", 2, [True]])
def test_a_dict_with_another_test_flag_is_refused(given):
    with pytest.raises(cl.InvalidInput, match=re.escape(f"must be true or false; got {given!r} @ $.test")):
        from_data({**to_data(OBJECTS["minimal feedback"]), "test": given}, cl.Feedback)


@pytest.mark.parametrize(
    ("given", "texts"),
    [
        ("Cold soup.", [("Cold soup.", "comment")]),
        ("   ", []),
        (["Cold soup.", {"text": "Too slow", "question": "what to improve"}], [
            ("Cold soup.", "comment"), ("Too slow", "what to improve")
        ]),
    ],
)  # fmt: skip
def test_a_dict_gives_comments_as_the_constructor_takes_them(given, texts):
    feedback = from_data({**to_data(OBJECTS["minimal feedback"]), "comments": given}, cl.Feedback)

    assert [(comment.text, comment.question) for comment in feedback.comments] == texts


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (5, "comments are a text or a list of texts and comments; got 5 @ $.comments"),
        ([None], "each comment is a text or a mapping with its text; got None @ $.comments"),
    ],
)
def test_a_dict_with_comments_of_another_kind_is_refused(given, reason):
    with pytest.raises(cl.InvalidInput, match=re.escape(reason)):
        from_data({**to_data(OBJECTS["minimal feedback"]), "comments": given}, cl.Feedback)


def test_from_data_refuses_a_list_where_text_belongs():
    data = {**to_data(OBJECTS["minimal feedback"]), "contact": {"email": ["claire@example.com"]}}

    with pytest.raises(cl.InvalidInput, match=re.escape("must be text; got ['claire@example.com'] @ $.contact.email")):
        from_data(data, cl.Feedback)


@pytest.mark.parametrize("name", OBJECTS)
def test_data_is_only_plain_json_types(name):
    # to_data promises "plain dicts, lists, strings and numbers": what json gives back is the same data
    data = to_data(OBJECTS[name])

    assert json.loads(json.dumps(data)) == data


def test_round_trip_keeps_types_and_time_zones():
    original = conversation_with_history()

    back = from_data(json.loads(json.dumps(to_data(original))), cl.Conversation)

    assert back.status is cl.Status.PENDING_ACTION
    assert back.alert.status is cl.AlertStatus.IN_PROGRESS
    assert back.feedback.source is cl.Source.REVIEW
    assert back.feedback.received_at.utcoffset() == timedelta(hours=1)
    assert back.feedback.received_at == PARIS_TIME
    assert isinstance(back.history, tuple)
    assert back.history[2].from_status is cl.Status.NEW
    assert back.history[1].details == {"tel": "+33612345678", "duration_seconds": "90"}
    assert back.category is cl.Category.ON_HOLD


def test_data_is_plain_json():
    data = to_data(conversation_with_history())

    assert data["status"] == "pending_action"
    assert data["feedback"]["received_at"] == "2026-01-03T15:15:16+01:00"
    assert data["history"][3]["recipients"] == ["boss@example.com", "cto@example.com"]
    assert sorted(to_data(OBJECTS["group"])["place_ids"]) == ["lyon", "paris"]


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        ({"id": "paris"}, cl.Place),
        ({"id": "paris", "name": ""}, cl.Place),
        ("not an object", cl.Place),
        ({**to_data(OBJECTS["rating"]), "value": 99}, cl.Rating),
        ({**to_data(OBJECTS["minimal feedback"]), "source": "carrier pigeon"}, cl.Feedback),
        ({**to_data(OBJECTS["minimal feedback"]), "received_at": "2026-01-01T00:00:00"}, cl.Feedback),
    ],
)
def test_bad_data_is_invalid_input(data, cls):
    with pytest.raises(cl.InvalidInput):
        from_data(data, cls)


def test_from_json_refuses_text_that_is_not_json():
    with pytest.raises(cl.InvalidInput, match="JSON"):
        from_json("{not json", cl.Place)


# -- the exported customer file ------------------------------------------------------------------------------


def test_export_file_holds_feedback_alert_and_history(seeded_desk, make_feedback, clock):
    feedback = make_feedback(ratings=[cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=1)], metadata={"order": "A-1"})
    conversation = seeded_desk.ingest(feedback)
    clock.advance(minutes=10)
    seeded_desk.note(conversation.id, by="manager", body="Internal: chef informed.", alert_status="in_progress")
    seeded_desk.reply(conversation.id, by="manager", body="We are so sorry.")

    exported = json.loads(seeded_desk.export_file(conversation.id, by="manager"))

    assert exported["place"] == {"id": "paris", "name": "Paris Opera"}
    body = exported["conversation"]
    assert body["feedback"]["external_id"] == feedback.external_id
    assert body["feedback"]["contact"]["email"] == "claire@example.com"
    assert body["feedback"]["metadata"] == {"order": "A-1"}
    assert body["alert"]["status"] == "in_progress"
    assert body["alert"]["reasons"] == ["nps detractor: nps is 1, at or below 6"]
    assert [entry["kind"] for entry in body["history"]] == [
        "status_change",
        "note",
        "status_change",
        "email_reply",
        "status_change",
    ]
    assert body["history"][1]["body"] == "Internal: chef informed."
    assert body["status"] == "awaiting_customer"


def test_export_file_reads_back_as_the_customer_file(seeded_desk, make_feedback):
    conversation = seeded_desk.ingest(make_feedback())
    seeded_desk.hold(conversation.id, by="admin")

    exported = seeded_desk.export_file(conversation.id, by="admin")

    assert from_json(exported, cl.CustomerFile) == seeded_desk.customer_file(conversation.id, by="admin")


def test_a_rating_given_as_text_in_other_digits_than_0_to_9_is_refused_saying_so():
    assert from_data({"key": "nps", "kind": "nps", "value": " 7 "}, cl.Rating).value == 7
    with pytest.raises(cl.InvalidInput, match="must be a number written with the ASCII digits 0-9; got '\u0667'"):
        from_data({"key": "nps", "kind": "nps", "value": "\u0667"}, cl.Rating)  # an Arabic-Indic seven
    with pytest.raises(cl.InvalidInput, match="must be a number; got 'sept'"):
        from_data({"key": "nps", "kind": "nps", "value": "sept"}, cl.Rating)


def test_a_stored_nps_answer_that_is_not_whole_reads_back_as_it_was(make_feedback):
    """Earlier releases took an NPS of 7.5, which ratings now refuse: a conversation holding one stays readable."""
    feedback = make_feedback(ratings=[cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=9)])
    conversation = open_conversation("c1", feedback, now=datetime(2026, 3, 1, tzinfo=UTC), alert=None)
    stored = encode(conversation).replace('"value":9', '"value":7.5')
    assert '"value":7.5' in stored
    with pytest.raises(cl.InvalidInput, match="whole number"):
        from_data({"key": "nps", "kind": "nps", "value": 7.5}, cl.Rating)

    [rating] = decode(stored, cl.Conversation).feedback.ratings
    assert rating.kind is cl.RatingKind.NPS and rating.value == 7.5
    with pytest.raises(cattrs.BaseValidationError):  # its other checks are still made
        decode(stored.replace('"value":7.5', '"value":11.5'), cl.Conversation)
