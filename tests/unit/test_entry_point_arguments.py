"""Every Desk entry point checks its arguments (issue 13, points 5 and 7).

A wrong argument (a list or a huge number as an id, a flag given as text, None for a note) is refused with an
``InvalidInput`` that names the argument and says what it must be, before anything is read or written, on
the memory store and on SQLite alike; a well-formed id that is not there is ``NotFound``. The directory
refuses places and groups it does not know and never replaces a record silently.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pytest

import closedloop as cl
from closedloop.domain.customer import hash_token
from closedloop.testing import RecordingChannel

RECEIVED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HUGE = 10**400
USER_IDS = ("admin", "manager", "agent", "newcomer")


class ReviewPages:
    """The ``google`` review platform: whatever pages a test puts here."""

    platform = "google"

    def __init__(self) -> None:
        self.pages: Any = []

    def reviews(self, *, since: datetime | None) -> Any:
        return self.pages

    @cl.hookimpl
    def closedloop_register_sources(self, registry: cl.Registry) -> None:
        registry.add_source(self)


class World(NamedTuple):
    """A seeded desk and the ids of what it holds: a conversation replied to by email (its message pending in
    the outbox, its reply link unused), a common reply and a template of the admin's; and its review source."""

    desk: cl.Desk
    conversation_id: str
    message_id: str
    token: str
    source: ReviewPages


@pytest.fixture(params=["memory", "sqlite"])
def world(
    request: pytest.FixtureRequest, tmp_path: Any, clock: Any, email_channel: RecordingChannel
) -> Iterator[World]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'desk.db'}"
    source = ReviewPages()
    desk = cl.Desk.open(
        url,
        clock=clock,
        plugins=[email_channel, RecordingChannel(name="phone"), source],
        business_name="Test Business",
        customer_service_email="care@example.com",
    )
    desk.add_place(cl.Place(id="paris", name="Paris Opera"))
    desk.add_place(cl.Place(id="lyon", name="Lyon Centre"))
    desk.add_group(cl.PlaceGroup(id="france", name="France", place_ids={"paris", "lyon"}))
    desk.add_user(cl.User(id="admin", name="Ada Admin", role=cl.Role.ADMIN, email="ada@example.com"))
    desk.add_user(cl.User(id="manager", name="Max Manager", role=cl.Role.MANAGER, groups={"france"}))
    desk.add_user(cl.User(id="agent", name="Alice Agent", places={"lyon"}))
    conversation = desk.ingest(
        cl.Feedback(
            source=cl.Source.SURVEY,
            external_id="fb-1",
            place_id="paris",
            received_at=RECEIVED,
            contact=cl.Contact(name="Claire Martin", email="claire@example.com", tel="+33 6 12 34 56 78"),
            comments="The soup was cold.",
        )
    )
    desk.reply(conversation.id, by="admin", body="Sorry about that.")
    [message] = desk.outbox()
    assert message.reply_link
    desk.common_replies("admin").add("Thank you for your feedback.")
    desk.templates("admin").add(cl.Template(id="t-org", name="Apology", body="Dear {first_name}, we are sorry."))
    yield World(desk, conversation.id, message.id, message.reply_link.rsplit("/", 1)[-1], source)
    desk.close()


def contents(w: World) -> dict[str, Any]:
    """Everything the store holds that a refused call could have changed."""
    desk = w.desk
    with desk.store.transaction() as tx:
        held: dict[str, Any] = {
            "places": dict(tx.directory.places()),
            "groups": dict(tx.directory.groups()),
            "users": {user_id: tx.directory.get_user(user_id) for user_id in USER_IDS},
            "token": tx.tokens.get(hash_token(w.token)),
            "marker": tx.markers.get("sync:google"),
            "templates": list(tx.library.templates()),
            "common_replies": {user_id: tx.library.common_replies(user_id) for user_id in USER_IDS},
        }
    held["conversations"] = {
        folder: desk.inbox("admin", folder=folder, limit=500).items for folder in ("inbox", "done", "spam")
    }
    held["outbox"] = desk.outbox()
    held["counts"] = desk.counts("admin")
    return held


