"""The reports page (``/reports``): the signed-in user's metrics for a period, bucketed and narrowed to a
place as the form asks, as tables, and its charts as PNG images from ``/reports/chart.png``.

Every figure comes from ``desk.metrics`` asked as the signed-in user, so the desk decides which places count;
the place filter offers only what the user sees, and anything else answers 404 as the inbox does.
"""

from __future__ import annotations

import importlib.util
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from closedloop import Desk, InvalidInput, NotConfigured, Report
from closedloop.reporting import write_charts
from closedloop_console.pages.metrics_tables import tables
from closedloop_console.web import desk_of, render, signed_in

BUCKETS = {"": "No buckets", "day": "Day", "week": "Week", "month": "Month", "place": "Place", "group": "Group",
           "agent": "Agent", "source": "Source"}  # fmt: skip
PERIODS = ("day", "week", "month")
#: The charts ``write_charts`` draws, by the name of the file it writes, with what each shows.
CHARTS = {
    "nps-trend": "NPS per period, over its answers",
    "ratings": "How the answers fall on each rating's scale",
    "closed-loop": "Alerts and detractors closed in time, per period",
    "concepts": "The most mentioned concepts and their sentiment",
}
#: How long drawn charts are kept for the page's other images, and how many reports' worth.
CHART_SECONDS = 60.0
CHART_REPORTS = 16
#: The longest period a report may cover, in days, by its buckets: about 400 buckets at most, and ten years
#: for any report, so that one user's request cannot keep the process busy for minutes.
MAX_DAYS = {"day": 400, "week": 400 * 7}
MAX_SPAN_DAYS = 10 * 366
#: matplotlib's style settings are process-wide: one drawing at a time.
DRAWING = threading.Lock()


@attrs.frozen
class Query:
    """What the form asks for; None where the desk's default applies (the last 30 days, no buckets)."""

    since: date | None = None
    until: date | None = None
    by: str | None = None
    place: str | None = None

    def text(self, **extra: str) -> str:
        pairs = [
            ("since", self.since.isoformat() if self.since else None),
            ("until", self.until.isoformat() if self.until else None),
            ("by", self.by),
            ("place", self.place),
            *extra.items(),
        ]
        return urlencode([(name, value) for name, value in pairs if value])

    def chart_by(self, today: date) -> str:
        """The buckets of the charts, which show trends: the form's period when it chose one, else days for
        up to 45 days, weeks up to half a year, months beyond (as ``closedloop report --charts`` picks)."""
        if self.by in PERIODS:
            return self.by
        until = self.until or today
        span = (until - self.since).days if self.since else 30
        return "day" if span <= 45 else "week" if span <= 183 else "month"


def read_query(values: Mapping[str, str], today: date) -> Query:
    """The form's query; a date that is not one, buckets that do not exist, or a period too long for its
    buckets are refused with a sentence."""
    try:
        since = date.fromisoformat(values["since"]) if values.get("since") else None
        until = date.fromisoformat(values["until"]) if values.get("until") else None
    except ValueError:
        raise InvalidInput("give dates as year-month-day, e.g. 2026-03-01") from None
    by = values.get("by") or None
    if by is not None and by not in BUCKETS:
        raise InvalidInput(f"bucket by one of {', '.join(name for name in BUCKETS if name)}")
    query = Query(since, until, by, values.get("place") or None)
    check_span(query, today)
    return query


def check_span(query: Query, today: date) -> None:
    """Refuse a period longer than its buckets allow, before any figure is computed (``since=0001-01-01`` by
    day would take minutes). Without ``since`` the desk takes 30 days, which is always allowed."""
    if query.since is None:
        return
    span = ((query.until or today) - query.since).days
    longest = min(MAX_DAYS.get(query.by or "", MAX_SPAN_DAYS), MAX_DAYS.get(query.chart_by(today), MAX_SPAN_DAYS))
    if span > longest:
        unit = f"{query.by} " if query.by in MAX_DAYS else ""
        raise InvalidInput(
            f"a {unit}report covers at most {longest} days; choose a later start"
            + (" or bucket by month" if query.by in MAX_DAYS else "")
        )


