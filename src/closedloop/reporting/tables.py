"""A metrics report as plain-text tables, for a person reading a terminal or a log: the scores with their
answers, responsiveness, the closed-loop rate, volume and backlog, concepts, and a compact trend per bucket.

Plain aligned columns, no box drawing, so the text survives email, logs and a narrow terminal; a figure over
no data shows as ``-`` rather than as zero, because "no answers" and "a score of zero" mean different things.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta

from closedloop.domain.feedback import RatingKind
from closedloop.domain.metrics import Figures, MetricsQuery, Score
from closedloop.domain.reports import Bucket, Report

NOTHING = "-"
#: How many places a report's heading names before it only counts the rest.
PLACES_NAMED = 4


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], *, text: Collection[int] = (0,), indent: str = "  "
) -> list[str]:
    """Columns aligned on their widest cell: the ``text`` columns (by index) to the left, numbers to the right,
    as each reads best."""
    body = [list(row) for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *body, strict=True)]

    def line(cells: Sequence[str]) -> str:
        aligned = [
            cell.ljust(width) if index in text else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return (indent + "  ".join(aligned)).rstrip()

    return [line(headers), *(line(row) for row in body)]


def percent(value: float | None) -> str:
    return NOTHING if value is None else f"{value:.1f}%"


def points(value: float | None) -> str:
    """An NPS, in points from -100 to 100, with its sign: +0 reads as a score, not as a missing figure."""
    return NOTHING if value is None else f"{value:+.1f}"


def number(value: float | None, digits: int = 2) -> str:
    return NOTHING if value is None else f"{value:.{digits}f}"


def duration(value: timedelta | None) -> str:
    """A span as a person says it: ``45s``, ``12m``, ``5h 05m``, ``2d 03h``."""
    if value is None:
        return NOTHING
    seconds = round(value.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


def window_text(value: timedelta) -> str:
    """The closed-loop window as it was asked for: ``48 hours`` rather than ``2d 00h``."""
    hours = value.total_seconds() / 3_600
    if hours != int(hours):
        return duration(value)
    return "1 hour" if hours == 1 else f"{hours:g} hours"


def counts(values: Mapping[str, int]) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {count}" for key, count in values.items()) or "none"


# -- what a report covers --------------------------------------------------------------------------------------


def period_text(query: MetricsQuery) -> str:
    """The period as days when it runs from midnight to midnight in the report's zone (the last day named is
    the last one counted), else as minutes; the zone always said, as days are cut in it."""
    start, end = query.since.astimezone(query.zone), query.until.astimezone(query.zone)
    if start.time() == time() and end.time() == time():
        last = (end - timedelta(days=1)).date()
        days = start.date().isoformat() if last == start.date() else f"{start.date()} to {last}"
        return f"{days} ({query.zone.key})"
    return f"{moment_text(start)} to {moment_text(end)} ({query.zone.key})"


def moment_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def places_text(query: MetricsQuery) -> str:
    """The places counted, named when they are few: the filter a reader must know to trust the figures."""
    if query.place_ids is None:
        return "all places"
    named = sorted(query.place_ids)
    if not named:
        return "no places"
    if len(named) <= PLACES_NAMED:
        return ("place " if len(named) == 1 else "places ") + ", ".join(named)
    return f"{len(named)} places: {', '.join(named[: PLACES_NAMED - 1])} and {len(named) - PLACES_NAMED + 1} more"


def heading(report: Report) -> str:
    return f"{period_text(report.query)}, {places_text(report.query)}"


# -- the sections ----------------------------------------------------------------------------------------------


def score_figure(score: Score) -> str:
    """The headline figure of a score's kind: NPS points, CSAT %, CES % easy, or the mean."""
    if score.kind is RatingKind.NPS:
        return f"NPS {points(score.nps)}"
    if score.kind is RatingKind.CSAT:
        return f"CSAT {percent(score.csat)}"
    if score.kind is RatingKind.CES:
        return f"{percent(score.easy_share)} easy"
    return f"mean {number(score.mean)}"


def score_split(score: Score, *, stars: str = "{star}*:{count}", between: str = "  ") -> str:
    """How the answers split on the kind's scale, so the headline figure can be checked by hand; ``stars`` and
    ``between`` write a star rating's counts (a web page may use ★)."""
    if score.kind is RatingKind.NPS:
        return f"promoters {score.promoters}, passives {score.passives}, detractors {score.detractors}"
    if score.kind is RatingKind.CSAT:
        return f"satisfied (4-5) {score.satisfied} of {score.answers}"
    if score.kind is RatingKind.CES:
        return f"easy (5-7) {score.easy} of {score.answers}"
    if score.kind is RatingKind.STARS:
        return between.join(stars.format(star=star, count=count) for star, count in sorted(score.distribution.items()))
    return ""


