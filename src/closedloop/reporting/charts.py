"""Charts of a metrics report, as PNG and SVG files: the NPS trend with its answers, the rating distribution,
the closed-loop rate over time, and concepts by mentions and sentiment.

matplotlib comes with the optional ``plots`` extra and is imported only when a chart is drawn, so the library
and its command line stay light without it. Figures are drawn on the non-interactive Agg canvas, never
through pyplot, so drawing touches no global state and needs no display. Every series differs by line style,
marker or hatching as well as by colour, so a chart printed in grey still reads; each title names what is
shown, the period and the places counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from closedloop.domain.errors import InvalidInput, NotConfigured
from closedloop.domain.feedback import RatingKind
from closedloop.domain.metrics import Score
from closedloop.domain.reports import Report
from closedloop.domain.text import shown
from closedloop.reporting.tables import heading, main_key, score_figure, window_text

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

INSTALL_HINT = "pip install 'closedloop[plots]'"
FORMATS = ("png", "svg")
#: Dark and mid tones, far apart in lightness, so two series stay apart in grey as well as in colour.
DARK, MID, LIGHT, INK = "#1f3b73", "#d9822b", "#c8c8c8", "#333333"
HATCHES = ("", "//", "..", "xx", "\\\\", "++")
#: At most this many period labels under a trend; the others are skipped, evenly.
MOST_LABELS = 12
MOST_CONCEPTS = 15
Draw = Callable[[Report], "Figure"]


def new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas; :class:`~closedloop.NotConfigured` saying how to install matplotlib if
    it is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise NotConfigured(f"charts need matplotlib, which is not installed: {INSTALL_HINT}") from None
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def title(report: Report, what: str) -> str:
    return f"{what}\n{heading(report)}"


def value_or_gap(value: float | None) -> float:
    """A figure over no data is left out of a line (a gap), never drawn as zero."""
    return math.nan if value is None else value


def period_axis(axes: Axes, report: Report) -> list[int]:
    """Positions of the buckets along x, labelled with their keys; long trends label every n-th only."""
    positions = list(range(len(report.buckets)))
    step = max(1, math.ceil(len(positions) / MOST_LABELS))
    axes.set_xticks(positions[::step], [bucket.key for bucket in report.buckets][::step], rotation=30, ha="right")
    axes.set_xlim(-0.6, len(positions) - 0.4)
    axes.set_xlabel(f"{report.by.value if report.by else 'period'} (received, {report.query.zone.key})")
    return positions


def whole_numbers(axis: Axis) -> None:
    """Ticks on whole numbers only, for counts: half an answer means nothing."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def counts_behind(axes: Axes, positions: Sequence[int], counts: Sequence[int], label: str) -> Axes:
    """Hatched grey bars of how many answers a figure rests on, on their own axis to the right, drawn behind
    the figure's line so the line stays readable."""
    behind = axes.twinx()
    behind.bar(positions, counts, width=0.6, color=LIGHT, edgecolor=INK, hatch="//", linewidth=0.5, label=label)
    behind.set_ylabel(label)
    behind.set_ylim(0, max([*counts, 1]) * 1.25)
    whole_numbers(behind.yaxis)
    axes.set_zorder(behind.get_zorder() + 1)
    axes.patch.set_visible(False)
    return behind


def legend(figure: Figure, *axes: Axes) -> None:
    """One legend for the lines and the bars behind them, under the chart where it hides no data."""
    handles: list[Artist] = []
    labels: list[str] = []
    for each in axes:
        more_handles, more_labels = each.get_legend_handles_labels()
        handles, labels = [*handles, *more_handles], [*labels, *more_labels]
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=9, frameon=False)


def nothing_to_show(axes: Axes, reason: str) -> None:
    axes.text(0.5, 0.5, reason, ha="center", va="center", transform=axes.transAxes, color=INK)
    axes.set_yticks([])


# -- the charts ------------------------------------------------------------------------------------------------


