"""Random walks through the Desk: every action either follows the conversation rules of docs/guide.md or is refused
with a ClosedLoopError that changes nothing.

The machine keeps its own model of each conversation (status, hold, alert, assignee) and of every reply link,
predicts for each action whether it must succeed and how, or which error it must raise, and checks after
every step that what the desk shows (conversations, inboxes, counts, outbox, events) agrees with the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from closedloop import (
    AccessDenied,
    ActorKind,
    AlertStatus,
    Category,
    ChannelLimits,
    ChannelUnavailable,
    ClosedLoopError,
    Contact,
    Conversation,
    CustomerView,
    Delivery,
    Desk,
    ExpiredToken,
    Feedback,
    Folder,
    InteractionKind,
    InvalidInput,
    InvalidTransition,
    MessageKind,
    NotFound,
    Place,
    PlaceGroup,
    Rating,
    RatingKind,
    Role,
    Source,
    Status,
    UnknownToken,
    UsedToken,
    User,
    hookimpl,
)
from closedloop.domain.messages import RetryPolicy
from closedloop.testing import FakeClock, RecordingChannel

REPLY_LINK_BASE = "https://feedback.example.com/reply/"
CUSTOMER_SERVICE = "care@example.com"
TOKEN_TTL = timedelta(hours=12)
RECEIVED = datetime(2026, 1, 4, 18, 30, tzinfo=UTC)

PLACES = {"p1": Place(id="p1", name="Paris Opera"), "p2": Place(id="p2", name="Lyon Centre")}

USERS = {
    "admin": User(id="admin", name="Ada Admin", role=Role.ADMIN, email="ada@example.com"),
    # sees only p1
    "agent": User(id="agent", name="Alex Agent", role=Role.AGENT, email="alex@example.com", places={"p1"}),
    # sees both places through a group, and has no email address, so nothing can be forwarded to them
    "manager": User(id="manager", name="Mia Manager", role=Role.MANAGER, groups={"everywhere"}),
}
VISIBLE = {"admin": {"p1", "p2"}, "agent": {"p1"}, "manager": {"p1", "p2"}}


def _feedback(external_id: str, place_id: str, **fields: Any) -> Feedback:
    return Feedback(external_id=external_id, place_id=place_id, received_at=RECEIVED, **fields)


FEEDBACK = {
    "survey_ok": _feedback(
        "s-1",
        "p1",
        source=Source.SURVEY,
        contact=Contact(name="Ann Lee", email="ann@example.com", tel="+33 6 12 34 56 78"),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=9)],
        comments="Lovely staff.",
    ),
    "survey_malformed": _feedback(
        "s-2",
        "p1",
        source=Source.SURVEY,
        contact=Contact(name="Bo Kim", email="bo at example dot com", tel="12"),
        ratings=[Rating(key="csat", kind=RatingKind.CSAT, value=4)],
        comments="Fine.",
    ),
    "google_review": _feedback(
        "g-1",
        "p1",
        source=Source.REVIEW,
        platform="google",
        contact=Contact(name="Cy D."),
        ratings=[Rating(key="stars", kind=RatingKind.STARS, value=4)],
        comments="Good coffee.",
    ),
    "detractor": _feedback(
        "s-3",
        "p2",
        source=Source.SURVEY,
        contact=Contact(name="Dee Roy", email="dee@example.com", tel="+1 202 555 0143"),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=2)],
        comments="Waited forty minutes.",
    ),
    # answered by email before the random walk starts, so every run has a reply link to play with
    "survey_answered": _feedback(
        "s-4",
        "p1",
        source=Source.SURVEY,
        contact=Contact(name="Eve Moss", email="Eve.Moss@Example.com"),
        ratings=[Rating(key="ces", kind=RatingKind.CES, value=2)],
        comments="Hard to book.",
    ),
    # a review on a platform no channel serves: a public reply to it cannot be sent
    "trustpilot_review": _feedback(
        "t-1",
        "p2",
        source=Source.REVIEW,
        platform="trustpilot",
        ratings=[Rating(key="stars", kind=RatingKind.STARS, value=1)],
        comments="Rude.",
    ),
}
LABELS = tuple(FEEDBACK)
EMAIL_OK = {"survey_ok", "detractor", "survey_answered"}
TEL_OK = {"survey_ok", "detractor"}
WITH_ALERT = {"detractor", "trustpilot_review"}

GOOGLE_MAX_BYTES = 4096
LONG_REVIEW_REPLY = "é" * 2100  # 2100 characters but 4200 bytes of UTF-8: over Google's byte limit

labels = st.sampled_from(LABELS)
actors = st.sampled_from(tuple(USERS))
texts = st.sampled_from(["Thank you, we are on it.", "Désolé — merci !", "Noted.", "", "   "])
review_texts = st.sampled_from(["Thank you for the review.", "", LONG_REVIEW_REPLY])
alert_choices = st.sampled_from([None, None, "in_progress", "processed", AlertStatus.IN_PROGRESS, "to_process"])
# (addresses, whether sharing with them is allowed)
share_targets = st.sampled_from(
    [
        (["x@example.com"], True),
        (["x@example.com", "y@example.org"], True),
        ([], False),
        (["x@example.com", "nope"], False),
    ]
)
forward_targets = st.sampled_from([*USERS, "ghost"])
advances = st.sampled_from([timedelta(minutes=5), timedelta(hours=1), timedelta(hours=7), timedelta(hours=13)])

# docs/guide.md: the customer's page shows replies to them and their own messages, never notes, calls or hand-offs
CUSTOMER_VISIBLE_KINDS = {InteractionKind.EMAIL_REPLY, InteractionKind.REVIEW_REPLY, InteractionKind.CUSTOMER_MESSAGE}
REPLYABLE = {Status.NEW, Status.PENDING_ACTION, Status.UNREAD_CUSTOMER_REPLY, Status.AWAITING_CUSTOMER}


def expected_folder(status: Status) -> Folder:
    """docs/guide.md: DONE -> Done, SPAM -> Spam, everything else -> Inbox."""
    return {Status.DONE: Folder.DONE, Status.SPAM: Folder.SPAM}.get(status, Folder.INBOX)


def expected_category(on_hold: bool, alert: AlertStatus | None) -> Category:
    """docs/guide.md: ON_HOLD before ALERT (not yet PROCESSED) before NEW_MESSAGE."""
    if on_hold:
        return Category.ON_HOLD
    if alert is not None and alert != AlertStatus.PROCESSED:
        return Category.ALERT
    return Category.NEW_MESSAGE


# the inbox lists by descending (priority, last update, id): on hold, then open alerts, then the rest
PRIORITY = {Category.ON_HOLD: 2, Category.ALERT: 1, Category.NEW_MESSAGE: 0}


@dataclasses.dataclass
class Model:
    """What the machine expects of one conversation."""

    place_id: str
    status: Status = Status.NEW
    on_hold: bool = False
    alert: AlertStatus | None = None
    assignee: str | None = None


@dataclasses.dataclass
class LinkModel:
    label: str
    expires_at: datetime
    used: bool = False


@dataclasses.dataclass
class Outcome:
    """What a successful action adds besides a status change: its history entries and outbound messages."""

    kinds: list[InteractionKind]
    messages: list[tuple[str, MessageKind, tuple[str, ...]]] = dataclasses.field(default_factory=list)


class EventLog:
    """A plugin that remembers what the event hooks were told."""

    def __init__(self) -> None:
        self.changes: list[Any] = []
        self.ingested: list[Conversation] = []

    @hookimpl
    def closedloop_conversation_changed(self, desk: Desk, changes: Any) -> None:
        self.changes.extend(changes)

    @hookimpl
    def closedloop_feedback_ingested(self, desk: Desk, conversations: Any) -> None:
        self.ingested.extend(conversations)


class DeskMachine(RuleBasedStateMachine):
    links = Bundle("links")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.email = RecordingChannel("email")
        self.google = RecordingChannel(
            "google", kinds=[MessageKind.REVIEW_REPLY], limits=ChannelLimits(max_bytes=GOOGLE_MAX_BYTES)
        )
        self.events = EventLog()
        self.desk = Desk.open(
            clock=self.clock,
            plugins=[self.email, self.google, self.events],
            business_name="Cafe Example",
            reply_link_base=REPLY_LINK_BASE,
            customer_service_email=CUSTOMER_SERVICE,
            token_ttl=TOKEN_TTL,
            load_entry_points=False,
            retry=RetryPolicy(max_attempts=1_000_000),  # failures here are always temporary
        )
        for place in PLACES.values():
            self.desk.add_place(place)
        self.desk.add_group(PlaceGroup(id="everywhere", name="Everywhere", place_ids=set(PLACES)))
        for user in USERS.values():
            self.desk.add_user(user)
        self.ids: dict[str, str] = {}
        self.model: dict[str, Model] = {}
        for label, feedback in FEEDBACK.items():
            conversation = self.desk.ingest(feedback)
            self.ids[label] = conversation.id
            self.model[label] = Model(
                place_id=feedback.place_id, alert=AlertStatus.TO_PROCESS if label in WITH_ALERT else None
            )
        assert [c.id for c in self.events.ingested] == list(self.ids.values())
        self.histories = {label: conversation.history for label, conversation in self._snapshot().items()}
        self.links_by_token: dict[str, LinkModel] = {}
        self.delivered: set[str] = set()

    def teardown(self) -> None:
        self.desk.close()

    # -- helpers -----------------------------------------------------------------------------------------------

    def _snapshot(self) -> dict[str, Conversation]:
        return {label: self.desk.conversation(cid, by="admin") for label, cid in self.ids.items()}

    def _denied(self, actor: str, label: str) -> list[type[ClosedLoopError]]:
        return [] if self.model[label].place_id in VISIBLE[actor] else [AccessDenied]

    def _run(
        self,
        label: str,
        actor_id: str,
        call: Callable[[], Any],
        refusals: list[type[ClosedLoopError]],
        expect: Callable[[Model], Outcome | None],
    ) -> tuple[Any, Conversation, list[Any]] | None:
        """Run ``call``. When ``refusals`` is not empty it must raise one of them and change nothing at all;
        otherwise ``expect`` updates the model and says what the action adds, and the desk must agree.
        ``expect`` returning ``None`` means the action must change nothing (mark_read of a read conversation)."""
        before = self._snapshot()
        outbox_before = self.desk.outbox()
        events_before = len(self.events.changes)
        if refusals:
            with pytest.raises(tuple(refusals)):
                call()
            assert self._snapshot() == before, "a refused action changed a conversation"
            assert self.desk.outbox() == outbox_before, "a refused action changed the outbox"
            assert len(self.events.changes) == events_before, "a refused action told the plugins of a change"
            return None

        model = self.model[label]
        status_before = model.status
        result = call()
        outcome = expect(model)
        after = self._snapshot()
        old, new = before[label], after[label]
        for other in LABELS:
            if other != label:
                assert after[other] == before[other], f"acting on {label} changed {other}"
        if outcome is None:
            assert result == old
            assert new == old, "an action that should change nothing changed the conversation"
            assert self.desk.outbox() == outbox_before
            assert len(self.events.changes) == events_before
            return result, new, []

        now = self.clock.now()
        kinds = list(outcome.kinds)
        if model.status != status_before:
            kinds.append(InteractionKind.STATUS_CHANGE)
        assert new.version == old.version + 1
        assert new.history[: len(old.history)] == old.history
        added = list(new.history[len(old.history) :])
        assert [entry.kind for entry in added] == kinds
        assert all(entry.at == now for entry in added)
        if model.status != status_before:
            assert (added[-1].from_status, added[-1].to_status) == (status_before, model.status)
        assert new.last_updated_at == now
        assert new.last_updated_by == actor_id
        assert new.status == model.status
        assert new.on_hold == model.on_hold
        assert (new.alert.status if new.alert else None) == model.alert
        assert new.assignee == model.assignee
        for entry in added:
            if entry.kind is not InteractionKind.REVIEW_REPLY:  # signed by the place; checked by its rule
                assert entry.author.id == actor_id
        if isinstance(result, Conversation):
            assert result == new, "the desk returns the conversation as saved"

        changes = self.events.changes[events_before:]
        assert len(changes) == 1, "each change is told to the plugins exactly once"
        assert changes[0].conversation == new
        assert list(changes[0].added) == added

        known = {message.id for message in outbox_before}
        queued = [message for message in self.desk.outbox() if message.id not in known]
        assert [(m.channel, m.kind, m.recipients) for m in queued] == outcome.messages
        for message in queued:
            assert message.conversation_id == new.id
            assert message.status is Delivery.PENDING
            assert message.created_at == now
            assert message.id in {entry.message_id for entry in added}
        return result, new, queued

    # -- replies -----------------------------------------------------------------------------------------------

    @initialize(target=links, actor=st.sampled_from(["admin", "agent"]), then=st.sampled_from(["", "done", "spam"]))
    def first_reply(self, actor: str, then: str) -> Any:
        """Every walk starts with one conversation answered by email, and perhaps closed since, so that the
        customer's link meets every status (a customer message reopens DONE but leaves SPAM)."""
        link = self.reply_by_email("survey_answered", actor, "Sorry about the booking; what went wrong?")
        if then == "done":
            self.mark_done("survey_answered", actor)
        elif then == "spam":
            self.mark_spam("survey_answered", actor)
        return link

    @rule(target=links, label=labels, actor=actors, body=texts)
    def reply_by_email(self, label: str, actor: str, body: str) -> Any:
        """A sent email carries a one-time link; the customer may use it at once (taken from the outbox)."""
        model = self.model[label]
        refusals = self._denied(actor, label) or [
            *([ChannelUnavailable] if FEEDBACK[label].source.is_public else []),
            *([InvalidTransition] if model.status not in REPLYABLE else []),
            *([InvalidInput] if not body.strip() else []),
            *([InvalidInput] if label not in EMAIL_OK else []),
        ]

        def expect(m: Model) -> Outcome:
            m.status = Status.AWAITING_CUSTOMER
            address = self.desk.contacts.email(FEEDBACK[label].contact.email)
            return Outcome([InteractionKind.EMAIL_REPLY], [("email", MessageKind.CUSTOMER_REPLY, (address,))])

        done = self._run(label, actor, lambda: self.desk.reply(self.ids[label], by=actor, body=body), refusals, expect)
        if done is None:
            return multiple()
        _result, conversation, (message,) = done
        entry = next(e for e in reversed(conversation.history) if e.kind is InteractionKind.EMAIL_REPLY)
        assert (entry.author.kind, entry.author.id, entry.recipients) == (ActorKind.USER, actor, message.recipients)
        assert message.reply_link is not None and message.reply_link.startswith(REPLY_LINK_BASE)
        token = message.reply_link.removeprefix(REPLY_LINK_BASE)
        assert token not in self.links_by_token, "every reply carries a fresh link"
        self.links_by_token[token] = LinkModel(label, expires_at=self.clock.now() + TOKEN_TTL)
        return multiple(token)

    @rule(label=labels, actor=actors, body=review_texts)
    def reply_to_review(self, label: str, actor: str, body: str) -> None:
        model = self.model[label]
        feedback = FEEDBACK[label]
        refusals = self._denied(actor, label) or [
            *([ChannelUnavailable] if not feedback.source.is_public or feedback.platform != "google" else []),
            *([InvalidTransition] if model.status not in REPLYABLE else []),
            *([InvalidInput] if not body.strip() or len(body.encode()) > GOOGLE_MAX_BYTES else []),
        ]

        def expect(m: Model) -> Outcome:
            m.status = Status.AWAITING_CUSTOMER
            return Outcome([InteractionKind.REVIEW_REPLY], [("google", MessageKind.REVIEW_REPLY, ())])

        done = self._run(
            label,
            actor,
            lambda: self.desk.reply(self.ids[label], by=actor, body=body, channel="review"),
            refusals,
            expect,
        )
        if done is not None:
            _result, conversation, _queued = done
            entry = next(e for e in reversed(conversation.history) if e.kind is InteractionKind.REVIEW_REPLY)
            place = PLACES[model.place_id]
            # signed by the place, not by the user who wrote it
            assert (entry.author.kind, entry.author.id, entry.author.name) == (ActorKind.PLACE, place.id, place.name)
            assert entry.details["sent_by"] == actor

    # -- agent actions -----------------------------------------------------------------------------------------

    def _take_in_hand(self, m: Model) -> None:
        if m.status is Status.NEW:
            m.status = Status.PENDING_ACTION

    def _alert_refusals(self, label: str, alert: AlertStatus | str | None) -> list[type[ClosedLoopError]]:
        if alert is None:
            return []
        if self.model[label].alert is None or alert == "to_process":
            return [InvalidInput]
        return []

    @rule(label=labels, actor=actors, body=texts, alert=alert_choices)
    def note(self, label: str, actor: str, body: str, alert: AlertStatus | str | None) -> None:
        refusals = self._denied(actor, label) or [
            *self._alert_refusals(label, alert),
            *([InvalidInput] if not body.strip() else []),
        ]

        def expect(m: Model) -> Outcome:
            self._take_in_hand(m)
            if alert is not None:
                m.alert = AlertStatus(alert)
            return Outcome([InteractionKind.NOTE])

        self._run(
            label,
            actor,
            lambda: self.desk.note(self.ids[label], by=actor, body=body, alert_status=alert),
            refusals,
            expect,
        )

    @rule(label=labels, actor=actors, summary=texts, alert=alert_choices)
    def log_call(self, label: str, actor: str, summary: str, alert: AlertStatus | str | None) -> None:
        refusals = self._denied(actor, label) or [
            *([InvalidInput] if label not in TEL_OK else []),
            *self._alert_refusals(label, alert),
            *([InvalidInput] if not summary.strip() else []),
        ]

        def expect(m: Model) -> Outcome:
            self._take_in_hand(m)
            if alert is not None:
                m.alert = AlertStatus(alert)
            return Outcome([InteractionKind.CALL_LOG])

        self._run(
            label,
            actor,
            lambda: self.desk.log_call(self.ids[label], by=actor, summary=summary, alert_status=alert),
            refusals,
            expect,
        )

    @rule(label=labels, actor=actors, release=st.booleans())
    def hold_or_release(self, label: str, actor: str, release: bool) -> None:
        """Hold is refused on a conversation already on hold, release on one that is not."""
        refusals = self._denied(actor, label) or (
            [InvalidTransition] if self.model[label].on_hold is not release else []
        )

        def expect(m: Model) -> Outcome:
            self._take_in_hand(m)
            m.on_hold = not release
            return Outcome([InteractionKind.RELEASE if release else InteractionKind.HOLD])

        call = self.desk.release if release else self.desk.hold
        self._run(label, actor, lambda: call(self.ids[label], by=actor), refusals, expect)

    @rule(label=labels, actor=actors, to=forward_targets, note=texts)
    def forward(self, label: str, actor: str, to: str, note: str) -> None:
        colleague = USERS.get(to)
        refusals = self._denied(actor, label) or [
            *([NotFound] if colleague is None else []),
            *([AccessDenied] if colleague is not None and self.model[label].place_id not in VISIBLE[to] else []),
            *([InvalidInput] if colleague is not None and not colleague.email else []),
        ]

        def expect(m: Model) -> Outcome:
            assert colleague is not None
            self._take_in_hand(m)
            m.assignee = to
            return Outcome([InteractionKind.FORWARD], [("email", MessageKind.HANDOFF, (colleague.email,))])

        self._run(
            label, actor, lambda: self.desk.forward(self.ids[label], by=actor, to=to, note=note), refusals, expect
        )

    @rule(label=labels, actor=actors, note=texts)
    def delegate(self, label: str, actor: str, note: str) -> None:
        def expect(m: Model) -> Outcome:
            self._take_in_hand(m)
            return Outcome([InteractionKind.DELEGATION], [("email", MessageKind.HANDOFF, (CUSTOMER_SERVICE,))])

        self._run(
            label,
            actor,
            lambda: self.desk.delegate(self.ids[label], by=actor, note=note),
            self._denied(actor, label),
            expect,
        )

    @rule(label=labels, actor=actors, recipients=share_targets, note=texts)
    def share(self, label: str, actor: str, recipients: tuple[list[str], bool], note: str) -> None:
        to, valid = recipients
        refusals = self._denied(actor, label) or ([] if valid else [InvalidInput])

        def expect(m: Model) -> Outcome:
            self._take_in_hand(m)
            return Outcome([InteractionKind.SHARE], [("email", MessageKind.HANDOFF, tuple(to))])

        self._run(label, actor, lambda: self.desk.share(self.ids[label], by=actor, to=to, note=note), refusals, expect)

    # -- status moves ------------------------------------------------------------------------------------------

    @rule(label=labels, actor=actors)
    def mark_read(self, label: str, actor: str) -> None:
        def expect(m: Model) -> Outcome | None:
            if m.status is not Status.UNREAD_CUSTOMER_REPLY:
                return None  # unchanged, nothing recorded
            m.status = Status.PENDING_ACTION
            return Outcome([])

        self._run(
            label, actor, lambda: self.desk.mark_read(self.ids[label], by=actor), self._denied(actor, label), expect
        )

    @rule(label=labels, actor=actors)
    def mark_done(self, label: str, actor: str) -> None:
        refusals = self._denied(actor, label) or (
            [InvalidTransition] if self.model[label].status is Status.DONE else []
        )

        def expect(m: Model) -> Outcome:
            m.status = Status.DONE
            if m.alert is not None:
                m.alert = AlertStatus.PROCESSED  # an open alert is processed with it
            return Outcome([])

        self._run(label, actor, lambda: self.desk.mark_done(self.ids[label], by=actor), refusals, expect)

    @rule(label=labels, actor=actors)
    def mark_spam(self, label: str, actor: str) -> None:
        refusals = self._denied(actor, label) or (
            [InvalidTransition] if self.model[label].status is Status.SPAM else []
        )

        def expect(m: Model) -> Outcome:
            m.status = Status.SPAM
            return Outcome([])

        self._run(label, actor, lambda: self.desk.mark_spam(self.ids[label], by=actor), refusals, expect)

    @rule(label=labels, actor=actors)
    def reopen(self, label: str, actor: str) -> None:
        closed = self.model[label].status in (Status.DONE, Status.SPAM)
        refusals = self._denied(actor, label) or ([] if closed else [InvalidTransition])

        def expect(m: Model) -> Outcome:
            m.status = Status.PENDING_ACTION
            return Outcome([])

        self._run(label, actor, lambda: self.desk.reopen(self.ids[label], by=actor), refusals, expect)

    # -- the customer's side -----------------------------------------------------------------------------------

    def _link_refusals(self, token: str) -> list[type[ClosedLoopError]]:
        link = self.links_by_token[token]
        if link.used:
            return [UsedToken]  # used is said before expired
        if self.clock.now() >= link.expires_at:
            return [ExpiredToken]
        return []

    @rule(target=links, fail=st.booleans())
    def dispatch(self, fail: bool) -> Any:
        """Deliver the outbox; the links customers receive come from what the email channel really sent."""
        pending = [m for m in self.desk.outbox(status=Delivery.PENDING) if m.due(self.clock.now())]
        self.email.fail_with = "smtp timeout" if fail else None
        try:
            report = self.desk.dispatch()
        finally:
            self.email.fail_with = None
        by_channel = {name: [m for m in pending if m.channel == name] for name in ("email", "google")}
        assert {m.channel for m in pending} <= set(by_channel)
        email_sent = [] if fail else by_channel["email"]
        assert (report.sent, report.failed, report.retrying) == (
            len(email_sent) + len(by_channel["google"]),
            0,
            len(by_channel["email"]) if fail else 0,
        )
        statuses = {m.id: m for m in self.desk.outbox()}
        for message in pending:
            stored = statuses[message.id]
            assert stored.attempts == message.attempts + 1
            if fail and message.channel == "email":
                assert (stored.status, stored.last_error) == (Delivery.PENDING, "smtp timeout")
            else:
                assert (stored.status, stored.sent_at) == (Delivery.SENT, self.clock.now())
        new_links = []
        for channel, expected in ((self.email, email_sent), (self.google, by_channel["google"])):
            fresh = [m for m in channel.sent if m.id not in self.delivered]
            # sent soonest due first: a retried message may go after a newer one
            wrong = f"{channel.name} got the wrong messages"
            assert sorted(m.id for m in fresh) == sorted(m.id for m in expected), wrong
            self.delivered.update(m.id for m in fresh)
            for message in fresh:
                if message.kind is MessageKind.CUSTOMER_REPLY:
                    assert message.reply_link is not None
                    token = message.reply_link.removeprefix(REPLY_LINK_BASE)
                    assert token in self.links_by_token
                    new_links.append(token)
        return multiple(*new_links)

    @rule(token=links, body=texts)
    def customer_reply(self, token: str, body: str) -> None:
        link = self.links_by_token[token]
        refusals = self._link_refusals(token) or ([InvalidInput] if not body.strip() else [])

        def expect(m: Model) -> Outcome:
            if m.status is not Status.SPAM:
                m.status = Status.UNREAD_CUSTOMER_REPLY  # reopens DONE too
            link.used = True
            return Outcome([InteractionKind.CUSTOMER_MESSAGE])

        done = self._run(link.label, "customer", lambda: self.desk.customer_reply(token, body=body), refusals, expect)
        if done is not None:
            view, conversation, _queued = done
            assert isinstance(view, CustomerView)
            assert view.messages == tuple(e for e in conversation.history if e.kind in CUSTOMER_VISIBLE_KINDS)
            assert view.messages[-1].body == body
            entry = next(e for e in reversed(conversation.history) if e.kind is InteractionKind.CUSTOMER_MESSAGE)
            assert (entry.author.kind, entry.author.id) == (ActorKind.CUSTOMER, "customer")

    @rule(token=links)
    def customer_opens_link(self, token: str) -> None:
        """Opening the page shows customer-visible messages only, and does not use the link up."""
        link = self.links_by_token[token]
        refusals = self._link_refusals(token)
        before = self._snapshot()
        if refusals:
            with pytest.raises(tuple(refusals)):
                self.desk.customer_view(token)
        else:
            view = self.desk.customer_view(token)
            conversation = before[link.label]
            assert view.messages == tuple(e for e in conversation.history if e.kind in CUSTOMER_VISIBLE_KINDS)
            assert view.place_name == PLACES[self.model[link.label].place_id].name
        assert self._snapshot() == before

    @rule(token=st.sampled_from(["", "not-a-link", "x" * 43]), body=texts)
    def customer_reply_with_unknown_link(self, token: str, body: str) -> None:
        before = self._snapshot()
        with pytest.raises(UnknownToken):
            self.desk.customer_reply(token, body=body)
        assert self._snapshot() == before

    @rule(delta=advances)
    def time_passes(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    # -- what must always hold ---------------------------------------------------------------------------------

    @invariant()
    def conversations_agree_with_the_model(self) -> None:
        for label, conversation in self._snapshot().items():
            model = self.model[label]
            assert conversation.status is model.status
            assert conversation.folder is expected_folder(conversation.status)
            assert conversation.category is expected_category(
                conversation.on_hold, conversation.alert.status if conversation.alert else None
            )
            assert conversation.category is expected_category(model.on_hold, model.alert)
            previous = self.histories[label]
            assert conversation.history[: len(previous)] == previous, "history is append-only"
            self.histories[label] = conversation.history

    @invariant()
    def users_see_exactly_their_places(self) -> None:
        for user, places in VISIBLE.items():
            mine = {label for label in LABELS if self.model[label].place_id in places}
            for folder in Folder:
                page = self.desk.inbox(user, folder=folder)
                expected = {self.ids[label] for label in mine if expected_folder(self.model[label].status) is folder}
                assert {c.id for c in page} == expected
                keys = [(PRIORITY[c.category], c.last_updated_at, c.id) for c in page]
                assert keys == sorted(keys, reverse=True), "on hold first, then open alerts, newest first"
            counts = self.desk.counts(user)
            for folder in Folder:
                assert counts.folders[folder] == sum(
                    expected_folder(self.model[label].status) is folder for label in mine
                )
            for category in Category:
                assert counts.categories[category] == sum(
                    expected_folder(self.model[label].status) is Folder.INBOX
                    and expected_category(self.model[label].on_hold, self.model[label].alert) is category
                    for label in mine
                )
            for label in set(LABELS) - mine:
                with pytest.raises(AccessDenied):
                    self.desk.conversation(self.ids[label], by=user)
                with pytest.raises(AccessDenied):
                    self.desk.customer_file(self.ids[label], by=user)


DeskMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestDeskStateMachine = DeskMachine.TestCase
