"""Review cycles: a period's sample split among reviewers, stored per scope so that two managers of different
places each keep their own, and what each reviewer has done and still has to do.

A cycle's id is the period's key for a cycle of every place (``2026-03``), the key and the places it covers
when it is narrower (``2026-03@lyon,paris``), or a name the manager gives. Nobody replaces a cycle they could
not see whole.
"""

from __future__ import annotations

from collections.abc import Iterable

from closedloop.app import access, arguments, quality_cycles, reviewing
from closedloop.app.context import Context
from closedloop.domain import sampling
from closedloop.domain.errors import AccessDenied, InvalidInput, NotFound
from closedloop.domain.people import Right, Scope, User
from closedloop.domain.sampling import Assignment, Cycle
from closedloop.domain.text import shown
from closedloop.ports import StoreTransaction
from closedloop.ports.store import ReviewQuery


def cycle_id_of(key: str, covered: frozenset[str] | None, every_place: Iterable[str], named: str | None) -> str:
    """The id a new cycle is stored under: the name given, else the period's key, with the places it covers
    when it does not cover every place of the desk."""
    if named is not None:
        return named
    if covered is None or covered >= frozenset(every_place):
        return key
    return f"{key}@{','.join(sorted(covered))}"


def _check_replaceable(tx: StoreTransaction, member: User, cycle_id: str) -> None:
    """A cycle may be replaced only by someone who sees every place it hands out."""
    earlier = tx.quality.get_cycle(cycle_id)
    if earlier is None:
        return
    scope = access.scope(tx, member)
    hidden = sorted({item.place_id for item in earlier.assignments if not scope.allows(item.place_id)})
    if hidden:
        raise AccessDenied(
            f"review cycle {cycle_id!r} was made by {earlier.created_by!r} and covers places {', '.join(hidden)} "
            f"that user {member.id!r} may not see, so they may not replace it; name yours with cycle=..."
        )


def assign(
    ctx: Context,
    period: object,
    by: object,
    reviewers: object,
    share: object,
    seed: object,
    places: Iterable[str] | str | None,
    include_rated: object,
    rated_key: object,
    cycle: object,
    zone: object,
) -> Cycle:
    by = arguments.user_ref(by, "by")
    key, since, until, share_, seed_ = quality_cycles.sample_arguments(period, share, seed, zone)
    excluded = quality_cycles.excluded_keys(include_rated, rated_key)
    named = arguments.optional_identifier(cycle, "cycle")
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
        cycle_id = cycle_id_of(key, access.narrow(tx, member, places), tx.directory.place_ids(), named)
        _check_replaceable(tx, member, cycle_id)
        drawn = quality_cycles.draw(tx, member, since, until, places, share_, seed_, excluded)
        made = Cycle(
            id=cycle_id,
            since=since,
            until=until,
            created_at=ctx.now(),
            created_by=member.id,
            seed=seed_,
            share=share_,
            assignments=sampling.assign(drawn, names, seed_, scopes),
        )
        tx.quality.put_cycle(made)
    return made


def _cycle(tx: StoreTransaction, cycle_id: str) -> Cycle:
    found = tx.quality.get_cycle(cycle_id)
    if found is None:
        raise NotFound(
            f"there is no review cycle {cycle_id!r} (a cycle of some places is named like 2026-03@paris); make one "
            "with desk.qa.assign(period, by=..., reviewers=[...])"
        )
    return found


def _reviewed(tx: StoreTransaction, member: User, cycle: Cycle) -> set[tuple[str, str]]:
    """(reviewer, conversation) of the reviews made at the user's places in the cycle's period."""
    scope = access.scope(tx, member)
    made = tx.quality.reviews(ReviewQuery(place_ids=scope.place_ids, since=cycle.since, until=cycle.until))
    return {(found.reviewer_id, found.conversation_id) for found in made}


def progress(ctx: Context, cycle_id: object, by: object) -> dict[str, tuple[int, int]]:
    """Managers and admins see every reviewer's line at their places; a reviewer sees their own."""
    cycle_id = arguments.identifier(cycle_id, "cycle_id")
    by = arguments.user_ref(by, "by")
    with ctx.store.transaction() as tx:
        member = access.user(tx, by)
        cycle = _cycle(tx, cycle_id)
        scope = access.scope(tx, member)
        shown_assignments = [
            assignment
            for assignment in cycle.assignments
            if scope.allows(assignment.place_id)
            and (reviewing.may_manage(member) or assignment.reviewer_id == member.id)
        ]
        return sampling.progress(shown_assignments, _reviewed(tx, member, cycle))


def assignments(ctx: Context, cycle_id: object, by: object) -> list[tuple[Assignment, bool]]:
    """A reviewer's own assignments in the cycle, or every one for a manager or admin who sees all its places;
    each with whether its reviewer has reviewed it."""
    cycle_id = arguments.identifier(cycle_id, "cycle_id")
    by = arguments.user_ref(by, "by")
    with ctx.store.transaction() as tx:
        member = access.user(tx, by)
        cycle = _cycle(tx, cycle_id)
        scope = access.scope(tx, member)
        sees_whole = all(scope.allows(item.place_id) for item in cycle.assignments)
        everything = reviewing.may_manage(member) and sees_whole
        if not everything and not member.has(Right.REVIEWER):
            raise AccessDenied(
                f"user {member.id!r} may not see all of review cycle {cycle_id!r} and has no reviewer right"
            )
        done = _reviewed(tx, member, cycle)
        return [
            (item, (item.reviewer_id, item.conversation_id) in done)
            for item in cycle.assignments
            if (everything or item.reviewer_id == member.id) and scope.allows(item.place_id)
        ]
