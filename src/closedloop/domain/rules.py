"""The conversation rules (the "Statuses" section of docs/guide.md) as pure functions.

Each function takes a conversation and what the action needs, checks every guard first, and returns a
:class:`Change`: the new conversation and the messages to send. Nothing is changed in place and nothing is
sent here, so a refused action (an exception) leaves everything as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from closedloop.domain.alerts import Alert, AlertStatus
from closedloop.domain.conversation import (
    SYSTEM,
    Actor,
    ActorKind,
    Concept,
    Conversation,
    Interaction,
    InteractionKind,
)
from closedloop.domain.customer import MAX_CUSTOMER_MESSAGE
from closedloop.domain.errors import ChannelUnavailable, InvalidInput, InvalidTransition
from closedloop.domain.feedback import ContactChecks, Feedback
from closedloop.domain.handoffs import Handoff, delegate, forward, share
from closedloop.domain.messages import ChannelLimits, MessageKind, OutboundMessage
from closedloop.domain.people import Place, User
from closedloop.domain.transitions import (
    REPLYABLE,
    Change,
    Event,
    customer_actor,
    move,
    next_status,
    record,
    user_actor,
)
from closedloop.domain.values import one_of

__all__ = [
    "MAX_CUSTOMER_MESSAGE",
    "REPLYABLE",
    "Change",
    "ContactChecks",
    "Handoff",
    "Outgoing",
    "add_note",
    "customer_actor",
    "customer_message",
    "delegate",
    "delivery_failed",
    "delivery_retried",
    "forward",
    "hold",
    "log_call",
    "mark_done",
    "mark_read",
    "mark_spam",
    "open_conversation",
    "opening_entry",
    "release",
    "reopen",
    "reply_by_email",
    "reply_to_review",
    "share",
    "user_actor",
]


#: The status ingested feedback opens a conversation in.
OPENED = next_status(Event.INGEST, None)


@functools.lru_cache(maxsize=1)
def opening_entry(now: datetime) -> Interaction:
    """The entry that opens a conversation. Entries are immutable, so a bulk intake, where every
    conversation of a batch opens at the same moment, shares one instead of building a thousand."""
    return Interaction(kind=InteractionKind.STATUS_CHANGE, at=now, author=SYSTEM, to_status=OPENED)


def open_conversation(
    conversation_id: str,
    feedback: Feedback,
    *,
    now: datetime,
    alert: Alert | None,
    analysis: Sequence[Concept] = (),
) -> Conversation:
    """Ingested feedback starts a NEW conversation; the first entry records that."""
    entry = opening_entry(now)
    return Conversation(
        id=conversation_id,
        feedback=feedback,
        status=OPENED,
        created_at=now,
        last_updated_at=now,
        last_updated_by=SYSTEM.id,
        alert=alert,
        analysis=tuple(analysis),
        history=(entry,),
    )


def _required_text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is empty: write something first")
    return value


def _agent_action(conversation: Conversation, by: User, now: datetime, entry: Interaction) -> Conversation:
    """Any agent action takes a NEW conversation in hand; other statuses stay as they are."""
    return move(conversation, Event.AGENT_ACTION, actor=user_actor(by), now=now, entries=[entry])


def _chosen_alert(conversation: Conversation, alert_status: AlertStatus | None) -> Alert | None:
    if alert_status is None:
        return conversation.alert
    if conversation.alert is None:
        raise InvalidInput(f"conversation {conversation.id} has no alert, so alert_status cannot be set; leave it out")
    alert_status = one_of(AlertStatus, alert_status, "alert_status")
    if alert_status is AlertStatus.TO_PROCESS:
        raise InvalidInput("alert_status can be IN_PROGRESS or PROCESSED when handling an alert")
    return attrs.evolve(conversation.alert, status=alert_status)


def add_note(
    conversation: Conversation, *, by: User, now: datetime, body: str, alert_status: AlertStatus | None
) -> Change:
    """An internal note, seen only by users; may move the alert on."""
    alert = _chosen_alert(conversation, alert_status)
    entry = Interaction(
        kind=InteractionKind.NOTE,
        at=now,
        author=user_actor(by),
        body=_required_text(body, "the note"),
        alert_status=alert_status,
    )
    return Change(_agent_action(attrs.evolve(conversation, alert=alert), by, now, entry))


def log_call(
    conversation: Conversation,
    *,
    by: User,
    now: datetime,
    summary: str,
    checks: ContactChecks,
    alert_status: AlertStatus | None,
    outcome: str = "",
    duration_seconds: int | None = None,
) -> Change:
    """A phone call made outside closedloop, recorded; the feedback must carry a valid ``tel``."""
    tel = conversation.feedback.contact.tel
    number = checks.phone(tel) if tel else None
    if number is None:
        raise InvalidInput(
            f"conversation {conversation.id} has no valid phone number (tel={tel!r}); "
            "a call can be logged only for feedback with a valid tel in its contact details"
        )
    if duration_seconds is not None and duration_seconds < 0:
        raise InvalidInput(f"a call's duration cannot be negative; got {duration_seconds}")
    alert = _chosen_alert(conversation, alert_status)
    details = {"tel": number}
    if outcome:
        details["outcome"] = outcome
    if duration_seconds is not None:
        details["duration_seconds"] = str(duration_seconds)
    entry = Interaction(
        kind=InteractionKind.CALL_LOG,
        at=now,
        author=user_actor(by),
        body=_required_text(summary, "the call summary"),
        alert_status=alert_status,
        details=details,
    )
    return Change(_agent_action(attrs.evolve(conversation, alert=alert), by, now, entry))


def hold(conversation: Conversation, *, by: User, now: datetime) -> Change:
    """Put on hold: it tops the inbox until released."""
    if conversation.on_hold:
        raise InvalidTransition(f"conversation {conversation.id} is already on hold; release it instead")
    entry = Interaction(kind=InteractionKind.HOLD, at=now, author=user_actor(by))
    return Change(_agent_action(attrs.evolve(conversation, on_hold=True), by, now, entry))


def release(conversation: Conversation, *, by: User, now: datetime) -> Change:
    if not conversation.on_hold:
        raise InvalidTransition(f"conversation {conversation.id} is not on hold, so it cannot be released")
    entry = Interaction(kind=InteractionKind.RELEASE, at=now, author=user_actor(by))
    return Change(_agent_action(attrs.evolve(conversation, on_hold=False), by, now, entry))


@attrs.frozen(kw_only=True)
class Outgoing:
    """What a reply needs besides its body: message id, the channel's name and limits, sender details."""

    message_id: str
    channel: str
    limits: ChannelLimits
    place: Place
    business_name: str
    reply_link: str | None = None
    # which assistant and model drafted the reply, for the history (see Suggestion.details); empty otherwise
    drafted_by: Mapping[str, str] = attrs.field(factory=dict)


