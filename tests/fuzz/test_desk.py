"""Every public entry point of Desk, on the memory store and on SQLite: a call succeeds or raises a
closedloop error, a refused call changes nothing, and what a call accepted can be shown again."""

from __future__ import annotations

from typing import Any

import pytest

from .entries import BY_NAME
from .judge import World
from .profiles import explore


@pytest.mark.parametrize("entry", sorted(BY_NAME))
def test_only_closedloop_errors_and_a_refusal_changes_nothing(world: World, entry: str) -> None:
    point = BY_NAME[entry]

    def judge(values: dict[str, Any]) -> object:
        return world.attempt(entry, point.invoke, values)

    explore(point.arguments, judge)
