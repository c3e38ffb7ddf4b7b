"""``closedloop qa``: conversation quality reviews from the command line: the month's sample, its split among
reviewers, how far they are, and the summary a manager shares with the team (with a chart)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from closedloop.cli import examples, open_desk, url_option
from closedloop.commands.inbox import split_places
from closedloop.domain.errors import InvalidInput
from closedloop.hookspecs import hookimpl
from closedloop.terminal import printable

if TYPE_CHECKING:  # the domain records are imported when a command runs: every desk loads the command modules
    from closedloop.domain.sampling import Assignment, Cycle, Handled

PERIOD_HELP = "The month, e.g. 2026-03: the conversations whose feedback came in then."
SHARE_HELP = "The share of handled conversations to draw, from 0 to 1 (default 0.05: 5%)."
CYCLE_HELP = "The cycle's name, as qa assign printed it: e.g. 2026-03, or 2026-03@paris for some places."
SEED_HELP = "A whole number that fixes the draw (default: one derived from the period, so a rerun draws the same)."


def share_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option("--share", type=float, default=0.05, show_default=True, help=SHARE_HELP)(function)


def seed_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option("--seed", type=int, help=SEED_HELP)(function)


def zone_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--zone", default="UTC", show_default=True, help="The time zone months are cut in, e.g. Europe/Paris."
    )(function)


def rated_options(function: click.decorators.FC) -> click.decorators.FC:
    function = click.option(
        "--include-rated", is_flag=True, help="Also draw conversations whose customer rated the handling."
    )(function)
    return click.option(
        "--rated-key",
        default="handling",
        show_default=True,
        help="The rating key that marks a conversation as rated by its customer (left out unless --include-rated).",
    )(function)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def places_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--places", multiple=True, metavar="IDS", help="Only these places or groups, comma-separated (repeatable)."
    )(function)


def when(handled: Handled) -> str:
    return handled.received_at.strftime("%Y-%m-%d %H:%M")


def sample_lines(sample: Sequence[Handled], period: str) -> list[str]:
    from closedloop.reporting.tables import table

    if not sample:
        return [f"No handled conversations to review in {period}."]
    agents = sorted({handled.agent_id for handled in sample})
    rows = [[h.conversation_id, h.place_id, h.agent_id, when(h)] for h in sample]
    return [
        f"{plural(len(sample), 'conversation')} to review in {period}, from {plural(len(agents), 'agent')}",
        *table(["conversation", "place", "agent", "received (UTC)"], rows, text=(0, 1, 2)),
    ]


def cycle_lines(cycle: Cycle) -> list[str]:
    from closedloop.reporting.tables import table

    if not cycle.assignments:
        return [f"Cycle {cycle.id}: nothing to review, no conversation was drawn."]
    rows = [
        [assignment.reviewer_id, assignment.conversation_id, assignment.agent_id, assignment.place_id]
        for assignment in sorted(cycle.assignments, key=lambda item: (item.reviewer_id, item.conversation_id))
    ]
    reviewers = sorted({assignment.reviewer_id for assignment in cycle.assignments})
    return [
        f"Cycle {cycle.id}: {plural(len(cycle.assignments), 'conversation')} for "
        f"{plural(len(reviewers), 'reviewer')} (share {cycle.share:g}, seed {cycle.seed})",
        *table(["reviewer", "conversation", "agent", "place"], rows, text=(0, 1, 2, 3)),
    ]


def progress_lines(cycle_id: str, progress: dict[str, tuple[int, int]]) -> list[str]:
    from closedloop.reporting.tables import percent, table

    if not progress:
        return [f"Cycle {cycle_id}: nothing assigned."]
    rows = [
        [reviewer, str(done), str(assigned), str(assigned - done), percent(100 * done / assigned if assigned else None)]
        for reviewer, (done, assigned) in sorted(progress.items())
    ]
    done = sum(pair[0] for pair in progress.values())
    assigned = sum(pair[1] for pair in progress.values())
    rows.append(["all", str(done), str(assigned), str(assigned - done), percent(100 * done / assigned)])
    return [f"Cycle {cycle_id}", *table(["reviewer", "done", "assigned", "to do", "done %"], rows)]


def todo_lines(cycle_id: str, items: Sequence[tuple[Assignment, bool]]) -> list[str]:
    from closedloop.reporting.tables import table

    left = [assignment for assignment, reviewed in items if not reviewed]
    if not items:
        return [f"Cycle {cycle_id}: nothing assigned to you."]
    if not left:
        return [f"Cycle {cycle_id}: all {plural(len(items), 'review')} done."]
    rows = [
        [assignment.conversation_id, assignment.agent_id, assignment.place_id, assignment.reviewer_id]
        for assignment in sorted(left, key=lambda item: (item.reviewer_id, item.conversation_id))
    ]
    return [
        f"Cycle {cycle_id}: {plural(len(left), 'review')} left of {len(items)}",
        *table(["conversation", "agent", "place", "reviewer"], rows, text=(0, 1, 2, 3)),
    ]


def reviewers_of(given: tuple[str, ...]) -> list[str]:
    names = split_places(given)
    if not names:
        raise InvalidInput("give the reviewers as --reviewers ana,leo (user ids, comma-separated)")
    return names


@click.group(
    epilog=examples(
        "closedloop qa assign --user mia --period 2026-03 --reviewers mia,leo --url sqlite:///feedback.db",
        "closedloop qa progress --user mia --cycle 2026-03 --url sqlite:///feedback.db",
        "closedloop qa summary --user mia --period 2026-03 --chart quality.png --url sqlite:///feedback.db",
    )
)
def qa() -> None:
    """Review how the team handles conversations: sample a month, assign reviews, follow them, summarise."""


@qa.command(
    epilog=examples(
        "closedloop qa summary --user mia --period 2026-03 --url sqlite:///feedback.db",
        "closedloop qa summary --user mia --period 2026-03 --agent ana --places paris,lyon",
        "closedloop qa summary --user mia --period 2026-03 --chart quality-2026-03.svg",
        note="The chart needs matplotlib: pip install 'closedloop[plots]'.",
    )
)
@click.option("--user", required=True, help="The id of the user reading it; they see their places' reviews.")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--agent", help="Only this agent's reviews.")
@places_option
@zone_option
@click.option("--chart", metavar="FILE", help="Also draw the summary into a .png or .svg file.")
@url_option
def summary(
    user: str,
    period: str,
    agent: str | None,
    places: tuple[str, ...],
    zone: str,
    chart: str | None,
    url: str | None,
) -> None:
    """Print the IQS of the team and of each agent, beside their CSAT and NPS, the change against the previous
    month, the category averages and the weakest categories with reviewers' comments."""
    from closedloop.reporting.quality_chart import chart_format, write_quality_chart
    from closedloop.reporting.quality_tables import render_quality

    if chart:
        chart_format(chart)  # a wrong file name is refused before any work
    chosen = split_places(places) or None
    with open_desk(url) as desk:
        found = desk.qa.summary(period, by=user, agent=agent, places=chosen, zone=zone)
    print(printable(render_quality(found, chosen)), end="")  # scorecard categories are stored text
    if chart:
        print(f"\nChart: {write_quality_chart(found, chart, chosen)}")


