"""The in-memory store's privacy records: erasure records by id, written through the transaction's undo log so
that a failed erasure keeps none; contacts and untouched conversations are worked out when asked, from every
stored conversation, which the few of a memory store allow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from closedloop.domain.conversation import Folder
from closedloop.domain.errors import AlreadyStored
from closedloop.domain.privacy import ErasureRecord
from closedloop.ports.store import ContactRow

if TYPE_CHECKING:
    from closedloop.storage.memory import MemoryStore, UndoLog


class MemoryPrivacy:
    """What erasing customers and forgetting on schedule read and keep, in the memory store's dictionaries."""

    def __init__(self, store: MemoryStore, log: UndoLog) -> None:
        self._store = store
        self._log = log

    def contacts(self, after: str | None, limit: int) -> Sequence[ContactRow]:
        conversations = self._store.conversations
        ids = sorted(conversation_id for conversation_id in conversations if after is None or conversation_id > after)
        rows = []
        for conversation_id in ids[: max(limit, 0)]:
            conversation = conversations[conversation_id]
            contact = conversation.feedback.contact
            rows.append(
                ContactRow(
                    conversation_id=conversation_id,
                    place_id=conversation.place_id,
                    name=contact.name,
                    email=contact.email,
                    tel=contact.tel,
                )
            )
        return rows

    def untouched(self, folder: Folder, before: datetime, after: str | None, limit: int) -> Sequence[str]:
        found = sorted(
            conversation.id
            for conversation in self._store.conversations.values()
            if conversation.folder is folder
            and conversation.last_updated_at < before
            and (after is None or conversation.id > after)
        )
        return found[: max(limit, 0)]

    def add_erasure(self, record: ErasureRecord) -> None:
        if record.id in self._store.erasures:
            raise AlreadyStored(f"an erasure record with id {record.id!r} is already kept")
        self._log.set(self._store.erasures, record.id, record)

    def erasures(self) -> Sequence[ErasureRecord]:
        return sorted(self._store.erasures.values(), key=lambda record: (record.at, record.id))

    def forget_erasures(self, now: datetime) -> int:
        """Those kept until a moment before ``now``; one kept until ``now`` itself stays for this run."""
        expired = [record.id for record in self._store.erasures.values() if record.keep_until < now]
        for record_id in expired:
            self._log.delete(self._store.erasures, record_id)
        return len(expired)
