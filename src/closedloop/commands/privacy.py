"""``closedloop retention``, ``closedloop erase`` and ``closedloop customer-data``: personal data on request and
on schedule (``docs/privacy.md``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import click

from closedloop.cli import examples, open_desk, url_option
from closedloop.domain.privacy import RetentionPolicy
from closedloop.hookspecs import hookimpl
from closedloop.terminal import printable, printable_json

_DEFAULTS = RetentionPolicy()
_REGION = click.option(
    "--region",
    envvar="CLOSEDLOOP_DEFAULT_REGION",
    show_envvar=True,
    help="The country national phone numbers are read in, e.g. FR (the desk's default_region).",
)


def _days_or_never(value: timedelta | None) -> str:
    return "never" if value is None else str(value.days)


class DaysOrNever(click.ParamType[timedelta | None]):
    """A number of days, or ``never`` to keep that data."""

    name = "DAYS|never"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> timedelta | None:
        if isinstance(value, timedelta) or value is None:
            return value
        text = str(value).strip().lower()
        if text == "never":
            return None
        if not text.isdigit() or not 0 < int(text) <= 36525:
            self.fail(f"give a whole number of days from 1 to 36525, or never; got {value!r}", param, ctx)
        return timedelta(days=int(text))


def _kept_for(name: str, default: timedelta | None, which: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    """One of the policy's durations as an option: days, or ``never``."""
    return click.option(
        name,
        type=DaysOrNever(),
        default=_days_or_never(default),
        show_default=True,
        help=f"Erase the personal data of conversations {which} for this many days.",
    )


@click.command(
    epilog=examples(
        "closedloop retention --url sqlite:///feedback.db --dry-run",
        "closedloop retention --done-after 365 --spam-after 14",
        "closedloop retention --spam-after never",
        note="Run it daily (from cron or a scheduler): running it again erases nothing twice.",
    )
)
@url_option
@_REGION
@click.option("--dry-run", is_flag=True, help="Only count what would be erased; change nothing.")
@_kept_for("--done-after", _DEFAULTS.done_after, "done and untouched")
@_kept_for("--spam-after", _DEFAULTS.spam_after, "marked as spam")
@click.option(
    "--keep-records",
    type=click.IntRange(1, 36525),
    default=_DEFAULTS.records_for.days,
    show_default=True,
    help="Keep each erasure record this many days, then forget it.",
)
def retention(
    url: str | None,
    region: str | None,
    dry_run: bool,
    done_after: timedelta | None,
    spam_after: timedelta | None,
    keep_records: int,
) -> None:
    """Apply the retention policy: erase personal data kept longer than it allows, and old erasure records."""
    policy = RetentionPolicy(done_after=done_after, spam_after=spam_after, records_for=timedelta(days=keep_records))
    with open_desk(url, retention=policy, default_region=region) as desk:
        report = desk.apply_retention(dry_run=dry_run)
    click.echo(printable(str(report)))


def _customer_options(function: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(
        (
            _REGION,
            click.option(
                "--user", "by", required=True, help="The acting user: an admin or one with the privacy right."
            ),
            click.option("--email", help="The customer's email address, in any case."),
            click.option("--tel", help="The customer's phone number, however it is written."),
            click.option("--conversation", "conversation_id", help="One of the customer's conversations."),
        )
    ):
        function = option(function)
    return function


@click.command(
    epilog=examples(
        "closedloop erase --url sqlite:///feedback.db --user admin --email jane@example.com",
        "closedloop erase --user dpo --tel '+33 6 12 34 56 78' --reason 'request of 2026-11-30' --yes",
    )
)
@url_option
@_customer_options
@click.option("--reason", default="", help="Why (kept in the erasure record).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(
    url: str | None, region: str | None, by: str, email: str | None, tel: str | None, conversation_id: str | None,
    reason: str, yes: bool,
) -> int:  # fmt: skip
    """Erase one customer's personal data from every conversation of theirs; their ratings and dates stay."""
    _require_customer(email, tel, conversation_id)
    if not yes and not click.confirm("Erase this customer's personal data for good?", err=True):
        click.echo("nothing was erased", err=True)
        return 1
    with open_desk(url, default_region=region) as desk:
        report = desk.erase_customer(by=by, email=email, tel=tel, conversation_id=conversation_id, reason=reason)
    click.echo(
        printable(
            f"erased {report.subject}: {_count(report.conversations, 'conversation')}, "
            f"{_count(report.cancelled_messages, 'message')} cancelled (record {report.erasure_id})"
        )
    )
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@click.command(
    "customer-data",
    epilog=examples(
        "closedloop customer-data --url sqlite:///feedback.db --user admin --email jane@example.com > jane.json"
    ),
)
@url_option
@_customer_options
def customer_data(
    url: str | None, region: str | None, by: str, email: str | None, tel: str | None, conversation_id: str | None
) -> None:
    """Print everything held on one customer as JSON, for a subject-access request."""
    _require_customer(email, tel, conversation_id)
    with open_desk(url, default_region=region) as desk:
        click.echo(printable_json(desk.customer_data(by=by, email=email, tel=tel, conversation_id=conversation_id)))


def _require_customer(*given: str | None) -> None:
    if not any(value and value.strip() for value in given):
        raise click.UsageError("say whose data this is: give --email, --tel or --conversation")


@hookimpl
def closedloop_add_commands(cli: click.Group) -> None:
    for command in (retention, erase, customer_data):
        cli.add_command(command)
