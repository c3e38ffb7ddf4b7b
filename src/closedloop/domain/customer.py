"""What the customer sees through their one-time reply link, and the link's rules.

Only the hash of a token is ever stored, so a leaked database does not leak working links. Opening the
page does not use a link up (mail scanners open links); posting a message does.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import attrs

from closedloop.domain.conversation import Conversation, Interaction
from closedloop.domain.errors import ExpiredToken, UsedToken
from closedloop.domain.feedback import Comment, Rating
from closedloop.domain.people import Place

TOKEN_BYTES = 32
#: The longest message a customer can post through their reply link, in characters; a form can say so.
MAX_CUSTOMER_MESSAGE = 5000


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@attrs.frozen(kw_only=True)
class ReplyToken:
    """A stored reply link: the hash of its token, what it opens, until when, and whether it was used."""

    token_hash: str
    conversation_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def check(self, now: datetime) -> None:
        """Used before expired: a customer who already answered is told so, whatever the date."""
        if self.used_at is not None:
            raise UsedToken("this reply link was already used to send a message; each link works once")
        if now >= self.expires_at:
            raise ExpiredToken("this reply link has expired; ask the business for a new one")


@attrs.frozen(kw_only=True)
class CustomerView:
    """The original submission and the customer-visible messages, oldest first; never notes or hand-offs."""

    business_name: str
    place_name: str
    submitted_at: datetime
    customer_name: str
    locale: str
    ratings: tuple[Rating, ...]
    comments: tuple[Comment, ...]
    messages: tuple[Interaction, ...]


def customer_view(conversation: Conversation, place: Place, business_name: str) -> CustomerView:
    feedback = conversation.feedback
    return CustomerView(
        business_name=business_name or place.name,
        place_name=place.name,
        submitted_at=feedback.received_at,
        customer_name=feedback.contact.name,
        locale=feedback.locale,
        ratings=feedback.ratings,
        comments=tuple(comment for comment in feedback.comments if comment.text.strip()),
        messages=conversation.customer_messages,
    )
