"""What the metrics read of one conversation: a flat record a store can keep in columns and aggregate where the
data is, instead of reading whole conversations back.

A store derives these facts with :func:`facts_of` whenever it writes a conversation, so they always say what
the conversation says; the metrics are computed from facts alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from closedloop.domain.alerts import AlertStatus
from closedloop.domain.conversation import ActorKind, Category, Conversation, Interaction, InteractionKind, Status
from closedloop.domain.feedback import RatingKind, Source

#: What counts as the business responding to the customer: a reply reaches them, a call or a note concerns them.
RESPONSES = frozenset(
    {InteractionKind.EMAIL_REPLY, InteractionKind.REVIEW_REPLY, InteractionKind.CALL_LOG, InteractionKind.NOTE}
)
#: What closes the loop with a customer: a reply they receive or a call logged with them (a note does not).
CONTACTS = frozenset({InteractionKind.EMAIL_REPLY, InteractionKind.REVIEW_REPLY, InteractionKind.CALL_LOG})


@attrs.frozen(kw_only=True)
class RatingFact:
    """One rating of a feedback, as the metrics group them: by key, read on its kind's scale."""

    key: str
    kind: RatingKind
    value: float


@attrs.frozen(kw_only=True)
class ConceptFact:
    name: str
    sentiment: float


@attrs.frozen(kw_only=True)
class Facts:
    """One conversation as the metrics see it. Times are aware datetimes; ``None`` where it has not happened."""

    conversation_id: str
    place_id: str
    source: Source
    platform: str
    received_at: datetime
    status: Status
    category: Category
    test: bool
    alert_status: AlertStatus | None  # None when no alert was raised
    first_response_at: datetime | None  # the first reply, call or note
    first_responder: str | None  # the user who made it
    first_contact_at: datetime | None  # the first reply or call: what closes the loop
    done_at: datetime | None  # when it was last marked done, if it is done now
    customer_messages: int  # messages the customer sent through their reply link or as review edits
    ratings: tuple[RatingFact, ...] = ()
    concepts: tuple[ConceptFact, ...] = ()

    @property
    def counted(self) -> bool:
        """Tests and spam never count in the metrics."""
        return not self.test and self.status is not Status.SPAM


def facts_of(conversation: Conversation) -> Facts:
    """The facts of a conversation, from its feedback, status and history."""
    feedback = conversation.feedback
    first_response = _first(conversation.history, RESPONSES)
    first_contact = _first(conversation.history, CONTACTS)
    return Facts(
        conversation_id=conversation.id,
        place_id=feedback.place_id,
        source=feedback.source,
        platform=feedback.platform,
        received_at=feedback.received_at,
        status=conversation.status,
        category=conversation.category,
        test=feedback.test,
        alert_status=conversation.alert.status if conversation.alert is not None else None,
        first_response_at=first_response.at if first_response is not None else None,
        first_responder=_responder(first_response),
        first_contact_at=first_contact.at if first_contact is not None else None,
        done_at=_done_at(conversation),
        customer_messages=sum(1 for entry in conversation.history if entry.kind is InteractionKind.CUSTOMER_MESSAGE),
        ratings=tuple(RatingFact(key=rating.key, kind=rating.kind, value=rating.value) for rating in feedback.ratings),
        concepts=tuple(
            ConceptFact(name=concept.name, sentiment=concept.sentiment) for concept in conversation.analysis
        ),
    )


def says_nothing_yet(conversation: Conversation) -> bool:
    """Whether its history holds nothing :func:`facts_of` reads (no response, contact, customer message or move
    to done), as with every conversation intake opens: its facts are then those of its feedback and status."""
    return all(
        entry.kind is InteractionKind.STATUS_CHANGE and entry.to_status is not Status.DONE
        for entry in conversation.history
    )


def _first(history: Iterable[Interaction], kinds: frozenset[InteractionKind]) -> Interaction | None:
    return next((entry for entry in history if entry.kind in kinds), None)


def _responder(entry: Interaction | None) -> str | None:
    """The user behind a response; a review reply is signed by the place but says who sent it."""
    if entry is None:
        return None
    if entry.author.kind is ActorKind.USER:
        return entry.author.id
    return entry.details.get("sent_by")


def _done_at(conversation: Conversation) -> datetime | None:
    if conversation.status is not Status.DONE:
        return None
    moves = [entry.at for entry in conversation.history if entry.to_status is Status.DONE]
    return moves[-1] if moves else conversation.last_updated_at