def refused(w: World, error: type[cl.ClosedLoopError], says: str, call: Callable[[], object]) -> None:
    """``call()`` raises ``error`` with ``says`` in its message, and the store holds what it held before."""
    before = contents(w)
    with pytest.raises(error, match=re.escape(says)) as caught:
        call()
    assert type(caught.value) is error, f"{type(caught.value).__name__}: {caught.value}"
    assert contents(w) == before


WrongCall = Callable[[World], object]
WRONG_ARGUMENTS: dict[str, tuple[WrongCall, type[cl.ClosedLoopError], str]] = {
    # ids: a list, a huge number, NaN, an empty text
    "note, conversation id a list": (
        lambda w: w.desk.note([w.conversation_id], by="admin", body="x"),
        cl.InvalidInput,
        "conversation_id must be an id: a non-empty text; got ['",
    ),
    "note, conversation id huge": (
        lambda w: w.desk.note(HUGE, by="admin", body="x"),
        cl.InvalidInput,
        "conversation_id must be an id: a non-empty text; got 1000",
    ),
    "hold, conversation id NaN": (
        lambda w: w.desk.hold(math.nan, by="admin"),
        cl.InvalidInput,
        "conversation_id must be an id: a non-empty text; got nan",
    ),
    "mark_done, conversation id empty": (
        lambda w: w.desk.mark_done("", by="admin"),
        cl.InvalidInput,
        "conversation_id must be an id: a non-empty text; got ''",
    ),
    "conversation, id a dict": (
        lambda w: w.desk.conversation({"id": w.conversation_id}, by="admin"),
        cl.InvalidInput,
        "conversation_id must be an id",
    ),
    "export_file, id huge": (
        lambda w: w.desk.export_file(HUGE, by="admin"),
        cl.InvalidInput,
        "conversation_id must be an id",
    ),
    "note, by a list": (
        lambda w: w.desk.note(w.conversation_id, by=["admin"], body="x"),
        cl.InvalidInput,
        "by must be a user id (a non-empty text) or a closedloop.User; got ['admin']",
    ),
    "reopen, by huge": (
        lambda w: w.desk.reopen(w.conversation_id, by=HUGE),
        cl.InvalidInput,
        "by must be a user id",
    ),
    "forward, to a list": (
        lambda w: w.desk.forward(w.conversation_id, by="admin", to=["manager"]),
        cl.InvalidInput,
        "to must be a user id (a non-empty text) or a closedloop.User; got ['manager']",
    ),
    "user, a list": (lambda w: w.desk.user(["admin"]), cl.InvalidInput, "user must be a user id"),
    "common_replies, user NaN": (lambda w: w.desk.common_replies(math.nan), cl.InvalidInput, "user must be a user id"),
    "templates, user None": (lambda w: w.desk.templates(None), cl.InvalidInput, "user must be a user id"),
    "retry, message id a list": (
        lambda w: w.desk.retry([w.message_id], by="admin"),
        cl.InvalidInput,
        "message_id must be an id: a non-empty text",
    ),
    "retry, message id huge": (lambda w: w.desk.retry(HUGE, by="admin"), cl.InvalidInput, "message_id must be an id"),
    "channel, name a list": (lambda w: w.desk.channel(["email"]), cl.InvalidInput, "name must be text; got list"),
    # the places filter
    "inbox, places a number": (
        lambda w: w.desk.inbox("admin", places=5),
        cl.InvalidInput,
        "places must be one id or a list of ids (texts); got 5",
    ),
    "inbox, places holding a list": (
        lambda w: w.desk.inbox("admin", places=[["paris"]]),
        cl.InvalidInput,
        "each item of places must be an id: a non-empty text; got ['paris']",
    ),
    "counts, places a dict": (
        lambda w: w.desk.counts("admin", places={"paris": True}),
        cl.InvalidInput,
        "places must be one id or a list of ids",
    ),
    # the inbox's other arguments
    "inbox, folder a list": (
        lambda w: w.desk.inbox("admin", folder=["inbox"]),
        cl.InvalidInput,
        "folder must be one of inbox, done, spam; got ['inbox']",
    ),
    "inbox, unknown category": (
        lambda w: w.desk.inbox("admin", category="urgent"),
        cl.InvalidInput,
        "category must be one of on_hold, alert, new_message; got 'urgent'",
    ),
    "inbox, limit a text": (
        lambda w: w.desk.inbox("admin", limit="x"),
        cl.InvalidInput,
        "limit must be a whole number",
    ),
    "inbox, limit huge": (lambda w: w.desk.inbox("admin", limit=HUGE), cl.InvalidInput, "limit must be a whole number"),
    "inbox, after a number": (lambda w: w.desk.inbox("admin", after=5), cl.InvalidInput, "is not an inbox cursor"),
    # the outbox
    "outbox, unknown status": (
        lambda w: w.desk.outbox(status="bogus"),
        cl.InvalidInput,
        "status must be one of pending, sending, sent, failed, cancelled; got 'bogus'",
    ),
    "outbox, conversation id a list": (
        lambda w: w.desk.outbox(conversation_id=[w.conversation_id]),
        cl.InvalidInput,
        "conversation_id must be an id",
    ),
    "outbox, conversation id huge": (
        lambda w: w.desk.outbox(conversation_id=HUGE),
        cl.InvalidInput,
        "conversation_id must be an id",
    ),
    "dispatch, limit a text": (
        lambda w: w.desk.dispatch(limit="x"),
        cl.InvalidInput,
        "limit must be a whole number from 1 to 100000, or None for every message due",
    ),
    "dispatch, limit negative": (lambda w: w.desk.dispatch(limit=-1), cl.InvalidInput, "got -1"),
    "dispatch, limit zero": (lambda w: w.desk.dispatch(limit=0), cl.InvalidInput, "got 0"),
    "dispatch, limit a bool": (lambda w: w.desk.dispatch(limit=True), cl.InvalidInput, "got True"),
    "dispatch, limit huge": (lambda w: w.desk.dispatch(limit=HUGE), cl.InvalidInput, "limit must be a whole number"),
    "work, poll a text": (
        lambda w: w.desk.work(threading.Event(), poll_seconds="60"),
        cl.InvalidInput,
        "poll_seconds must be a number of seconds from 0 to 86400; got '60'",
    ),
    "work, poll NaN": (
        lambda w: w.desk.work(threading.Event(), poll_seconds=math.nan),
        cl.InvalidInput,
        "poll_seconds must be a number of seconds",
    ),
    "work, poll negative": (
        lambda w: w.desk.work(threading.Event(), poll_seconds=-1),
        cl.InvalidInput,
        "poll_seconds must be a number of seconds",
    ),
    "work, no stop event": (lambda w: w.desk.work(None), cl.InvalidInput, "stop must be a threading.Event"),
    "work, progress not a function": (
        lambda w: w.desk.work(threading.Event(), progress=5),
        cl.InvalidInput,
        "progress must be a function taking one argument, or None; got 5",
    ),
    # actions
    "log_call, duration a text": (
        lambda w: w.desk.log_call(w.conversation_id, by="admin", summary="Called.", duration_seconds="60"),
        cl.InvalidInput,
        "duration_seconds must be a whole number from 0 to 86400, or None",
    ),
    "log_call, duration a float": (
        lambda w: w.desk.log_call(w.conversation_id, by="admin", summary="Called.", duration_seconds=1.5),
        cl.InvalidInput,
        "duration_seconds must be a whole number",
    ),
    "log_call, duration huge": (
        lambda w: w.desk.log_call(w.conversation_id, by="admin", summary="Called.", duration_seconds=HUGE),
        cl.InvalidInput,
        "duration_seconds must be a whole number",
    ),
    "log_call, outcome None": (
        lambda w: w.desk.log_call(w.conversation_id, by="admin", summary="Called.", outcome=None),
        cl.InvalidInput,
        "outcome must be text; got NoneType None",
    ),
    "note, body None": (
        lambda w: w.desk.note(w.conversation_id, by="admin", body=None),
        cl.InvalidInput,
        "body must be text; got NoneType None",
    ),
    "note, alert status a number": (
        lambda w: w.desk.note(w.conversation_id, by="admin", body="x", alert_status=5),
        cl.InvalidInput,
        "alert_status must be one of to_process, in_progress, processed; got 5",
    ),
    "forward, note None": (
        lambda w: w.desk.forward(w.conversation_id, by="admin", to="manager", note=None),
        cl.InvalidInput,
        "note must be text; got NoneType None",
    ),
    "delegate, note None": (
        lambda w: w.desk.delegate(w.conversation_id, by="admin", note=None),
        cl.InvalidInput,
        "note must be text; got NoneType None",
    ),
    "share, note None": (
        lambda w: w.desk.share(w.conversation_id, by="admin", to=["friend@example.com"], note=None),
        cl.InvalidInput,
        "note must be text; got NoneType None",
    ),
    "share, to a number": (
        lambda w: w.desk.share(w.conversation_id, by="admin", to=5),
        cl.InvalidInput,
        "to must be an email address, or a list of them; got 5",
    ),
    "share, to a dict": (
        lambda w: w.desk.share(w.conversation_id, by="admin", to={"friend@example.com": 1}),
        cl.InvalidInput,
        "to must be an email address, or a list of them",
    ),
    "share, to holding a number": (
        lambda w: w.desk.share(w.conversation_id, by="admin", to=["friend@example.com", 5]),
        cl.InvalidInput,
        "each item of to must be text; got int 5",
    ),
    "reply, channel a number": (
        lambda w: w.desk.reply(w.conversation_id, by="admin", body="x", channel=5),
        cl.InvalidInput,
        "channel must be one of email, review; got 5",
    ),
    "reply, body None": (
        lambda w: w.desk.reply(w.conversation_id, by="admin", body=None),
        cl.InvalidInput,
        "body must be text; got NoneType None",
    ),
    # AI drafts
    "rephrase, text None": (
        lambda w: w.desk.rephrase(None, tone="formal"),
        cl.InvalidInput,
        "the text to rephrase must be text; got NoneType None",
    ),
    "rephrase, tone a number": (lambda w: w.desk.rephrase("Hello", tone=5), cl.InvalidInput, "tone must be text"),
    "suggest_reply, assistant a number": (
        lambda w: w.desk.suggest_reply(w.conversation_id, by="admin", assistant=5),
        cl.InvalidInput,
        "assistant must be text; got int 5",
    ),
    # intake and sync
    "ingest, a dict": (
        lambda w: w.desk.ingest({"source": "survey"}),
        cl.InvalidInput,
        "desk.ingest takes a closedloop.Feedback; got {'source': 'survey'}; a dict describing one goes to "
        "desk.ingest_many([item])",
    ),
    "ingest_many, None": (
        lambda w: w.desk.ingest_many(None),
        cl.InvalidInput,
        "items must be a list (or any iterable) of Feedback objects or dicts describing one; got None",
    ),
    "ingest_many, a number": (lambda w: w.desk.ingest_many(5), cl.InvalidInput, "items must be a list"),
    "ingest_many, a text": (lambda w: w.desk.ingest_many("fb-2"), cl.InvalidInput, "got 'fb-2'"),
    "ingest_many, one dict": (
        lambda w: w.desk.ingest_many({"source": "survey", "external_id": "fb-2"}),
        cl.InvalidInput,
        "a dict is one item: wrap it, [item]",
    ),
    "ingest_many, batch size a text": (
        lambda w: w.desk.ingest_many([], batch_size="10"),
        cl.InvalidInput,
        "batch_size must be a whole number from 1 to 50000; got '10'",
    ),
    "ingest_many, progress not a function": (
        lambda w: w.desk.ingest_many([], progress="print"),
        cl.InvalidInput,
        "progress must be a function",
    ),
    "sync, platform None": (lambda w: w.desk.sync(None), cl.InvalidInput, "platform must be text; got NoneType None"),
    "sync, full a text": (
        lambda w: w.desk.sync("google", full="yes"),
        cl.InvalidInput,
        "full must be True or False; got 'yes'",
    ),
    # the customer's side
    "customer_view, token a number": (
        lambda w: w.desk.customer_view(5),
        cl.InvalidInput,
        "token (the last part of the reply link) must be text; got int 5",
    ),
    "customer_reply, token a list": (
        lambda w: w.desk.customer_reply([w.token], body="Thanks"),
        cl.InvalidInput,
        "token (the last part of the reply link) must be text",
    ),
    "customer_reply, body None": (
        lambda w: w.desk.customer_reply(w.token, body=None),
        cl.InvalidInput,
        "body must be text; got NoneType None",
    ),
    # ready-made replies
    "common reply, add None": (
        lambda w: w.desk.common_replies("admin").add(None),
        cl.InvalidInput,
        "the common reply must be text; got NoneType None",
    ),
    "common reply, remove a number": (
        lambda w: w.desk.common_replies("admin").remove(5),
        cl.InvalidInput,
        "the common reply must be text",
    ),
    "common reply, pick a list": (
        lambda w: w.desk.common_replies("admin").pick([0]),
        cl.InvalidInput,
        "choice must be a position (0 is the newest) or the text of a reply; got [0]",
    ),
    "common reply, pick far out": (
        lambda w: w.desk.common_replies("admin").pick(HUGE),
        cl.NotFound,
        "there is no common reply at position 1000",
    ),
    "template, get a list": (
        lambda w: w.desk.templates("admin").get(["t-org"]),
        cl.InvalidInput,
        "template_id must be an id: a non-empty text; got ['t-org']",
    ),
    "template, remove huge": (
        lambda w: w.desk.templates("admin").remove(HUGE),
        cl.InvalidInput,
        "template_id must be an id",
    ),
    "template, render a list": (
        lambda w: w.desk.templates("admin").render(["t-org"], w.conversation_id),
        cl.InvalidInput,
        "template_id must be an id",
    ),
    "template, render for a conversation id list": (
        lambda w: w.desk.templates("admin").render("t-org", [w.conversation_id]),
        cl.InvalidInput,
        "conversation_id must be an id",
    ),
    "template, add None": (
        lambda w: w.desk.templates("admin").add(None),
        cl.InvalidInput,
        "templates(...).add takes a closedloop.Template; got None",
    ),
    # the directory
    "add_place, None": (lambda w: w.desk.add_place(None), cl.InvalidInput, "desk.add_place takes a closedloop.Place"),
    "add_group, a dict": (
        lambda w: w.desk.add_group({"id": "south"}),
        cl.InvalidInput,
        "desk.add_group takes a closedloop.PlaceGroup",
    ),
    "add_user, an id": (
        lambda w: w.desk.add_user("newcomer"),
        cl.InvalidInput,
        "desk.add_user takes a closedloop.User",
    ),
    "add_place, replace a text": (
        lambda w: w.desk.add_place(cl.Place(id="nice", name="Nice"), replace="yes"),
        cl.InvalidInput,
        "replace must be True or False; got 'yes'",
    ),
    # well-formed ids that are not there
    "note, unknown conversation": (
        lambda w: w.desk.note("c-missing", by="admin", body="x"),
        cl.NotFound,
        "'c-missing'",
    ),
    "conversation, unknown user": (
        lambda w: w.desk.conversation(w.conversation_id, by="nobody"),
        cl.NotFound,
        "user 'nobody' is not on this desk",
    ),
    "retry, unknown message": (lambda w: w.desk.retry("m-missing", by="admin"), cl.NotFound, "'m-missing'"),
    "template, unknown": (lambda w: w.desk.templates("admin").get("t-missing"), cl.NotFound, "'t-missing'"),
}


