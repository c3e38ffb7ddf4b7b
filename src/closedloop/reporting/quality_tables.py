"""A quality summary as plain-text tables, for the manager who writes the month's note to the team: the IQS of
the team and of each agent beside their customers' CSAT and NPS, the category averages, and the weakest
categories with what reviewers wrote about them.

The same conventions as the metrics tables: aligned columns without box drawing, and ``-`` for a figure over
no data (no reviews is not an IQS of zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from closedloop.domain.quality_summary import QualityFigures, QualitySummary
from closedloop.reporting.tables import PLACES_NAMED, number, percent, points, table

#: Category averages get a column per agent up to this many agents; beyond, only the team's is shown.
AGENT_COLUMNS = 6


def score(value: float | None) -> str:
    """A score out of 100, to one decimal."""
    return number(value, 1)


def change(value: float | None) -> str:
    """The change against the previous period, signed, so +0.0 reads as "no change" and ``-`` as "no figure"."""
    return points(value)


def quality_heading(summary: QualitySummary, places: Sequence[str] | None = None) -> str:
    """The period with its days, and the places counted: what a reader must know to trust the figures. The
    places are those the summary covered (the reader's, narrowed by any filter); ``places``, the filter as
    given, names them only for a summary that does not say."""
    last = (summary.until - timedelta(microseconds=1)).date()
    days = f"{summary.since.date()} to {last}"
    if summary.places is not None:
        places = list(summary.places)
        if not places:
            return f"{summary.period} ({days}), no places"
    if not places:
        where = "all places"
    elif len(places) <= PLACES_NAMED:
        where = ("place " if len(places) == 1 else "places ") + ", ".join(places)
    else:
        where = (
            f"{len(places)} places: {', '.join(places[: PLACES_NAMED - 1])} and {len(places) - PLACES_NAMED + 1} more"
        )
    return f"{summary.period} ({days}), {where}"


def who(quality: QualityFigures) -> str:
    return quality.agent_id or "team"


def quality_row(quality: QualityFigures) -> list[str]:
    return [
        who(quality),
        score(quality.iqs),
        str(quality.reviews),
        score(quality.previous_iqs),
        change(quality.change),
        percent(quality.csat),
        points(quality.nps),
    ]


def rows_of(summary: QualitySummary) -> list[QualityFigures]:
    """The team's figures then each agent's; for one agent's summary, only theirs, labelled with their id."""
    return [summary.team, *summary.agents] if summary.is_team else [summary.team]


def iqs_lines(summary: QualitySummary) -> list[str]:
    headers = ["agent", "IQS", "reviews", "previous IQS", "change", "CSAT", "NPS"]
    rows = [quality_row(quality) for quality in rows_of(summary)]
    return ["Internal quality score (IQS, 0 to 100) and customer feedback", *table(headers, rows)]


def category_lines(summary: QualitySummary) -> list[str]:
    """One row per category: the team's average and, when they fit, each agent's."""
    columns: Sequence[QualityFigures] = rows_of(summary) if len(summary.agents) <= AGENT_COLUMNS else [summary.team]
    names: dict[str, str] = {}
    averages: dict[tuple[str, str], float | None] = {}
    for quality in columns:
        for average in quality.categories:
            names.setdefault(average.category_id, average.name)
            averages[who(quality), average.category_id] = average.average
    if not names:
        return ["Category averages: no reviews in this period"]
    rows = [
        [name, *(score(averages.get((who(quality), category_id))) for quality in columns)]
        for category_id, name in names.items()
    ]
    return ["Category averages (0 to 100)", *table(["category", *(who(quality) for quality in columns)], rows)]


def weakest_lines(summary: QualitySummary) -> list[str]:
    """The weakest categories of the team, or of the one agent asked for, each with reviewers' comments."""
    quality = summary.agents[0] if len(summary.agents) == 1 and summary.is_team else summary.team
    if not quality.weakest:
        return ["Weakest categories: none rated in this period"]
    lines = [f"Weakest categories ({who(quality)})"]
    for weak in quality.weakest:
        lines.append(f"  {weak.name}: {score(weak.average)}")
        lines += [f"    - {comment}" for comment in weak.comments] or ["    (no comments)"]
    return lines


def render_quality(summary: QualitySummary, places: Sequence[str] | None = None) -> str:
    """The whole summary as text: a heading naming the period and places, then the IQS table, the category
    averages and the weakest categories."""
    parts = [
        [f"closedloop qa summary: {quality_heading(summary, places)}"],
        iqs_lines(summary),
        category_lines(summary),
        weakest_lines(summary),
    ]
    return "\n\n".join("\n".join(part) for part in parts) + "\n"
