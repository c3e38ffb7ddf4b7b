"""The chart of a quality summary, as one PNG or SVG file: each agent's IQS as a bar with the team's IQS as a
line across them (left), and the category averages of the team (right).

Drawn like the metrics charts (:mod:`closedloop.reporting.charts`): matplotlib from the ``plots`` extra,
imported only here, on the Agg canvas; bars hatched and outlined so the chart reads printed in grey; the title
names the period and the places.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from closedloop.domain.errors import InvalidInput
from closedloop.domain.quality_summary import QualitySummary
from closedloop.domain.text import shown
from closedloop.reporting.charts import DARK, FORMATS, HATCHES, INK, LIGHT, MID, new_figure, nothing_to_show, styled
from closedloop.reporting.quality_tables import quality_heading

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def gap(value: float | None) -> float:
    """No reviews draws no bar, rather than a bar of zero."""
    return math.nan if value is None else value


def iqs_panel(axes: Axes, summary: QualitySummary) -> None:
    agents = list(summary.agents)
    if not agents:
        nothing_to_show(axes, "no reviews in this period")
        return
    positions = list(range(len(agents)))
    values = [gap(agent.iqs) for agent in agents]
    bars = axes.bar(positions, values, width=0.6, color=LIGHT, edgecolor=INK, hatch="//", linewidth=0.8,
                    label="agent IQS")  # fmt: skip
    axes.bar_label(bars, labels=["" if math.isnan(v) else f"{v:.0f}" for v in values], label_type="center",
                   bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # fmt: skip
    if summary.team.iqs is not None and summary.is_team:
        axes.axhline(summary.team.iqs, color=DARK, linestyle="--", linewidth=2,
                     label=f"team IQS {summary.team.iqs:.1f}")  # fmt: skip
    axes.set_xticks(positions, [f"{agent.agent_id}\n{agent.reviews} reviews" for agent in agents])
    axes.set_xlim(-0.6, len(agents) - 0.4)
    axes.set_ylim(0, 125)  # room above full marks for the legend
    axes.set_yticks(range(0, 101, 20))
    axes.set_ylabel("IQS (0 to 100)")
    axes.set_title("IQS per agent", fontsize=10)
    axes.legend(loc="upper center", ncols=2, fontsize=9, frameon=False)


def categories_panel(axes: Axes, summary: QualitySummary) -> None:
    rated = list(summary.team.categories)
    if not rated:
        nothing_to_show(axes, "no categories rated")
        return
    positions = list(range(len(rated)))
    values = [average.average for average in rated]
    bars = axes.barh(positions, values, color=[(MID, LIGHT)[index % 2] for index in positions],
                     edgecolor=INK, linewidth=0.8)  # fmt: skip
    for index, bar in enumerate(bars):
        bar.set_hatch(HATCHES[1 + index % (len(HATCHES) - 1)])
    axes.bar_label(bars, labels=[f"{value:.0f}" for value in values], padding=2)
    axes.set_yticks(positions, [average.name for average in rated])
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    axes.set_xlabel("average score (0 to 100)")
    axes.set_title(f"Category averages ({summary.team.agent_id or 'team'})", fontsize=10)


def quality_figure(summary: QualitySummary, places: Sequence[str] | None = None) -> Figure:
    rows = max(len(summary.agents), len(summary.team.categories), 3)
    figure = new_figure(10, max(4.0, 1.5 + 0.4 * rows))
    iqs_axes, category_axes = figure.subplots(1, 2, width_ratios=[3, 2])
    iqs_panel(iqs_axes, summary)
    categories_panel(category_axes, summary)
    figure.suptitle(f"Conversation quality reviews\n{quality_heading(summary, places)}")
    return figure


def chart_format(path: Path | str) -> str:
    """The format a chart path asks for, by its extension: ``png`` or ``svg``."""
    extension = Path(path).suffix.lower().lstrip(".")
    if extension not in FORMATS:
        raise InvalidInput(f"a chart is written as a .png or .svg file; got {str(path)!r}")
    return extension


def write_quality_chart(summary: QualitySummary, path: Path | str, places: Sequence[str] | None = None) -> Path:
    """Draw ``summary`` into ``path``, a ``.png`` or ``.svg`` file (its folder made if missing); the path.
    The title names the places the summary covered; ``places`` (the filter given) only for a summary that
    does not say."""
    if not isinstance(summary, QualitySummary):
        raise InvalidInput(f"summary must be what desk.qa.summary returns; got {shown(summary)}")
    target, extension = Path(path), chart_format(path)
    with styled():
        figure = quality_figure(summary, places)
        caption = str(figure.get_suptitle()).replace("\n", ", ")
        target.parent.mkdir(parents=True, exist_ok=True)
        metadata = {"Title": caption} if extension == "png" else {"Title": caption, "Date": None}
        figure.savefig(target, format=extension, metadata=metadata)
    return target