@pytest.mark.parametrize("case", WRONG_ARGUMENTS, ids=str)
def test_a_wrong_argument_is_refused_with_what_to_give_and_changes_nothing(world, case):
    call, error, says = WRONG_ARGUMENTS[case]

    refused(world, error, says, lambda: call(world))


def test_a_lone_surrogate_in_an_id_or_a_text_is_refused_before_any_store_sees_it(world):
    refused(world, cl.InvalidInput, "lone surrogate", lambda: world.desk.conversation("c-\ud800", by="admin"))
    refused(world, cl.InvalidInput, "lone surrogate", lambda: world.desk.outbox(conversation_id="\udc80"))
    refused(world, cl.InvalidInput, "lone surrogate", lambda: world.desk.customer_view("tok\ud800"))
    refused(
        world,
        cl.InvalidInput,
        "lone surrogate",
        lambda: world.desk.note(world.conversation_id, by="admin", body="fine \ud800"),
    )


def test_a_review_source_that_gives_anything_but_pages_of_reviews_is_refused_naming_it(world):
    review = cl.PlatformReview(
        feedback=cl.Feedback(
            source=cl.Source.REVIEW,
            platform="google",
            external_id="r-1",
            place_id="paris",
            received_at=RECEIVED,
            contact=cl.Contact(name="Marc D."),
            ratings=[cl.Rating(key="stars", kind=cl.RatingKind.STARS, value=2)],
        ),
        updated_at=RECEIVED,
    )
    world.source.pages = [[review, "r-2"]]
    refused(
        world,
        cl.InvalidInput,
        "page 1 of the 'google' review source takes a closedloop.PlatformReview; got 'r-2'; the connector plugin "
        "of this platform is at fault",
        lambda: world.desk.sync("google"),
    )
    world.source.pages = [None]
    refused(
        world, cl.InvalidInput, "page 1 of the 'google' review source must be a list", lambda: world.desk.sync("google")
    )
    world.source.pages = None
    refused(world, cl.InvalidInput, "what the 'google' review source gave must be", lambda: world.desk.sync("google"))


