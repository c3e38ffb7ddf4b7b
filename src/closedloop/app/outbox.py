"""The outbox: what replies and hand-offs queued, sending it through the channels, and trying again.

Messages are claimed first (committed, with a lease), then sent outside any transaction, then their outcome
is recorded. A dispatcher that dies in between leaves its messages claimed until the lease ends; they are then
sent again with the same Message-ID, so nothing is lost.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence

import attrs

from closedloop.app import access, arguments
from closedloop.app.actions import act_on
from closedloop.app.conflicts import retrying_on_conflict
from closedloop.app.context import Context
from closedloop.domain import rules
from closedloop.domain.conversation import Conversation
from closedloop.domain.errors import ChannelUnavailable, InvalidInput, NotFound
from closedloop.domain.messages import Delivery, OutboundMessage, outcome_after_cancel
from closedloop.domain.people import User
from closedloop.domain.text import shown
from closedloop.events import ConversationChange
from closedloop.ports import Channel, SendResult, StoreTransaction

#: The most messages one ``dispatch(limit=...)`` claims; ``limit=None`` claims every message due.
MAX_DISPATCH = 100_000
#: The longest wait between two rounds of ``work``: a day.
LONGEST_POLL_SECONDS = 86_400


@attrs.frozen(kw_only=True)
class DispatchReport:
    """What one ``dispatch()`` did: messages sent, failed for good, and left for a later try."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0

    def __add__(self, other: DispatchReport) -> DispatchReport:
        return DispatchReport(
            sent=self.sent + other.sent, failed=self.failed + other.failed, retrying=self.retrying + other.retrying
        )


def messages(ctx: Context, status: Delivery | str | None, conversation_id: str | None) -> list[OutboundMessage]:
    """Messages queued by replies and hand-offs, oldest first."""
    delivery = arguments.optional_member(Delivery, status, "status")
    conversation_id = arguments.optional_identifier(conversation_id, "conversation_id")
    with ctx.store.transaction() as tx:
        return tx.outbox.list(status=delivery, conversation_id=conversation_id, limit=None)


def channel(ctx: Context, name: str) -> Channel:
    """The registered channel of that name; :class:`ChannelUnavailable` when there is none."""
    return ctx.registry.channel(arguments.name(name, "name"))


def dispatch(ctx: Context, limit: int | None) -> DispatchReport:
    """Send what is due, a batch per channel, and record what happened.

    A message cancelled after it was claimed (its customer was erased) is dropped before its channel gets
    it, and counts as neither sent, failed nor retried.
    """
    limit = arguments.optional_whole_number(
        limit, "limit", 1, MAX_DISPATCH, none_means="every message due (the command line's worker does so)"
    )
    policy = ctx.settings.retry
    with ctx.store.transaction() as tx:
        claimed = tx.outbox.claim(ctx.now(), policy, limit)
    if not claimed:
        return DispatchReport()
    results: dict[str, SendResult] = {}
    batches: dict[str, list[OutboundMessage]] = defaultdict(list)
    for message in claimed:
        batches[message.channel].append(message)
    for name, batch in batches.items():
        held = still_claimed(ctx, batch)
        if held:
            results.update(send(ctx, name, held))
    outcomes = [
        policy.outcome(
            message,
            ctx.now(),
            ok=result.ok,
            error=result.error,
            permanent=result.permanent,
            retry_after=result.retry_after,
        )
        for message in claimed
        if message.id in results
        for result in [results[message.id]]
    ]
    recorded = record_outcomes(ctx, outcomes)
    ctx.hooks.conversation_changed(recorded.changes)
    return DispatchReport(
        sent=sum(message.status is Delivery.SENT for message in recorded.messages),
        failed=sum(message.status is Delivery.FAILED for message in recorded.messages),
        retrying=sum(message.status is Delivery.PENDING for message in recorded.messages),
    )


def still_claimed(ctx: Context, batch: Sequence[OutboundMessage]) -> list[OutboundMessage]:
    """The messages of ``batch`` still claimed by this dispatch, read again just before their channel gets
    them: one cancelled since its claim (its customer was erased), or claimed by another dispatcher after
    this one's lease ran out, is left out and not sent."""
    with ctx.store.transaction() as tx:
        stored = {message.id: _stored(tx, message.id) for message in batch}
    return [message for message in batch if _held(message, stored[message.id])]


