"""Reports for people: a metrics report as plain-text tables (:func:`render`) and PNG or SVG charts
(:func:`write_charts`, with the optional ``plots`` extra), and a quality summary likewise
(:func:`render_quality`, :func:`write_quality_chart`). ``closedloop report`` and ``closedloop qa summary`` print
the one and draw the other; ``docs/metrics.md`` and ``docs/quality.md`` define every figure shown."""

from closedloop.reporting.charts import write_charts
from closedloop.reporting.quality_chart import write_quality_chart
from closedloop.reporting.quality_tables import render_quality
from closedloop.reporting.tables import render

__all__ = ["render", "render_quality", "write_charts", "write_quality_chart"]
