"""Online reviews as their platform shows them, and how a sync folds them into conversations.

A platform is the truth about a review: the customer may edit it, and the business may answer it there
without closedloop. A sync therefore compares what the platform shows with what the conversation knows and
records the difference: an edit as a customer message (it brings the conversation back to the inbox), a reply
made on the platform as the place's reply. Seeing the same review again records nothing.

An erased review's conversation no longer holds its text, only keyed hashes of it and of the business's reply
(:class:`closedloop.domain.conversation.ErasureMark`): until the customer writes again, a sync compares the
platform's review with those, so that an erased review does not come back by being seen again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from closedloop.domain.conversation import (
    Actor,
    ActorKind,
    Conversation,
    ErasureMark,
    Interaction,
    InteractionKind,
)
from closedloop.domain.errors import InvalidInput
from closedloop.domain.feedback import Feedback, Rating
from closedloop.domain.people import Place
from closedloop.domain.privacy import fingerprint, key_id
from closedloop.domain.transitions import Change, Event, customer_actor, move
from closedloop.domain.values import instance_field, text_field, time_field

#: Written into a synced review's metadata and into the details of the edits recorded later: the platform's
#: "last changed" time of the content the conversation holds.
UPDATED_AT = "review_updated_at"
#: Details of a reply recorded from the platform rather than sent by closedloop.
FROM_PLATFORM = "from_platform"


@attrs.frozen(kw_only=True)
class PlatformReply:
    """The business's public answer as the platform shows it."""

    body: str = attrs.field(validator=text_field("platform reply"))
    at: datetime = attrs.field(validator=time_field("platform reply"))


@attrs.frozen(kw_only=True)
class PlatformReview:
    """One review now: its content as feedback, when its content last changed, and the business's reply."""

    feedback: Feedback = attrs.field(validator=instance_field(Feedback, "review", "a Feedback"))
    updated_at: datetime = attrs.field(validator=time_field("review"))
    reply: PlatformReply | None = attrs.field(
        default=None, validator=instance_field(PlatformReply, "review", "a PlatformReply or None", optional=True)
    )

    def __attrs_post_init__(self) -> None:
        if not self.feedback.source.is_public or not self.feedback.platform:
            raise InvalidInput(
                f"review {self.feedback.external_id!r} needs a public source (review or social) and its platform"
            )

    def as_new_feedback(self) -> Feedback:
        """The feedback to open a conversation with, stamped with the time of the content it holds."""
        metadata = {**self.feedback.metadata, UPDATED_AT: self.updated_at.isoformat()}
        return attrs.evolve(self.feedback, metadata=metadata)


@attrs.frozen
class Known:
    """What a conversation holds of its review: the latest text and stars, and when they were written."""

    text: str
    stars: str
    updated_at: datetime | None


def _stars(ratings: Sequence[Rating]) -> str:
    return ",".join(f"{rating.key}={rating.value:g}" for rating in ratings)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def known_content(conversation: Conversation) -> Known:
    """The review's content as last recorded: the original feedback, or the last edit recorded since."""
    feedback = conversation.feedback
    known = Known(feedback.text, _stars(feedback.ratings), _moment(feedback.metadata.get(UPDATED_AT)))
    for entry in conversation.history:
        if entry.kind is InteractionKind.CUSTOMER_MESSAGE and UPDATED_AT in entry.details:
            known = Known(entry.body, entry.details.get("stars", ""), _moment(entry.details[UPDATED_AT]))
    return known


def review_prints(key: bytes, text: str, stars: str, reply: str) -> tuple[str, str]:
    """The keyed hashes an erased review keeps of its content and of the business's public reply, so that a
    later sync knows the same review again without its text (:class:`closedloop.domain.conversation.ErasureMark`)."""
    return fingerprint(key, f"{text}\n{stars}"), fingerprint(key, reply) if reply.strip() else ""


def erasure_prints(key: bytes, conversation: Conversation) -> tuple[str, str]:
    """:func:`review_prints` of a review's conversation as it is before its erasure; empty for other feedback.

    A conversation erased before keeps the prints of its earlier erasure, but for what the platform brought
    since (an edit by the customer, a reply): its text is there again and is hashed anew.
    """
    if not conversation.feedback.source.is_public:
        return "", ""
    known = known_content(conversation)
    latest = next(
        (entry.body for entry in reversed(conversation.history) if entry.kind is InteractionKind.REVIEW_REPLY), ""
    )
    review, reply = review_prints(key, known.text, known.stars, latest)
    mark = conversation.erasure
    if mark is None:
        return review, reply
    since = entries_since_erasure(conversation)
    return (
        review if any(_is_edit(entry) for entry in since) else mark.review,
        reply if any(entry.kind is InteractionKind.REVIEW_REPLY for entry in since) else mark.reply,
    )


