"""Erasing conversations: the mechanics shared by an erasure on request and by the retention policy.

A batch of conversations is erased in one transaction: each conversation (:func:`erase_conversation`), its
outbox messages (cancelled when they have not left), its reply links, and the quality reviews of it. The
erasure record is kept in the first batch's transaction, so no conversation is ever erased without one. Once
every batch is committed, a store that keeps deleted data in its files scrubs them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import timedelta

import attrs

from closedloop.app.conflicts import retrying_on_conflict
from closedloop.app.context import Context
from closedloop.app.keys import privacy_key
from closedloop.domain.conversation import Actor, Conversation, ErasureMark
from closedloop.domain.privacy import ErasureRecord, PersonalData, erase_conversation, erase_message, key_id
from closedloop.domain.reviews import erasure_prints
from closedloop.events import ConversationChange
from closedloop.ports import ReviewQuery, Scrubs, StoreTransaction

#: How many conversations one transaction erases: small enough that a row lock is held briefly.
ERASE_BATCH = 100

#: The personal data to take out of one conversation: the customer's, or (retention) its own contact's.
PersonOf = Callable[[Conversation], PersonalData]


@attrs.frozen(kw_only=True)
class Erasure:
    """One erasure to carry out: its record, who does it, and whose data each conversation loses."""

    record: ErasureRecord
    actor: Actor
    person_of: PersonOf


def erase(ctx: Context, erasure: Erasure, conversation_ids: Sequence[str]) -> int:
    """Erase the conversations a batch per transaction and keep the record; how many messages were cancelled."""
    cancelled = 0
    batches = [conversation_ids[start : start + ERASE_BATCH] for start in range(0, len(conversation_ids), ERASE_BATCH)]
    for number, batch in enumerate(batches or [[]]):
        changes, batch_cancelled = retrying_on_conflict(
            functools.partial(_erase_batch, ctx, erasure, batch, first=number == 0)
        )
        cancelled += batch_cancelled
        ctx.hooks.conversation_changed(changes)
    if isinstance(ctx.store, Scrubs):
        ctx.store.scrub()
    return cancelled


def _erase_batch(
    ctx: Context, erasure: Erasure, batch: Sequence[str], *, first: bool
) -> tuple[list[ConversationChange], int]:
    changes, cancelled = [], 0
    with ctx.store.transaction() as tx:
        if first:
            tx.privacy.add_erasure(erasure.record)
        key = privacy_key(ctx, tx) if batch else b""
        for conversation_id in batch:
            before = tx.conversations.get(conversation_id, lock=True)
            person = erasure.person_of(before)
            review, reply = erasure_prints(key, before)  # an erased review keeps its prints unless written again
            earlier = before.erasure
            kept = earlier is not None and (earlier.review, earlier.reply) == (review, reply) and earlier.key_id
            mark = ErasureMark(
                at=erasure.record.at,
                erasure_id=erasure.record.id,
                review=review,
                reply=reply,
                key_id=earlier.key_id if kept and earlier is not None else key_id(key),
            )
            saved = tx.conversations.save(erase_conversation(before, person, mark=mark, by=erasure.actor))
            changes.append(ConversationChange(conversation=saved, added=saved.history[len(before.history) :]))
            cancelled += _erase_messages(tx, conversation_id, person)
            tx.tokens.remove(conversation_id)
            _erase_reviews(tx, before, person)
    return changes, cancelled


def _erase_messages(tx: StoreTransaction, conversation_id: str, person: PersonalData) -> int:
    cancelled = 0
    for message in tx.outbox.list(status=None, conversation_id=conversation_id, limit=None):
        erased = erase_message(message, person)
        cancelled += erased.status is not message.status
        if erased != message:
            tx.outbox.put(erased)
    return cancelled


def _erase_reviews(tx: StoreTransaction, conversation: Conversation, person: PersonalData) -> None:
    """Reviewers' comments on the conversation lose the customer's name, addresses and numbers too."""
    received = conversation.feedback.received_at
    query = ReviewQuery(
        place_ids=None, since=received, until=received + timedelta(microseconds=1), conversation_id=conversation.id
    )
    for review in tx.quality.reviews(query):
        redacted = attrs.evolve(
            review,
            comment=person.redact(review.comment),
            ratings=tuple(attrs.evolve(rating, comment=person.redact(rating.comment)) for rating in review.ratings),
            history=tuple(attrs.evolve(event, comment=person.redact(event.comment)) for event in review.history),
        )
        if redacted != review:
            tx.quality.put_review(redacted)
