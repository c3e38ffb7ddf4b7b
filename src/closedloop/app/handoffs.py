"""Handing a conversation on: to a colleague, to customer service, or to anyone for information."""

from __future__ import annotations

from collections.abc import Sequence

from closedloop.app import access, arguments
from closedloop.app.actions import act
from closedloop.app.context import Context
from closedloop.domain import handoffs, rules
from closedloop.domain.conversation import Conversation
from closedloop.domain.errors import NotConfigured
from closedloop.domain.messages import ChannelLimits
from closedloop.domain.people import User
from closedloop.ports import StoreTransaction


def handoff(ctx: Context, tx: StoreTransaction, conversation: Conversation, by: User, note: str) -> handoffs.Handoff:
    """What every hand-off needs: its email goes out through the email channel, with a link to the file."""
    ctx.registry.channel("email")
    template = ctx.settings.file_link_template
    return handoffs.Handoff(
        by=by,
        now=ctx.now(),
        note=note,
        message_id=ctx.new_id(),
        file_link=template.replace("{id}", conversation.id) if template else None,
        place=access.place(tx, conversation.place_id),
        checks=ctx.contacts,
    )


def checked(change: rules.Change, limits: ChannelLimits) -> rules.Change:
    """The hand-off, once it is checked that the email channel can deliver to each of its recipients."""
    for message in change.messages:
        limits.check_recipients(message.recipients, message.channel)
    return change


def forward(ctx: Context, conversation_id: str, by: access.UserRef, to: access.UserRef, note: str) -> Conversation:
    to = arguments.user_ref(to, "to")
    note = arguments.text(note, "note")

    def action(conversation: Conversation, user: User, tx: StoreTransaction) -> rules.Change:
        colleague = access.user(tx, to)
        access.scope(tx, colleague).check(colleague, conversation.place_id)
        return checked(handoffs.forward(conversation, handoff(ctx, tx, conversation, user, note), to=colleague), limits)

    limits = ctx.channel_limits("email")  # before the transaction: the channel may ask its server
    return act(ctx, conversation_id, by, action)


def delegate(ctx: Context, conversation_id: str, by: access.UserRef, note: str) -> Conversation:
    note = arguments.text(note, "note")

    def action(conversation: Conversation, user: User, tx: StoreTransaction) -> rules.Change:
        address = ctx.settings.customer_service_email
        if not address:
            raise NotConfigured("delegating needs customer_service_email=... in Desk.open")
        return checked(
            handoffs.delegate(conversation, handoff(ctx, tx, conversation, user, note), address=address), limits
        )

    limits = ctx.channel_limits("email")
    return act(ctx, conversation_id, by, action)


def share(ctx: Context, conversation_id: str, by: access.UserRef, to: Sequence[str] | str, note: str) -> Conversation:
    """Send the conversation to ``to`` (one address, or a list of them) for information."""
    to = arguments.texts(to, "to", one="an email address")  # each is checked as an address with the hand-off
    note = arguments.text(note, "note")
    limits = ctx.channel_limits("email")
    return act(
        ctx,
        conversation_id,
        by,
        lambda c, u, tx: checked(handoffs.share(c, handoff(ctx, tx, c, u, note), to=to), limits),
    )
