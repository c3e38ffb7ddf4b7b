"""What quality reviews are drawn from and handed out as: the handled conversations of a period, and the
assignments of a sample among reviewers. The drawing and the splitting are pure functions of these records
and a seed, so the same call gives the same sample."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import attrs

from closedloop.domain.conversation import ActorKind, Conversation, InteractionKind
from closedloop.domain.errors import InvalidInput
from closedloop.domain.text import shown
from closedloop.domain.values import id_field, time_field


@attrs.frozen(kw_only=True)
class Handled:
    """A conversation an agent handled (see :func:`handler_of`), as sampling sees it: where, when its feedback
    came, who handled it, the keys of the ratings its feedback holds, and every user who replied, called or
    wrote a note on it (none of whom may review it)."""

    conversation_id: str
    place_id: str
    agent_id: str
    received_at: datetime
    rating_keys: frozenset[str] = frozenset()
    participants: frozenset[str] = frozenset()


@attrs.frozen(kw_only=True)
class Assignment:
    """One conversation of a sample, given to one reviewer to review the agent who handled it."""

    conversation_id: str = attrs.field(validator=id_field("assignment"))
    place_id: str = attrs.field(validator=id_field("assignment"))
    agent_id: str = attrs.field(validator=id_field("assignment"))
    reviewer_id: str = attrs.field(validator=id_field("assignment"))


@attrs.frozen(kw_only=True)
class Cycle:
    """A review cycle: the sample of one period, split among reviewers. ``id`` names it: by default the period
    (``2026-03``) for a cycle of every place, the period and the places it covers (``2026-03@paris``) for a
    narrower one, or a name given; a second split under the same id replaces the first."""

    id: str = attrs.field(validator=id_field("review cycle"))
    since: datetime = attrs.field(validator=time_field("review cycle"))
    until: datetime = attrs.field(validator=time_field("review cycle"))
    created_at: datetime = attrs.field(validator=time_field("review cycle"))
    created_by: str = attrs.field(validator=id_field("review cycle"))
    seed: int = 0
    share: float = 0.05
    assignments: tuple[Assignment, ...] = ()


#: What sampling draws by default: one conversation in twenty of each agent's.
DEFAULT_SHARE = 0.05

#: The history entries that make a user a conversation's agent: what reached the customer from them.
_HANDLING = frozenset({InteractionKind.EMAIL_REPLY, InteractionKind.REVIEW_REPLY, InteractionKind.CALL_LOG})


def agents_of(conversation: Conversation, *, notes: bool = False) -> tuple[str, ...]:
    """The users who replied to the customer or called them (with ``notes``, also those who wrote a note, as
    the metrics count a first response), in the order they first did; a public review reply is signed by the
    place but names who sent it."""
    kinds = _HANDLING | {InteractionKind.NOTE} if notes else _HANDLING
    found: dict[str, None] = {}
    for entry in conversation.history:
        if entry.kind not in kinds:
            continue
        who = entry.author.id if entry.author.kind is ActorKind.USER else entry.details.get("sent_by")
        if who:
            found.setdefault(who, None)
    return tuple(found)


def handler_of(conversation: Conversation) -> str | None:
    """The agent a conversation is sampled and reviewed about: the first user who replied to or called the
    customer, else (no reply nor call) the first who wrote a note. The one rule samples and reviews share."""
    handlers = agents_of(conversation) or agents_of(conversation, notes=True)
    return handlers[0] if handlers else None


def participants_of(conversation: Conversation) -> frozenset[str]:
    """Every user who replied, called or wrote a note: none of them reviews the conversation."""
    return frozenset(agents_of(conversation, notes=True))


def checked_share(share: object) -> float:
    """A share of conversations to draw: a number above 0 and at most 1 (0.05 is 5%)."""
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise InvalidInput(f"share must be a number above 0 and at most 1, e.g. 0.05 for 5%; got {shown(share)}")
    return float(share)


#: Seeds stay within what a 64-bit database integer holds, as a review cycle stores its seed.
_SEEDS = 2**63


def checked_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < _SEEDS:
        raise InvalidInput(
            f"seed must be a whole number from 0 to 2**63 - 1 (the same seed draws the same sample); got {shown(seed)}"
        )
    return seed


def seed_of(text: str) -> int:
    """A seed derived from a text such as a period's key: the same in every process, unlike ``hash``."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % _SEEDS


