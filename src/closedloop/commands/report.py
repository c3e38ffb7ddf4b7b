"""``closedloop report``: how well the loop is closed, as tables (and charts) a manager reads."""

from __future__ import annotations

import click

from closedloop.cli import DEMO_FILE, database_url, examples, open_desk, url_option
from closedloop.hookspecs import hookimpl
from closedloop.terminal import printable


@click.command(
    epilog=examples(
        "closedloop report --user ana --by week",
        "closedloop report --user ana --place lyon-centre --since 2026-03-01 --zone Europe/Paris",
        "closedloop report --user ana --charts charts/",
        note=f"Without --url or $CLOSEDLOOP_DATABASE_URL it reads ./{DEMO_FILE}, the demo's database.",
    )
)
@click.option("--user", required=True, help="The id of the user whose places the report covers.")
@click.option("--place", "places", multiple=True, help="A place or group id to narrow it to (repeatable).")
@click.option("--since", help="The first day counted, e.g. 2026-03-01 (default: 30 days before --until).")
@click.option("--until", help="The first day no longer counted, e.g. 2026-04-01 (default: now).")
@click.option("--by", help="A trend table per day, week, month, place, group, agent or source.")
@click.option("--zone", default="UTC", show_default=True, help="The time zone days are cut in, e.g. Europe/Paris.")
@click.option("--window-hours", help="How soon a reply or call closes the loop, in hours (default 48).")
@click.option("--charts", metavar="FOLDER", help="Also draw PNG and SVG charts there (needs closedloop[plots]).")
@url_option
def report(
    user: str,
    places: tuple[str, ...],
    since: str | None,
    until: str | None,
    by: str | None,
    zone: str,
    window_hours: str | None,
    charts: str | None,
    url: str | None,
) -> None:
    """Print how well the loop is closed: scores, response times, the closed-loop rate, and trends.

    It only reads: a database that does not exist is refused, not created.
    """
    from closedloop.reporting import command
    from closedloop.reporting.charts import write_charts
    from closedloop.reporting.tables import render

    time_zone = command.zone_named(zone)
    first = command.day_or_moment(since, "--since", time_zone)
    last = command.day_or_moment(until, "--until", time_zone)
    window = command.window_of(window_hours)
    bucketing = command.bucketing_of(by, bool(charts), first, last, time_zone)
    with open_desk(database_url(url, fallback=f"sqlite:///{DEMO_FILE}")) as desk:
        figures = desk.metrics(
            user, places=list(places) or None, since=first, until=last, by=bucketing, zone=time_zone, window=window
        )
    print(printable(render(figures)), end="")  # place, agent and concept names are stored text
    if charts:
        print(f"\nCharts in {charts}:")
        for path in write_charts(figures, charts):
            print(f"  {path}")


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(report)
