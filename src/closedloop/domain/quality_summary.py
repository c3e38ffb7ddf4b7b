"""A period's quality summary, per agent and for the team: the internal quality score (IQS) and its trend, the
category averages, the weakest categories with what reviewers said about them, and the customers' own
satisfaction with the same agent's conversations beside it, so a manager sees whether the two agree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from closedloop.domain.quality import Review, Scorecard, category_scores, iqs, review_score

#: How many weak categories a summary points at, and how many comments it quotes for each.
WEAKEST = 3
EXAMPLES = 3


@attrs.frozen(kw_only=True)
class CategoryAverage:
    """The mean score of one category over the reviews that rated it (a critical failure does not zero it)."""

    category_id: str
    name: str
    average: float
    rated: int


@attrs.frozen(kw_only=True)
class WeakCategory:
    """One of the lowest category averages, with up to three reviewer comments on it, lowest scores first."""

    category_id: str
    name: str
    average: float
    comments: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Satisfaction:
    """What the customers themselves said of the same conversations: CSAT in % and NPS in points."""

    csat: float | None = None
    nps: float | None = None


@attrs.frozen(kw_only=True)
class QualityFigures:
    """The figures of one agent (``agent_id``) or of the team (``agent_id`` None) for the period; a summary
    of one agent has that agent's figures in place of the team's."""

    agent_id: str | None
    reviews: int
    iqs: float | None
    previous_iqs: float | None
    change: float | None  # IQS minus the previous period's, in points
    categories: tuple[CategoryAverage, ...]
    weakest: tuple[WeakCategory, ...]
    csat: float | None = None
    nps: float | None = None


@attrs.frozen(kw_only=True)
class QualitySummary:
    """What ``desk.qa.summary`` returns: the period (its key, e.g. ``2026-03``, and bounds), the team's figures
    and each reviewed agent's, by agent id, and the places covered (None: every place). When it is one agent's
    summary, ``team`` holds that agent's figures and its ``agent_id`` says whose (see :attr:`is_team`)."""

    period: str
    since: datetime
    until: datetime
    team: QualityFigures
    agents: tuple[QualityFigures, ...]
    places: tuple[str, ...] | None = None

    @property
    def is_team(self) -> bool:
        """Whether ``team`` holds the team's figures, rather than one agent's."""
        return self.team.agent_id is None

    def agent(self, agent_id: str) -> QualityFigures | None:
        return next((figures for figures in self.agents if figures.agent_id == agent_id), None)


def summarize(
    *,
    period: str,
    since: datetime,
    until: datetime,
    reviews: Sequence[Review],
    previous: Sequence[Review],
    scorecards: Mapping[str, Scorecard],
    satisfaction: Mapping[str, Satisfaction],
    team_satisfaction: Satisfaction,
    agent_id: str | None = None,
    places: tuple[str, ...] | None = None,
) -> QualitySummary:
    """The summary of ``reviews`` (those of the period) against ``previous`` (those of the period before);
    ``satisfaction`` gives each agent's customer figures by agent id; ``agent_id`` when it is one agent's."""
    agent_ids = sorted({review.agent_id for review in reviews})
    agents = tuple(
        figures_of(
            agent_id,
            [review for review in reviews if review.agent_id == agent_id],
            [review for review in previous if review.agent_id == agent_id],
            scorecards,
            satisfaction.get(agent_id, Satisfaction()),
        )
        for agent_id in agent_ids
    )
    team = figures_of(agent_id, reviews, previous, scorecards, team_satisfaction)
    return QualitySummary(period=period, since=since, until=until, team=team, agents=agents, places=places)


def figures_of(
    agent_id: str | None,
    reviews: Sequence[Review],
    previous: Sequence[Review],
    scorecards: Mapping[str, Scorecard],
    satisfaction: Satisfaction,
) -> QualityFigures:
    current = iqs(score_of(review, scorecards) for review in reviews)
    before = iqs(score_of(review, scorecards) for review in previous)
    categories = category_averages(reviews, scorecards)
    return QualityFigures(
        agent_id=agent_id,
        reviews=len(reviews),
        iqs=current,
        previous_iqs=before,
        change=None if current is None or before is None else current - before,
        categories=categories,
        weakest=weakest(categories, reviews, scorecards),
        csat=satisfaction.csat,
        nps=satisfaction.nps,
    )


def score_of(review: Review, scorecards: Mapping[str, Scorecard]) -> float | None:
    """The review's score on its scorecard; None when the scorecard is gone or nothing weighted was rated."""
    scorecard = scorecards.get(review.scorecard_id)
    return None if scorecard is None else review_score(scorecard, review.ratings)


def _scored(
    reviews: Iterable[Review], scorecards: Mapping[str, Scorecard]
) -> Iterable[tuple[Review, dict[str, float]]]:
    for review in reviews:
        scorecard = scorecards.get(review.scorecard_id)
        if scorecard is not None:
            yield review, category_scores(scorecard, review.ratings)


def _weighted(scorecards: Mapping[str, Scorecard]) -> set[str]:
    """The category ids with a weight above 0 on some scorecard: those that move a score."""
    return {category.id for scorecard in scorecards.values() for category in scorecard.categories if category.weight}


def _names(scorecards: Mapping[str, Scorecard]) -> dict[str, str]:
    names: dict[str, str] = {}
    for scorecard in scorecards.values():
        for category in scorecard.categories:
            names.setdefault(category.id, category.name)
    return names


def category_averages(reviews: Iterable[Review], scorecards: Mapping[str, Scorecard]) -> tuple[CategoryAverage, ...]:
    """Each rated category's mean score over the reviews that rated it, by category id; categories of the
    same id on several scorecards count together."""
    scores: dict[str, list[float]] = defaultdict(list)
    for _review, found in _scored(reviews, scorecards):
        for category_id, score in found.items():
            scores[category_id].append(score)
    names = _names(scorecards)
    return tuple(
        CategoryAverage(
            category_id=category_id,
            name=names.get(category_id, category_id),
            average=sum(values) / len(values),
            rated=len(values),
        )
        for category_id, values in sorted(scores.items())
    )


def weakest(
    categories: Iterable[CategoryAverage], reviews: Sequence[Review], scorecards: Mapping[str, Scorecard]
) -> tuple[WeakCategory, ...]:
    """The categories with the lowest averages (at most three, none that averaged full marks nor weighs
    nothing), each with up to three reviewer comments given with less than full marks, lowest scores first."""
    weighted = _weighted(scorecards)
    lowest = sorted(
        (category for category in categories if category.average < 100 and category.category_id in weighted),
        key=lambda category: (category.average, category.category_id),
    )[:WEAKEST]
    commented: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for review, found in _scored(reviews, scorecards):
        for rating in review.ratings:
            if rating.comment.strip() and found.get(rating.category_id, 100.0) < 100:
                commented[rating.category_id].append((found[rating.category_id], rating.comment))
    return tuple(
        WeakCategory(
            category_id=category.category_id,
            name=category.name,
            average=category.average,
            comments=tuple(
                comment for _score, comment in sorted(commented[category.category_id], key=lambda pair: pair[0])
            )[:EXAMPLES],
        )
        for category in lowest
    )