def nps_trend(report: Report) -> Figure:
    """NPS per period (a line over -100..100, gaps where nobody answered) over bars of its answers."""
    figure = new_figure(8, 4.5)
    axes = figure.add_subplot()
    key = main_key(report.figures, RatingKind.NPS)
    scores = [bucket.figures.score(key) if key else None for bucket in report.buckets]
    positions = period_axis(axes, report)
    behind = counts_behind(axes, positions, [score.answers if score else 0 for score in scores], "answers")
    axes.plot(positions, [value_or_gap(score.nps if score else None) for score in scores], color=DARK,
              linestyle="-", marker="o", linewidth=2, label=f"NPS ({key or 'no NPS answers'})")  # fmt: skip
    axes.axhline(0, color=INK, linestyle=":", linewidth=0.8)
    axes.set_ylim(-105, 105)
    axes.set_ylabel("NPS (% promoters - % detractors)")
    legend(figure, axes, behind)
    figure.suptitle(title(report, "NPS trend, with its answers"))
    return figure


def splits(score: Score) -> tuple[list[str], list[int]]:
    """The bars of one score: stars one by one; NPS, CSAT and CES by the bands their figure counts."""
    if score.kind is RatingKind.STARS:
        return [f"{star} star{'s' if star > 1 else ''}" for star in range(1, 6)], [
            score.distribution.get(star, 0) for star in range(1, 6)
        ]
    if score.kind is RatingKind.NPS:
        return ["detractors\n0-6", "passives\n7-8", "promoters\n9-10"], [
            score.detractors,
            score.passives,
            score.promoters,
        ]
    if score.kind is RatingKind.CSAT:
        return ["1-3", "satisfied\n4-5"], [score.answers - score.satisfied, score.satisfied]
    return ["1-4", "easy\n5-7"], [score.answers - score.easy, score.easy]


def rating_distribution(report: Report) -> Figure:
    """One panel per rating key on a fixed scale: how its answers spread, each bar hatched apart."""
    shown_scores = [score for score in report.figures.scores if score.kind is not RatingKind.CUSTOM]
    figure = new_figure(max(4.0, 3.4 * len(shown_scores)), 4.2)
    if not shown_scores:
        nothing_to_show(figure.add_subplot(), "no ratings in this period")
    for index, score in enumerate(shown_scores, start=1):
        axes = figure.add_subplot(1, len(shown_scores), index)
        labels, counts = splits(score)
        bars = axes.bar(labels, counts, color=[DARK, MID, LIGHT, DARK, MID][: len(counts)], edgecolor=INK,
                        hatch=None, linewidth=0.8)  # fmt: skip
        for bar, hatch in zip(bars, HATCHES, strict=False):
            bar.set_hatch(hatch)
        axes.bar_label(bars, labels=[str(count) for count in counts], padding=2)
        axes.set_ylim(0, max([*counts, 1]) * 1.2)
        whole_numbers(axes.yaxis)
        answers = f"{score.answers} answer{'' if score.answers == 1 else 's'}"
        axes.set_title(f"{score.key}: {score_figure(score)}, {answers}", fontsize=10)
        axes.set_xlabel(f"{score.kind.value} scale")
        axes.set_ylabel("answers")
    figure.suptitle(title(report, "Rating distribution"))
    return figure


def closed_loop_trend(report: Report) -> Figure:
    """The share of alerts and of NPS detractors answered in time, per period, over bars of the alerts."""
    figure = new_figure(8, 4.5)
    axes = figure.add_subplot()
    loops = [bucket.figures.closed_loop for bucket in report.buckets]
    positions = period_axis(axes, report)
    behind = counts_behind(axes, positions, [loop.alerts for loop in loops], "alerts")
    axes.plot(positions, [value_or_gap(loop.alert_rate) for loop in loops], color=DARK, linestyle="-",
              marker="o", linewidth=2, label="alerts closed in time")  # fmt: skip
    axes.plot(positions, [value_or_gap(loop.detractor_rate) for loop in loops], color=MID, linestyle="--",
              marker="s", linewidth=2, label="NPS detractors closed in time")  # fmt: skip
    axes.set_ylim(-5, 110)
    axes.set_ylabel("closed in time (%)")
    legend(figure, axes, behind)
    figure.suptitle(title(report, f"Closed-loop rate: a reply or call within {window_text(report.query.window)}"))
    return figure


