"""What a prompt says about a conversation: its comments, ratings, concepts and customer-visible history, as
lines a model reads well, with the customer's personal data masked on the way."""

from __future__ import annotations

from collections.abc import Iterable

from closedloop import ActorKind, Band, Comment, Concept, DraftRequest, Rating
from closedloop_llm.languages import language_name, phone_regions
from closedloop_llm.masking import Masker

NOTHING = "(none)"
#: Below this sentiment a concept reads as negative, above its opposite as positive.
NEUTRAL_BAND = 0.2


def _lines(items: Iterable[str]) -> str:
    text = "\n".join(items)
    return text or NOTHING


def _indented(text: str) -> str:
    """A text that may span lines as one list item: its later lines indented under the first."""
    return "\n  ".join(line for line in text.strip().splitlines() if line.strip())


def _comment(comment: Comment, masker: Masker) -> str:
    """A comment as a list item, named by its question unless it is the general comment."""
    question = "" if comment.question == "comment" else f"[{comment.question}] "
    return f"- {question}{_indented(masker.mask(comment.text))}"


def _rating(rating: Rating) -> str:
    low, high = rating.bounds
    name = rating.label or rating.key
    moment = f", about {rating.journey_moment}" if rating.journey_moment else ""
    return f"- {name} ({rating.kind.value}{moment}): {rating.value:g} on a scale from {low:g} to {high:g}"


def _concept(concept: Concept) -> str:
    feeling = (
        "negative"
        if concept.sentiment < -NEUTRAL_BAND
        else "positive"
        if concept.sentiment > NEUTRAL_BAND
        else "neutral or mixed"
    )
    return f"- {concept.name}: {feeling} ({concept.sentiment:+.2f})"


def _band(band: Band) -> str:
    return "no rating given" if band is Band.UNRATED else band.value


def masker_for(request: DraftRequest, default_region: str | None = None) -> Masker:
    """The masker of this customer: their surname, their own address and number, read in their regions."""
    contact = request.feedback.contact
    regions = ([default_region] if default_region else []) + list(
        phone_regions(request.feedback.locale, request.language)
    )
    return Masker(surname=contact.last_name, known=(contact.email, contact.tel), regions=regions)


def reply_values(request: DraftRequest, masker: Masker) -> dict[str, str]:
    """The values of the suggest template's placeholders, masked where a customer wrote them."""
    feedback = request.feedback
    comments = (_comment(comment, masker) for comment in feedback.comments if comment.text.strip())
    history = (
        f"- {'Customer' if entry.author.kind is ActorKind.CUSTOMER else 'Reply from the business'}: "
        f"{_indented(masker.mask(entry.body))}"
        for entry in request.conversation.customer_messages
        if entry.body.strip()
    )
    return {
        "business": business(request.business_name),
        "place": request.place.name,
        "agent": request.agent.first_name,
        "customer": masker.mask(feedback.contact.first_name) or "(not given)",
        "language": language_or(request.language, "the language the customer wrote in"),
        "tone": request.tone,
        "band": _band(request.band),
        "ratings": _lines(_rating(rating) for rating in feedback.ratings),
        "comments": _lines(comments),
        "concepts": _lines(_concept(concept) for concept in request.concepts),
        "history": _lines(history),
    }


def business(name: str) -> str:
    return name.strip() or "the business"


def language_or(code: str, otherwise: str) -> str:
    """The name of the language of ``code``, or ``otherwise`` when no language is given."""
    return language_name(code) or otherwise
