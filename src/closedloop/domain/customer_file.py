"""The customer file: everything about one feedback on one page, for the people handling it."""

from __future__ import annotations

import attrs

from closedloop.domain.alerts import Alert
from closedloop.domain.conversation import Concept, Conversation, Interaction
from closedloop.domain.feedback import Feedback
from closedloop.domain.people import Place


@attrs.frozen(kw_only=True)
class CustomerFile:
    """Feedback, alert, analysis and conversation together, as ``desk.customer_file`` returns them."""

    place: Place
    conversation: Conversation

    @property
    def feedback(self) -> Feedback:
        return self.conversation.feedback

    @property
    def alert(self) -> Alert | None:
        return self.conversation.alert

    @property
    def analysis(self) -> tuple[Concept, ...]:
        return self.conversation.analysis

    @property
    def history(self) -> tuple[Interaction, ...]:
        return self.conversation.history
