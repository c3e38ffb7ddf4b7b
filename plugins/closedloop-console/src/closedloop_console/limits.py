"""A bound on guessing passwords: after a few failed sign-ins, a user and a client address wait a while."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

import attrs


@attrs.define
class LoginLimiter:
    """Counts failed sign-ins per key (``user:<id>``, ``client:<address>``) over a sliding window; a key with
    ``max_failures`` in the window must wait until the oldest of them leaves it.

    Counting per user stops a guesser who spreads over many addresses; counting per address stops one who
    tries many users. At most ``max_keys`` are tracked (the oldest forgotten), so memory stays bounded.
    """

    max_failures: int = 5
    window_seconds: float = 15 * 60.0
    max_keys: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _failures: OrderedDict[str, deque[float]] = attrs.field(factory=OrderedDict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def wait_seconds(self, *keys: str) -> int:
        """0 when every key may try again, else how many seconds until the last of them may."""
        with self._lock:
            waits = [self._wait(key) for key in keys]
        return max(waits, default=0)

    def failed(self, *keys: str) -> None:
        """Record a failed sign-in against each key."""
        with self._lock:
            now = self.clock()
            for key in keys:
                self._recent(key).append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def forget(self, key: str) -> None:
        """Clear a key's failures (a user who signed in); a client address is never cleared this way, so a
        guesser cannot reset its count by signing in to an account of its own."""
        with self._lock:
            self._failures.pop(key, None)

    def _wait(self, key: str) -> int:
        failures = self._recent(key)
        if len(failures) < self.max_failures:
            return 0
        return max(1, math.ceil(failures[-self.max_failures] + self.window_seconds - self.clock()))

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        horizon = self.clock() - self.window_seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures
