"""The loop around one feedback: its status, alert, hold, assignee and append-only history.

Folder and category are never stored: they are derived from the status, the hold and the alert, so they
cannot disagree with them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from closedloop.domain.alerts import Alert, AlertStatus
from closedloop.domain.feedback import Feedback, text_map
from closedloop.domain.values import id_field, number_field, text_field, time_field


class Status(enum.StrEnum):
    """Where a conversation stands; :mod:`closedloop.domain.transitions` says what moves it."""

    NEW = "new"
    PENDING_ACTION = "pending_action"
    AWAITING_CUSTOMER = "awaiting_customer"
    UNREAD_CUSTOMER_REPLY = "unread_customer_reply"
    DONE = "done"
    SPAM = "spam"


class Folder(enum.StrEnum):
    INBOX = "inbox"
    DONE = "done"
    SPAM = "spam"


class Category(enum.StrEnum):
    """The inbox's priority groups, most urgent first."""

    ON_HOLD = "on_hold"
    ALERT = "alert"
    NEW_MESSAGE = "new_message"


CATEGORY_ORDER: tuple[Category, ...] = (Category.ON_HOLD, Category.ALERT, Category.NEW_MESSAGE)


class InteractionKind(enum.StrEnum):
    EMAIL_REPLY = "email_reply"
    REVIEW_REPLY = "review_reply"
    CUSTOMER_MESSAGE = "customer_message"
    NOTE = "note"
    CALL_LOG = "call_log"
    FORWARD = "forward"
    DELEGATION = "delegation"
    SHARE = "share"
    HOLD = "hold"
    RELEASE = "release"
    STATUS_CHANGE = "status_change"
    DELIVERY_FAILED = "delivery_failed"
    DELIVERY_RETRIED = "delivery_retried"
    ERASURE = "erasure"

    @property
    def customer_visible(self) -> bool:
        """Only what was said to or by the customer shows on the customer's page."""
        return self in CUSTOMER_VISIBLE


CUSTOMER_VISIBLE = frozenset(
    {InteractionKind.EMAIL_REPLY, InteractionKind.REVIEW_REPLY, InteractionKind.CUSTOMER_MESSAGE}
)


class ActorKind(enum.StrEnum):
    USER = "user"
    CUSTOMER = "customer"
    PLACE = "place"
    SYSTEM = "system"


@attrs.frozen(kw_only=True)
class Actor:
    """Who did something: a user, the customer, a place (public review replies) or closedloop itself."""

    kind: ActorKind
    id: str
    name: str


SYSTEM = Actor(kind=ActorKind.SYSTEM, id="closedloop", name="closedloop")


@attrs.frozen(kw_only=True)
class Interaction:
    """One entry of a conversation's history; entries are only ever appended."""

    kind: InteractionKind
    at: datetime
    author: Actor
    body: str = ""
    recipients: tuple[str, ...] = ()
    from_status: Status | None = None
    to_status: Status | None = None
    alert_status: AlertStatus | None = None
    message_id: str | None = None
    details: Mapping[str, str] = attrs.field(factory=dict, converter=text_map)

    @property
    def customer_visible(self) -> bool:
        return self.kind.customer_visible


@attrs.frozen(kw_only=True)
class Concept:
    """A topic an analyzer found in the comments, with its sentiment from -1 (negative) to 1."""

    name: str = attrs.field(validator=text_field("concept"))
    sentiment: float = attrs.field(validator=number_field("concept"))  # NaN would be stored as null


@attrs.frozen(kw_only=True)
class ErasureMark:
    """Kept on an erased conversation: when it was erased, by which erasure, and the keyed hashes of its review
    and of the business's public reply as the platform showed them (empty for other feedback)."""

    at: datetime = attrs.field(validator=time_field("erasure mark"))
    erasure_id: str = attrs.field(validator=id_field("erasure mark"))
    review: str = ""
    reply: str = ""
    #: Which key made the hashes (:func:`closedloop.domain.privacy.key_id`): a sync with another key cannot
    #: compare them, and then brings nothing back rather than the review's text.
    key_id: str = ""


@attrs.frozen(kw_only=True)
class Conversation:
    """The loop around one feedback. ``version`` is 1 when it opens and grows with every saved change, so a
    store can refuse a change made to a version that is no longer the stored one (optimistic locking)."""

    id: str
    feedback: Feedback
    status: Status
    created_at: datetime
    last_updated_at: datetime
    last_updated_by: str
    on_hold: bool = False
    alert: Alert | None = None
    assignee: str | None = None
    analysis: tuple[Concept, ...] = ()
    history: tuple[Interaction, ...] = ()
    #: Set once the customer's personal data was erased (:mod:`closedloop.domain.privacy`).
    erasure: ErasureMark | None = None
    version: int = 1

    @property
    def place_id(self) -> str:
        return self.feedback.place_id

    @property
    def folder(self) -> Folder:
        if self.status is Status.DONE:
            return Folder.DONE
        if self.status is Status.SPAM:
            return Folder.SPAM
        return Folder.INBOX

    @property
    def category(self) -> Category:
        if self.on_hold:
            return Category.ON_HOLD
        if self.alert is not None and self.alert.is_open:
            return Category.ALERT
        return Category.NEW_MESSAGE

    @property
    def delivery_failed(self) -> bool:
        """A message of this conversation failed for good and nobody has retried it since."""
        for entry in reversed(self.history):
            if entry.kind is InteractionKind.DELIVERY_FAILED:
                return True
            if entry.kind is InteractionKind.DELIVERY_RETRIED:
                return False
        return False

    @property
    def customer_messages(self) -> tuple[Interaction, ...]:
        """What the customer may see, oldest first: replies to them and their own messages."""
        return tuple(entry for entry in self.history if entry.customer_visible)
