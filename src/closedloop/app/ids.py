"""Ids for new records: random, and sorted by the time they were made."""

from __future__ import annotations

import secrets
import time


def new_id() -> str:
    """A random id that starts with the time in milliseconds, like UUIDv7: ids made later sort later, so
    database indexes grow at their end instead of being written all over."""
    return new_ids(1)[0]


def new_ids(count: int) -> list[str]:
    """``count`` ids as :func:`new_id` makes them, drawing their randomness in one call rather than one each."""
    stamp = f"{time.time_ns() // 1_000_000:012x}"
    noise = secrets.token_bytes(10 * count).hex()
    return [stamp + noise[start : start + 20] for start in range(0, 20 * count, 20)]
