"""The in-memory store's search: every stored conversation is read and matched when asked, which the few of a
memory store allow, so there is no index to keep in step, nor one to hold an erased customer's words. Positions
are kept by conversation id, and move through the transaction's undo log like every other write."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from closedloop.domain.conversation import Conversation
from closedloop.domain.search import Found, SearchQuery

if TYPE_CHECKING:
    from closedloop.storage.memory import MemoryStore, UndoLog

#: Positions for the whole process: each new one is higher than every one before, in any store.
_POSITIONS = itertools.count(1)


def place_in_search(store: MemoryStore, log: UndoLog, conversation: Conversation, before: Conversation | None) -> None:
    """Give a conversation added, or saved with a new last update, the next position."""
    if before is None or before.last_updated_at != conversation.last_updated_at:
        log.set(store.search_positions, conversation.id, next(_POSITIONS))


class MemorySearch:
    """Conversations found by their customer or their text, highest position first."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def find(self, query: SearchQuery) -> Sequence[Found]:
        positions = self._store.search_positions
        found = [
            Found(positions[conversation.id], conversation)
            for conversation in self._store.conversations.values()
            if query.matches(conversation, positions[conversation.id])
        ]
        found.sort(key=lambda item: item.position, reverse=True)
        return found[: query.limit]