def test_an_id_holding_a_nul_is_refused_on_every_store_as_no_database_column_can_hold_one(world):
    says = "holds a NUL character (at position 1), which no id can hold"

    refused(world, cl.InvalidInput, f"conversation_id {says}", lambda: world.desk.conversation("c\x00", by="admin"))
    refused(world, cl.InvalidInput, f"user {says}", lambda: world.desk.inbox("a\x00dmin"))
    refused(world, cl.InvalidInput, f"template_id {says}", lambda: world.desk.templates("admin").get("t\x00"))


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ({"url": 5}, "url must be text; got int 5"),
        ({"url": ""}, "url must not be empty"),
        ({"store": object()}, "store must be an open closedloop store (with transaction() and close()); got <object"),
        ({"url": "memory://", "store": "memory://"}, "give Desk.open either a url or a store, not both"),
    ],
)
def test_desk_open_refuses_a_url_that_is_not_text_and_a_store_that_is_not_one(where, says):
    with pytest.raises(cl.InvalidInput, match=re.escape(says)):
        cl.Desk.open(**where, load_entry_points=False)


# -- what the checks let through -----------------------------------------------------------------------------------


def test_share_takes_one_address_as_well_as_a_list(world):
    one = world.desk.share(world.conversation_id, by="admin", to="friend@example.com")
    several = world.desk.share(world.conversation_id, by="admin", to=("friend@example.com", "boss@example.com"))

    assert one.history[-1].recipients == ("friend@example.com",)
    assert several.history[-1].recipients == ("friend@example.com", "boss@example.com")


