"""Quality reviews of how conversations were handled: scorecards, reviews, their revisions and disputes.

Every call is one transaction in which the acting user is read again, so a right taken away counts at once.
A user sees only reviews of conversations at places they may see; an agent without the reviewer right, only
the reviews of their own work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import attrs

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain.conversation import Conversation
from closedloop.domain.errors import AccessDenied, InvalidInput, NotFound
from closedloop.domain.people import Right, Role, User
from closedloop.domain.quality import (
    CategoryRating,
    DisputeOutcome,
    Review,
    ReviewEvent,
    ReviewEventKind,
    Scorecard,
    checked_ratings,
)
from closedloop.domain.sampling import Handled, handler_of, participants_of
from closedloop.domain.text import shown
from closedloop.ports import StoreTransaction
from closedloop.ports.store import ReviewQuery
from closedloop.quality import default_scorecard

#: The bounds of "every review" when a listing names no period.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def scorecards_of(tx: StoreTransaction) -> dict[str, Scorecard]:
    """The stored scorecards by id, with the default one when none of its id was stored."""
    found = {scorecard.id: scorecard for scorecard in tx.quality.scorecards()}
    shipped = default_scorecard()
    found.setdefault(shipped.id, shipped)
    return dict(sorted(found.items()))


def _scorecard(tx: StoreTransaction, ref: object) -> Scorecard:
    """The scorecard a review is made on (the default when None); the shipped default is stored the first time
    it is used, so later changes to the file never rescore old reviews."""
    wanted = ref.id if isinstance(ref, Scorecard) else arguments.optional_identifier(ref, "scorecard")
    wanted = wanted or default_scorecard().id
    stored = tx.quality.get_scorecard(wanted)
    if stored is not None:
        return stored
    if wanted == default_scorecard().id:
        tx.quality.put_scorecard(default_scorecard())
        return default_scorecard()
    raise NotFound(
        f"there is no scorecard {wanted!r}; the scorecards are {', '.join(scorecards_of(tx))} "
        "(add one with desk.qa.put_scorecard(Scorecard(...), by=...))"
    )


def _ratings(value: object) -> list[CategoryRating]:
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"ratings must be a list of CategoryRating(category_id=..., choice=...); got {shown(value)}")
    return list(value)


def may_manage(member: User) -> bool:
    return member.role in (Role.ADMIN, Role.MANAGER)


def sees_all_reviews(member: User) -> bool:
    """Reviewers, managers and admins see every review at their places; other agents only those of their work."""
    return may_manage(member) or member.has(Right.REVIEWER)


def _review(tx: StoreTransaction, review_id: str, member: User) -> Review:
    found = tx.quality.get_review(review_id)
    if found is None or not (sees_all_reviews(member) or found.agent_id == member.id):
        raise NotFound(f"there is no review {review_id!r} that user {member.id!r} may see")
    access.scope(tx, member).check(member, found.place_id)
    return found


def _agent(conversation: Conversation, member: User, agent: str | None) -> str:
    """The agent reviewed: the one named, who must have replied, called or written a note, else the one a
    sample names (:func:`~closedloop.domain.sampling.handler_of`). Nobody who took part reviews it."""
    participants = participants_of(conversation)
    if not participants:
        raise InvalidInput(
            f"conversation {conversation.id!r} has no reply, call or note from a user, so no handling to review"
        )
    if member.id in participants:
        raise AccessDenied(
            f"user {member.id!r} replied, called or wrote a note on conversation {conversation.id!r}, so it is "
            "their own work; another reviewer must review it"
        )
    if agent is None:
        return handler_of(conversation) or sorted(participants)[0]
    if agent not in participants:
        raise InvalidInput(
            f"user {agent!r} did not reply to, call or write a note on conversation {conversation.id!r}; "
            f"its agents are {', '.join(sorted(participants))}"
        )
    return agent


def handled_in(
    tx: StoreTransaction, place_ids: frozenset[str] | None, since: datetime, until: datetime
) -> list[Handled]:
    """The period's handled conversations, each named after its agent by the rule reviews use, with everyone
    who took part; this reads each conversation, as the store's rows know only who responded first."""
    found = []
    for item in tx.quality.handled(place_ids, since, until):
        conversation = tx.conversations.get(item.conversation_id)
        agent = handler_of(conversation)
        if agent is not None:
            found.append(attrs.evolve(item, agent_id=agent, participants=participants_of(conversation)))
    return found


