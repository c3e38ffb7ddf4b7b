"""A period's quality work: its bounds, the sample of handled conversations to review, and the summary of the
reviews made (review cycles, the sample split among reviewers, are in :mod:`closedloop.app.review_cycles`).

A period is a month, ``"YYYY-MM"``, cut in the given zone (UTC by default), or a ``(since, until)`` pair of
dates or aware datetimes. Sampling is seeded by the period unless a seed is given, so asking twice gives the
same conversations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from closedloop.app import access, arguments, metrics, reviewing
from closedloop.app.context import Context
from closedloop.domain import sampling
from closedloop.domain.errors import AccessDenied, InvalidInput
from closedloop.domain.feedback import RatingKind
from closedloop.domain.metrics import DEFAULT_WINDOW, Bucketing, Figures
from closedloop.domain.people import Right, User
from closedloop.domain.quality_summary import QualitySummary, Satisfaction, summarize
from closedloop.domain.sampling import Handled
from closedloop.domain.text import shown
from closedloop.ports import StoreTransaction

#: A month as "YYYY-MM", or a (since, until) pair of dates or aware datetimes.
Period = str | tuple[datetime | date, datetime | date]

_MONTH = re.compile(r"(\d{4})-(\d{2})")

#: The years a period may fall in: far enough from the calendar's ends that the month before and the period
#: before always exist.
FIRST_YEAR, LAST_YEAR = 1970, 9998


def _within_years(moment: datetime, what: str) -> datetime:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InvalidInput(f"{what} must fall in the years {FIRST_YEAR} to {LAST_YEAR}; got {moment.isoformat()}")
    return moment


def period_bounds(period: object, zone: ZoneInfo) -> tuple[str, datetime, datetime]:
    """The period's key (the month, or ``since..until``) and its bounds."""
    if isinstance(period, str):
        match = _MONTH.fullmatch(period.strip())
        if match is None or not 1 <= int(match[2]) <= 12:
            raise InvalidInput(f"a period is a month such as '2026-03', or a (since, until) pair; got {shown(period)}")
        year, month = int(match[1]), int(match[2])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidInput(f"a period's month must fall in the years {FIRST_YEAR} to {LAST_YEAR}; got {period!r}")
        start = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1)
        return match[0], datetime.combine(start, time(), zone), datetime.combine(end, time(), zone)
    if isinstance(period, tuple | list) and len(period) == 2:
        since = _within_years(metrics.moment(period[0], "the period's since", zone), "the period's since")
        until = _within_years(metrics.moment(period[1], "the period's until", zone), "the period's until")
        if since >= until:
            raise InvalidInput(
                f"a period's since must come before its until; got {since.isoformat()}, {until.isoformat()}"
            )
        return f"{_key_of(period[0], since)}..{_key_of(period[1], until)}", since, until
    raise InvalidInput(f"a period is a month such as '2026-03', or a (since, until) pair; got {shown(period)}")


def _key_of(given: object, moment: datetime) -> str:
    return given.isoformat() if isinstance(given, date) and not isinstance(given, datetime) else moment.isoformat()