def test_users_places_and_enum_members_are_taken_as_objects_or_values(world):
    admin = world.desk.user("admin")

    page = world.desk.inbox(admin, folder=cl.Folder.INBOX, places=("paris", "france"), limit=1)
    noted = world.desk.note(world.conversation_id, by=admin, body="On it.")

    assert [conversation.id for conversation in page.items] == [world.conversation_id]
    assert noted.history[-1].body == "On it."
    assert world.desk.outbox(status=cl.Delivery.PENDING, conversation_id=world.conversation_id)
    assert world.desk.dispatch(limit=None).sent == 1


# -- the directory ---------------------------------------------------------------------------------------------------


def test_a_user_of_places_or_groups_not_on_the_desk_is_refused_naming_them(world):
    refused(
        world,
        cl.InvalidInput,
        "user 'newcomer' names places that are not on this desk: 'marseille', 'nice'; add them first with "
        "desk.add_place",
        lambda: world.desk.add_user(cl.User(id="newcomer", name="Nina New", places={"paris", "nice", "marseille"})),
    )
    refused(
        world,
        cl.InvalidInput,
        "user 'newcomer' names groups that are not on this desk: 'south'; add them first with desk.add_group",
        lambda: world.desk.add_user(cl.User(id="newcomer", name="Nina New", groups={"france", "south"})),
    )
    refused(
        world,
        cl.InvalidInput,
        "group 'south' names places that are not on this desk: 'nice'; add them first with desk.add_place",
        lambda: world.desk.add_group(cl.PlaceGroup(id="south", name="South", place_ids={"lyon", "nice"})),
    )