def check_scorecard_change(tx: StoreTransaction, scorecard: Scorecard) -> None:
    """Refuse a new version of a scorecard that drops or rescales a category stored reviews rated: their
    scores and every summary of them would change meaning. Weights, names and new categories are fine."""
    before = tx.quality.get_scorecard(scorecard.id)
    if before is None:
        return
    kept = {category.id: category.scale for category in scorecard.categories}
    changed = {category.id for category in before.categories if kept.get(category.id) != category.scale}
    if not changed:
        return
    reviews = tx.quality.reviews(ReviewQuery(place_ids=None, since=EARLIEST, until=LATEST))
    rated: set[str] = set()
    for found in reviews:
        if found.scorecard_id != scorecard.id:
            continue
        ratings = [*found.ratings, *(rating for event in found.history for rating in event.replaced)]
        rated |= {rating.category_id for rating in ratings if rating.choice is not None} & changed
    if rated:
        raise InvalidInput(
            f"stored reviews rated {', '.join(sorted(rated))} on scorecard {scorecard.id!r}, which this version "
            "removes or rescales; create a scorecard with a new id instead (weights and names may change)"
        )


def review(
    ctx: Context,
    conversation_id: object,
    by: object,
    ratings: object,
    comment: object,
    agent: object,
    scorecard: object,
) -> Review:
    conversation_id = arguments.identifier(conversation_id, "conversation_id")
    by = arguments.user_ref(by, "by")
    comment = arguments.text(comment, "comment")
    agent = arguments.optional_identifier(agent, "agent")
    given = _ratings(ratings)
    with ctx.store.transaction() as tx:
        conversation, member = access.visible(tx, conversation_id, by)
        if not member.has(Right.REVIEWER):
            raise AccessDenied(
                f"user {member.id!r} has no reviewer right; an admin can give it with "
                "desk.add_user(attrs.evolve(user, rights={'reviewer'}), replace=True)"
            )
        reviewed = _agent(conversation, member, agent)
        card = _scorecard(tx, scorecard)
        checked = checked_ratings(card, given)
        received = conversation.feedback.received_at
        earlier = tx.quality.reviews(
            ReviewQuery(
                place_ids=None,
                since=received,
                until=received + timedelta(microseconds=1),
                conversation_id=conversation.id,
                reviewer_id=member.id,
            )
        )
        for found in earlier:
            if found.agent_id == reviewed:
                raise InvalidInput(
                    f"user {member.id!r} already reviewed {reviewed!r} on conversation {conversation.id!r}; "
                    f"change that review with desk.qa.revise({found.id!r}, ...)"
                )
        now = ctx.now()
        made = Review(
            id=ctx.new_id(),
            conversation_id=conversation.id,
            place_id=conversation.place_id,
            agent_id=reviewed,
            reviewer_id=member.id,
            scorecard_id=card.id,
            ratings=checked,
            comment=comment,
            created_at=now,
            received_at=received,
            history=(ReviewEvent(kind=ReviewEventKind.CREATED, at=now, by=member.id),),
        )
        tx.quality.put_review(made)
    return made


def revise(ctx: Context, review_id: object, by: object, ratings: object, comment: object) -> Review:
    """New ratings (and comment) from the review's own reviewer; the history keeps the ratings replaced, and
    the comment replaced when it changes."""
    review_id = arguments.identifier(review_id, "review_id")
    by = arguments.user_ref(by, "by")
    new_comment = None if comment is None else arguments.text(comment, "comment")
    given = _ratings(ratings)
    with ctx.store.transaction() as tx:
        member = access.user(tx, by)
        found = _review(tx, review_id, member)
        if found.reviewer_id != member.id:
            raise AccessDenied(
                f"only its reviewer {found.reviewer_id!r} may revise review {review_id!r}; "
                "a manager changes a disputed one with desk.qa.resolve"
            )
        if found.disputed:
            raise InvalidInput(
                f"review {review_id!r} is disputed; a manager resolves the dispute first with desk.qa.resolve"
            )
        card = _scorecard(tx, found.scorecard_id)
        kept = found.comment if new_comment is None else new_comment
        event = ReviewEvent(
            kind=ReviewEventKind.REVISED,
            at=ctx.now(),
            by=member.id,
            comment=found.comment if kept != found.comment else "",
            replaced=found.ratings,
        )
        changed = attrs.evolve(
            found, ratings=checked_ratings(card, given), comment=kept, history=(*found.history, event)
        )
        tx.quality.put_review(changed)
    return changed


