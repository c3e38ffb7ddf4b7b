"""Decoded conversations kept by id and version, so the same inbox page shown again is not decoded again.

A committed version never changes, so an entry is never stale. A transaction decodes into a list of its own
and hands it to the shared cache only once committed: a read in a transaction that rolls back may not be the
truth, and a conversation the transaction wrote is not cached from it at all. Once a transaction that wrote
conversations commits, every cached version of them is dropped: an erased conversation's earlier versions
hold the customer's data, and must not outlive the erasure in memory.
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
        self.versions: dict[str, set[int]] = {}  # the cached versions of each conversation, to drop them all
        self.lock = threading.Lock()
        # A transaction that began before a conversation was written may still publish the version it read:
        # each write is numbered, and the latest number of each recently written conversation is kept.
        self.writes = 0
        self.written_at: OrderedDict[str, int] = OrderedDict()
        self.forgotten_up_to = 0

    def now(self) -> int:
        """The number of the latest write, for a transaction to note when it begins."""
        with self.lock:
            return self.writes

    def get(self, key: CacheKey) -> Conversation | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def publish(self, decoded: dict[CacheKey, Conversation], written: set[str], began: int) -> None:
        """Keep what a committed transaction that began at write ``began`` decoded, unless it was written since,
        and drop every version of what it wrote."""
        with self.lock:
            if written:
                self.writes += 1
            for conversation_id in written:
                for version in self.versions.pop(conversation_id, ()):
                    self.entries.pop((conversation_id, version), None)
                self.written_at[conversation_id] = self.writes
                self.written_at.move_to_end(conversation_id)
            while len(self.written_at) > self.size * 4:
                self.forgotten_up_to = self.written_at.popitem(last=False)[1]
            if began < self.forgotten_up_to:
                decoded = {}  # too old to tell what was written since
            for key, conversation in decoded.items():
                if self.written_at.get(key[0], 0) > began:
                    continue
                self.entries[key] = conversation
                self.versions.setdefault(key[0], set()).add(key[1])
            while len(self.entries) > self.size:
                (conversation_id, version), _dropped = self.entries.popitem(last=False)
                self._unindex(conversation_id, version)

    def _unindex(self, conversation_id: str, version: int) -> None:
        versions = self.versions.get(conversation_id)
        if versions is not None:
            versions.discard(version)
            if not versions:
                del self.versions[conversation_id]


class TransactionDecodings:
    """What one transaction decoded, and which conversations it wrote."""

    def __init__(self, cache: ConversationCache) -> None:
        self.cache = cache
        self.began = cache.now()
        self.decoded: dict[CacheKey, Conversation] = {}
        self.written: set[str] = set()
        self.changed: set[str] = set()  # written over an earlier version, which the cache must forget

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
        """New conversations: nothing of them can be cached yet, so only this transaction's reads are left out."""
        self.written.update(conversation_ids)

    def rewrote(self, conversation_id: str) -> None:
        """A stored conversation saved anew: the cache forgets its earlier versions once this commits."""
        self.written.add(conversation_id)
        self.changed.add(conversation_id)

    def publish(self) -> None:
        """Hand what was decoded to the store's cache, and have it forget what was written; only once the
        transaction committed. A version decoded before this transaction wrote the conversation is left out."""
        kept = {key: conversation for key, conversation in self.decoded.items() if key[0] not in self.written}
        self.cache.publish(kept, self.changed, self.began)
