"""A metrics report as the tables the reports page shows: each section's heading, column names and rows of
ready-made text, so the template only places them (and Jinja escapes them).

The figures and their wording follow ``closedloop report`` (``docs/metrics.md``): a figure over nothing is
``-``, never 0, because "nobody answered" and "a score of zero" mean different things.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from closedloop import Figures, RatingKind, Report
from closedloop.reporting import duration, number, percent, points, score_figure, score_split

NOTHING = "-"
KIND_LABELS = {
    RatingKind.NPS: "NPS",
    RatingKind.CSAT: "CSAT",
    RatingKind.CES: "CES",
    RatingKind.STARS: "Stars",
    RatingKind.CUSTOM: "Custom",
}


@attrs.frozen
class Table:
    """One section of the report: ``numeric`` holds the indexes of the columns aligned as numbers."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()
    note: str = ""


def counts(values: Mapping[str, int]) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {count}" for key, count in values.items()) or "none"


def scores(figures: Figures) -> Table:
    rows = tuple(
        (score.key, KIND_LABELS.get(score.kind, score.kind.value), str(score.answers), score_figure(score),
         number(score.mean), score_split(score, stars="{star}★ {count}", between=", "))
        for score in figures.scores
    )  # fmt: skip
    note = "" if rows else "No ratings in this period."
    return Table("Scores", ("Rating", "Kind", "Answers", "Figure", "Mean", "Split"), rows, frozenset({2, 4}), note)


def responsiveness(figures: Figures) -> Table:
    answered = figures.responsiveness
    rows = (
        ("Feedback counted", str(answered.feedback)),
        ("Responded to (reply, call or note)", str(answered.answered)),
        ("Reply rate", percent(answered.reply_rate)),
        ("First response, median", duration(answered.first_response_median)),
        ("First response, 90th percentile", duration(answered.first_response_p90)),
        ("Done", str(answered.done)),
        ("Time to done, median", duration(answered.time_to_done_median)),
        ("Time to done, 90th percentile", duration(answered.time_to_done_p90)),
    )
    return Table("Responsiveness", ("Figure", "Value"), rows, frozenset({1}))


def closed_loop(figures: Figures) -> Table:
    loop = figures.closed_loop
    hours = loop.window.total_seconds() / 3_600
    window = f"{hours:g} hours" if hours != 1 else "1 hour"
    rows = (
        ("Alerts", str(loop.alerts), str(loop.alerts_closed), percent(loop.alert_rate)),
        ("NPS detractors", str(loop.detractors), str(loop.detractors_closed), percent(loop.detractor_rate)),
    )
    by_status = counts({status.value: count for status, count in loop.alerts_by_status.items()})
    return Table(
        f"Closed loop (a reply or call within {window} of the feedback)",
        ("Of", "Total", "Closed in time", "Rate"),
        rows,
        frozenset({1, 2, 3}),
        f"Alert status now: {by_status}.",
    )


def volume(figures: Figures) -> Table:
    shown = figures.volume
    backlog = {category.value: count for category, count in shown.backlog.items()}
    rows = (
        ("Feedback", str(shown.feedback), counts(shown.by_source)),
        ("By platform", "", counts(shown.by_platform)),
        ("Backlog (not done)", str(sum(backlog.values())), counts(backlog)),
        ("Customer messages received", str(shown.customer_messages), ""),
        ("Left out (tests and spam)", str(sum(figures.left_out.values())), counts(figures.left_out)),
    )
    return Table("Volume", ("Figure", "Count", "Split"), rows, frozenset({1}))


def concepts(figures: Figures) -> Table:
    rows = tuple((concept.name, str(concept.mentions), f"{concept.sentiment:+.2f}") for concept in figures.concepts)
    note = "" if rows else "No concepts found in this period."
    return Table("Concepts (sentiment from -1 to +1)", ("Concept", "Mentions", "Mean sentiment"), rows,
                 frozenset({1, 2}), note)  # fmt: skip


def main_key(figures: Figures, kind: RatingKind) -> str | None:
    """The key of ``kind`` with the most answers (the first by name on a tie): the one a trend follows."""
    keys = [score for score in figures.scores if score.kind is kind]
    return min(keys, key=lambda score: (-score.answers, score.key)).key if keys else None


def trend(report: Report) -> Table | None:
    """One row per bucket, empty periods included, when the report was asked for by something."""
    if report.by is None:
        return None
    nps_key = main_key(report.figures, RatingKind.NPS)
    csat_key = main_key(report.figures, RatingKind.CSAT)
    rows = []
    for bucket in report.buckets:
        figures = bucket.figures
        nps = figures.score(nps_key) if nps_key else None
        csat = figures.score(csat_key) if csat_key else None
        rows.append(
            (
                bucket.key or "(no response)",
                str(figures.volume.feedback),
                points(nps.nps) if nps else NOTHING,
                str(nps.answers) if nps else "0",
                percent(csat.csat) if csat else NOTHING,
                str(csat.answers) if csat else "0",
                percent(figures.responsiveness.reply_rate),
                percent(figures.closed_loop.alert_rate),
            )
        )
    by = report.by.value
    headers = (by.capitalize(), "Feedback", "NPS", "Answers", "CSAT", "Answers", "Reply rate", "Closed loop")
    title = f"By {by} (NPS of {nps_key or NOTHING}, CSAT of {csat_key or NOTHING})"
    return Table(title, headers, tuple(rows), frozenset(range(1, 8)), "" if rows else "No buckets.")


def tables(report: Report) -> list[Table]:
    figures = report.figures
    made = [scores(figures), responsiveness(figures), closed_loop(figures), volume(figures), concepts(figures)]
    by_bucket = trend(report)
    return [*made, by_bucket] if by_bucket is not None else made
