"""Places, groups of places and users: who works on which feedback.

Adding a record whose id is in use with other values is refused unless the caller says ``replace=True``, so
a typo in an id never silently rewrites a colleague's rights or a place's name; adding the very same record
again changes nothing, so a setup script can run twice.
"""

from __future__ import annotations

from collections.abc import Collection

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain.errors import AlreadyStored, InvalidInput
from closedloop.domain.people import Place, PlaceGroup, PlacesSeen, Scope, User
from closedloop.domain.text import shown


def add_place(ctx: Context, place: Place, replace: bool) -> Place:
    """Add a place, or change one when ``replace``."""
    arguments.record(place, Place, "desk.add_place")
    arguments.flag(replace, "replace")
    with ctx.store.transaction() as tx:
        if may_put("place", place.id, place, tx.directory.places().get(place.id), replace, "add_place"):
            tx.directory.put_place(place)
    return place


def add_group(ctx: Context, group: PlaceGroup, replace: bool) -> PlaceGroup:
    """Add a group, or change one when ``replace``; every place it names must be on the desk already."""
    arguments.record(group, PlaceGroup, "desk.add_group")
    arguments.flag(replace, "replace")
    with ctx.store.transaction() as tx:
        check_known(f"group {group.id!r}", "places", group.place_ids, tx.directory.place_ids(), "add_place")
        if may_put("group", group.id, group, tx.directory.groups().get(group.id), replace, "add_group"):
            tx.directory.put_group(group)
    return group


def add_user(ctx: Context, user: User, replace: bool) -> User:
    """Add a user, or change one when ``replace``; the places and groups they are given must be on the desk."""
    arguments.record(user, User, "desk.add_user")
    arguments.flag(replace, "replace")
    if user.email and ctx.contacts.email(user.email) is None:
        raise InvalidInput(f"user {user.id!r} has an invalid email address {user.email!r}")
    with ctx.store.transaction() as tx:
        check_known(f"user {user.id!r}", "places", user.places, tx.directory.place_ids(), "add_place")
        check_known(f"user {user.id!r}", "groups", user.groups, frozenset(tx.directory.groups()), "add_group")
        if may_put("user", user.id, user, tx.directory.get_user(user.id), replace, "add_user"):
            tx.directory.put_user(user)
    return user


def get_user(ctx: Context, ref: access.UserRef) -> User:
    ref = arguments.user_ref(ref, "user")
    with ctx.store.transaction() as tx:
        return access.user(tx, ref)


def places_seen(ctx: Context, ref: access.UserRef) -> PlacesSeen:
    """The places and groups the user sees, from the store's decoded directory (the SQL store keeps it between
    transactions, and any change to it is seen by the next one)."""
    ref = arguments.user_ref(ref, "user")
    with ctx.reading() as tx:
        return PlacesSeen.of(access.user(tx, ref), tx.directory.places(), tx.directory.groups())


def colleagues(ctx: Context, conversation_id: str, by: access.UserRef) -> list[User]:
    """The other users who can see the conversation's place and have an email address, by name: whom it can be
    forwarded to."""
    conversation_id, by = arguments.identifier(conversation_id, "conversation_id"), arguments.user_ref(by, "by")
    with ctx.reading() as tx:
        conversation, member = access.visible(tx, conversation_id, by)
        groups = tx.directory.groups()
        found = [
            user
            for user in tx.directory.users().values()
            if user.id != member.id and user.email and Scope.of(user, groups).allows(conversation.place_id)
        ]
    return sorted(found, key=lambda user: (user.name.casefold(), user.id))


def check_known(owner: str, what: str, named: Collection[str], known: Collection[str], add: str) -> None:
    """Refuse a record that names places or groups the desk does not have, naming them."""
    missing = sorted(item for item in named if item not in known)
    if missing:
        raise InvalidInput(
            f"{owner} names {what} that are not on this desk: {', '.join(map(repr, missing))}; add them first "
            f"with desk.{add}"
        )


def may_put(kind: str, record_id: str, new: object, stored: object | None, replace: bool, call: str) -> bool:
    """Whether to write ``new``: not when the same is stored already (nothing would change), and refused with
    :class:`AlreadyStored` when a different one is stored under its id and the caller did not ask to replace it."""
    if stored is None:
        return True
    if stored == new:
        return False
    if not replace:
        raise AlreadyStored(
            f"a {kind} with id {record_id!r} is already on this desk, and differs: {shown(stored)}; "
            f"to change it, call desk.{call}(..., replace=True)"
        )
    return True
