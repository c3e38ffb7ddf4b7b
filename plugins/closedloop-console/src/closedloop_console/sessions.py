"""Sessions ended by signing out. The session lives in a signed cookie, which the server cannot take back: a
copy of it made before sign-out would still be valid until it expires. So the console remembers the ids of
sessions that signed out, for as long as such a cookie could last, and refuses them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import attrs


@attrs.define
class EndedSessions:
    """The ids of signed-out sessions, each kept ``lifetime_seconds`` (the longest a session lasts anyway).

    Kept in memory: a restart forgets them, which matters only with a fixed ``secret_key`` (a random one ends
    every session at restart anyway)."""

    lifetime_seconds: float
    clock: Callable[[], float] = time.time
    _ended: dict[str, float] = attrs.field(factory=dict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def end(self, session_id: str) -> None:
        with self._lock:
            now = self.clock()
            self._ended = {sid: until for sid, until in self._ended.items() if until > now}
            self._ended[session_id] = now + self.lifetime_seconds

    def has_ended(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._ended
