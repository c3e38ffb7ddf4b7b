"""Drafts from the assistant waiting in a reply box: a suggestion or a rephrasing is made by one post and shown
by the page that post redirects to, and the reply sent from that box names it so the history records which
assistant wrote it and whether it was edited.

Kept in memory, per user and conversation, for an hour: too long for the session's cookie, and not worth a
table. A restart forgets them; the reply box then keeps its text, and the reply goes out without the note of
which assistant drafted it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

import attrs
from starlette.requests import Request

from closedloop import Suggestion

#: How long a draft waits in a reply box, and how many the console keeps at most (the oldest go first).
DRAFT_LIFETIME_SECONDS = 60 * 60
MAX_DRAFTS = 5000


@attrs.frozen
class Draft:
    id: str
    suggestion: Suggestion
    expires_at: float


@attrs.define
class DraftBook:
    """The latest draft of each user for each conversation."""

    clock: Callable[[], float] = time.monotonic
    _drafts: dict[tuple[str, str], Draft] = attrs.field(factory=dict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def keep(self, user_id: str, conversation_id: str, suggestion: Suggestion) -> Draft:
        """Put the draft in the reply box, in place of any earlier one."""
        draft = Draft(secrets.token_urlsafe(12), suggestion, self.clock() + DRAFT_LIFETIME_SECONDS)
        with self._lock:
            self._drafts.pop((user_id, conversation_id), None)
            self._drafts[(user_id, conversation_id)] = draft
            while len(self._drafts) > MAX_DRAFTS:
                del self._drafts[next(iter(self._drafts))]
        return draft

    def current(self, user_id: str, conversation_id: str) -> Draft | None:
        with self._lock:
            draft = self._drafts.get((user_id, conversation_id))
            if draft is not None and draft.expires_at <= self.clock():
                del self._drafts[(user_id, conversation_id)]
                return None
            return draft

    def named(self, user_id: str, conversation_id: str, draft_id: str) -> Suggestion | None:
        """The suggestion the reply box started from, if ``draft_id`` is still the draft it holds."""
        draft = self.current(user_id, conversation_id)
        if draft is None or not draft_id or not secrets.compare_digest(draft.id.encode(), draft_id.encode("utf-8")):
            return None
        return draft.suggestion

    def discard(self, user_id: str, conversation_id: str) -> None:
        with self._lock:
            self._drafts.pop((user_id, conversation_id), None)


def drafts_of(request: Request) -> DraftBook:
    """The app's draft book, made on first use (pages run on one event loop, so this cannot race)."""
    book = getattr(request.app.state, "drafts", None)
    if not isinstance(book, DraftBook):
        book = DraftBook()
        request.app.state.drafts = book
    return book
