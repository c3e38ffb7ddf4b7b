"""The one table of status moves: for each event, the statuses it may happen in and where each one leads.

The action rules and review sync both move a conversation only through :func:`move`, which looks the move up
here, so the status rules are written once. An event met in a status the table does not list raises
:class:`InvalidTransition` before anything is built, so a refused move changes nothing. The table follows
the "Statuses" section of ``docs/guide.md``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

import attrs

from closedloop.domain.conversation import Actor, ActorKind, Conversation, Interaction, InteractionKind, Status
from closedloop.domain.errors import InvalidTransition
from closedloop.domain.feedback import Feedback
from closedloop.domain.messages import OutboundMessage
from closedloop.domain.people import User


class Event(enum.StrEnum):
    """What can happen to a conversation's status."""

    INGEST = "ingest"
    AGENT_ACTION = "agent action"
    REPLY_SENT = "reply sent"
    #: A reply the business wrote on the review's platform, found by a sync: it has happened already, so a
    #: closed conversation keeps its status instead of refusing it.
    REPLY_ON_PLATFORM = "reply on the platform"
    #: A message through the reply link, or the customer's edit of their review.
    CUSTOMER_MESSAGE = "customer message"
    MARK_READ = "mark read"
    MARK_DONE = "mark done"
    MARK_SPAM = "mark spam"
    REOPEN = "reopen"


def _to(target: Status, sources: Iterable[Status | None]) -> dict[Status | None, Status]:
    return dict.fromkeys(sources, target)


def _kept(sources: Iterable[Status]) -> dict[Status | None, Status]:
    """Statuses the event may happen in without moving them."""
    return {status: status for status in sources}


def _all_but(*excluded: Status) -> tuple[Status, ...]:
    return tuple(status for status in Status if status not in excluded)


#: Where a reply can be sent from: every status of the inbox.
REPLYABLE = frozenset({Status.NEW, Status.PENDING_ACTION, Status.UNREAD_CUSTOMER_REPLY, Status.AWAITING_CUSTOMER})

#: event -> (status before -> status after). ``None`` before means no conversation yet.
TRANSITIONS: Mapping[Event, Mapping[Status | None, Status]] = MappingProxyType(
    {
        Event.INGEST: _to(Status.NEW, [None]),
        Event.AGENT_ACTION: {
            **_to(Status.PENDING_ACTION, [Status.NEW]),
            **_kept(_all_but(Status.NEW)),
        },
        Event.REPLY_SENT: _to(Status.AWAITING_CUSTOMER, REPLYABLE),
        Event.REPLY_ON_PLATFORM: {
            **_to(Status.AWAITING_CUSTOMER, REPLYABLE),
            **_kept([Status.DONE, Status.SPAM]),
        },
        Event.CUSTOMER_MESSAGE: {
            **_to(Status.UNREAD_CUSTOMER_REPLY, _all_but(Status.SPAM)),
            **_kept([Status.SPAM]),
        },
        Event.MARK_READ: {
            **_to(Status.PENDING_ACTION, [Status.UNREAD_CUSTOMER_REPLY]),
            **_kept(_all_but(Status.UNREAD_CUSTOMER_REPLY)),
        },
        Event.MARK_DONE: _to(Status.DONE, _all_but(Status.DONE)),
        Event.MARK_SPAM: _to(Status.SPAM, _all_but(Status.SPAM)),
        Event.REOPEN: _to(Status.PENDING_ACTION, [Status.DONE, Status.SPAM]),
    }
)

#: What a refusal says, per event; ``{id}`` and ``{status}`` are filled in.
REFUSALS: Mapping[Event, str] = MappingProxyType(
    {
        Event.INGEST: "conversation {id} is already open ({status}); feedback opens one conversation only",
        Event.REPLY_SENT: "conversation {id} is {status}; reopen it before replying",
        Event.MARK_DONE: "conversation {id} is already done",
        Event.MARK_SPAM: "conversation {id} is already marked as spam",
        Event.REOPEN: "conversation {id} is {status}; only done or spam ones can be reopened",
    }
)


def next_status(event: Event, current: Status | None, *, conversation_id: str = "") -> Status:
    """The status ``event`` leads to from ``current``; refused when the table has no such move."""
    moves = TRANSITIONS[event]
    if current in moves:
        return moves[current]
    if current is None:
        raise InvalidTransition(f"conversation {conversation_id} is not open yet; {event.value} needs it open")
    allowed = ", ".join("(none)" if source is None else source.value for source in moves)
    refusal = REFUSALS.get(event, "conversation {id} is {status}; {event} happens only when it is {allowed}")
    raise InvalidTransition(
        refusal.format(id=conversation_id, status=current.value, event=event.value, allowed=allowed)
    )


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


def move(
    conversation: Conversation, event: Event, *, actor: Actor, now: datetime, entries: Sequence[Interaction] = ()
) -> Conversation:
    """Record ``entries`` and the status move ``event`` makes by the table; stamp who and when."""
    target = next_status(event, conversation.status, conversation_id=conversation.id)
    return _recorded(conversation, actor, now, entries, target)


def record(conversation: Conversation, *, actor: Actor, now: datetime, entries: Sequence[Interaction]) -> Conversation:
    """Record entries that move no status (delivery news); stamp who and when."""
    return _recorded(conversation, actor, now, entries, conversation.status)


def _recorded(
    conversation: Conversation, actor: Actor, now: datetime, entries: Sequence[Interaction], target: Status
) -> Conversation:
    history = list(conversation.history) + list(entries)
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
