"""What an assistant is asked for and what it gives back: a draft is only ever a suggestion, and a reply that
started as one remembers which assistant and model made it, for quality reviews later."""

from __future__ import annotations

import enum

import attrs

from closedloop.domain.conversation import Concept, Conversation
from closedloop.domain.feedback import Feedback, Rating, RatingKind
from closedloop.domain.people import Place, User
from closedloop.domain.values import text_field, texts

#: The tones every built-in assistant knows; a hosted model takes any tone named in plain words.
TONES: tuple[str, ...] = ("friendly", "formal", "apologetic", "concise")


class Band(enum.StrEnum):
    """How the customer rated the visit, in three bands a reply's opening depends on."""

    NEGATIVE = "negative"  # an NPS detractor (0-6), one or two stars, a CSAT of 1 or 2
    MIXED = "mixed"  # an NPS passive (7-8), three stars, a CSAT of 3
    POSITIVE = "positive"  # an NPS promoter (9-10), four or five stars, a CSAT of 4 or 5
    UNRATED = "unrated"  # no rating a band can be read from


def band_of_rating(rating: Rating) -> Band:
    """The band of one rating; a custom scale is read in thirds, CES (effort, not satisfaction) gives none."""
    if rating.kind is RatingKind.NPS:
        return Band.NEGATIVE if rating.value <= 6 else Band.MIXED if rating.value <= 8 else Band.POSITIVE
    if rating.kind in (RatingKind.STARS, RatingKind.CSAT):
        return Band.NEGATIVE if rating.value <= 2 else Band.MIXED if rating.value < 4 else Band.POSITIVE
    if rating.kind is RatingKind.CUSTOM:
        low, high = rating.bounds
        share = (rating.value - low) / (high - low)
        return Band.NEGATIVE if share < 1 / 3 else Band.MIXED if share < 2 / 3 else Band.POSITIVE
    return Band.UNRATED


def band_of(feedback: Feedback) -> Band:
    """The band of the feedback's first rating that has one: NPS first, then stars, CSAT and custom scores."""
    order = (RatingKind.NPS, RatingKind.STARS, RatingKind.CSAT, RatingKind.CUSTOM)
    for kind in order:
        for rating in feedback.ratings:
            if rating.kind is kind and (band := band_of_rating(rating)) is not Band.UNRATED:
                return band
    return Band.UNRATED


@attrs.frozen(kw_only=True)
class DraftRequest:
    """Everything an assistant may use to draft a reply, gathered by the desk so every assistant gets the same.

    ``language`` is the language the draft is to be written in (``"en"``, ``"fr"``, ...): the feedback's
    locale, or the language its comments are written in when the locale is missing or wrong. ``concepts`` are
    the conversation's analysis, the most negative first, so a draft answers complaints before praise.
    """

    conversation: Conversation
    agent: User
    place: Place
    business_name: str
    language: str
    tone: str
    band: Band
    concepts: tuple[Concept, ...]

    @property
    def feedback(self) -> Feedback:
        return self.conversation.feedback


def _draft_notes(value: object) -> tuple[str, ...]:
    return texts(value, "a draft's notes")


def _suggestion_notes(value: object) -> tuple[str, ...]:
    return texts(value, "a suggestion's notes")


@attrs.frozen(kw_only=True)
class Draft:
    """What an assistant wrote; ``model`` names the model that wrote it (empty for an assistant without one), and
    ``language`` the language it is written in when that is not the one asked for (empty: as asked)."""

    text: str = attrs.field(validator=text_field("draft"))
    model: str = attrs.field(default="", validator=text_field("draft"))
    language: str = attrs.field(default="", validator=text_field("draft"))
    #: what the agent should check before sending, e.g. a refund the draft offers that nobody agreed to
    notes: tuple[str, ...] = attrs.field(default=(), converter=_draft_notes)


@attrs.frozen(kw_only=True)
class Suggestion:
    """A draft as the desk hands it to an agent: the text, and which assistant and model wrote it, in which
    language. Nothing is recorded or sent until the agent calls ``desk.reply(..., suggestion=...)``."""

    text: str = attrs.field(validator=text_field("suggestion"))
    assistant: str = attrs.field(validator=text_field("suggestion", one_line=True))
    model: str = attrs.field(validator=text_field("suggestion", one_line=True))
    language: str = attrs.field(validator=text_field("suggestion", one_line=True))
    # None for a rephrasing, which belongs to no conversation yet
    conversation_id: str | None = attrs.field(default=None, validator=text_field("suggestion", optional=True))
    #: what the agent should check before sending (see Draft.notes)
    notes: tuple[str, ...] = attrs.field(default=(), converter=_suggestion_notes)

    def __str__(self) -> str:
        return self.text

    def details(self, body: str) -> dict[str, str]:
        """What a reply's history entry keeps of the suggestion it started from."""
        return {
            "assistant": self.assistant,
            "model": self.model,
            "suggestion": "sent as suggested" if body.strip() == self.text.strip() else "edited",
        }