def entries_since_erasure(conversation: Conversation) -> tuple[Interaction, ...]:
    """What the conversation recorded after its last erasure; all of it when it was never erased."""
    history = conversation.history
    if conversation.erasure is None:
        return history
    for position in range(len(history) - 1, -1, -1):
        if history[position].kind is InteractionKind.ERASURE:
            return history[position + 1 :]
    return ()


def _is_edit(entry: Interaction) -> bool:
    """A customer's edit of their review, as a sync records it."""
    return entry.kind is InteractionKind.CUSTOMER_MESSAGE and UPDATED_AT in entry.details


def _platform_replied(conversation: Conversation, reply: PlatformReply) -> bool:
    """Whether the conversation already holds this reply: recorded from the platform, or sent by us."""
    latest = next(
        (entry for entry in reversed(conversation.history) if entry.kind is InteractionKind.REVIEW_REPLY), None
    )
    return latest is not None and latest.body.strip() == reply.body.strip()


def sync_review(
    conversation: Conversation, review: PlatformReview, *, place: Place, now: datetime, key: bytes | None = None
) -> Change:
    """Fold what the platform shows into the conversation, in the order things happened there (an edit
    first when both happened at the same moment).

    An erased conversation is compared by the keyed hashes its erasure kept (``key`` is the desk's privacy
    key, needed only then): the review counts as edited only when its hash differs, and the platform's reply
    is recorded only when its hash differs, until the customer's next edit or the next reply is recorded.
    """
    steps: list[tuple[datetime, int, Callable[[Conversation], Conversation]]] = []
    known = known_content(conversation)
    newer = known.updated_at is None or review.updated_at > known.updated_at
    erased = _Erased.of(conversation, key)
    edited = newer and (
        erased.review_changed(review)
        if erased.review is not None
        else review.feedback.text != known.text or _stars(review.feedback.ratings) != known.stars
    )
    if edited:
        steps.append((review.updated_at, 0, lambda before: _edit(before, review, now)))
    reply = review.reply
    if reply is not None and (
        erased.reply_changed(reply) if erased.reply is not None else not _platform_replied(conversation, reply)
    ):
        steps.append((reply.at, 1, lambda before: _reply(before, reply, place, now)))
    for _at, _order, step in sorted(steps, key=lambda found: found[:2]):
        conversation = step(conversation)
    return Change(conversation)


@attrs.frozen
class _Erased:
    """The prints a sync compares with instead of the text: ``None`` where the conversation holds the text
    (never erased, or written again since its erasure) or its erasure knew no reply."""

    key: bytes
    review: str | None = None
    reply: str | None = None
    blind: bool = False

    @classmethod
    def of(cls, conversation: Conversation, key: bytes | None) -> _Erased:
        mark: ErasureMark | None = conversation.erasure
        if mark is None:
            return cls(b"")
        since = entries_since_erasure(conversation)
        review = None if any(_is_edit(entry) for entry in since) else mark.review
        replied = any(entry.kind is InteractionKind.REVIEW_REPLY for entry in since)
        reply = None if replied or not mark.reply else mark.reply
        if (review, reply) != (None, None) and key is None:
            raise InvalidInput(
                f"conversation {conversation.id} was erased: pass key=, the desk's privacy key, so that its review "
                "is known again by the hashes its erasure kept"
            )
        blind = bool(mark.key_id) and key is not None and key_id(key) != mark.key_id
        return cls(key or b"", review, reply, blind)

    def review_changed(self, review: PlatformReview) -> bool:
        """Whether the platform's review differs from the erased one; never, when the hashes were made with
        another key and cannot be compared: the text must not come back."""
        text, stars = review.feedback.text, _stars(review.feedback.ratings)
        return not self.blind and review_prints(self.key, text, stars, "")[0] != self.review

    def reply_changed(self, reply: PlatformReply) -> bool:
        return not self.blind and review_prints(self.key, "", "", reply.body)[1] != self.reply


def _edit(conversation: Conversation, review: PlatformReview, now: datetime) -> Conversation:
    """The customer changed the review: a customer message, so back to the inbox unread (spam stays spam)."""
    details = {UPDATED_AT: review.updated_at.isoformat(), "stars": _stars(review.feedback.ratings)}
    entry = Interaction(
        kind=InteractionKind.CUSTOMER_MESSAGE,
        at=review.updated_at,
        author=customer_actor(review.feedback),
        body=review.feedback.text,
        details=details,
    )
    return move(conversation, Event.CUSTOMER_MESSAGE, actor=entry.author, now=now, entries=[entry])


def _reply(conversation: Conversation, reply: PlatformReply, place: Place, now: datetime) -> Conversation:
    """The business answered on the platform: the place's reply; an open conversation now awaits the customer."""
    author = Actor(kind=ActorKind.PLACE, id=place.id, name=place.name)
    entry = Interaction(
        kind=InteractionKind.REVIEW_REPLY, at=reply.at, author=author, body=reply.body, details={FROM_PLATFORM: "yes"}
    )
    return move(conversation, Event.REPLY_ON_PLATFORM, actor=author, now=now, entries=[entry])
