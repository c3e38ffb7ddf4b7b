"""Answering the customer: by email with a one-time reply link, or in public under their review."""

from __future__ import annotations

import secrets

from closedloop.app import access, arguments
from closedloop.app.actions import act
from closedloop.app.context import Context
from closedloop.domain import rules
from closedloop.domain.conversation import Conversation
from closedloop.domain.customer import TOKEN_BYTES, ReplyToken, hash_token
from closedloop.domain.drafts import Suggestion
from closedloop.domain.errors import ChannelUnavailable, InvalidInput
from closedloop.domain.messages import NO_LIMITS, ChannelLimits, MessageKind
from closedloop.domain.people import User
from closedloop.domain.text import shown
from closedloop.ports import StoreTransaction


def reply(
    ctx: Context, conversation_id: str, by: access.UserRef, body: str, channel: str, suggestion: Suggestion | None
) -> Conversation:
    body = arguments.text(body, "body")
    channel = arguments.one_of(channel, "channel", ("email", "review"))
    drafted_by = drafted(conversation_id, suggestion, body)
    if channel == "email":
        limits = ctx.channel_limits("email")  # before the transaction: the channel may ask its server
        return act(ctx, conversation_id, by, lambda c, u, tx: email_reply(ctx, c, u, tx, body, limits, drafted_by))
    return act(ctx, conversation_id, by, lambda c, u, tx: review_reply(ctx, c, u, tx, body, drafted_by))


def drafted(conversation_id: str, suggestion: Suggestion | None, body: str) -> dict[str, str]:
    """What the reply's history entry keeps of the suggestion it started from: which assistant and model
    wrote it, and whether the agent edited it."""
    if suggestion is None:
        return {}
    if not isinstance(suggestion, Suggestion):
        raise InvalidInput(f"suggestion must be what desk.suggest_reply returned, or None; got {shown(suggestion)}")
    if suggestion.conversation_id not in (None, conversation_id):
        raise InvalidInput(
            f"that suggestion was drafted for conversation {suggestion.conversation_id!r}, not {conversation_id!r}"
        )
    return suggestion.details(body)


def email_reply(
    ctx: Context,
    conversation: Conversation,
    user: User,
    tx: StoreTransaction,
    body: str,
    limits: ChannelLimits,
    drafted_by: dict[str, str],
) -> rules.Change:
    """The reply and its email, with a new reply link stored by its hash only; refused if the channel could
    never deliver it."""
    channel = ctx.registry.channel("email")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = ctx.now()
    settings = ctx.settings
    outgoing = rules.Outgoing(
        message_id=ctx.new_id(),
        channel=channel.name,
        limits=limits,
        place=access.place(tx, conversation.place_id),
        business_name=settings.business_name,
        reply_link=settings.reply_link_base.rstrip("/") + "/" + token,
        drafted_by=drafted_by,
    )
    change = rules.reply_by_email(conversation, by=user, now=now, body=body, checks=ctx.contacts, outgoing=outgoing)
    for message in change.messages:
        limits.check_recipients(message.recipients, channel.name)
    tx.tokens.add(
        ReplyToken(
            token_hash=hash_token(token),
            conversation_id=conversation.id,
            created_at=now,
            expires_at=now + settings.token_ttl,
        )
    )
    return change


def review_reply(
    ctx: Context, conversation: Conversation, user: User, tx: StoreTransaction, body: str, drafted_by: dict[str, str]
) -> rules.Change:
    """The public reply, within the limits of the review platform's channel."""
    platform = conversation.feedback.platform
    channel = ctx.registry.channel(platform) if conversation.feedback.source.is_public else None
    if channel is not None and MessageKind.REVIEW_REPLY not in channel.kinds:
        raise ChannelUnavailable(f"the {platform!r} channel cannot carry review replies")
    outgoing = rules.Outgoing(
        message_id=ctx.new_id(),
        channel=platform,
        limits=channel.limits if channel is not None else NO_LIMITS,
        place=access.place(tx, conversation.place_id),
        business_name=ctx.settings.business_name,
        drafted_by=drafted_by,
    )
    return rules.reply_to_review(conversation, by=user, now=ctx.now(), body=body, outgoing=outgoing)