def scores_lines(figures: Figures) -> list[str]:
    if not figures.scores:
        return ["Scores: no ratings in this period"]
    rows = [
        [score.key, score.kind.value, str(score.answers), score_figure(score), number(score.mean), score_split(score)]
        for score in figures.scores
    ]
    return ["Scores", *table(["rating", "kind", "answers", "figure", "mean", "split"], rows, text=(0, 1, 5))]


def responsiveness_lines(figures: Figures) -> list[str]:
    answered = figures.responsiveness
    rows = [
        ["feedback counted", str(answered.feedback)],
        ["responded to (reply, call or note)", str(answered.answered)],
        ["reply rate", percent(answered.reply_rate)],
        ["first response, median", duration(answered.first_response_median)],
        ["first response, 90th percentile", duration(answered.first_response_p90)],
        ["done", str(answered.done)],
        ["time to done, median", duration(answered.time_to_done_median)],
        ["time to done, 90th percentile", duration(answered.time_to_done_p90)],
    ]
    return ["Responsiveness", *table(["figure", "value"], rows)]


def closed_loop_lines(figures: Figures) -> list[str]:
    loop = figures.closed_loop
    rows = [
        ["alerts", str(loop.alerts), str(loop.alerts_closed), percent(loop.alert_rate)],
        ["NPS detractors", str(loop.detractors), str(loop.detractors_closed), percent(loop.detractor_rate)],
    ]
    by_status = {status.value: count for status, count in loop.alerts_by_status.items()}
    return [
        f"Closed loop (a reply or call within {window_text(loop.window)} of the feedback)",
        *table(["of", "total", "closed in time", "rate"], rows),
        f"  alert status now: {counts(by_status)}",
    ]


def volume_lines(figures: Figures) -> list[str]:
    volume = figures.volume
    backlog = {category.value: count for category, count in volume.backlog.items()}
    left_out = counts(figures.left_out)
    return [
        "Volume",
        f"  feedback {volume.feedback}: {counts(volume.by_source)}",
        f"  by platform: {counts(volume.by_platform)}",
        f"  backlog (not done) {sum(backlog.values())}: {counts(backlog)}",
        f"  customer messages received: {volume.customer_messages}",
        f"  left out: {left_out}",
    ]


def concepts_lines(figures: Figures) -> list[str]:
    if not figures.concepts:
        return ["Concepts: none found in this period"]
    rows = [[concept.name, str(concept.mentions), f"{concept.sentiment:+.2f}"] for concept in figures.concepts]
    return ["Concepts (sentiment from -1 to +1)", *table(["concept", "mentions", "mean sentiment"], rows)]


# -- the trend -------------------------------------------------------------------------------------------------


def main_key(figures: Figures, kind: RatingKind) -> str | None:
    """The key of ``kind`` with the most answers (the first by name on a tie): the one a trend follows."""
    keys = [score for score in figures.scores if score.kind is kind]
    return min(keys, key=lambda score: (-score.answers, score.key)).key if keys else None


def bucket_name(report: Report, bucket: Bucket) -> str:
    if report.by is not None and report.by.value == "agent" and not bucket.key:
        return "(no response)"
    return bucket.key


def trend_lines(report: Report) -> list[str]:
    """One row per bucket, empty ones included: feedback, the main NPS and CSAT with their answers, the reply
    rate and the closed-loop rate of alerts."""
    if report.by is None:
        return []
    nps_key = main_key(report.figures, RatingKind.NPS)
    csat_key = main_key(report.figures, RatingKind.CSAT)
    rows = []
    for bucket in report.buckets:
        figures = bucket.figures
        nps = figures.score(nps_key) if nps_key else None
        csat = figures.score(csat_key) if csat_key else None
        rows.append(
            [
                bucket_name(report, bucket),
                str(figures.volume.feedback),
                points(nps.nps) if nps else NOTHING,
                str(nps.answers) if nps else "0",
                percent(csat.csat) if csat else NOTHING,
                str(csat.answers) if csat else "0",
                percent(figures.responsiveness.reply_rate),
                percent(figures.closed_loop.alert_rate),
            ]
        )
    headers = [report.by.value, "feedback", "NPS", "answers", "CSAT", "answers", "reply rate", "closed loop"]
    if not rows:
        return [f"By {report.by.value}: no buckets"]
    return [f"By {report.by.value} (NPS of {nps_key or '-'}, CSAT of {csat_key or '-'})", *table(headers, rows)]


def sections(report: Report) -> list[list[str]]:
    figures = report.figures
    parts = [
        [f"closedloop report: {heading(report)}"],
        scores_lines(figures),
        responsiveness_lines(figures),
        closed_loop_lines(figures),
        volume_lines(figures),
        concepts_lines(figures),
    ]
    trend = trend_lines(report)
    return [*parts, trend] if trend else parts


def render(report: Report) -> str:
    """The whole report as text: a heading with the period and places, then a table per section, then the
    trend per bucket when the report has buckets."""
    return "\n\n".join("\n".join(part) for part in sections(report)) + "\n"