def _stored(tx: StoreTransaction, message_id: str) -> OutboundMessage | None:
    try:
        return tx.outbox.get(message_id)
    except NotFound:
        return None


def _held(claimed: OutboundMessage, stored: OutboundMessage | None) -> bool:
    """Whether the stored message is still under the claim this dispatch made."""
    return (
        stored is not None
        and stored.status is Delivery.SENDING
        and (stored.attempts, stored.lease_until) == (claimed.attempts, claimed.lease_until)
    )


def send(ctx: Context, name: str, batch: list[OutboundMessage]) -> dict[str, SendResult]:
    """One result per message, whatever happens: a channel's crash must not lose the batch."""

    def every(error: str, permanent: bool) -> dict[str, SendResult]:
        return {m.id: SendResult(message_id=m.id, ok=False, error=error, permanent=permanent) for m in batch}

    channel = ctx.registry.channels.get(name)
    if channel is None:
        return every(f"no channel named {name!r} is registered", False)
    try:
        given = {result.message_id: result for result in channel.send(batch)}
    except ChannelUnavailable as error:
        return every(str(error), True)
    except Exception as error:
        return every(f"the {name} channel failed: {error!r}", False)
    missing = SendResult(message_id="", ok=False, error=f"the {name} channel returned no result for it")
    return {m.id: given.get(m.id, attrs.evolve(missing, message_id=m.id)) for m in batch}


@attrs.frozen
class Recorded:
    """What :func:`record_outcomes` stored: each message as it now is, and the conversations it changed."""

    messages: list[OutboundMessage]
    changes: list[ConversationChange]


def record_outcomes(ctx: Context, outcomes: Sequence[OutboundMessage]) -> Recorded:
    """Store each outcome; a final failure is also written into its conversation's history. A message
    cancelled while it was out (its customer was erased) keeps its emptied stored copy, marked sent when the
    attempt succeeded (:func:`outcome_after_cancel`): the attempt's copy holds the customer's address and text."""

    def attempt() -> Recorded:
        recorded = Recorded([], [])
        with ctx.store.transaction() as tx:
            for outcome in outcomes:
                stored = tx.outbox.get(outcome.id)
                if stored.status is Delivery.CANCELLED:
                    kept = outcome_after_cancel(stored, outcome)
                    if kept != stored:
                        tx.outbox.put(kept)
                    recorded.messages.append(kept)
                    continue
                tx.outbox.put(outcome)
                recorded.messages.append(outcome)
                if outcome.status is Delivery.FAILED:
                    before = tx.conversations.get(outcome.conversation_id)
                    change = rules.delivery_failed(before, outcome, ctx.now())
                    saved = tx.conversations.save(change.conversation)
                    recorded.changes.append(ConversationChange(conversation=saved, added=change.added_since(before)))
        return recorded

    return retrying_on_conflict(attempt)


def retry(ctx: Context, message_id: str, by: access.UserRef) -> OutboundMessage:
    """Send a failed message again, in one transaction with the history entry that says who asked."""
    message_id = arguments.identifier(message_id, "message_id")
    retried: list[OutboundMessage] = []

    def action(conversation: Conversation, user: User, tx: StoreTransaction) -> rules.Change:
        message = ctx.settings.retry.again(tx.outbox.get(message_id))
        tx.outbox.put(message)
        retried[:] = [message]
        return rules.delivery_retried(conversation, message, by=user, now=ctx.now())

    # the user's right to see the conversation is checked before the message is touched
    act_on(ctx, lambda tx: tx.outbox.get(message_id).conversation_id, by, action)
    return retried[0]


def work(
    ctx: Context, stop: threading.Event, poll_seconds: float, progress: Callable[[DispatchReport], object] | None
) -> DispatchReport:
    """Dispatch until ``stop`` is set, waiting ``poll_seconds`` whenever nothing was due."""
    if not all(callable(getattr(stop, method, None)) for method in ("is_set", "wait")):
        raise InvalidInput(f"stop must be a threading.Event, set to end the work; got {shown(stop)}")
    poll_seconds = arguments.seconds(poll_seconds, "poll_seconds", 0, LONGEST_POLL_SECONDS)
    progress = arguments.callback(progress, "progress")
    total = DispatchReport()
    while not stop.is_set():
        report = dispatch(ctx, 100)
        if not (report.sent or report.failed or report.retrying):
            stop.wait(poll_seconds)
            continue
        total += report
        if progress is not None:
            progress(report)
    return total
