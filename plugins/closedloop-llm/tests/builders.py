"""What the tests build: the models llm is configured with, a desk using the plugin, feedback, draft requests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import closedloop_llm.plugin
from closedloop import (
    Actor,
    ActorKind,
    Band,
    Comment,
    Concept,
    Contact,
    Conversation,
    Desk,
    DraftRequest,
    Feedback,
    Interaction,
    InteractionKind,
    Place,
    Rating,
    RatingKind,
    Role,
    Source,
    Status,
    User,
)
from closedloop.testing import RecordingChannel

MODEL = "fake-gpt"  # served by the fake, no key needed
KEYED_MODEL = "fake-keyed"  # served by the fake, with a key saved under "fakekey"
NOWHERE_MODEL = "fake-nowhere"  # nothing listens at its address
SAVED_KEY = "sk-saved-fake-key"
WHEN = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
CUSTOMER = Contact(name="Marie Dubois-Lefèvre", email="marie.dubois@example.fr", tel="+33 6 12 34 56 78")
COMPLAINT = "Waited forty minutes for a table. Call me on 06 12 34 56 78 or write to marie.dubois@example.fr."


def open_desk(**llm: Any) -> Desk:
    """A desk with the plugin and the llm settings given (the fake's model unless told), a place, a user, and
    an email channel that keeps what it is given."""
    desk = Desk.open(
        plugins=[closedloop_llm.plugin, RecordingChannel()],
        load_entry_points=False,
        business_name="Chez Nous",
        default_region="FR",
        extra={"llm": {"model": MODEL, **llm}},
    )
    desk.add_place(Place(id="paris", name="Chez Nous Paris"))
    desk.add_user(User(id="ana", name="Ana Roux", role=Role.ADMIN))
    return desk


def feedback(*comments: str, locale: str = "en", contact: Contact = CUSTOMER, external_id: str = "s-1") -> Feedback:
    return Feedback(
        source=Source.SURVEY,
        external_id=external_id,
        place_id="paris",
        received_at=WHEN,
        contact=contact,
        ratings=(Rating(key="nps", kind=RatingKind.NPS, value=3), Rating(key="food", kind=RatingKind.STARS, value=4)),
        comments=[Comment(text=text) for text in comments or (COMPLAINT,)],
        locale=locale,
    )


def said(body: str, *, by_customer: bool) -> Interaction:
    """A customer-visible entry of a conversation's history: the customer's message or the business's reply."""
    if by_customer:
        author = Actor(kind=ActorKind.CUSTOMER, id="customer", name="Marie")
        kind = InteractionKind.CUSTOMER_MESSAGE
    else:
        author, kind = Actor(kind=ActorKind.USER, id="ana", name="Ana Roux"), InteractionKind.EMAIL_REPLY
    return Interaction(kind=kind, at=WHEN, author=author, body=body)


DEFAULT_CONCEPTS = (Concept(name="waiting", sentiment=-0.8), Concept(name="product", sentiment=0.6))


def request(
    given: Feedback | None = None,
    *,
    language: str = "en",
    tone: str = "apologetic",
    history: tuple[Interaction, ...] = (),
    concepts: tuple[Concept, ...] = DEFAULT_CONCEPTS,
) -> DraftRequest:
    """A draft request as the desk builds one, to call the assistant alone."""
    conversation = Conversation(
        id="c-1",
        feedback=given or feedback(),
        status=Status.NEW,
        created_at=WHEN,
        last_updated_at=WHEN,
        last_updated_by="closedloop",
        analysis=concepts,
        history=history,
    )
    return DraftRequest(
        conversation=conversation,
        agent=User(id="ana", name="Ana Roux"),
        place=Place(id="paris", name="Chez Nous Paris"),
        business_name="Chez Nous",
        language=language,
        tone=tone,
        band=Band.NEGATIVE,
        concepts=concepts,
    )
