"""What quality reviews are drawn from and handed out as: the handled conversations of a period, and the
assignments of a sample among reviewers. The drawing and the splitting are pure functions of these records
and a seed, so the same call gives the same sample."""

from __future__ import annotations

from datetime import datetime

import attrs

from closedloop.domain.values import id_field, time_field


@attrs.frozen(kw_only=True)
class Handled:
    """A conversation an agent handled (their reply or call came first), as sampling sees it: where, when
    its feedback came, who handled it, and the keys of the ratings its feedback holds."""

    conversation_id: str
    place_id: str
    agent_id: str
    received_at: datetime
    rating_keys: frozenset[str] = frozenset()


@attrs.frozen(kw_only=True)
class Assignment:
    """One conversation of a sample, given to one reviewer to review the agent who handled it."""

    conversation_id: str = attrs.field(validator=id_field("assignment"))
    place_id: str = attrs.field(validator=id_field("assignment"))
    agent_id: str = attrs.field(validator=id_field("assignment"))
    reviewer_id: str = attrs.field(validator=id_field("assignment"))


@attrs.frozen(kw_only=True)
class Cycle:
    """A review cycle: the sample of one period, split among reviewers. ``id`` names it (by default the
    period, e.g. ``2026-03``), so a second split of the same period replaces the first."""

    id: str = attrs.field(validator=id_field("review cycle"))
    since: datetime = attrs.field(validator=time_field("review cycle"))
    until: datetime = attrs.field(validator=time_field("review cycle"))
    created_at: datetime = attrs.field(validator=time_field("review cycle"))
    created_by: str = attrs.field(validator=id_field("review cycle"))
    seed: int = 0
    share: float = 0.05
    assignments: tuple[Assignment, ...] = ()