def reply_by_email(
    conversation: Conversation,
    *,
    by: User,
    now: datetime,
    body: str,
    checks: ContactChecks,
    outgoing: Outgoing,
) -> Change:
    """An email to the customer, carrying the one-time link they can answer through."""
    feedback = conversation.feedback
    if feedback.source.is_public:
        raise ChannelUnavailable(
            f"conversation {conversation.id} is {feedback.source.value} feedback from {feedback.platform!r}: "
            "it is answered in public with channel='review', not by email"
        )
    next_status(Event.REPLY_SENT, conversation.status, conversation_id=conversation.id)
    text = _required_text(body, "the reply")
    address = feedback.contact.email
    recipient = checks.email(address) if address else None
    if recipient is None:
        raise InvalidInput(
            f"conversation {conversation.id} has no valid email address (email={address!r}); "
            "log a call or add a note instead"
        )
    outgoing.limits.check(text, outgoing.channel)
    entry = Interaction(
        kind=InteractionKind.EMAIL_REPLY,
        at=now,
        author=user_actor(by),
        body=text,
        recipients=(recipient,),
        message_id=outgoing.message_id,
        details=outgoing.drafted_by,
    )
    message = OutboundMessage(
        id=outgoing.message_id,
        conversation_id=conversation.id,
        channel=outgoing.channel,
        kind=MessageKind.CUSTOMER_REPLY,
        recipients=(recipient,),
        subject=f"Your feedback to {outgoing.place.name}",
        body=text,
        created_at=now,
        sender_name=outgoing.business_name or outgoing.place.name,
        reply_link=outgoing.reply_link,
        external_id=feedback.external_id,
    )
    updated = move(conversation, Event.REPLY_SENT, actor=user_actor(by), now=now, entries=[entry])
    return Change(updated, (message,))


