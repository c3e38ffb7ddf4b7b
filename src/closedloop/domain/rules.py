"""The conversation rules of DESIGN.md as pure functions.

Each function takes a conversation and what the action needs, checks every guard first, and returns a
:class:`Change`: the new conversation and the messages to send. Nothing is changed in place and nothing is
sent here, so a refused action (an exception) leaves everything as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

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
    Status,
)
from closedloop.domain.errors import ChannelUnavailable, InvalidInput, InvalidTransition
from closedloop.domain.feedback import Feedback
from closedloop.domain.messages import ChannelLimits, MessageKind, OutboundMessage
from closedloop.domain.people import Place, User

MAX_CUSTOMER_MESSAGE = 5000

REPLYABLE = frozenset({Status.NEW, Status.PENDING_ACTION, Status.UNREAD_CUSTOMER_REPLY, Status.AWAITING_CUSTOMER})


class ContactChecks(Protocol):
    """Checks contact details; each returns the normalized value, or ``None`` when it is not valid."""

    def email(self, address: str) -> str | None: ...

    def phone(self, number: str) -> str | None: ...


@attrs.frozen
class Change:
    """The outcome of one action: the conversation after it and the messages it queues."""

    conversation: Conversation
    messages: tuple[OutboundMessage, ...] = ()

    def added_since(self, before: Conversation) -> tuple[Interaction, ...]:
        return self.conversation.history[len(before.history) :]


def user_actor(user: User) -> Actor:
    return Actor(kind=ActorKind.USER, id=user.id, name=user.name)


def customer_actor(feedback: Feedback) -> Actor:
    return Actor(kind=ActorKind.CUSTOMER, id="customer", name=feedback.contact.name or "customer")


@functools.lru_cache(maxsize=1)
def opening_entry(now: datetime) -> Interaction:
    """The entry that opens a conversation. Entries are immutable, so a bulk intake, where every
    conversation of a batch opens at the same moment, shares one instead of building a thousand."""
    return Interaction(kind=InteractionKind.STATUS_CHANGE, at=now, author=SYSTEM, to_status=Status.NEW)


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
        status=Status.NEW,
        created_at=now,
        last_updated_at=now,
        last_updated_by=SYSTEM.id,
        alert=alert,
        analysis=tuple(analysis),
        history=(entry,),
    )


def _record(
    conversation: Conversation,
    actor: Actor,
    now: datetime,
    entries: Sequence[Interaction],
    status: Status | None = None,
) -> Conversation:
    """Append entries, and a status-change entry when the status moves; stamp who and when."""
    history = list(conversation.history) + list(entries)
    target = conversation.status if status is None else status
    if target is not conversation.status:
        history.append(
            Interaction(
                kind=InteractionKind.STATUS_CHANGE,
                at=now,
                author=actor,
                from_status=conversation.status,
                to_status=target,
            )
        )
    return attrs.evolve(
        conversation,
        status=target,
        history=tuple(history),
        last_updated_at=now,
        last_updated_by=actor.id,
    )


def _required_text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is empty: write something first")
    return value


def _agent_action(conversation: Conversation, by: User, now: datetime, entry: Interaction) -> Conversation:
    """Any agent action takes a NEW conversation in hand; other statuses stay as they are."""
    status = Status.PENDING_ACTION if conversation.status is Status.NEW else conversation.status
    return _record(conversation, user_actor(by), now, [entry], status)


def _chosen_alert(conversation: Conversation, alert_status: AlertStatus | None) -> Alert | None:
    if alert_status is None:
        return conversation.alert
    if conversation.alert is None:
        raise InvalidInput(f"conversation {conversation.id} has no alert, so alert_status cannot be set; leave it out")
    alert_status = AlertStatus(alert_status)
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
class Handoff:
    """Who hands a conversation on, when, with what note, and the message id and file link to use."""

    by: User
    now: datetime
    note: str
    message_id: str
    file_link: str | None
    place: Place
    checks: ContactChecks


def _valid_addresses(addresses: Sequence[str], checks: ContactChecks, what: str) -> tuple[str, ...]:
    if isinstance(addresses, str):
        addresses = [addresses]
    if not addresses:
        raise InvalidInput(f"{what} needs at least one email address")
    valid = []
    for address in addresses:
        normalized = checks.email(address) if isinstance(address, str) else None
        if normalized is None:
            raise InvalidInput(f"{address!r} is not a valid email address; {what} was not sent")
        valid.append(normalized)
    return tuple(valid)


def _hand_off(
    conversation: Conversation,
    handoff: Handoff,
    kind: InteractionKind,
    addresses: Sequence[str],
    subject: str,
    assignee: User | None = None,
) -> Change:
    """Email colleagues about a conversation, with a link to its file; never to the customer."""
    by, now, note = handoff.by, handoff.now, handoff.note
    recipients = _valid_addresses(addresses, handoff.checks, f"the {kind.value}")
    entry = Interaction(
        kind=kind,
        at=now,
        author=user_actor(by),
        body=note,
        recipients=recipients,
        message_id=handoff.message_id,
        details={"to_user": assignee.id} if assignee is not None else {},
    )
    lines = [note.strip()] if note.strip() else []
    if handoff.file_link:
        lines.append(f"Customer file: {handoff.file_link}")
    message = OutboundMessage(
        id=handoff.message_id,
        conversation_id=conversation.id,
        channel="email",
        kind=MessageKind.HANDOFF,
        recipients=recipients,
        subject=subject,
        body="\n\n".join(lines),
        created_at=now,
        sender_name=by.name,
        file_link=handoff.file_link,
    )
    if assignee is not None:
        conversation = attrs.evolve(conversation, assignee=assignee.id)
    return Change(_agent_action(conversation, by, now, entry), (message,))


def forward(conversation: Conversation, handoff: Handoff, *, to: User) -> Change:
    """Hand the conversation to a colleague, who becomes its assignee and gets an email."""
    if not to.email:
        raise InvalidInput(f"user {to.id!r} has no email address; add one before forwarding to them")
    subject = f"{handoff.by.name} forwarded you feedback for {handoff.place.name}"
    return _hand_off(conversation, handoff, InteractionKind.FORWARD, [to.email], subject, assignee=to)


def delegate(conversation: Conversation, handoff: Handoff, *, address: str) -> Change:
    """Hand the conversation to customer service, at the address the desk is configured with."""
    subject = f"{handoff.by.name} delegated feedback for {handoff.place.name} to customer service"
    return _hand_off(conversation, handoff, InteractionKind.DELEGATION, [address], subject)


def share(conversation: Conversation, handoff: Handoff, *, to: Sequence[str]) -> Change:
    """Show the conversation to others for information; they get an email, nothing else changes hands."""
    subject = f"{handoff.by.name} shared feedback for {handoff.place.name} with you"
    return _hand_off(conversation, handoff, InteractionKind.SHARE, to, subject)


@attrs.frozen(kw_only=True)
class Outgoing:
    """What a reply needs besides its body: message id, the channel's name and limits, sender details."""

    message_id: str
    channel: str
    limits: ChannelLimits
    place: Place
    business_name: str
    reply_link: str | None = None


