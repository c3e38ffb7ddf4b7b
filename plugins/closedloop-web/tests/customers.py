"""What both of closedloop-web's suites do with a desk: take a customer's survey feedback, and read back what the
customer said on the reply page."""

from __future__ import annotations

from closedloop import Contact, Conversation, Desk, Feedback, InteractionKind, Rating, RatingKind, Source
from closedloop.testing import FakeClock

CUSTOMER = "Claire Dupont"
CUSTOMER_EMAIL = "claire@example.com"


class Customers:
    """Feedback at the Opéra from Claire (by default), and what she answered, as Ana sees the conversation."""

    desk: Desk
    clock: FakeClock
    numbers: int

    def feedback(
        self,
        *,
        name: str = CUSTOMER,
        comment: str = "The soup was cold.",
        locale: str = "en",
        stars: int = 2,
        nps: int = 3,
    ) -> str:
        """A survey's feedback, rated ``stars`` out of 5 and ``nps``; the new conversation's id."""
        self.numbers += 1
        conversation = self.desk.ingest(
            Feedback(
                source=Source.SURVEY,
                external_id=f"survey-{self.numbers}",
                place_id="opera",
                received_at=self.clock.now(),
                contact=Contact(name=name, email=CUSTOMER_EMAIL),
                ratings=[
                    Rating(key="stars", kind=RatingKind.STARS, value=stars),
                    Rating(key="nps", kind=RatingKind.NPS, value=nps),
                ],
                comments=comment,
                locale=locale,
            )
        )
        return conversation.id

    def read(self, conversation_id: str) -> Conversation:
        return self.desk.conversation(conversation_id, by="ana")

    def customer_said(self, conversation_id: str) -> list[str]:
        """The customer's messages recorded in the conversation, oldest first."""
        history = self.read(conversation_id).history
        return [entry.body for entry in history if entry.kind is InteractionKind.CUSTOMER_MESSAGE]
