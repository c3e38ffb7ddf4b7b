"""A period's quality work: the sample of handled conversations to review, its split among reviewers (a
review cycle) and how far each got, and the summary of the reviews made.

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
from closedloop.domain.errors import AccessDenied, InvalidInput, NotFound
from closedloop.domain.feedback import RatingKind
from closedloop.domain.metrics import DEFAULT_WINDOW, Bucketing, Figures
from closedloop.domain.people import Right, Scope, User
from closedloop.domain.quality_summary import QualitySummary, Satisfaction, summarize
from closedloop.domain.sampling import Cycle, Handled
from closedloop.domain.text import shown
from closedloop.ports import StoreTransaction
from closedloop.ports.store import ReviewQuery

#: A month as "YYYY-MM", or a (since, until) pair of dates or aware datetimes.
Period = str | tuple[datetime | date, datetime | date]

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def period_bounds(period: object, zone: ZoneInfo) -> tuple[str, datetime, datetime]:
    """The period's key (the month, or ``since..until``) and its bounds."""
    if isinstance(period, str):
        match = _MONTH.fullmatch(period.strip())
        if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
            raise InvalidInput(f"a period is a month such as '2026-03', or a (since, until) pair; got {shown(period)}")
        year, month = int(match[1]), int(match[2])
        start = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1)
        return match[0], datetime.combine(start, time(), zone), datetime.combine(end, time(), zone)
    if isinstance(period, tuple | list) and len(period) == 2:
        since = metrics.moment(period[0], "the period's since", zone)
        until = metrics.moment(period[1], "the period's until", zone)
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
    return since - (until - since), since


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


def _sampler(tx: StoreTransaction, by: access.UserRef) -> User:
    member = access.user(tx, by)
    if not (member.has(Right.REVIEWER) or reviewing.may_manage(member)):
        raise AccessDenied(f"only reviewers, managers and admins draw review samples; user {member.id!r} is none")
    return member


def _drawn(
    tx: StoreTransaction,
    member: User,
    since: datetime,
    until: datetime,
    places: Iterable[str] | str | None,
    share: float,
    seed: int,
    excluded: frozenset[str],
) -> list[Handled]:
    handled = tx.quality.handled(access.narrow(tx, member, places), since, until)
    return sampling.sample(handled, share, seed, exclude_keys=excluded)


def _sample_arguments(
    period: object, share: object, seed: object, zone: object
) -> tuple[str, datetime, datetime, float, int]:
    key, since, until = period_bounds(period, metrics.time_zone(zone))
    chosen_seed = sampling.seed_of(key) if seed is None else sampling.checked_seed(seed)
    return key, since, until, sampling.checked_share(share), chosen_seed


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
    _key, since, until, share_, seed_ = _sample_arguments(period, share, seed, zone)
    excluded = (
        frozenset() if arguments.flag(include_rated, "include_rated") else {arguments.name(rated_key, "rated_key")}
    )
    with ctx.store.transaction() as tx:
        member = _sampler(tx, by)
        return _drawn(tx, member, since, until, places, share_, seed_, frozenset(excluded))


def assign(
    ctx: Context,
    period: object,
    by: object,
    reviewers: object,
    share: object,
    seed: object,
    places: Iterable[str] | str | None,
    zone: object,
) -> Cycle:
    by = arguments.user_ref(by, "by")
    key, since, until, share_, seed_ = _sample_arguments(period, share, seed, zone)
    if isinstance(reviewers, str) or not isinstance(reviewers, list | tuple):
        raise InvalidInput(f"reviewers must be a list of user ids, e.g. ['ana', 'ben']; got {shown(reviewers)}")
    names = [arguments.identifier(reviewer, "each reviewer") for reviewer in reviewers]
    with ctx.store.transaction() as tx:
        member = access.user(tx, by)
        if not reviewing.may_manage(member):
            raise AccessDenied(f"only a manager or an admin hands out reviews; user {member.id!r} is neither")
        groups = tx.directory.groups()
        scopes: dict[str, frozenset[str] | None] = {}
        for name in names:
            reviewer = access.user(tx, name)
            if not reviewer.has(Right.REVIEWER):
                raise InvalidInput(f"user {name!r} has no reviewer right; an admin can give it, or leave them out")
            scopes[name] = Scope.of(reviewer, groups).place_ids
        drawn = _drawn(tx, member, since, until, places, share_, seed_, frozenset({"handling"}))
        cycle = Cycle(
            id=key,
            since=since,
            until=until,
            created_at=ctx.now(),
            created_by=member.id,
            seed=seed_,
            share=share_,
            assignments=sampling.assign(drawn, names, seed_, scopes),
        )
        tx.quality.put_cycle(cycle)
    return cycle


def progress(ctx: Context, cycle_id: object, by: object) -> dict[str, tuple[int, int]]:
    """Managers and admins see every reviewer's line at their places; a reviewer sees their own."""
    cycle_id = arguments.identifier(cycle_id, "cycle_id")
    by = arguments.user_ref(by, "by")
    with ctx.store.transaction() as tx:
        member = access.user(tx, by)
        cycle = tx.quality.get_cycle(cycle_id)
        if cycle is None:
            raise NotFound(
                f"there is no review cycle {cycle_id!r}; make one with desk.qa.assign(period, by=..., reviewers=[...])"
            )
        scope = access.scope(tx, member)
        shown_assignments = [
            assignment
            for assignment in cycle.assignments
            if scope.allows(assignment.place_id)
            and (reviewing.may_manage(member) or assignment.reviewer_id == member.id)
        ]
        made = tx.quality.reviews(ReviewQuery(place_ids=scope.place_ids, since=cycle.since, until=cycle.until))
        return sampling.progress(shown_assignments, ((found.reviewer_id, found.conversation_id) for found in made))


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
        reviews = reviewing.visible_reviews(tx, member, since, until, agent_id, places)
        previous = reviewing.visible_reviews(tx, member, before, after, agent_id, places)
        scorecards = reviewing.scorecards_of(tx)
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
    )
