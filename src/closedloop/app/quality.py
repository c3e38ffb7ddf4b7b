"""``desk.qa``: conversation quality reviews, from scorecards to a month's summary.

Reviews and disputes are in :mod:`closedloop.app.reviewing`; samples, review cycles and summaries in
:mod:`closedloop.app.quality_cycles`. Every call is one transaction in which the acting user is read again, so
a right taken away counts at once. A user sees only reviews of conversations at places they may see; an agent
without the reviewer right, only the reviews of their own work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from closedloop.app import access, arguments, quality_cycles, review_cycles, reviewing
from closedloop.app.context import Context
from closedloop.app.quality_cycles import Period
from closedloop.domain.errors import AccessDenied, NotFound
from closedloop.domain.quality import CategoryRating, DisputeOutcome, Review, Scorecard, review_score
from closedloop.domain.quality_summary import QualitySummary
from closedloop.domain.sampling import DEFAULT_SHARE, Assignment, Cycle, Handled
from closedloop.quality import default_scorecard

__all__ = ["QualityDesk"]


class QualityDesk:
    """Quality reviews, as ``desk.qa``: scorecards, reviews and disputes, samples, review cycles, summaries.
    Every method takes ``by=``, the acting user; ``docs/quality.md`` walks through a month."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def default_scorecard(self) -> Scorecard:
        """The scorecard that ships with closedloop: tone, solution (critical), spelling, empathy, closing."""
        return default_scorecard()

    def scorecards(self, by: access.UserRef) -> list[Scorecard]:
        """Every scorecard, by id, with the default one even before it is stored."""
        by = arguments.user_ref(by, "by")
        with self._ctx.store.transaction() as tx:
            access.user(tx, by)
            return list(reviewing.scorecards_of(tx).values())

    def put_scorecard(self, scorecard: Scorecard, by: access.UserRef) -> Scorecard:
        """Add or replace a scorecard (admins and managers). Reviews already made on it are scored on the new
        one, so a version that removes or rescales a category they rated is refused; weights and names may
        change."""
        arguments.record(scorecard, Scorecard, "desk.qa.put_scorecard")
        by = arguments.user_ref(by, "by")
        with self._ctx.store.transaction() as tx:
            member = access.user(tx, by)
            if not reviewing.may_manage(member):
                raise AccessDenied(f"only a manager or an admin may change scorecards; user {member.id!r} is neither")
            reviewing.check_scorecard_change(tx, scorecard)
            tx.quality.put_scorecard(scorecard)
        return scorecard

    def review(
        self,
        conversation_id: str,
        by: access.UserRef,
        ratings: Sequence[CategoryRating],
        comment: str = "",
        agent: str | None = None,
        scorecard: Scorecard | str | None = None,
    ) -> Review:
        """Score how ``agent`` (by default the one user who replied to or called the customer) handled the
        conversation; needs the reviewer right, and nobody reviews their own work. A category left out is N/A."""
        return reviewing.review(self._ctx, conversation_id, by, ratings, comment, agent, scorecard)

    def revise(
        self, review_id: str, by: access.UserRef, ratings: Sequence[CategoryRating], comment: str | None = None
    ) -> Review:
        return reviewing.revise(self._ctx, review_id, by, ratings, comment)

    def dispute(self, review_id: str, by: access.UserRef, comment: str) -> Review:
        """The reviewed agent disagrees, saying why; a manager or admin then resolves it."""
        return reviewing.dispute(self._ctx, review_id, by, comment)

    def resolve(
        self,
        review_id: str,
        by: access.UserRef,
        outcome: DisputeOutcome | str,
        comment: str = "",
        ratings: Sequence[CategoryRating] | None = None,
    ) -> Review:
        return reviewing.resolve(self._ctx, review_id, by, outcome, comment, ratings)

    def reviews(
        self,
        by: access.UserRef,
        period: Period | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        agent: str | None = None,
        places: Iterable[str] | str | None = None,
        zone: ZoneInfo | str = "UTC",
    ) -> list[Review]:
        """The reviews the user may see of conversations received in the period (or from ``since`` to
        ``until``; every review when neither is given), oldest conversation first."""
        by = arguments.user_ref(by, "by")
        agent = arguments.optional_identifier(agent, "agent")
        start, end = quality_cycles.listing_bounds(period, since, until, zone, reviewing.EARLIEST, reviewing.LATEST)
        with self._ctx.store.transaction() as tx:
            return reviewing.visible_reviews(tx, access.user(tx, by), start, end, agent, places)

    def score(self, review: Review) -> float | None:
        """The review's score from 0 to 100 on its scorecard (None when nothing weighted was rated)."""
        arguments.record(review, Review, "desk.qa.score")
        with self._ctx.store.transaction() as tx:
            scorecard = reviewing.scorecards_of(tx).get(review.scorecard_id)
        if scorecard is None:
            raise NotFound(f"review {review.id!r} was made on scorecard {review.scorecard_id!r}, which is gone")
        return review_score(scorecard, review.ratings)

    def sample(
        self,
        period: Period,
        by: access.UserRef,
        share: float = DEFAULT_SHARE,
        seed: int | None = None,
        places: Iterable[str] | str | None = None,
        include_rated: bool = False,
        rated_key: str = "handling",
        zone: ZoneInfo | str = "UTC",
    ) -> list[Handled]:
        """A reproducible sample of the period's handled conversations, ``share`` of each agent's (at least
        one), by default leaving out those whose customer rated ``rated_key``; sorted by conversation id."""
        return quality_cycles.sample(self._ctx, period, by, share, seed, places, include_rated, rated_key, zone)

    def assign(
        self,
        period: Period,
        by: access.UserRef,
        reviewers: Sequence[str],
        share: float = DEFAULT_SHARE,
        seed: int | None = None,
        places: Iterable[str] | str | None = None,
        include_rated: bool = False,
        rated_key: str = "handling",
        cycle: str | None = None,
        zone: ZoneInfo | str = "UTC",
    ) -> Cycle:
        """Draw the period's sample (as :meth:`sample` does) and split it evenly among ``reviewers``, never
        giving one a conversation they took part in. Stored under ``cycle``, or the period (``2026-03``) for
        every place, or the period and the places covered (``2026-03@paris``); it replaces an earlier cycle of
        that id only if the caller sees every place of it."""
        return review_cycles.assign(
            self._ctx, period, by, reviewers, share, seed, places, include_rated, rated_key, cycle, zone
        )

    def progress(self, cycle_id: str, by: access.UserRef) -> dict[str, tuple[int, int]]:
        """Reviewer -> (reviews done, conversations assigned) in the cycle."""
        return review_cycles.progress(self._ctx, cycle_id, by)

    def assignments(self, cycle_id: str, by: access.UserRef) -> list[tuple[Assignment, bool]]:
        """What the cycle hands out, each with whether it is reviewed: a reviewer's own, or every one for the
        manager or admin who sees the whole cycle."""
        return review_cycles.assignments(self._ctx, cycle_id, by)

    def summary(
        self,
        period: Period,
        by: access.UserRef,
        agent: str | None = None,
        places: Iterable[str] | str | None = None,
        zone: ZoneInfo | str = "UTC",
    ) -> QualitySummary:
        """The period's quality per agent and for the team, against the period before, with the customers'
        CSAT and NPS of the same agents' conversations."""
        return quality_cycles.summary(self._ctx, period, by, agent, places, zone)
