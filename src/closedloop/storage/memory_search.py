"""The in-memory store's search: every stored conversation is read and matched when asked, which the few of a
memory store allow, so there is no index to keep in step, nor one to hold an erased customer's words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from closedloop.domain.conversation import Conversation
from closedloop.domain.search import SearchQuery, search_key

if TYPE_CHECKING:
    from closedloop.storage.memory import MemoryStore


class MemorySearch:
    """Conversations found by their customer or their text, newest activity first."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def find(self, query: SearchQuery) -> Sequence[Conversation]:
        found = [conversation for conversation in self._store.conversations.values() if query.matches(conversation)]
        found.sort(key=search_key, reverse=True)
        return found[: query.limit]
