"""A bound on guessing reply links: a client that keeps trying unknown links is turned away for a while."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

import attrs


@attrs.define
class GuessLimiter:
    """Counts each client's unknown links over a sliding window; past ``max_misses`` it says to wait.

    A real link's token has 256 random bits, so guessing cannot work; the limit keeps a guesser from
    loading the database and the logs. Only misses count, so a customer who opens their link many times is
    never turned away. At most ``max_clients`` are tracked (the oldest are forgotten), so memory stays
    bounded whatever the traffic.
    """

    max_misses: int = 20
    window_seconds: float = 600.0
    max_clients: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _misses: OrderedDict[str, deque[float]] = attrs.field(factory=OrderedDict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def wait_seconds(self, client: str) -> int:
        """0 when the client may try a link, else how many seconds until it may try again."""
        with self._lock:
            misses = self._recent(client)
            if len(misses) < self.max_misses:
                return 0
            return max(1, int(misses[0] + self.window_seconds - self.clock()) + 1)

    def missed(self, client: str) -> None:
        """Record that the client tried a link that does not exist."""
        with self._lock:
            self._recent(client).append(self.clock())
            self._misses.move_to_end(client)
            while len(self._misses) > self.max_clients:
                self._misses.popitem(last=False)

    def _recent(self, client: str) -> deque[float]:
        misses = self._misses.setdefault(client, deque())
        horizon = self.clock() - self.window_seconds
        while misses and misses[0] <= horizon:
            misses.popleft()
        return misses