@qa.command(
    epilog=examples(
        "closedloop qa sample --user mia --period 2026-03 --url sqlite:///feedback.db",
        "closedloop qa sample --user mia --period 2026-03 --share 0.1 --seed 7 --places paris",
    )
)
@click.option("--user", required=True, help="The id of the user drawing it; only their places are drawn from.")
@click.option("--period", required=True, help=PERIOD_HELP)
@share_option
@seed_option
@places_option
@rated_options
@zone_option
@url_option
def sample(
    user: str,
    period: str,
    share: float,
    seed: int | None,
    places: tuple[str, ...],
    include_rated: bool,
    rated_key: str,
    zone: str,
    url: str | None,
) -> None:
    """List a reproducible random sample of the period's handled conversations whose customer did not rate the
    handling, spread across agents. It stores nothing: `qa assign` draws the same sample and hands it out."""
    with open_desk(url) as desk:
        drawn = desk.qa.sample(
            period,
            by=user,
            share=share,
            seed=seed,
            places=split_places(places) or None,
            include_rated=include_rated,
            rated_key=rated_key,
            zone=zone,
        )
    print(printable("\n".join(sample_lines(drawn, period))))


@qa.command(
    epilog=examples(
        "closedloop qa assign --user mia --period 2026-03 --reviewers mia,leo --url sqlite:///feedback.db",
        "closedloop qa assign --user leo --period 2026-03 --reviewers ana --places lyon",
        note="A cycle is named by its period (2026-03), with its places when narrowed (2026-03@lyon), or by "
        "--cycle; assigning again under that name replaces the earlier cycle, if you see all of its places.",
    )
)
@click.option("--user", required=True, help="The id of the manager handing the reviews out.")
@click.option("--period", required=True, help=PERIOD_HELP)
@click.option("--reviewers", multiple=True, required=True, metavar="IDS", help="User ids, comma-separated.")
@share_option
@seed_option
@places_option
@rated_options
@click.option("--cycle", "cycle_name", help="The cycle's name (default: the period, with the places when narrowed).")
@zone_option
@url_option
def assign(
    user: str,
    period: str,
    reviewers: tuple[str, ...],
    share: float,
    seed: int | None,
    places: tuple[str, ...],
    include_rated: bool,
    rated_key: str,
    cycle_name: str | None,
    zone: str,
    url: str | None,
) -> None:
    """Draw the period's sample and split it evenly among reviewers, never giving one a conversation they
    replied to, called about or wrote a note on; the cycle is stored under its name, printed first."""
    chosen = reviewers_of(reviewers)
    with open_desk(url) as desk:
        cycle = desk.qa.assign(
            period,
            by=user,
            reviewers=chosen,
            share=share,
            seed=seed,
            places=split_places(places) or None,
            include_rated=include_rated,
            rated_key=rated_key,
            cycle=cycle_name,
            zone=zone,
        )
    print(printable("\n".join(cycle_lines(cycle))))


@qa.command(epilog=examples("closedloop qa progress --user mia --cycle 2026-03 --url sqlite:///feedback.db"))
@click.option("--user", required=True, help="The id of the user asking.")
@click.option("--cycle", "cycle_id", required=True, help=CYCLE_HELP)
@url_option
def progress(user: str, cycle_id: str, url: str | None) -> None:
    """Show, for each reviewer of a cycle, how many of their assigned reviews are done and how many are left."""
    with open_desk(url) as desk:
        found = desk.qa.progress(cycle_id, by=user)
    print(printable("\n".join(progress_lines(cycle_id, found))))


@qa.command(epilog=examples("closedloop qa todo --user ana --cycle 2026-03 --url sqlite:///feedback.db"))
@click.option("--user", required=True, help="The reviewer asking (a manager sees every reviewer's).")
@click.option("--cycle", "cycle_id", required=True, help=CYCLE_HELP)
@url_option
def todo(user: str, cycle_id: str, url: str | None) -> None:
    """List the conversations of a cycle still to review: a reviewer's own, or all of them for its manager."""
    with open_desk(url) as desk:
        found = desk.qa.assignments(cycle_id, by=user)
    print(printable("\n".join(todo_lines(cycle_id, found))))


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    cli.add_command(qa)