def metrics(desk: Desk, user_id: str, query: Query, by: str | None) -> Report:
    return desk.metrics(user_id, since=query.since, until=query.until, by=by, places=query.place)


async def reports(request: Request) -> Response:
    user_id = signed_in(request)
    desk = desk_of(request)
    directory = await run_in_threadpool(desk.places, user_id)
    error = ""
    report: Report | None = None
    try:
        query = read_query(request.query_params, datetime.now(UTC).date())
    except InvalidInput as refusal:
        query, error = Query(), str(refusal)
    if query.place is not None and not directory.offers(query.place):
        raise HTTPException(404)  # the same answer for a place that does not exist and one the user may not see
    if not error:
        try:
            report = await run_in_threadpool(metrics, desk, user_id, query, query.by)
        except InvalidInput as refusal:
            error = str(refusal)
    return render(
        request,
        "reports.html",
        status_code=400 if error else 200,
        title="Reports",
        query=query,
        buckets=BUCKETS,
        directory=directory,
        error=error,
        report=report,
        tables=tables(report) if report is not None else [],
        charts=[(name, caption, query.text(chart=name)) for name, caption in CHARTS.items()] if report else [],
        can_draw=importlib.util.find_spec("matplotlib") is not None,
    )


async def chart(request: Request) -> Response:
    """One chart of the report the page shows, as a PNG; the four are drawn together and kept a minute, as a
    page asks for all of them at once."""
    user_id = signed_in(request)
    desk = desk_of(request)
    name = request.query_params.get("chart", "")
    if name not in CHARTS:
        raise HTTPException(404)
    try:
        query = read_query(request.query_params, datetime.now(UTC).date())
    except InvalidInput:
        raise HTTPException(400) from None
    directory = await run_in_threadpool(desk.places, user_id)
    if query.place is not None and not directory.offers(query.place):
        raise HTTPException(404)
    try:
        drawn = await run_in_threadpool(charts_of, request.app.state, desk, user_id, query)
    except InvalidInput:
        raise HTTPException(400) from None
    except NotConfigured:
        raise HTTPException(404) from None  # no matplotlib here: the page says so instead of an image
    headers = {"Cache-Control": "private, max-age=60", "Content-Disposition": f'inline; filename="{name}.png"'}
    return Response(drawn[name], media_type="image/png", headers=headers)


class ChartCache:
    """Charts drawn in the last minute, by user and query, for the page's other images."""

    def __init__(self) -> None:
        self.kept: OrderedDict[tuple[str, Query], tuple[float, dict[str, bytes]]] = OrderedDict()

    def get(self, key: tuple[str, Query]) -> dict[str, bytes] | None:
        found = self.kept.get(key)
        return found[1] if found is not None and time.monotonic() - found[0] < CHART_SECONDS else None

    def put(self, key: tuple[str, Query], drawn: dict[str, bytes]) -> None:
        self.kept[key] = (time.monotonic(), drawn)
        while len(self.kept) > CHART_REPORTS:
            self.kept.popitem(last=False)


def charts_of(state: State, desk: Desk, user_id: str, query: Query) -> Mapping[str, bytes]:
    """Every chart of the user's report, from the app's short-lived cache when the page's other images have
    just drawn them. The report is asked of the desk each time (a right taken away counts at once), outside the
    drawing lock, so computing one user's figures does not hold up everyone's charts."""
    report = metrics(desk, user_id, query, query.chart_by(datetime.now(UTC).date()))
    with DRAWING:
        cache = getattr(state, "report_charts", None)
        if not isinstance(cache, ChartCache):
            cache = state.report_charts = ChartCache()
        key = (user_id, query)
        kept = cache.get(key)
        if kept is not None:
            return kept
        with tempfile.TemporaryDirectory(prefix="closedloop-charts-") as folder:
            written = write_charts(report, folder, formats=("png",))
            drawn = {Path(path).stem: Path(path).read_bytes() for path in written}
        cache.put(key, drawn)
        return drawn


routes = [
    Route("/reports", reports, methods=["GET"], name="reports"),
    Route("/reports/chart.png", chart, methods=["GET"], name="report_chart"),
]