def concepts_chart(report: Report) -> Figure:
    """The most mentioned concepts: how often (left) and how customers felt about them (right, -1 to 1)."""
    concepts = report.figures.concepts[:MOST_CONCEPTS]
    figure = new_figure(8, max(3.0, 1.2 + 0.35 * len(concepts)))
    mentions, feeling = figure.subplots(1, 2, sharey=True, width_ratios=[3, 2]) if concepts else (None, None)
    if mentions is None or feeling is None:
        nothing_to_show(figure.add_subplot(), "no concepts found in this period")
    else:
        names = [concept.name for concept in concepts]
        places = list(range(len(concepts)))
        bars = mentions.barh(places, [concept.mentions for concept in concepts], color=DARK, edgecolor=INK)
        mentions.bar_label(bars, padding=2)
        mentions.set_yticks(places, names)
        mentions.invert_yaxis()
        mentions.set_xlabel("mentions")
        whole_numbers(mentions.xaxis)
        sentiments = [concept.sentiment for concept in concepts]
        signs = feeling.barh(places, sentiments, color=[MID if value < 0 else LIGHT for value in sentiments],
                             edgecolor=INK)  # fmt: skip
        for bar, value in zip(signs, sentiments, strict=True):
            bar.set_hatch(".." if value < 0 else "//")
        feeling.bar_label(signs, labels=[f"{value:+.2f}" for value in sentiments], padding=2)
        feeling.axvline(0, color=INK, linewidth=0.8)
        feeling.set_xlim(-1.15, 1.15)
        feeling.set_xlabel("mean sentiment (-1 to +1)")
    figure.suptitle(title(report, "Concepts by mentions and sentiment"))
    return figure


#: Each chart by the name of its files.
CHARTS: dict[str, Draw] = {
    "nps-trend": nps_trend,
    "ratings": rating_distribution,
    "closed-loop": closed_loop_trend,
    "concepts": concepts_chart,
}


def checked_formats(formats: Iterable[str] | str) -> tuple[str, ...]:
    chosen = (formats,) if isinstance(formats, str) else tuple(formats)
    if not chosen or any(not isinstance(item, str) or item not in FORMATS for item in chosen):
        raise InvalidInput(f"formats must be some of {', '.join(FORMATS)}; got {shown(formats)}")
    return chosen


def write_charts(report: Report, folder: Path | str, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Draw every chart of ``report`` into ``folder`` (made if missing) in each format; the paths written.
    The trends need a report by day, week or month."""
    if not isinstance(report, Report):
        raise InvalidInput(f"report must be what desk.metrics returns; got {shown(report)}")
    if report.by is None or not report.by.is_period:
        raise InvalidInput("charts show trends over time: ask desk.metrics for by='day', 'week' or 'month'")
    chosen = checked_formats(formats)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with styled():
        for name, draw in CHARTS.items():
            figure = draw(report)
            caption = str(figure.get_suptitle()).replace("\n", ", ")
            for extension in chosen:
                path = target / f"{name}.{extension}"
                metadata = {"Title": caption} if extension == "png" else {"Title": caption, "Date": None}
                figure.savefig(path, format=extension, metadata=metadata)
                written.append(path)
    return written


def styled() -> AbstractContextManager[None]:
    """The charts' style, for these charts only: the caller's matplotlib settings are left as they were. Text
    stays text in SVG (searchable, read aloud by a screen reader) and SVG ids are fixed, so files are stable."""
    try:
        from matplotlib import rc_context
    except ImportError:
        raise NotConfigured(f"charts need matplotlib, which is not installed: {INSTALL_HINT}") from None
    return rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "closedloop",
            "font.size": 10,
            "axes.titlesize": 11,
            "figure.titlesize": 12,
            "axes.edgecolor": INK,
            "axes.spines.top": False,
            "hatch.color": INK,
        }
    )