def dispute(ctx: Context, review_id: object, by: object, comment: object) -> Review:
    review_id = arguments.identifier(review_id, "review_id")
    by = arguments.user_ref(by, "by")
    reason = arguments.text(comment, "comment").strip()
    if not reason:
        raise InvalidInput("a dispute says why the review is wrong: give a comment")
    with ctx.store.transaction() as tx:
        member = access.user(tx, by)
        found = _review(tx, review_id, member)
        if found.agent_id != member.id:
            raise AccessDenied(f"only the reviewed agent {found.agent_id!r} may dispute review {review_id!r}")
        if found.disputed:
            raise InvalidInput(f"review {review_id!r} is already disputed; a manager resolves it with desk.qa.resolve")
        event = ReviewEvent(kind=ReviewEventKind.DISPUTED, at=ctx.now(), by=member.id, comment=reason)
        changed = attrs.evolve(found, history=(*found.history, event))
        tx.quality.put_review(changed)
    return changed


def resolve(ctx: Context, review_id: object, by: object, outcome: object, comment: object, ratings: object) -> Review:
    """A manager's or admin's answer to an open dispute; an accepted or partly accepted one comes with the
    corrected ratings, and the history keeps those replaced."""
    review_id = arguments.identifier(review_id, "review_id")
    by = arguments.user_ref(by, "by")
    decided = arguments.member(DisputeOutcome, outcome, "outcome")
    note = arguments.text(comment, "comment")
    given = None if ratings is None else _ratings(ratings)
    if decided is DisputeOutcome.REJECTED and given is not None:
        raise InvalidInput("a rejected dispute keeps the review's ratings; give no ratings")
    if decided is not DisputeOutcome.REJECTED and given is None:
        raise InvalidInput(f"an {decided.value.replace('_', ' ')} dispute needs the corrected ratings: ratings=[...]")
    with ctx.store.transaction() as tx:
        member = access.user(tx, by)
        found = _review(tx, review_id, member)
        if not may_manage(member):
            raise AccessDenied(f"only a manager or an admin may resolve a dispute; user {member.id!r} is neither")
        if member.id in (found.agent_id, found.reviewer_id):
            raise AccessDenied(
                f"user {member.id!r} wrote or is the subject of review {review_id!r}, so may not resolve its "
                "dispute; another manager must"
            )
        if not found.disputed:
            raise InvalidInput(f"review {review_id!r} has no open dispute to resolve")
        new_ratings = found.ratings if given is None else checked_ratings(_scorecard(tx, found.scorecard_id), given)
        event = ReviewEvent(
            kind=ReviewEventKind.RESOLVED,
            at=ctx.now(),
            by=member.id,
            comment=note,
            outcome=decided,
            replaced=() if given is None else found.ratings,
        )
        changed = attrs.evolve(found, ratings=new_ratings, history=(*found.history, event))
        tx.quality.put_review(changed)
    return changed


def visible_reviews(
    tx: StoreTransaction,
    member: User,
    since: datetime,
    until: datetime,
    agent: str | None,
    places: Iterable[str] | str | None,
) -> list[Review]:
    """The reviews of conversations received in ``[since, until)`` that the user may see."""
    if not sees_all_reviews(member):
        if agent is not None and agent != member.id:
            raise AccessDenied(f"user {member.id!r} sees only the reviews of their own work")
        agent = member.id
    query = ReviewQuery(place_ids=access.narrow(tx, member, places), since=since, until=until, agent_id=agent)
    return list(tx.quality.reviews(query))
