"""The in-memory store's quality reviews: scorecards, reviews and review cycles kept as the immutable records
they are, written through the transaction's undo log; listings and the handled conversations are worked out
when asked, from every stored review and conversation, which the few of a memory store allow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from closedloop.domain.facts import facts_of
from closedloop.domain.quality import Review, Scorecard
from closedloop.domain.sampling import Cycle, Handled
from closedloop.ports.store import ReviewQuery

if TYPE_CHECKING:
    from closedloop.storage.memory import MemoryStore, UndoLog


def _listing_order(review: Review) -> tuple[datetime, str, datetime, str]:
    """Oldest conversation first, then the conversation's reviews oldest first: the order every store lists in."""
    return (review.received_at, review.conversation_id, review.created_at, review.id)


def _asked_for(review: Review, query: ReviewQuery) -> bool:
    return (
        query.since <= review.received_at < query.until
        and (query.place_ids is None or review.place_id in query.place_ids)
        and (query.agent_id is None or review.agent_id == query.agent_id)
        and (query.reviewer_id is None or review.reviewer_id == query.reviewer_id)
        and (query.conversation_id is None or review.conversation_id == query.conversation_id)
    )


class MemoryQuality:
    """Scorecards, reviews and review cycles by id; the handled conversations from the stored conversations'
    facts (:func:`~closedloop.domain.facts.facts_of`), as the SQL store reads them from its facts rows."""

    def __init__(self, store: MemoryStore, log: UndoLog) -> None:
        self._store = store
        self._log = log

    def scorecards(self) -> Sequence[Scorecard]:
        return [self._store.scorecards[scorecard_id] for scorecard_id in sorted(self._store.scorecards)]

    def get_scorecard(self, scorecard_id: str) -> Scorecard | None:
        return self._store.scorecards.get(scorecard_id)

    def put_scorecard(self, scorecard: Scorecard) -> None:
        self._log.set(self._store.scorecards, scorecard.id, scorecard)

    def get_review(self, review_id: str) -> Review | None:
        return self._store.reviews.get(review_id)

    def put_review(self, review: Review) -> None:
        self._log.set(self._store.reviews, review.id, review)

    def reviews(self, query: ReviewQuery) -> Sequence[Review]:
        asked_for = [review for review in self._store.reviews.values() if _asked_for(review, query)]
        return sorted(asked_for, key=_listing_order)

    def get_cycle(self, cycle_id: str) -> Cycle | None:
        return self._store.cycles.get(cycle_id)

    def put_cycle(self, cycle: Cycle) -> None:
        self._log.set(self._store.cycles, cycle.id, cycle)

    def handled(self, place_ids: frozenset[str] | None, since: datetime, until: datetime) -> Sequence[Handled]:
        found = []
        for conversation in self._store.conversations.values():
            facts = facts_of(conversation)
            if (
                facts.counted
                and facts.first_responder is not None
                and since <= facts.received_at < until
                and (place_ids is None or facts.place_id in place_ids)
            ):
                found.append(
                    Handled(
                        conversation_id=facts.conversation_id,
                        place_id=facts.place_id,
                        agent_id=facts.first_responder,
                        received_at=facts.received_at,
                        rating_keys=frozenset(rating.key for rating in facts.ratings),
                    )
                )
        return sorted(found, key=lambda handled: handled.conversation_id)
