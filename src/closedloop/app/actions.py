"""Acting on one conversation: the shared way an action runs, and the actions that send nothing (notes,
calls, holds, status moves).

An action runs in one transaction: the conversation is locked and loaded, the user's right to see it is
checked, the domain computes the change, and the change and its outbound messages are saved together. The
plugins hear of it once committed.
"""

from __future__ import annotations

from collections.abc import Callable

from closedloop.app import access, arguments
from closedloop.app.conflicts import retrying_on_conflict
from closedloop.app.context import Context
from closedloop.domain import rules
from closedloop.domain.alerts import AlertStatus
from closedloop.domain.conversation import Conversation
from closedloop.domain.people import User
from closedloop.events import ConversationChange
from closedloop.ports import StoreTransaction

#: What an action computes from the conversation, the acting user and the open transaction.
Action = Callable[[Conversation, User, StoreTransaction], rules.Change]
#: How a rule that needs only the acting user and the time is called.
SimpleRule = Callable[..., rules.Change]
#: The longest call ``log_call`` records, in seconds: a day.
LONGEST_CALL_SECONDS = 86_400


def act(ctx: Context, conversation_id: str, by: access.UserRef, action: Action) -> Conversation:
    """Run an action on one conversation; see :func:`act_on`."""
    conversation_id = arguments.identifier(conversation_id, "conversation_id")
    return act_on(ctx, lambda tx: conversation_id, by, action)


def act_on(ctx: Context, locate: Callable[[StoreTransaction], str], by: access.UserRef, action: Action) -> Conversation:
    """Run an action in one transaction on the conversation ``locate`` finds in it. The conversation is
    locked first, so concurrent actions on it wait for each other where the store can; if another process
    saved it meanwhile all the same, the action runs again on the fresh state and may then be refused."""
    by = arguments.user_ref(by, "by")

    def attempt() -> tuple[Conversation, ConversationChange | None]:
        with ctx.store.transaction() as tx:
            conversation_id = locate(tx)
            conversation, member = access.visible(tx, conversation_id, by, lock=True)
            change = action(conversation, member, tx)
            if change.conversation is conversation:
                return conversation, None
            saved = tx.conversations.save(change.conversation)
            tx.outbox.add(change.messages)
        return saved, ConversationChange(conversation=saved, added=change.added_since(conversation))

    saved, changed = retrying_on_conflict(attempt)
    if changed is not None:
        ctx.hooks.conversation_changed([changed])
    return saved


def apply(ctx: Context, conversation_id: str, by: access.UserRef, rule: SimpleRule) -> Conversation:
    """Run a rule that takes only the conversation, the acting user and the time (hold, mark done, ...)."""
    return act(ctx, conversation_id, by, lambda c, u, tx: rule(c, by=u, now=ctx.now()))


def note(
    ctx: Context, conversation_id: str, by: access.UserRef, body: str, alert_status: AlertStatus | str | None
) -> Conversation:
    body = arguments.text(body, "body")
    status = parse_alert_status(alert_status)
    return act(
        ctx,
        conversation_id,
        by,
        lambda c, u, tx: rules.add_note(c, by=u, now=ctx.now(), body=body, alert_status=status),
    )


def log_call(
    ctx: Context,
    conversation_id: str,
    by: access.UserRef,
    summary: str,
    alert_status: AlertStatus | str | None,
    outcome: str,
    duration_seconds: int | None,
) -> Conversation:
    summary = arguments.text(summary, "summary")
    outcome = arguments.text(outcome, "outcome")
    duration_seconds = arguments.optional_whole_number(
        duration_seconds, "duration_seconds", 0, LONGEST_CALL_SECONDS, none_means="a call whose length was not noted"
    )
    status = parse_alert_status(alert_status)

    def action(conversation: Conversation, user: User, tx: StoreTransaction) -> rules.Change:
        ctx.registry.channel("phone")
        return rules.log_call(
            conversation,
            by=user,
            now=ctx.now(),
            summary=summary,
            checks=ctx.contacts,
            alert_status=status,
            outcome=outcome,
            duration_seconds=duration_seconds,
        )

    return act(ctx, conversation_id, by, action)


def parse_alert_status(value: AlertStatus | str | None) -> AlertStatus | None:
    """An alert status, or None; which ones an action may set is the domain's rule, checked with the alert."""
    return arguments.optional_member(AlertStatus, value, "alert_status")
