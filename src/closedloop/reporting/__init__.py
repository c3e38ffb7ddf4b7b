"""A metrics report for people: plain-text tables (:func:`render`) and PNG or SVG charts
(:func:`write_charts`, with the optional ``plots`` extra). ``closedloop report`` prints the one and draws the
other; ``docs/metrics.md`` defines every figure shown."""

from closedloop.reporting.charts import write_charts
from closedloop.reporting.tables import render

__all__ = ["render", "write_charts"]
