"""Reports for people: a metrics report as plain-text tables (:func:`render`) and PNG or SVG charts
(:func:`write_charts`, with the optional ``plots`` extra), and a quality summary likewise
(:func:`render_quality`, :func:`write_quality_chart`). ``closedloop report`` and ``closedloop qa summary`` print
the one and draw the other; ``docs/metrics.md`` and ``docs/quality.md`` define every figure shown. The wording
of single figures (:func:`percent`, :func:`points`, :func:`number`, :func:`duration`, :func:`score_figure`,
:func:`score_split`) is
public too, so that other views of a report (a web page) say each figure the same way."""

from closedloop.reporting.charts import write_charts
from closedloop.reporting.quality_chart import write_quality_chart
from closedloop.reporting.quality_tables import render_quality
from closedloop.reporting.tables import duration, number, percent, points, render, score_figure, score_split

__all__ = [
    "duration",
    "number",
    "percent",
    "points",
    "render",
    "render_quality",
    "score_figure",
    "score_split",
    "write_charts",
    "write_quality_chart",
]
