"""A bound on guessing passwords that a guesser cannot turn into a way to lock others out.

Three counts of failed sign-ins over a sliding window, each with its own bound:

- per user *and* address (5): the usual "too many tries" for one person at one place; it locks out no one else;
- per address (50): stops one address spraying a password over many users, loose enough that a whole team
  behind one proxy is not locked out by one person's typos;
- per user from addresses that never signed that user in (10): stops a guesser spread over many addresses,
  while the user, from an address they signed in from before, is not held by what strangers tried elsewhere.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

import attrs


@attrs.define
class LoginLimiter:
    """Counts failed sign-ins per (user, address), per address and per user over ``window_seconds``; a count at
    its bound waits until its oldest failure leaves the window. At most ``max_keys`` counts and known addresses
    are kept (the oldest forgotten), so memory stays bounded."""

    max_failures: int = 5
    max_per_address: int = 50
    max_per_user: int = 10
    window_seconds: float = 15 * 60.0
    known_seconds: float = 30 * 24 * 3600.0
    max_keys: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _failures: OrderedDict[str, deque[float]] = attrs.field(factory=OrderedDict, init=False)
    _known: OrderedDict[str, float] = attrs.field(factory=OrderedDict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def wait_seconds(self, user_id: str, address: str) -> int:
        """0 when ``user_id`` may try to sign in from ``address`` now, else how many seconds until they may."""
        with self._lock:
            waits = [
                self._wait(pair_key(user_id, address), self.max_failures),
                self._wait(address_key(address), self.max_per_address),
            ]
            if not self._is_known(user_id, address):
                waits.append(self._wait(user_key(user_id), self.max_per_user))
        return max(waits)

    def failed(self, user_id: str, address: str) -> None:
        """Record a failed sign-in of ``user_id`` from ``address`` in each of its counts."""
        with self._lock:
            now = self.clock()
            for key in (pair_key(user_id, address), address_key(address), user_key(user_id)):
                self._recent(key).append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, user_id: str, address: str) -> None:
        """The user signed in from ``address``: it becomes one of theirs and its own count is cleared. The
        address count is never cleared this way, so a guesser cannot reset it by signing in to an account of
        its own."""
        with self._lock:
            self._failures.pop(pair_key(user_id, address), None)
            self._known[pair_key(user_id, address)] = self.clock()
            self._known.move_to_end(pair_key(user_id, address))
            while len(self._known) > self.max_keys:
                self._known.popitem(last=False)

    def _is_known(self, user_id: str, address: str) -> bool:
        since = self._known.get(pair_key(user_id, address))
        return since is not None and self.clock() - since < self.known_seconds

    def _wait(self, key: str, bound: int) -> int:
        failures = self._recent(key)
        if len(failures) < bound:
            return 0
        return max(1, math.ceil(failures[-bound] + self.window_seconds - self.clock()))

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        horizon = self.clock() - self.window_seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures


def pair_key(user_id: str, address: str) -> str:
    return f"pair:{address} {user_id}"


def address_key(address: str) -> str:
    return f"client:{address}"


def user_key(user_id: str) -> str:
    return f"user:{user_id}"