def drawn(count: int, share: float) -> int:
    """How many of an agent's ``count`` conversations a sample takes: the share rounded half up, at least one
    when they have any. Decimal arithmetic on the share as written, so 0.35 of 90 is 31.5 and gives 32."""
    if count <= 0:
        return 0
    exact = (Decimal(repr(share)) * count).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(count, max(1, int(exact)))


def sample(
    handled: Iterable[Handled], share: float, seed: int, exclude_keys: Iterable[str] = frozenset()
) -> list[Handled]:
    """A reproducible random sample of handled conversations, spread across agents: each agent's
    conversations (those whose feedback holds none of ``exclude_keys``) are drawn at ``share`` with a
    generator seeded by ``seed``; the result is sorted by conversation id."""
    share, seed = checked_share(share), checked_seed(seed)
    excluded = frozenset(exclude_keys)
    by_agent: dict[str, list[Handled]] = defaultdict(list)
    for item in handled:
        if not item.rating_keys & excluded:
            by_agent[item.agent_id].append(item)
    generator = random.Random(seed)
    chosen: list[Handled] = []
    for agent_id in sorted(by_agent):
        theirs = sorted(by_agent[agent_id], key=lambda item: item.conversation_id)
        chosen.extend(generator.sample(theirs, drawn(len(theirs), share)))
    return sorted(chosen, key=lambda item: item.conversation_id)


def assign(
    drawn_sample: Sequence[Handled],
    reviewers: Sequence[str],
    seed: int,
    scopes: Mapping[str, frozenset[str] | None] | None = None,
) -> tuple[Assignment, ...]:
    """Split a sample among reviewers as evenly as their limits allow: never a conversation its reviewer
    handled, replied to, called about or wrote a note on, nor one at a place outside their scope (``scopes``:
    reviewer -> place ids, None for every place).

    The conversations with the fewest possible reviewers are handed out first, each to the possible reviewer
    with the fewest so far (ties drawn by the seed), so the counts differ by at most one unless a reviewer's
    own conversations force otherwise. Assignments come sorted by conversation id.
    """
    seed = checked_seed(seed)
    if not reviewers:
        raise InvalidInput("give at least one reviewer to split the sample among")
    if len(set(reviewers)) != len(reviewers):
        raise InvalidInput(f"each reviewer is named once; got {list(reviewers)}")
    generator = random.Random(seed)
    order = list(reviewers)
    generator.shuffle(order)
    rank = {reviewer: position for position, reviewer in enumerate(order)}
    load = dict.fromkeys(order, 0)

    def possible(item: Handled) -> list[str]:
        return [
            reviewer
            for reviewer in order
            if reviewer != item.agent_id
            and reviewer not in item.participants
            and (scopes is None or scopes.get(reviewer) is None or item.place_id in (scopes[reviewer] or ()))
        ]

    options = {item.conversation_id: possible(item) for item in drawn_sample}
    for item in drawn_sample:
        if not options[item.conversation_id]:
            raise InvalidInput(
                f"no reviewer may review conversation {item.conversation_id!r}: it was handled by "
                f"{item.agent_id!r} at place {item.place_id!r}; add a reviewer who sees that place and did not "
                "reply, call or write a note on it"
            )
    queue = sorted(drawn_sample, key=lambda item: (len(options[item.conversation_id]), item.conversation_id))
    assignments = []
    for item in queue:
        reviewer = min(options[item.conversation_id], key=lambda name: (load[name], rank[name]))
        load[reviewer] += 1
        assignments.append(
            Assignment(
                conversation_id=item.conversation_id,
                place_id=item.place_id,
                agent_id=item.agent_id,
                reviewer_id=reviewer,
            )
        )
    return tuple(sorted(assignments, key=lambda assignment: assignment.conversation_id))


def progress(assignments: Iterable[Assignment], reviewed: Iterable[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Reviewer -> (reviews done, conversations assigned); ``reviewed`` holds (reviewer id, conversation id)
    of every review made."""
    done = set(reviewed)
    counts: dict[str, list[int]] = {}
    for assignment in assignments:
        tally = counts.setdefault(assignment.reviewer_id, [0, 0])
        tally[1] += 1
        if (assignment.reviewer_id, assignment.conversation_id) in done:
            tally[0] += 1
    return {reviewer: (tally[0], tally[1]) for reviewer, tally in sorted(counts.items())}
