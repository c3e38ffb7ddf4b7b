"""The status table of docs/guide.md, row by row: first through the pure rules, then through the Desk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import attrs
import pytest

import closedloop as cl
from closedloop.contacts import ContactChecker
from closedloop.domain import rules

S = cl.Status
K = cl.InteractionKind

USER = cl.User(id="uma", name="Uma User", role=cl.Role.ADMIN, email="uma@example.com")
COLLEAGUE = cl.User(id="carl", name="Carl Colleague", email="carl@example.com")
PLACE = cl.Place(id="paris", name="Paris Opera")
NOW = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
CHECKS = ContactChecker()
HANDOFF = rules.Handoff(by=USER, now=NOW, note="", message_id="h-1", file_link=None, place=PLACE, checks=CHECKS)

REPLYABLE = [S.NEW, S.PENDING_ACTION, S.UNREAD_CUSTOMER_REPLY, S.AWAITING_CUSTOMER]
CLOSED = [S.DONE, S.SPAM]


def but(*excluded: cl.Status) -> list[cl.Status]:
    return [status for status in cl.Status if status not in excluded]


def moves(before: cl.Conversation, after: cl.Conversation) -> list[tuple[object, ...]]:
    """The status changes appended between two versions: (from, to, who, when)."""
    added = after.history[len(before.history) :]
    return [(e.from_status, e.to_status, e.author.id, e.at) for e in added if e.kind is K.STATUS_CHANGE]


def added_kinds(before: cl.Conversation, after: cl.Conversation) -> list[cl.InteractionKind]:
    return [entry.kind for entry in after.history[len(before.history) :]]


def open_alert(status: cl.AlertStatus = cl.AlertStatus.TO_PROCESS) -> cl.Alert:
    return cl.Alert(raised_at=NOW, reasons=("nps detractor: nps is 2, at or below 6",), status=status)


def outgoing(channel: str) -> rules.Outgoing:
    return rules.Outgoing(
        message_id="m-1",
        channel=channel,
        limits=cl.ChannelLimits(),
        place=PLACE,
        business_name="Test Business",
        reply_link="http://localhost:8000/reply/token",
    )


# -- pure rules ----------------------------------------------------------------------------------------------

AGENT_ACTIONS: dict[str, tuple[cl.InteractionKind, Callable[[cl.Conversation], rules.Change]]] = {
    "note": (K.NOTE, lambda c: rules.add_note(c, by=USER, now=NOW, body="Spoke to the chef.", alert_status=None)),
    "call log": (
        K.CALL_LOG,
        lambda c: rules.log_call(c, by=USER, now=NOW, summary="Apologised.", checks=CHECKS, alert_status=None),
    ),
    "hold": (K.HOLD, lambda c: rules.hold(c, by=USER, now=NOW)),
    "forward": (K.FORWARD, lambda c: rules.forward(c, HANDOFF, to=COLLEAGUE)),
    "delegate": (K.DELEGATION, lambda c: rules.delegate(c, HANDOFF, address="care@example.com")),
    "share": (K.SHARE, lambda c: rules.share(c, HANDOFF, to=["boss@example.com"])),
}


def reply(channel: str, conversation: cl.Conversation) -> rules.Change:
    if channel == "email":
        return rules.reply_by_email(
            conversation, by=USER, now=NOW, body="Sorry.", checks=CHECKS, outgoing=outgoing("email")
        )
    return rules.reply_to_review(conversation, by=USER, now=NOW, body="Sorry.", outgoing=outgoing("google"))


FEEDBACK_FOR = {"email": {}, "review": {"source": cl.Source.REVIEW, "platform": "google"}}


def test_ingest_opens_a_new_conversation_recorded_by_closedloop(make_feedback):
    feedback = make_feedback()
    conversation = rules.open_conversation("c-9", feedback, now=NOW, alert=None)

    assert conversation.status is S.NEW
    assert (conversation.created_at, conversation.last_updated_at, conversation.last_updated_by) == (
        NOW,
        NOW,
        "closedloop",
    )
    assert [(e.kind, e.from_status, e.to_status, e.at) for e in conversation.history] == [
        (K.STATUS_CHANGE, None, S.NEW, NOW)
    ]


@pytest.mark.parametrize("action", AGENT_ACTIONS)
def test_agent_action_takes_a_new_conversation_in_hand(make_conversation, action):
    kind, act = AGENT_ACTIONS[action]
    before = make_conversation(S.NEW)

    after = act(before).conversation

    assert after.status is S.PENDING_ACTION
    assert added_kinds(before, after) == [kind, K.STATUS_CHANGE]
    assert moves(before, after) == [(S.NEW, S.PENDING_ACTION, USER.id, NOW)]
    assert (after.last_updated_by, after.last_updated_at) == (USER.id, NOW)


@pytest.mark.parametrize("status", but(S.NEW))
@pytest.mark.parametrize("action", AGENT_ACTIONS)
def test_agent_action_leaves_any_other_status_unchanged(make_conversation, action, status):
    kind, act = AGENT_ACTIONS[action]
    before = make_conversation(status)

    after = act(before).conversation

    assert after.status is status
    assert added_kinds(before, after) == [kind]
    assert (after.last_updated_by, after.last_updated_at) == (USER.id, NOW)


@pytest.mark.parametrize("status", REPLYABLE)
@pytest.mark.parametrize("channel", ["email", "review"])
def test_reply_awaits_the_customer(make_conversation, channel, status):
    before = make_conversation(status, **FEEDBACK_FOR[channel])

    change = reply(channel, before)

    assert change.conversation.status is S.AWAITING_CUSTOMER
    expected = [] if status is S.AWAITING_CUSTOMER else [(status, S.AWAITING_CUSTOMER, USER.id, NOW)]
    assert moves(before, change.conversation) == expected
    assert [message.id for message in change.messages] == ["m-1"]
    assert change.conversation.last_updated_at == NOW


@pytest.mark.parametrize("status", CLOSED)
@pytest.mark.parametrize("channel", ["email", "review"])
def test_reply_is_refused_when_done_or_spam(make_conversation, channel, status):
    conversation = make_conversation(status, **FEEDBACK_FOR[channel])

    with pytest.raises(cl.InvalidTransition, match="reopen"):
        reply(channel, conversation)


@pytest.mark.parametrize("status", but(S.SPAM))
def test_customer_message_makes_an_unread_reply_even_out_of_done(make_conversation, status):
    before = make_conversation(status)

    after = rules.customer_message(before, now=NOW, body="Thank you!").conversation

    assert after.status is S.UNREAD_CUSTOMER_REPLY
    assert after.folder is cl.Folder.INBOX
    message = after.history[len(before.history)]
    assert (message.kind, message.author.kind, message.body) == (
        K.CUSTOMER_MESSAGE,
        cl.ActorKind.CUSTOMER,
        "Thank you!",
    )
    expected = [] if status is S.UNREAD_CUSTOMER_REPLY else [(status, S.UNREAD_CUSTOMER_REPLY, "customer", NOW)]
    assert moves(before, after) == expected


def test_customer_message_on_spam_is_recorded_but_stays_spam(make_conversation):
    before = make_conversation(S.SPAM)

    after = rules.customer_message(before, now=NOW, body="Win a prize!").conversation

    assert after.status is S.SPAM
    assert after.folder is cl.Folder.SPAM
    assert added_kinds(before, after) == [K.CUSTOMER_MESSAGE]
    assert after.history[-1].body == "Win a prize!"


def test_mark_read_takes_an_unread_reply_in_hand(make_conversation):
    before = make_conversation(S.UNREAD_CUSTOMER_REPLY)

    after = rules.mark_read(before, by=USER, now=NOW).conversation

    assert after.status is S.PENDING_ACTION
    assert moves(before, after) == [(S.UNREAD_CUSTOMER_REPLY, S.PENDING_ACTION, USER.id, NOW)]
    assert (after.last_updated_by, after.last_updated_at) == (USER.id, NOW)


@pytest.mark.parametrize("status", but(S.UNREAD_CUSTOMER_REPLY))
def test_mark_read_of_anything_else_changes_and_records_nothing(make_conversation, status):
    before = make_conversation(status)

    change = rules.mark_read(before, by=USER, now=NOW)

    assert change.conversation == before
    assert change.messages == ()


@pytest.mark.parametrize("status", but(S.DONE))
def test_mark_done_closes_and_processes_the_open_alert(make_conversation, status):
    before = make_conversation(status, alert=open_alert())

    after = rules.mark_done(before, by=USER, now=NOW).conversation

    assert after.status is S.DONE
    assert after.folder is cl.Folder.DONE
    assert after.alert is not None
    assert after.alert.status is cl.AlertStatus.PROCESSED
    assert moves(before, after) == [(status, S.DONE, USER.id, NOW)]


@pytest.mark.parametrize("alert_status", list(cl.AlertStatus))
def test_mark_done_leaves_every_alert_processed(make_conversation, alert_status):
    before = make_conversation(S.PENDING_ACTION, alert=open_alert(alert_status))

    after = rules.mark_done(before, by=USER, now=NOW).conversation

    assert after.alert is not None
    assert after.alert.status is cl.AlertStatus.PROCESSED
    assert after.alert.reasons == before.alert.reasons


def test_mark_done_without_alert_raises_none(make_conversation):
    after = rules.mark_done(make_conversation(S.NEW), by=USER, now=NOW).conversation

    assert after.alert is None


def test_mark_done_is_refused_when_already_done(make_conversation):
    with pytest.raises(cl.InvalidTransition, match="already done"):
        rules.mark_done(make_conversation(S.DONE), by=USER, now=NOW)


@pytest.mark.parametrize("status", but(S.SPAM))
def test_mark_spam_moves_any_status_but_spam(make_conversation, status):
    before = make_conversation(status)

    after = rules.mark_spam(before, by=USER, now=NOW).conversation

    assert after.status is S.SPAM
    assert after.folder is cl.Folder.SPAM
    assert moves(before, after) == [(status, S.SPAM, USER.id, NOW)]


def test_mark_spam_is_refused_when_already_spam(make_conversation):
    with pytest.raises(cl.InvalidTransition, match="spam"):
        rules.mark_spam(make_conversation(S.SPAM), by=USER, now=NOW)


@pytest.mark.parametrize("status", CLOSED)
def test_reopen_takes_done_or_spam_back_in_hand(make_conversation, status):
    before = make_conversation(status)

    after = rules.reopen(before, by=USER, now=NOW).conversation

    assert after.status is S.PENDING_ACTION
    assert after.folder is cl.Folder.INBOX
    assert moves(before, after) == [(status, S.PENDING_ACTION, USER.id, NOW)]


@pytest.mark.parametrize("status", REPLYABLE)
def test_reopen_is_refused_for_open_conversations(make_conversation, status):
    with pytest.raises(cl.InvalidTransition, match="reopen"):
        rules.reopen(make_conversation(status), by=USER, now=NOW)


@pytest.mark.parametrize(
    ("status", "folder"),
    [(S.DONE, cl.Folder.DONE), (S.SPAM, cl.Folder.SPAM)] + [(status, cl.Folder.INBOX) for status in REPLYABLE],
)
def test_folder_is_derived_from_the_status(make_conversation, status, folder):
    assert make_conversation(status).folder is folder


@pytest.mark.parametrize(
    ("on_hold", "alert", "category"),
    [
        (True, open_alert(), cl.Category.ON_HOLD),
        (True, None, cl.Category.ON_HOLD),
        (False, open_alert(), cl.Category.ALERT),
        (False, open_alert(cl.AlertStatus.IN_PROGRESS), cl.Category.ALERT),
        (False, open_alert(cl.AlertStatus.PROCESSED), cl.Category.NEW_MESSAGE),
        (False, None, cl.Category.NEW_MESSAGE),
    ],
)
def test_category_is_on_hold_before_alert_before_new_message(make_conversation, on_hold, alert, category):
    assert make_conversation(S.PENDING_ACTION, alert=alert, on_hold=on_hold).category is category


def test_hold_and_release_move_the_category(make_conversation):
    held = rules.hold(make_conversation(S.PENDING_ACTION, alert=open_alert()), by=USER, now=NOW).conversation
    assert held.category is cl.Category.ON_HOLD

    released = rules.release(held, by=USER, now=NOW).conversation

    assert released.category is cl.Category.ALERT
    assert [e.kind for e in released.history[-2:]] == [K.HOLD, K.RELEASE]


@pytest.mark.parametrize("chosen", [cl.AlertStatus.IN_PROGRESS, cl.AlertStatus.PROCESSED])
@pytest.mark.parametrize("action", ["note", "call log"])
def test_alert_status_is_chosen_on_a_note_or_call(make_conversation, action, chosen):
    before = make_conversation(S.NEW, alert=open_alert())
    if action == "note":
        change = rules.add_note(before, by=USER, now=NOW, body="On it.", alert_status=chosen)
    else:
        change = rules.log_call(before, by=USER, now=NOW, summary="On it.", checks=CHECKS, alert_status=chosen)

    after = change.conversation

    assert after.alert is not None
    assert after.alert.status is chosen
    assert after.status is S.PENDING_ACTION  # the alert's status is separate from the conversation's
    assert after.history[len(before.history)].alert_status is chosen


def test_alert_status_cannot_be_set_back_to_to_process(make_conversation):
    conversation = make_conversation(S.NEW, alert=open_alert(cl.AlertStatus.IN_PROGRESS))

    with pytest.raises(cl.InvalidInput, match="IN_PROGRESS or PROCESSED"):
        rules.add_note(conversation, by=USER, now=NOW, body="x", alert_status=cl.AlertStatus.TO_PROCESS)


def test_alert_status_needs_an_alert(make_conversation):
    with pytest.raises(cl.InvalidInput, match="no alert"):
        rules.add_note(make_conversation(S.NEW), by=USER, now=NOW, body="x", alert_status=cl.AlertStatus.PROCESSED)


def test_refused_rules_do_not_touch_the_conversation_they_were_given(make_conversation):
    conversation = make_conversation(S.DONE, alert=open_alert())
    copy = attrs.evolve(conversation)

    with pytest.raises(cl.InvalidTransition):
        rules.mark_done(conversation, by=USER, now=NOW)

    assert conversation == copy


# -- through the Desk ----------------------------------------------------------------------------------------

DESK_AGENT_ACTIONS: dict[str, Callable[[cl.Desk, str], cl.Conversation]] = {
    "note": lambda desk, cid: desk.note(cid, by="manager", body="Spoke to the chef."),
    "call log": lambda desk, cid: desk.log_call(cid, by="manager", summary="Apologised."),
    "hold": lambda desk, cid: desk.hold(cid, by="manager"),
    "forward": lambda desk, cid: desk.forward(cid, by="manager", to="admin", note="Please take over."),
    "delegate": lambda desk, cid: desk.delegate(cid, by="manager"),
    "share": lambda desk, cid: desk.share(cid, by="manager", to=["boss@example.com"]),
}


def test_desk_ingest_opens_a_new_conversation(seeded_desk, make_feedback, clock):
    conversation = seeded_desk.ingest(make_feedback())

    assert conversation.status is S.NEW
    assert conversation.folder is cl.Folder.INBOX
    assert conversation.created_at == conversation.last_updated_at == clock.now()
    assert [(e.kind, e.to_status) for e in conversation.history] == [(K.STATUS_CHANGE, S.NEW)]
    assert seeded_desk.conversation(conversation.id, by="admin") == conversation


@pytest.mark.parametrize("action", DESK_AGENT_ACTIONS)
def test_desk_agent_action_takes_a_new_conversation_in_hand(seeded_desk, make_feedback, clock, action):
    conversation = seeded_desk.ingest(make_feedback())
    later = clock.advance(minutes=5)

    after = DESK_AGENT_ACTIONS[action](seeded_desk, conversation.id)

    assert after.status is S.PENDING_ACTION
    assert moves(conversation, after) == [(S.NEW, S.PENDING_ACTION, "manager", later)]
    assert (after.last_updated_by, after.last_updated_at) == ("manager", later)
    assert seeded_desk.conversation(conversation.id, by="admin") == after


@pytest.mark.parametrize("action", DESK_AGENT_ACTIONS)
def test_desk_agent_action_leaves_awaiting_customer_unchanged(seeded_desk, make_feedback, drive, action):
    conversation = seeded_desk.ingest(make_feedback())
    before = drive(seeded_desk, conversation.id, S.AWAITING_CUSTOMER)

    after = DESK_AGENT_ACTIONS[action](seeded_desk, conversation.id)

    assert after.status is S.AWAITING_CUSTOMER
    assert moves(before, after) == []


@pytest.mark.parametrize("status", REPLYABLE)
def test_desk_email_reply_awaits_the_customer(seeded_desk, make_feedback, drive, clock, status):
    conversation = seeded_desk.ingest(make_feedback())
    before = drive(seeded_desk, conversation.id, status)
    queued = len(seeded_desk.outbox())
    later = clock.advance(hours=1)

    after = seeded_desk.reply(conversation.id, by="manager", body="We are sorry.")

    assert after.status is S.AWAITING_CUSTOMER
    expected = [] if status is S.AWAITING_CUSTOMER else [(status, S.AWAITING_CUSTOMER, "manager", later)]
    assert moves(before, after) == expected
    assert len(seeded_desk.outbox()) == queued + 1
    assert seeded_desk.outbox()[-1].body == "We are sorry."


def test_desk_review_reply_awaits_the_customer(seeded_desk, make_review):
    conversation = seeded_desk.ingest(make_review())

    after = seeded_desk.reply(conversation.id, by="admin", body="Thank you for your review.", channel="review")

    assert after.status is S.AWAITING_CUSTOMER
    assert [m.kind for m in seeded_desk.outbox()] == [cl.MessageKind.REVIEW_REPLY]


@pytest.mark.parametrize("status", CLOSED)
@pytest.mark.parametrize("channel", ["email", "review"])
def test_desk_reply_is_refused_when_done_or_spam(seeded_desk, make_feedback, make_review, refused, channel, status):
    conversation = seeded_desk.ingest(make_feedback() if channel == "email" else make_review())
    getattr(seeded_desk, "mark_done" if status is S.DONE else "mark_spam")(conversation.id, by="admin")

    refused(
        seeded_desk,
        conversation.id,
        cl.InvalidTransition,
        lambda: seeded_desk.reply(conversation.id, by="admin", body="Hello again", channel=channel),
    )


def test_desk_customer_message_reopens_a_done_conversation(seeded_desk, make_feedback, drive, token_of, clock):
    conversation = seeded_desk.ingest(make_feedback())
    drive(seeded_desk, conversation.id, S.AWAITING_CUSTOMER)
    before = seeded_desk.mark_done(conversation.id, by="admin")
    later = clock.advance(days=2)

    seeded_desk.customer_reply(token_of(seeded_desk, conversation.id), body="Actually, one more thing.")

    after = seeded_desk.conversation(conversation.id, by="admin")
    assert after.status is S.UNREAD_CUSTOMER_REPLY
    assert moves(before, after) == [(S.DONE, S.UNREAD_CUSTOMER_REPLY, "customer", later)]
    assert [c.id for c in seeded_desk.inbox("admin")] == [conversation.id]


def test_desk_customer_message_on_spam_is_recorded_and_stays_out_of_the_inbox(
    seeded_desk, make_feedback, drive, token_of
):
    conversation = seeded_desk.ingest(make_feedback())
    drive(seeded_desk, conversation.id, S.AWAITING_CUSTOMER)
    before = seeded_desk.mark_spam(conversation.id, by="admin")

    seeded_desk.customer_reply(token_of(seeded_desk, conversation.id), body="Buy cheap watches")

    after = seeded_desk.conversation(conversation.id, by="admin")
    assert after.status is S.SPAM
    assert added_kinds(before, after) == [K.CUSTOMER_MESSAGE]
    assert list(seeded_desk.inbox("admin")) == []
    assert [c.id for c in seeded_desk.inbox("admin", folder="spam")] == [conversation.id]


def test_desk_mark_read_takes_an_unread_reply_in_hand(seeded_desk, make_feedback, drive, clock):
    conversation = seeded_desk.ingest(make_feedback())
    before = drive(seeded_desk, conversation.id, S.UNREAD_CUSTOMER_REPLY)
    later = clock.advance(minutes=3)

    after = seeded_desk.mark_read(conversation.id, by="manager")

    assert after.status is S.PENDING_ACTION
    assert moves(before, after) == [(S.UNREAD_CUSTOMER_REPLY, S.PENDING_ACTION, "manager", later)]


@pytest.mark.parametrize("status", but(S.UNREAD_CUSTOMER_REPLY))
def test_desk_mark_read_of_anything_else_records_nothing(seeded_desk, make_feedback, drive, clock, status):
    conversation = seeded_desk.ingest(make_feedback())
    before = drive(seeded_desk, conversation.id, status)
    clock.advance(minutes=3)

    returned = seeded_desk.mark_read(conversation.id, by="manager")

    assert returned == before
    assert seeded_desk.conversation(conversation.id, by="admin") == before


def test_desk_mark_done_processes_the_alert(seeded_desk, make_feedback):
    detractor = make_feedback(ratings=[cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=2)])
    conversation = seeded_desk.ingest(detractor)
    assert conversation.alert is not None
    assert conversation.alert.status is cl.AlertStatus.TO_PROCESS

    after = seeded_desk.mark_done(conversation.id, by="manager")

    assert after.status is S.DONE
    assert after.alert is not None
    assert after.alert.status is cl.AlertStatus.PROCESSED
    assert seeded_desk.counts("admin").done == 1


def test_desk_mark_done_is_refused_when_done(seeded_desk, make_feedback, drive, refused):
    conversation = seeded_desk.ingest(make_feedback())
    drive(seeded_desk, conversation.id, S.DONE)

    refused(
        seeded_desk, conversation.id, cl.InvalidTransition, lambda: seeded_desk.mark_done(conversation.id, by="admin")
    )


@pytest.mark.parametrize("status", but(S.SPAM))
def test_desk_mark_spam_from_any_status_but_spam(seeded_desk, make_feedback, drive, status):
    conversation = seeded_desk.ingest(make_feedback())
    before = drive(seeded_desk, conversation.id, status)

    after = seeded_desk.mark_spam(conversation.id, by="admin")

    assert after.status is S.SPAM
    assert moves(before, after)[0][:3] == (status, S.SPAM, "admin")


def test_desk_mark_spam_is_refused_when_spam(seeded_desk, make_feedback, drive, refused):
    conversation = seeded_desk.ingest(make_feedback())
    drive(seeded_desk, conversation.id, S.SPAM)

    refused(
        seeded_desk, conversation.id, cl.InvalidTransition, lambda: seeded_desk.mark_spam(conversation.id, by="admin")
    )


@pytest.mark.parametrize("status", CLOSED)
def test_desk_reopen_takes_it_back_in_hand(seeded_desk, make_feedback, drive, status):
    conversation = seeded_desk.ingest(make_feedback())
    drive(seeded_desk, conversation.id, status)

    after = seeded_desk.reopen(conversation.id, by="manager")

    assert after.status is S.PENDING_ACTION
    assert [c.id for c in seeded_desk.inbox("manager")] == [conversation.id]


@pytest.mark.parametrize("status", REPLYABLE)
def test_desk_reopen_is_refused_for_open_conversations(seeded_desk, make_feedback, drive, refused, status):
    conversation = seeded_desk.ingest(make_feedback())
    drive(seeded_desk, conversation.id, status)

    refused(seeded_desk, conversation.id, cl.InvalidTransition, lambda: seeded_desk.reopen(conversation.id, by="admin"))


def test_desk_alert_status_moves_with_notes_and_calls(seeded_desk, make_feedback):
    conversation = seeded_desk.ingest(make_feedback(ratings=[cl.Rating(key="csat", kind=cl.RatingKind.CSAT, value=1)]))
    assert conversation.category is cl.Category.ALERT

    in_progress = seeded_desk.note(conversation.id, by="admin", body="Calling them.", alert_status="in_progress")
    assert in_progress.alert.status is cl.AlertStatus.IN_PROGRESS
    assert in_progress.category is cl.Category.ALERT

    processed = seeded_desk.log_call(
        conversation.id, by="admin", summary="Refund agreed.", alert_status=cl.AlertStatus.PROCESSED
    )
    assert processed.alert.status is cl.AlertStatus.PROCESSED
    assert processed.category is cl.Category.NEW_MESSAGE
    assert processed.status is S.PENDING_ACTION


def test_every_move_records_who_and_when(seeded_desk, make_feedback, token_of, clock):
    desk = seeded_desk
    start = clock.now()
    cid = desk.ingest(make_feedback()).id
    steps: list[tuple[Callable[[], object], str]] = [
        (lambda: desk.note(cid, by="manager", body="Looking."), "manager"),
        (lambda: desk.reply(cid, by="admin", body="Sorry!"), "admin"),
        (lambda: desk.customer_reply(token_of(desk, cid), body="Thanks."), "customer"),
        (lambda: desk.mark_read(cid, by="manager"), "manager"),
        (lambda: desk.mark_done(cid, by="admin"), "admin"),
        (lambda: desk.reopen(cid, by="manager"), "manager"),
        (lambda: desk.mark_spam(cid, by="admin"), "admin"),
        (lambda: desk.reopen(cid, by="admin"), "admin"),
    ]
    stamps = []
    for number, (step, who) in enumerate(steps, start=1):
        at = clock.advance(minutes=number)
        step()
        after = desk.conversation(cid, by="admin")
        assert (after.last_updated_by, after.last_updated_at) == (who, at)
        stamps.append((who, at))

    history = desk.conversation(cid, by="admin").history
    recorded = [(e.from_status, e.to_status, e.author.id, e.at) for e in history if e.kind is K.STATUS_CHANGE]
    path = [
        S.NEW,
        S.PENDING_ACTION,
        S.AWAITING_CUSTOMER,
        S.UNREAD_CUSTOMER_REPLY,
        S.PENDING_ACTION,
        S.DONE,
        S.PENDING_ACTION,
        S.SPAM,
        S.PENDING_ACTION,
    ]
    expected = [(None, S.NEW, "closedloop", start)] + [
        (path[i], path[i + 1], who, at) for i, (who, at) in enumerate(stamps)
    ]
    assert recorded == expected