@pytest.mark.parametrize(
    ("add", "changed", "read"),
    [
        ("add_place", cl.Place(id="paris", name="Paris Bastille"), lambda tx: tx.directory.places()["paris"]),
        (
            "add_group",
            cl.PlaceGroup(id="france", name="France", place_ids={"paris"}),
            lambda tx: tx.directory.groups()["france"],
        ),
        (
            "add_user",
            cl.User(id="agent", name="Alice Agent", places={"paris"}),
            lambda tx: tx.directory.get_user("agent"),
        ),
    ],
    ids=["place", "group", "user"],
)
def test_a_record_stored_under_an_id_is_changed_only_when_asked(world, add, changed, read):
    desk = world.desk
    with desk.store.transaction() as tx:
        stored = read(tx)

    refused(world, cl.AlreadyStored, "replace=True", lambda: getattr(desk, add)(changed))
    assert getattr(desk, add)(stored) == stored  # the same again: a setup script may run twice
    assert getattr(desk, add)(changed, replace=True) == changed

    with desk.store.transaction() as tx:
        assert read(tx) == changed


def test_the_refusal_of_a_changed_place_shows_what_is_stored_and_how_to_change_it(world):
    with pytest.raises(cl.AlreadyStored) as caught:
        world.desk.add_place(cl.Place(id="paris", name="Paris Bastille"))

    assert str(caught.value) == (
        "a place with id 'paris' is already on this desk, and differs: Place(id='paris', name='Paris Opera'); "
        "to change it, call desk.add_place(..., replace=True)"
    )


def test_adding_the_same_record_again_writes_nothing(world):
    before = contents(world)

    world.desk.add_place(cl.Place(id="paris", name="Paris Opera"))
    world.desk.add_group(cl.PlaceGroup(id="france", name="France", place_ids={"lyon", "paris"}))
    world.desk.add_user(cl.User(id="agent", name="Alice Agent", places={"lyon"}))

    assert contents(world) == before