def reply_to_review(conversation: Conversation, *, by: User, now: datetime, body: str, outgoing: Outgoing) -> Change:
    """A public reply on the review's platform, signed by the place rather than the user."""
    feedback = conversation.feedback
    if not feedback.source.is_public:
        raise ChannelUnavailable(
            f"conversation {conversation.id} is {feedback.source.value} feedback: it has no public review to "
            "reply to; use channel='email'"
        )
    next_status(Event.REPLY_SENT, conversation.status, conversation_id=conversation.id)
    text = _required_text(body, "the reply")
    outgoing.limits.check(text, outgoing.channel)
    place_actor = Actor(kind=ActorKind.PLACE, id=outgoing.place.id, name=outgoing.place.name)
    entry = Interaction(
        kind=InteractionKind.REVIEW_REPLY,
        at=now,
        author=place_actor,
        body=text,
        message_id=outgoing.message_id,
        details={**outgoing.drafted_by, "sent_by": by.id, "platform": feedback.platform},
    )
    message = OutboundMessage(
        id=outgoing.message_id,
        conversation_id=conversation.id,
        channel=outgoing.channel,
        kind=MessageKind.REVIEW_REPLY,
        recipients=(),
        subject="",
        body=text,
        created_at=now,
        sender_name=outgoing.place.name,
        external_id=feedback.external_id,
    )
    updated = move(conversation, Event.REPLY_SENT, actor=user_actor(by), now=now, entries=[entry])
    return Change(updated, (message,))


def delivery_failed(conversation: Conversation, message: OutboundMessage, now: datetime) -> Change:
    """A message could not be delivered: the history says so, with the reason, for people to act on."""
    entry = Interaction(
        kind=InteractionKind.DELIVERY_FAILED,
        at=now,
        author=SYSTEM,
        body=message.last_error or "",
        recipients=message.recipients,
        message_id=message.id,
        details={"channel": message.channel},
    )
    return Change(record(conversation, actor=SYSTEM, now=now, entries=[entry]))


def delivery_retried(conversation: Conversation, message: OutboundMessage, *, by: User, now: datetime) -> Change:
    entry = Interaction(
        kind=InteractionKind.DELIVERY_RETRIED, at=now, author=user_actor(by), message_id=message.id,
        details={"channel": message.channel},
    )  # fmt: skip
    return Change(record(conversation, actor=user_actor(by), now=now, entries=[entry]))


def customer_message(conversation: Conversation, *, now: datetime, body: str) -> Change:
    """The customer answered: back to the inbox as unread (even from DONE), except out of SPAM."""
    actor = customer_actor(conversation.feedback)
    text = _required_text(body, "the message")
    if len(text) > MAX_CUSTOMER_MESSAGE:
        raise InvalidInput(
            f"the message has {len(text)} characters; at most {MAX_CUSTOMER_MESSAGE} can be sent at once"
        )
    entry = Interaction(kind=InteractionKind.CUSTOMER_MESSAGE, at=now, author=actor, body=text)
    return Change(move(conversation, Event.CUSTOMER_MESSAGE, actor=actor, now=now, entries=[entry]))


def mark_read(conversation: Conversation, *, by: User, now: datetime) -> Change:
    """Only an unread customer reply can be read; anything else is left untouched and unrecorded."""
    if next_status(Event.MARK_READ, conversation.status, conversation_id=conversation.id) is conversation.status:
        return Change(conversation)
    return Change(move(conversation, Event.MARK_READ, actor=user_actor(by), now=now))


def mark_done(conversation: Conversation, *, by: User, now: datetime) -> Change:
    """Done closes the loop; an alert still open is processed with it."""
    next_status(Event.MARK_DONE, conversation.status, conversation_id=conversation.id)
    alert = conversation.alert
    if alert is not None and alert.is_open:
        alert = attrs.evolve(alert, status=AlertStatus.PROCESSED)
    return Change(move(attrs.evolve(conversation, alert=alert), Event.MARK_DONE, actor=user_actor(by), now=now))


def mark_spam(conversation: Conversation, *, by: User, now: datetime) -> Change:
    return Change(move(conversation, Event.MARK_SPAM, actor=user_actor(by), now=now))


def reopen(conversation: Conversation, *, by: User, now: datetime) -> Change:
    return Change(move(conversation, Event.REOPEN, actor=user_actor(by), now=now))
