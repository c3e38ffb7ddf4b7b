"""Handing a conversation on to colleagues by email: forward, delegate and share.

Each is an agent action for the status table, and queues one email to colleagues with a link to the
customer file; none ever writes to the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from closedloop.domain.conversation import Conversation, Interaction, InteractionKind
from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import ContactChecks
from closedloop.domain.messages import MessageKind, OutboundMessage
from closedloop.domain.people import Place, User
from closedloop.domain.text import shown
from closedloop.domain.transitions import Change, Event, move, user_actor


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
            raise InvalidInput(f"{shown(address)} is not a valid email address; {what} was not sent")
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
    updated = move(conversation, Event.AGENT_ACTION, actor=user_actor(by), now=now, entries=[entry])
    return Change(updated, (message,))


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
