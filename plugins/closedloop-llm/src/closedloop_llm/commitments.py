"""After the fact, the draft itself: a model told not to promise refunds may still do it, so every draft is read
for the words of a commitment (money back, a discount, a gift) that the business has not already used in the
conversation, and the agent is told before sending. The draft is not changed: the agent decides.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from importlib import resources


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    data = tomllib.loads(resources.files("closedloop_llm").joinpath("data", "commitments.toml").read_text("utf-8"))
    terms = sorted({term for words in data.values() for term in words})
    return tuple(re.compile(_pattern(term), re.IGNORECASE) for term in terms)


def _pattern(term: str) -> str:
    stem = re.escape(term.rstrip("*"))
    start = r"(?<!\w)" if term[0].isalnum() else ""
    end = r"\w*" if term.endswith("*") else (r"(?!\w)" if term[-1].isalnum() else "")
    return start + stem + end


def unbacked_commitments(draft: str, said_before: Iterable[str]) -> list[str]:
    """A note for each commitment word of ``draft`` that none of ``said_before`` (what the business already wrote
    to the customer, or the agent's own text being rephrased) contains."""
    earlier = "\n".join(said_before)
    notes = []
    for pattern in _patterns():
        found = pattern.search(draft)
        if found is not None and pattern.search(earlier) is None:
            notes.append(
                f"the draft offers {found.group(0)!r}, which nobody agreed to in this conversation: check that the "
                "business makes this commitment before sending, or remove it"
            )
    return notes