def _check_replyable(conversation: Conversation) -> None:
    if conversation.status not in REPLYABLE:
        raise InvalidTransition(
            f"conversation {conversation.id} is {conversation.status.value}; reopen it before replying"
        )


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
    _check_replyable(conversation)
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
    updated = _record(conversation, user_actor(by), now, [entry], Status.AWAITING_CUSTOMER)
    return Change(updated, (message,))


def reply_to_review(conversation: Conversation, *, by: User, now: datetime, body: str, outgoing: Outgoing) -> Change:
    """A public reply on the review's platform, signed by the place rather than the user."""
    feedback = conversation.feedback
    if not feedback.source.is_public:
        raise ChannelUnavailable(
            f"conversation {conversation.id} is {feedback.source.value} feedback: it has no public review to "
            "reply to; use channel='email'"
        )
    _check_replyable(conversation)
    text = _required_text(body, "the reply")
    outgoing.limits.check(text, outgoing.channel)
    place_actor = Actor(kind=ActorKind.PLACE, id=outgoing.place.id, name=outgoing.place.name)
    entry = Interaction(
        kind=InteractionKind.REVIEW_REPLY,
        at=now,
        author=place_actor,
        body=text,
        message_id=outgoing.message_id,
        details={"sent_by": by.id, "platform": feedback.platform},
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
    updated = _record(conversation, user_actor(by), now, [entry], Status.AWAITING_CUSTOMER)
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
    return Change(_record(conversation, SYSTEM, now, [entry]))


def delivery_retried(conversation: Conversation, message: OutboundMessage, *, by: User, now: datetime) -> Change:
    entry = Interaction(
        kind=InteractionKind.DELIVERY_RETRIED, at=now, author=user_actor(by), message_id=message.id,
        details={"channel": message.channel},
    )  # fmt: skip
    return Change(_record(conversation, user_actor(by), now, [entry]))


def customer_message(conversation: Conversation, *, now: datetime, body: str) -> Change:
    """The customer answered: back to the inbox as unread (even from DONE), except out of SPAM."""
    actor = customer_actor(conversation.feedback)
    text = _required_text(body, "the message")
    if len(text) > MAX_CUSTOMER_MESSAGE:
        raise InvalidInput(
            f"the message has {len(text)} characters; at most {MAX_CUSTOMER_MESSAGE} can be sent at once"
        )
    entry = Interaction(kind=InteractionKind.CUSTOMER_MESSAGE, at=now, author=actor, body=text)
    target = Status.SPAM if conversation.status is Status.SPAM else Status.UNREAD_CUSTOMER_REPLY
    return Change(_record(conversation, actor, now, [entry], target))


def mark_read(conversation: Conversation, *, by: User, now: datetime) -> Change:
    """Only an unread customer reply can be read; anything else is left untouched and unrecorded."""
    if conversation.status is not Status.UNREAD_CUSTOMER_REPLY:
        return Change(conversation)
    return Change(_record(conversation, user_actor(by), now, [], Status.PENDING_ACTION))


def mark_done(conversation: Conversation, *, by: User, now: datetime) -> Change:
    """Done closes the loop; an alert still open is processed with it."""
    if conversation.status is Status.DONE:
        raise InvalidTransition(f"conversation {conversation.id} is already done")
    alert = conversation.alert
    if alert is not None and alert.is_open:
        alert = attrs.evolve(alert, status=AlertStatus.PROCESSED)
    return Change(_record(attrs.evolve(conversation, alert=alert), user_actor(by), now, [], Status.DONE))


def mark_spam(conversation: Conversation, *, by: User, now: datetime) -> Change:
    if conversation.status is Status.SPAM:
        raise InvalidTransition(f"conversation {conversation.id} is already marked as spam")
    return Change(_record(conversation, user_actor(by), now, [], Status.SPAM))


def reopen(conversation: Conversation, *, by: User, now: datetime) -> Change:
    if conversation.status not in (Status.DONE, Status.SPAM):
        raise InvalidTransition(
            f"conversation {conversation.id} is {conversation.status.value}; only done or spam ones can be reopened"
        )
    return Change(_record(conversation, user_actor(by), now, [], Status.PENDING_ACTION))
