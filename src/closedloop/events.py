"""What event hooks are told about a change."""

from __future__ import annotations

import attrs

from closedloop.domain.conversation import Conversation, Interaction


@attrs.frozen(kw_only=True)
class ConversationChange:
    """A conversation as committed, and the history entries the change appended to it."""

    conversation: Conversation
    added: tuple[Interaction, ...]
