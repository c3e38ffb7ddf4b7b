"""The guards of docs/guide.md: each refusal is a clear ClosedLoopError, and a refused action changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import closedloop as cl
from closedloop.testing import RecordingChannel

GOOGLE_BUSINESS = cl.ChannelLimits(max_bytes=4096)
GOOGLE_PLAY = cl.ChannelLimits(max_chars=350)


# -- email replies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["", "not-an-email", "claire@", "claire@@example.com", "@example.com"])
def test_email_reply_needs_a_valid_email_address(seeded_desk, make_feedback, refused, email):
    conversation = seeded_desk.ingest(make_feedback(contact=cl.Contact(name="Claire Martin", email=email)))

    caught = refused(
        seeded_desk,
        conversation.id,
        cl.InvalidInput,
        lambda: seeded_desk.reply(conversation.id, by="admin", body="Sorry about that."),
    )
    assert "email" in str(caught.value)


def test_intake_keeps_malformed_contact_details_as_given(seeded_desk, make_feedback):
    contact = cl.Contact(name="  Claire  ", email="claire at example dot com", tel="12")

    conversation = seeded_desk.ingest(make_feedback(contact=contact))

    assert conversation.status is cl.Status.NEW
    assert conversation.feedback.contact == contact
    noted = seeded_desk.note(conversation.id, by="admin", body="No way to reach her.")
    assert noted.status is cl.Status.PENDING_ACTION


def test_email_reply_goes_to_the_normalized_address(seeded_desk, make_feedback):
    conversation = seeded_desk.ingest(make_feedback())

    seeded_desk.reply(conversation.id, by="admin", body="Sorry about that.")

    (message,) = seeded_desk.outbox()
    assert (message.channel, message.kind, message.recipients) == (
        "email",
        cl.MessageKind.CUSTOMER_REPLY,
        ("claire@example.com",),
    )
    assert message.reply_link


@pytest.mark.parametrize("source", [cl.Source.REVIEW, cl.Source.SOCIAL])
def test_email_reply_is_refused_for_public_feedback(seeded_desk, make_feedback, refused, source):
    # even with an email address at hand: a public review is answered in public
    public = make_feedback(source=source, platform="google")

    conversation = seeded_desk.ingest(public)

    caught = refused(
        seeded_desk,
        conversation.id,
        cl.ChannelUnavailable,
        lambda: seeded_desk.reply(conversation.id, by="admin", body="Sorry about that."),
    )
    assert "review" in str(caught.value)


# -- review replies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [cl.Source.SURVEY, cl.Source.RATING])
def test_review_reply_is_only_for_reviews_and_social_posts(seeded_desk, make_feedback, refused, source):
    conversation = seeded_desk.ingest(make_feedback(source=source))

    refused(
        seeded_desk,
        conversation.id,
        cl.ChannelUnavailable,
        lambda: seeded_desk.reply(conversation.id, by="admin", body="Thanks!", channel="review"),
    )


@pytest.mark.parametrize("source", [cl.Source.REVIEW, cl.Source.SOCIAL])
def test_review_reply_goes_through_the_platforms_channel(
    seeded_desk, make_review, google_channel, email_channel, source
):
    conversation = seeded_desk.ingest(make_review(source=source))

    seeded_desk.reply(conversation.id, by="manager", body="Thank you, Marc!", channel="review")
    report = seeded_desk.dispatch()

    assert report.sent == 1
    (sent,) = google_channel.sent
    assert (sent.conversation_id, sent.kind, sent.body) == (
        conversation.id,
        cl.MessageKind.REVIEW_REPLY,
        "Thank you, Marc!",
    )
    assert sent.external_id == conversation.feedback.external_id
    assert email_channel.sent == []


def test_review_reply_without_a_channel_for_its_platform_is_refused(seeded_desk, make_review, refused):
    conversation = seeded_desk.ingest(make_review(platform="trustpilot"))

    caught = refused(
        seeded_desk,
        conversation.id,
        cl.ChannelUnavailable,
        lambda: seeded_desk.reply(conversation.id, by="admin", body="Thanks!", channel="review"),
    )
    assert "trustpilot" in str(caught.value)


def test_review_reply_through_a_channel_that_cannot_carry_it_is_refused(open_desk, make_review, refused):
    # ChannelUnavailable: "no channel can carry this message: none is registered, or it cannot express what
    # was asked" -- a google channel that only sends hand-offs cannot carry a review reply.
    desk = open_desk(RecordingChannel(name="google", kinds=[cl.MessageKind.HANDOFF]))
    conversation = desk.ingest(make_review())

    refused(
        desk,
        conversation.id,
        cl.ChannelUnavailable,
        lambda: desk.reply(conversation.id, by="admin", body="Thanks!", channel="review"),
    )


def test_review_reply_is_signed_by_the_place_not_the_user(seeded_desk, make_review):
    conversation = seeded_desk.ingest(make_review())

    after = seeded_desk.reply(conversation.id, by="manager", body="Thank you!", channel="review")

    (entry,) = [e for e in after.history if e.kind is cl.InteractionKind.REVIEW_REPLY]
    assert (entry.author.kind, entry.author.id, entry.author.name) == (cl.ActorKind.PLACE, "paris", "Paris Opera")
    assert entry.details["sent_by"] == "manager"
    assert seeded_desk.outbox()[0].sender_name == "Paris Opera"


def test_unknown_reply_channel_is_refused(seeded_desk, make_feedback, refused):
    conversation = seeded_desk.ingest(make_feedback())

    refused(
        seeded_desk,
        conversation.id,
        cl.InvalidInput,
        lambda: seeded_desk.reply(conversation.id, by="admin", body="Hi", channel="carrier-pigeon"),
    )


@pytest.mark.parametrize("body", ["", "   \n"])
def test_empty_reply_is_refused(seeded_desk, make_feedback, refused, body):
    conversation = seeded_desk.ingest(make_feedback())

    refused(
        seeded_desk, conversation.id, cl.InvalidInput, lambda: seeded_desk.reply(conversation.id, by="admin", body=body)
    )


# -- call logs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tel", ["+33 6 12 34 56 78", "+33612345678", "+33 (0)6 12 34 56 78"])
def test_call_log_with_a_valid_international_number(seeded_desk, make_feedback, tel):
    conversation = seeded_desk.ingest(make_feedback(contact=cl.Contact(name="Claire", tel=tel)))

    after = seeded_desk.log_call(conversation.id, by="admin", summary="Apologised.", outcome="reached")

    call = after.history[-2]
    assert call.kind is cl.InteractionKind.CALL_LOG
    assert call.details["tel"] == "+33612345678"
    assert call.details["outcome"] == "reached"


@pytest.mark.parametrize("tel", ["", "12", "not a number", "06 12 34 56 78", "+33 1 23"])
def test_call_log_needs_a_valid_phone_number(seeded_desk, make_feedback, refused, tel):
    conversation = seeded_desk.ingest(make_feedback(contact=cl.Contact(name="Claire", tel=tel)))

    caught = refused(
        seeded_desk,
        conversation.id,
        cl.InvalidInput,
        lambda: seeded_desk.log_call(conversation.id, by="admin", summary="Tried to call."),
    )
    assert "tel" in str(caught.value)


def test_national_numbers_pass_with_a_default_region(open_desk, make_feedback):
    desk = open_desk(default_region="FR")
    conversation = desk.ingest(make_feedback(contact=cl.Contact(name="Claire", tel="06 12 34 56 78")))

    after = desk.log_call(conversation.id, by="admin", summary="Apologised.")

    assert after.history[-2].details["tel"] == "+33612345678"


def test_call_log_duration_cannot_be_negative(seeded_desk, make_feedback, refused):
    conversation = seeded_desk.ingest(make_feedback())

    refused(
        seeded_desk,
        conversation.id,
        cl.InvalidInput,
        lambda: seeded_desk.log_call(conversation.id, by="admin", summary="Called.", duration_seconds=-1),
    )


# -- channel limits ------------------------------------------------------------------------------------------


@pytest.fixture
def limited_desk(open_desk) -> Callable[[cl.ChannelLimits], cl.Desk]:
    def open_(limits: cl.ChannelLimits) -> cl.Desk:
        return open_desk(RecordingChannel(name="google", kinds=[cl.MessageKind.REVIEW_REPLY], limits=limits))

    return open_


@pytest.mark.parametrize(
    ("limits", "body"),
    [
        (GOOGLE_BUSINESS, "a" * 4096),
        (GOOGLE_BUSINESS, "é" * 2048),  # 4096 bytes of UTF-8
        (GOOGLE_PLAY, "a" * 350),
        (GOOGLE_PLAY, "é" * 350),  # characters, not bytes
    ],
)
def test_review_reply_within_the_channels_limits_is_queued(limited_desk, make_review, limits, body):
    desk = limited_desk(limits)
    conversation = desk.ingest(make_review())

    desk.reply(conversation.id, by="admin", body=body, channel="review")

    assert [message.body for message in desk.outbox()] == [body]


@pytest.mark.parametrize(
    ("limits", "body", "said"),
    [
        (GOOGLE_BUSINESS, "a" * 4097, "4096 bytes"),
        (GOOGLE_BUSINESS, "é" * 2049, "4096 bytes"),  # 2049 characters but 4098 bytes
        (GOOGLE_PLAY, "a" * 351, "350 characters"),
    ],
)
def test_review_reply_over_the_channels_limits_is_refused(limited_desk, make_review, refused, limits, body, said):
    desk = limited_desk(limits)
    conversation = desk.ingest(make_review())

    caught = refused(
        desk,
        conversation.id,
        cl.InvalidInput,
        lambda: desk.reply(conversation.id, by="admin", body=body, channel="review"),
    )
    assert said in str(caught.value)


def test_email_reply_obeys_the_email_channels_limits(clock, make_feedback, refused):
    small_email = RecordingChannel(name="email", limits=cl.ChannelLimits(max_chars=20))
    with cl.Desk.open(clock=clock, plugins=[small_email]) as desk:
        desk.add_place(cl.Place(id="paris", name="Paris Opera"))
        desk.add_user(cl.User(id="admin", name="Ada Admin", role=cl.Role.ADMIN))
        conversation = desk.ingest(make_feedback())

        refused(
            desk,
            conversation.id,
            cl.InvalidInput,
            lambda: desk.reply(conversation.id, by="admin", body="This reply is far too long."),
        )
        assert desk.reply(conversation.id, by="admin", body="Short reply.").status is cl.Status.AWAITING_CUSTOMER


# -- who may act where ---------------------------------------------------------------------------------------

ACTIONS: dict[str, Callable[[cl.Desk, str], object]] = {
    "read": lambda desk, cid: desk.conversation(cid, by="agent"),
    "customer file": lambda desk, cid: desk.customer_file(cid, by="agent"),
    "export file": lambda desk, cid: desk.export_file(cid, by="agent"),
    "email reply": lambda desk, cid: desk.reply(cid, by="agent", body="Sorry."),
    "note": lambda desk, cid: desk.note(cid, by="agent", body="Hmm."),
    "call log": lambda desk, cid: desk.log_call(cid, by="agent", summary="Called."),
    "hold": lambda desk, cid: desk.hold(cid, by="agent"),
    "release": lambda desk, cid: desk.release(cid, by="agent"),
    "forward": lambda desk, cid: desk.forward(cid, by="agent", to="admin"),
    "delegate": lambda desk, cid: desk.delegate(cid, by="agent"),
    "share": lambda desk, cid: desk.share(cid, by="agent", to=["boss@example.com"]),
    "mark read": lambda desk, cid: desk.mark_read(cid, by="agent"),
    "mark done": lambda desk, cid: desk.mark_done(cid, by="agent"),
    "mark spam": lambda desk, cid: desk.mark_spam(cid, by="agent"),
    "reopen": lambda desk, cid: desk.reopen(cid, by="agent"),
    "suggest reply": lambda desk, cid: desk.suggest_reply(cid, by="agent"),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_user_may_not_act_on_a_place_they_cannot_see(seeded_desk, make_feedback, refused, action):
    conversation = seeded_desk.ingest(make_feedback(place_id="paris"))

    caught = refused(
        seeded_desk, conversation.id, cl.AccessDenied, lambda: ACTIONS[action](seeded_desk, conversation.id)
    )
    assert "paris" in str(caught.value)


@pytest.mark.parametrize("action", ["read", "customer file", "export file", "note", "hold", "mark done", "share"])
def test_the_same_user_may_act_on_a_place_they_see(seeded_desk, make_feedback, action):
    conversation = seeded_desk.ingest(make_feedback(place_id="lyon"))

    ACTIONS[action](seeded_desk, conversation.id)


def test_templates_cannot_be_rendered_for_a_place_the_user_cannot_see(seeded_desk, make_feedback):
    conversation = seeded_desk.ingest(make_feedback(place_id="paris"))
    seeded_desk.templates("admin").add(cl.Template(id="hello", name="Hello", body="Hello {first_name}"))

    with pytest.raises(cl.AccessDenied):
        seeded_desk.templates("agent").render("hello", conversation.id)


def test_forwarding_to_a_colleague_who_cannot_see_the_place_is_refused(seeded_desk, make_feedback, refused):
    conversation = seeded_desk.ingest(make_feedback(place_id="paris"))

    refused(
        seeded_desk,
        conversation.id,
        cl.AccessDenied,
        lambda: seeded_desk.forward(conversation.id, by="manager", to="agent"),
    )


@pytest.mark.parametrize("places", ["paris", ["paris"], ["lyon", "paris"]])
def test_listing_a_place_the_user_cannot_see_is_refused(seeded_desk, make_feedback, places):
    seeded_desk.ingest(make_feedback(place_id="paris"))

    with pytest.raises(cl.AccessDenied):
        seeded_desk.inbox("agent", places=places)
    with pytest.raises(cl.AccessDenied):
        seeded_desk.counts("agent", places=places)


def test_listing_shows_only_the_places_the_user_may_see(seeded_desk, make_feedback):
    in_paris = seeded_desk.ingest(make_feedback(place_id="paris"))
    in_lyon = seeded_desk.ingest(make_feedback(place_id="lyon"))

    assert [c.id for c in seeded_desk.inbox("agent")] == [in_lyon.id]
    assert [c.id for c in seeded_desk.inbox("agent", places="france")] == [in_lyon.id]
    assert seeded_desk.counts("agent").inbox == 1
    assert {c.id for c in seeded_desk.inbox("manager")} == {in_paris.id, in_lyon.id}


def test_an_unknown_user_is_not_found(seeded_desk, make_feedback):
    conversation = seeded_desk.ingest(make_feedback())

    with pytest.raises(cl.NotFound):
        seeded_desk.note(conversation.id, by="nobody", body="Hello")
    with pytest.raises(cl.NotFound):
        seeded_desk.inbox("nobody")


# -- intake --------------------------------------------------------------------------------------------------


def test_feedback_for_an_unknown_place_is_refused(seeded_desk, make_feedback):
    with pytest.raises(cl.InvalidInput, match="marseille"):
        seeded_desk.ingest(make_feedback(place_id="marseille"))

    assert seeded_desk.counts("admin").folders == {folder: 0 for folder in cl.Folder}


def test_intake_is_idempotent(seeded_desk, make_feedback):
    feedback = make_feedback()
    first = seeded_desk.ingest(feedback)
    seeded_desk.note(first.id, by="admin", body="Seen.")

    again = seeded_desk.ingest(feedback)

    assert again == seeded_desk.conversation(first.id, by="admin")
    assert seeded_desk.counts("admin").inbox == 1