def previous_bounds(period: object, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The period just before: the month before, or as long a span ending where this one starts."""
    _key, since, until = period_bounds(period, zone)
    if isinstance(period, str):
        first = since.date()
        before = date(first.year - 1, 12, 1) if first.month == 1 else date(first.year, first.month - 1, 1)
        return datetime.combine(before, time(), zone), since
    earliest = datetime(FIRST_YEAR - 1, 1, 1, tzinfo=zone)
    span = until - since
    return (since - span if since - earliest > span else earliest), since


def listing_bounds(
    period: object, since: object, until: object, zone: object, earliest: datetime, latest: datetime
) -> tuple[datetime, datetime]:
    """The bounds a listing covers: the period's, or ``since`` and ``until`` (open ends reach the given limits)."""
    where = metrics.time_zone(zone)
    if period is not None:
        if since is not None or until is not None:
            raise InvalidInput("give either a period or since/until, not both")
        return period_bounds(period, where)[1:]
    start = earliest if since is None else metrics.moment(since, "since", where)
    end = latest if until is None else metrics.moment(until, "until", where)
    if start >= end:
        raise InvalidInput(f"since must come before until; got since={start.isoformat()}, until={end.isoformat()}")
    return start, end


def sampler(tx: StoreTransaction, by: access.UserRef) -> User:
    member = access.user(tx, by)
    if not (member.has(Right.REVIEWER) or reviewing.may_manage(member)):
        raise AccessDenied(f"only reviewers, managers and admins draw review samples; user {member.id!r} is none")
    return member


def draw(
    tx: StoreTransaction,
    member: User,
    since: datetime,
    until: datetime,
    places: Iterable[str] | str | None,
    share: float,
    seed: int,
    excluded: frozenset[str],
) -> list[Handled]:
    handled = reviewing.handled_in(tx, access.narrow(tx, member, places), since, until)
    return sampling.sample(handled, share, seed, exclude_keys=excluded)


def sample_arguments(
    period: object, share: object, seed: object, zone: object
) -> tuple[str, datetime, datetime, float, int]:
    key, since, until = period_bounds(period, metrics.time_zone(zone))
    chosen_seed = sampling.seed_of(key) if seed is None else sampling.checked_seed(seed)
    return key, since, until, sampling.checked_share(share), chosen_seed


def excluded_keys(include_rated: object, rated_key: object) -> frozenset[str]:
    """The rating keys whose conversations a sample leaves out: ``rated_key``, or none with ``include_rated``."""
    if arguments.flag(include_rated, "include_rated"):
        return frozenset()
    return frozenset({arguments.name(rated_key, "rated_key")})


def sample(
    ctx: Context,
    period: object,
    by: object,
    share: object,
    seed: object,
    places: Iterable[str] | str | None,
    include_rated: object,
    rated_key: object,
    zone: object,
) -> list[Handled]:
    by = arguments.user_ref(by, "by")
    _key, since, until, share_, seed_ = sample_arguments(period, share, seed, zone)
    excluded = excluded_keys(include_rated, rated_key)
    with ctx.store.transaction() as tx:
        member = sampler(tx, by)
        return draw(tx, member, since, until, places, share_, seed_, excluded)


def _satisfaction(figures: Figures) -> Satisfaction:
    csat = next(
        (score.csat for score in figures.scores if score.kind is RatingKind.CSAT and score.csat is not None), None
    )
    nps = next((score.nps for score in figures.scores if score.kind is RatingKind.NPS and score.nps is not None), None)
    return Satisfaction(csat=csat, nps=nps)


def summary(
    ctx: Context, period: object, by: object, agent: object, places: Iterable[str] | str | None, zone: object
) -> QualitySummary:
    by = arguments.user_ref(by, "by")
    agent_id = arguments.optional_identifier(agent, "agent")
    where = metrics.time_zone(zone)
    key, since, until = period_bounds(period, where)
    before, after = previous_bounds(period, where)
    with ctx.store.transaction() as tx:
        member = access.user(tx, by)
        if agent_id is not None:
            access.user(tx, agent_id)  # an unknown agent is a mistake, not an empty summary
        reviews = reviewing.visible_reviews(tx, member, since, until, agent_id, places)
        previous = reviewing.visible_reviews(tx, member, before, after, agent_id, places)
        scorecards = reviewing.scorecards_of(tx)
        covered = access.narrow(tx, member, places)
        if not reviewing.sees_all_reviews(member):
            agent_id = member.id
    report = metrics.metrics(
        ctx, by, places=places, since=since, until=until, by=Bucketing.AGENT, zone=where, window=DEFAULT_WINDOW
    )
    satisfaction = {bucket.key: _satisfaction(bucket.figures) for bucket in report.buckets if bucket.key}
    team = _satisfaction(report.figures) if agent_id is None else satisfaction.get(agent_id, Satisfaction())
    return summarize(
        period=key,
        since=since,
        until=until,
        reviews=reviews,
        previous=previous,
        scorecards=scorecards,
        satisfaction=satisfaction,
        team_satisfaction=team,
        agent_id=agent_id,
        places=None if covered is None else tuple(sorted(covered)),
    )
