"""How long the fuzz suite runs, and the one way every fuzz test explores its entry point.

``CLOSEDLOOP_FUZZ`` holds words separated by commas: ``deep`` runs many times more inputs per entry point,
randomly and with no time limit, for a long run; ``survey`` does not shrink a failing input but goes on
trying the rest, and then fails with every distinct failure it met, to list them quickly. Without either,
the run is bounded and derandomized, so a failure in CI comes back the same on a laptop.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .judge import PropertyBroken

#: Inputs per entry point and store in the bounded run; the deep run multiplies it (CLOSEDLOOP_FUZZ_FACTOR
#: sets by how much, 40 by default).
EXAMPLES = 100
DEEP_FACTOR = int(os.environ.get("CLOSEDLOOP_FUZZ_FACTOR", "40"))

MODES = {word.strip() for word in os.environ.get("CLOSEDLOOP_FUZZ", "").split(",") if word.strip()}
DEEP = "deep" in MODES
SURVEY = "survey" in MODES

settings.register_profile(
    "closedloop-fuzz",
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    # hostile values are large and slow to handle by design
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "closedloop-fuzz-deep",
    parent=settings.get_profile("closedloop-fuzz"),
    max_examples=EXAMPLES * DEEP_FACTOR,
    derandomize=False,
    print_blob=True,
)
_chosen = settings.get_profile("closedloop-fuzz-deep" if DEEP else "closedloop-fuzz")
#: The settings every fuzz test runs with.
FUZZ = settings(_chosen, phases=[Phase.explicit, Phase.generate]) if SURVEY else _chosen


def explore(strategy: st.SearchStrategy[Any], judge: Callable[[Any], object]) -> None:
    """Draw inputs from ``strategy`` and ``judge`` each; ``judge`` raises :class:`PropertyBroken` on a failure.

    Hypothesis shrinks the first failure to a small input and reports it (with any other distinct failure it
    met). In a survey, every input is tried and the distinct failures are reported together at the end.
    """
    found: dict[str, PropertyBroken] = {}

    @FUZZ
    @given(values=strategy)
    def fuzz(values: Any) -> None:
        if not SURVEY:
            judge(values)
            return
        try:
            judge(values)
        except PropertyBroken as failure:
            found.setdefault(repr(failure.kind), failure)

    fuzz()
    if found:
        first = next(iter(found.values()))
        report = f"{len(found)} distinct failures:\n" + "\n".join(str(failure) for failure in found.values())
        raise PropertyBroken(report, first.kind) from first
