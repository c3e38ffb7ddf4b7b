"""The one table of status moves, and review sync moving a status through it as the action rules do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

import closedloop as cl
from closedloop.domain.reviews import PlatformReply, PlatformReview, sync_review
from closedloop.domain.transitions import TRANSITIONS, Event, next_status

S = cl.Status
PLACE = cl.Place(id="paris", name="Paris Opera")
NOW = datetime(2026, 1, 3, 8, 0, tzinfo=UTC)
OPEN = {S.NEW, S.PENDING_ACTION, S.UNREAD_CUSTOMER_REPLY, S.AWAITING_CUSTOMER}


def stays(*statuses: cl.Status) -> dict[cl.Status | None, cl.Status]:
    return {status: status for status in statuses}


def to(target: cl.Status, *statuses: cl.Status | None) -> dict[cl.Status | None, cl.Status]:
    return dict.fromkeys(statuses, target)


def all_but(*excluded: cl.Status) -> list[cl.Status]:
    return [status for status in S if status not in excluded]


# Written out row by row as the guide's status table says it, plus review sync's reply seen on the platform.
EXPECTED = {
    Event.INGEST: to(S.NEW, None),
    Event.AGENT_ACTION: {**to(S.PENDING_ACTION, S.NEW), **stays(*all_but(S.NEW))},
    Event.REPLY_SENT: to(S.AWAITING_CUSTOMER, *OPEN),
    Event.REPLY_ON_PLATFORM: {**to(S.AWAITING_CUSTOMER, *OPEN), **stays(S.DONE, S.SPAM)},
    Event.CUSTOMER_MESSAGE: {**to(S.UNREAD_CUSTOMER_REPLY, *all_but(S.SPAM)), **stays(S.SPAM)},
    Event.MARK_READ: {**to(S.PENDING_ACTION, S.UNREAD_CUSTOMER_REPLY), **stays(*all_but(S.UNREAD_CUSTOMER_REPLY))},
    Event.MARK_DONE: to(S.DONE, *all_but(S.DONE)),
    Event.MARK_SPAM: to(S.SPAM, *all_but(S.SPAM)),
    Event.REOPEN: to(S.PENDING_ACTION, S.DONE, S.SPAM),
}


def test_the_table_is_the_guides_status_table() -> None:
    assert {event: dict(moves) for event, moves in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize("event", list(Event))
@pytest.mark.parametrize("status", [None, *S])
def test_a_move_the_table_does_not_list_is_refused_saying_why(event: Event, status: cl.Status | None) -> None:
    if status in EXPECTED[event]:
        assert next_status(event, status, conversation_id="c-7") is EXPECTED[event][status]
        return

    with pytest.raises(cl.InvalidTransition, match="c-7") as refused:
        next_status(event, status, conversation_id="c-7")

    assert (status.value if status else "not open") in str(refused.value)


# -- review sync ---------------------------------------------------------------------------------------------


def review(feedback: cl.Feedback, *, text: str, reply: str | None = None) -> PlatformReview:
    """The review as the platform shows it now: written ten minutes ago, answered five minutes ago."""
    answer = PlatformReply(body=reply, at=NOW - timedelta(minutes=5)) if reply else None
    shown = attrs.evolve(feedback, comments=text)
    return PlatformReview(feedback=shown, updated_at=NOW - timedelta(minutes=10), reply=answer)


def status_moves(before: cl.Conversation, after: cl.Conversation) -> list[tuple[object, object]]:
    added = after.history[len(before.history) :]
    return [(e.from_status, e.to_status) for e in added if e.kind is cl.InteractionKind.STATUS_CHANGE]


@pytest.mark.parametrize("status", all_but(S.SPAM))
def test_an_edited_review_is_a_customer_message_even_out_of_done(make_conversation, status):
    before = make_conversation(status, source=cl.Source.REVIEW, platform="google")

    after = sync_review(before, review(before.feedback, text="Cold soup, rude waiter."), place=PLACE, now=NOW)

    assert after.conversation.status is S.UNREAD_CUSTOMER_REPLY
    message = after.added_since(before)[0]
    assert (message.kind, message.author.kind, message.body) == (
        cl.InteractionKind.CUSTOMER_MESSAGE,
        cl.ActorKind.CUSTOMER,
        "Cold soup, rude waiter.",
    )
    expected = [] if status is S.UNREAD_CUSTOMER_REPLY else [(status, S.UNREAD_CUSTOMER_REPLY)]
    assert status_moves(before, after.conversation) == expected


def test_an_edited_review_in_spam_is_recorded_and_stays_spam(make_conversation):
    before = make_conversation(S.SPAM, source=cl.Source.REVIEW, platform="google")

    after = sync_review(before, review(before.feedback, text="Buy cheap watches"), place=PLACE, now=NOW)

    assert after.conversation.status is S.SPAM
    assert [e.kind for e in after.added_since(before)] == [cl.InteractionKind.CUSTOMER_MESSAGE]


@pytest.mark.parametrize("status", [S.DONE, S.SPAM])
def test_a_reply_made_on_the_platform_leaves_a_closed_conversation_closed(make_conversation, status):
    before = make_conversation(status, source=cl.Source.REVIEW, platform="google")
    unchanged = review(before.feedback, text=before.feedback.text, reply="Thank you!")

    after = sync_review(before, unchanged, place=PLACE, now=NOW).conversation

    assert after.status is status
    assert [(e.kind, e.author.name, e.body) for e in after.history[len(before.history) :]] == [
        (cl.InteractionKind.REVIEW_REPLY, PLACE.name, "Thank you!")
    ]


@pytest.mark.parametrize("status", sorted(OPEN))
def test_a_reply_made_on_the_platform_awaits_the_customer(make_conversation, status):
    before = make_conversation(status, source=cl.Source.REVIEW, platform="google")
    unchanged = review(before.feedback, text=before.feedback.text, reply="Thank you!")

    after = sync_review(before, unchanged, place=PLACE, now=NOW).conversation

    assert after.status is S.AWAITING_CUSTOMER
    assert status_moves(before, after) == ([] if status is S.AWAITING_CUSTOMER else [(status, S.AWAITING_CUSTOMER)])
