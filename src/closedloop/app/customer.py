"""The customer's side: what their one-time reply link shows, and the message they post through it."""

from __future__ import annotations

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain import rules
from closedloop.domain.customer import CustomerView, ReplyToken, customer_view, hash_token
from closedloop.domain.errors import UnknownToken
from closedloop.events import ConversationChange
from closedloop.ports import StoreTransaction


def valid_token(ctx: Context, tx: StoreTransaction, token: str) -> ReplyToken:
    """The stored link, once it is checked that it is known and neither used nor expired."""
    record = tx.tokens.get(hash_token(token))
    if record is None:
        raise UnknownToken("this reply link is not valid; check that the whole link was copied")
    record.check(ctx.now())
    return record


def view(ctx: Context, token: str) -> CustomerView:
    """What the customer sees; opening the link does not use it up (mail scanners open links)."""
    token = arguments.text(token, "token (the last part of the reply link)")
    with ctx.store.transaction() as tx:
        record = valid_token(ctx, tx, token)
        conversation = tx.conversations.get(record.conversation_id)
        return customer_view(conversation, access.place(tx, conversation.place_id), ctx.settings.business_name)


def post(ctx: Context, token: str, body: str) -> CustomerView:
    """Record the customer's message and use the link up, in one transaction."""
    token = arguments.text(token, "token (the last part of the reply link)")
    body = arguments.text(body, "body")
    now = ctx.now()
    with ctx.store.transaction() as tx:
        record = valid_token(ctx, tx, token)
        before = tx.conversations.get(record.conversation_id, lock=True)
        change = rules.customer_message(before, now=now, body=body)
        tx.tokens.use(record.token_hash, now)
        saved = tx.conversations.save(change.conversation)
        seen = customer_view(saved, access.place(tx, saved.place_id), ctx.settings.business_name)
    ctx.hooks.conversation_changed([ConversationChange(conversation=saved, added=change.added_since(before))])
    return seen
