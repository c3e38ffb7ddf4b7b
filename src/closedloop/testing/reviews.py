"""What a review connector's tests look at on the desk's side of it: the conversations a sync stored, and the reply
message the desk hands the connector's channel.

The fake platform (``closedloop.testing.platform``) plays the other side; these two save every connector's tests
from writing them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from closedloop.domain.messages import MessageKind, OutboundMessage
from closedloop.testing.clock import START

if TYPE_CHECKING:
    from closedloop.desk import Desk
    from closedloop.domain.conversation import Conversation

__all__ = ["review_reply", "stored_reviews"]


def stored_reviews(desk: Desk, user: str) -> dict[str, Conversation]:
    """Every conversation in ``user``'s inbox, walked to its last page, by its feedback's ``external_id`` (the
    platform's review id, as the connector mapped it)."""
    found: dict[str, Conversation] = {}
    after = None
    while True:
        page = desk.inbox(user, limit=100, after=after)
        found.update({conversation.feedback.external_id: conversation for conversation in page.items})
        if page.next is None:
            return found
        after = page.next


def review_reply(channel: str, external_id: str, *, number: int = 1, body: str = "Thank you.") -> OutboundMessage:
    """A public reply to the review ``external_id``, as the desk hands it to the channel named ``channel``; give
    each message of one batch its own ``number``."""
    return OutboundMessage(
        id=f"m{number}",
        conversation_id="c1",
        channel=channel,
        kind=MessageKind.REVIEW_REPLY,
        recipients=(),
        subject="",
        body=body,
        created_at=START,
        external_id=external_id,
    )
