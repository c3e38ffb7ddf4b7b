"""Shared helpers for the unit tests.

Everything is a fixture, so test modules never import this file. The seeded desk has:

- places ``paris`` ("Paris Opera") and ``lyon`` ("Lyon Centre"), and the group ``france`` holding both;
- users ``admin`` (admin), ``manager`` (manager of the group ``france``) and ``agent`` (sees ``lyon`` only);
- the ``email`` recording channel of closedloop's ``email_channel`` fixture, and a ``google`` recording
  channel that carries review replies;
- the ``clock`` fixture as its clock, ``business_name="Test Business"`` and a customer-service address.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

import closedloop as cl
from closedloop.domain import rules
from closedloop.testing import FakeClock, RecordingChannel

RECEIVED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
_external_ids = itertools.count(1)

PLACES = (cl.Place(id="paris", name="Paris Opera"), cl.Place(id="lyon", name="Lyon Centre"))
GROUP = cl.PlaceGroup(id="france", name="France", place_ids={"paris", "lyon"})
USERS = (
    cl.User(id="admin", name="Ada Admin", role=cl.Role.ADMIN, email="ada@example.com"),
    cl.User(id="manager", name="Max Manager", role=cl.Role.MANAGER, groups={"france"}, email="max@example.com"),
    cl.User(id="agent", name="Alice Agent", role=cl.Role.AGENT, places={"lyon"}, email="alice@example.com"),
)


def _make_feedback(**overrides: Any) -> cl.Feedback:
    values: dict[str, Any] = {
        "source": cl.Source.SURVEY,
        "external_id": f"fb-{next(_external_ids)}",
        "place_id": "paris",
        "received_at": RECEIVED,
        "contact": cl.Contact(name="Claire Martin", email="claire@example.com", tel="+33 6 12 34 56 78"),
        "comments": "The soup was cold.",
    }
    values.update(overrides)
    return cl.Feedback(**values)


@pytest.fixture
def make_feedback() -> Callable[..., cl.Feedback]:
    """``make_feedback(**overrides)``: a survey answer from Claire Martin (valid email and tel) about paris.

    Every call gets a new external id, so two calls are two different pieces of feedback.
    """
    return _make_feedback


@pytest.fixture
def make_review() -> Callable[..., cl.Feedback]:
    """``make_review(**overrides)``: a Google review of paris, with no email address."""

    def make(**overrides: Any) -> cl.Feedback:
        values: dict[str, Any] = {
            "source": cl.Source.REVIEW,
            "platform": "google",
            "contact": cl.Contact(name="Marc D."),
            "ratings": [cl.Rating(key="stars", kind=cl.RatingKind.STARS, value=4)],
        }
        values.update(overrides)
        return _make_feedback(**values)

    return make


def seed(desk: cl.Desk) -> cl.Desk:
    for place in PLACES:
        desk.add_place(place)
    desk.add_group(GROUP)
    for user in USERS:
        desk.add_user(user)
    return desk


@pytest.fixture
def google_channel() -> RecordingChannel:
    return RecordingChannel(name="google", kinds=[cl.MessageKind.REVIEW_REPLY])


@pytest.fixture
def open_desk(clock: FakeClock, email_channel: RecordingChannel) -> Iterator[Callable[..., cl.Desk]]:
    """``open_desk(*plugins, **settings)``: a seeded in-memory desk on the test's clock and email channel."""
    opened: list[cl.Desk] = []

    def open_(*plugins: object, **settings: Any) -> cl.Desk:
        settings.setdefault("business_name", "Test Business")
        settings.setdefault("customer_service_email", "care@example.com")
        desk = cl.Desk.open(clock=clock, plugins=[email_channel, *plugins], **settings)
        opened.append(desk)
        return seed(desk)

    yield open_
    for desk in opened:
        desk.close()


@pytest.fixture
def seeded_desk(open_desk: Callable[..., cl.Desk], google_channel: RecordingChannel) -> cl.Desk:
    return open_desk(google_channel)


def _token_of(desk: cl.Desk, conversation_id: str) -> str:
    """The one-time token of the latest email reply of a conversation, taken from its reply link."""
    replies = [m for m in desk.outbox(conversation_id=conversation_id) if m.kind is cl.MessageKind.CUSTOMER_REPLY]
    assert replies, "no email reply was queued for this conversation"
    link = replies[-1].reply_link
    assert link
    return link.rsplit("/", 1)[-1]


@pytest.fixture
def token_of() -> Callable[[cl.Desk, str], str]:
    return _token_of


@pytest.fixture
def drive() -> Callable[..., cl.Conversation]:
    """``drive(desk, conversation_id, status)``: take a NEW email-able conversation to ``status`` through the
    desk, as the admin, the way a user would (note, email reply, customer reply, done, spam)."""

    def drive_(desk: cl.Desk, conversation_id: str, status: cl.Status) -> cl.Conversation:
        if status is cl.Status.PENDING_ACTION:
            desk.note(conversation_id, by="admin", body="looking into it")
        elif status is cl.Status.AWAITING_CUSTOMER:
            desk.reply(conversation_id, by="admin", body="Sorry about that.")
        elif status is cl.Status.UNREAD_CUSTOMER_REPLY:
            desk.reply(conversation_id, by="admin", body="Sorry about that.")
            desk.customer_reply(_token_of(desk, conversation_id), body="Thanks for answering.")
        elif status is cl.Status.DONE:
            desk.mark_done(conversation_id, by="admin")
        elif status is cl.Status.SPAM:
            desk.mark_spam(conversation_id, by="admin")
        conversation = desk.conversation(conversation_id, by="admin")
        assert conversation.status is status
        return conversation

    return drive_


@pytest.fixture
def refused() -> Callable[..., pytest.ExceptionInfo[BaseException]]:
    """``refused(desk, conversation_id, error, action)``: run ``action()``, expect ``error``, and check that the
    stored conversation (as the admin sees it) and the whole outbox are exactly as they were before."""

    def check(
        desk: cl.Desk, conversation_id: str, error: type[BaseException], action: Callable[[], object]
    ) -> pytest.ExceptionInfo[BaseException]:
        before = (desk.conversation(conversation_id, by="admin"), desk.outbox())
        with pytest.raises(error) as caught:
            action()
        assert (desk.conversation(conversation_id, by="admin"), desk.outbox()) == before
        return caught

    return check


@pytest.fixture
def make_conversation() -> Callable[..., cl.Conversation]:
    """``make_conversation(status, alert=None, on_hold=False, **feedback_overrides)``: a pure conversation in
    any status, opened on 2026-01-01 at noon by closedloop, for the functions of ``closedloop.domain.rules``."""

    def make(
        status: cl.Status = cl.Status.NEW, *, alert: cl.Alert | None = None, on_hold: bool = False, **overrides: Any
    ) -> cl.Conversation:
        opened = rules.open_conversation("c-1", _make_feedback(**overrides), now=RECEIVED, alert=alert)
        return attrs.evolve(opened, status=status, on_hold=on_hold)

    return make
