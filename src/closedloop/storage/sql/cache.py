"""Decoded conversations kept by id and version, so the same inbox page shown again is not decoded again.

A committed version never changes, so an entry is never stale. A transaction decodes into a list of its own
and hands it to the shared cache only once committed: a read in a transaction that rolls back may not be the
truth, and a conversation the transaction wrote is not cached from it at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from closedloop.domain.conversation import Conversation
from closedloop.storage.sql.rows import load_conversation

#: How many decoded conversations a store keeps, by id and version.
CACHE_SIZE = 4096

CacheKey = tuple[str, int]


class ConversationCache:
    """The store's decoded conversations, least recently used dropped first; shared by every thread."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[CacheKey, Conversation] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: CacheKey) -> Conversation | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def publish(self, decoded: dict[CacheKey, Conversation]) -> None:
        with self.lock:
            self.entries.update(decoded)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


class TransactionDecodings:
    """What one transaction decoded, and which conversations it wrote."""

    def __init__(self, cache: ConversationCache) -> None:
        self.cache = cache
        self.decoded: dict[CacheKey, Conversation] = {}
        self.written: set[str] = set()

    def conversation(self, conversation_id: str, version: int, document: str) -> Conversation:
        """The conversation of a row: from this transaction or the cache when decoded before;
        :class:`closedloop.UnreadableRecord` when its document cannot be read."""
        key = (conversation_id, version)
        found = self.decoded.get(key) or self.cache.get(key)
        if found is None:
            found = load_conversation(conversation_id, document, version)
            if conversation_id not in self.written:
                self.decoded[key] = found
        return found

    def cached(self, key: CacheKey) -> Conversation | None:
        return self.cache.get(key)

    def wrote(self, conversation_ids: Iterable[str]) -> None:
        self.written.update(conversation_ids)

    def publish(self) -> None:
        """Hand what was decoded to the store's cache; only once the transaction committed."""
        self.cache.publish(self.decoded)
