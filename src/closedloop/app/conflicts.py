"""Running a use case again when another process wrote the same records meanwhile."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from closedloop.domain.errors import ConcurrentUpdate, DuplicateFeedback

#: How often a use case is tried when another process changed the same conversation meanwhile.
RETRIES = 5
T = TypeVar("T")


def retrying_on_conflict(run: Callable[[], T]) -> T:
    """Run a use case's transaction; when another process saved the same conversation, or took in the same
    feedback, meanwhile, run it again on the fresh state (the domain is pure, so this is safe), up to
    ``RETRIES`` times in all."""
    for attempt in range(RETRIES - 1):
        try:
            return run()
        except (ConcurrentUpdate, DuplicateFeedback):
            back_off(attempt)
    return run()


def back_off(attempt: int) -> None:
    """Wait a little, longer after each try and by a random amount, so competing processes spread out."""
    time.sleep(random.uniform(0, 0.01 * 2**attempt))
