"""Places, groups of places and users: who works on which feedback."""

from __future__ import annotations

from closedloop.app import access
from closedloop.app.context import Context
from closedloop.domain.errors import InvalidInput
from closedloop.domain.people import Place, PlaceGroup, User


def add_place(ctx: Context, place: Place) -> Place:
    with ctx.store.transaction() as tx:
        tx.directory.put_place(place)
    return place


def add_group(ctx: Context, group: PlaceGroup) -> PlaceGroup:
    """Add or replace a group; every place it names must be on the desk already."""
    with ctx.store.transaction() as tx:
        known = tx.directory.place_ids()
        missing = sorted(place_id for place_id in group.place_ids if place_id not in known)
        if missing:
            raise InvalidInput(f"group {group.id!r} names unknown places {missing}; add them first")
        tx.directory.put_group(group)
    return group


def add_user(ctx: Context, user: User) -> User:
    if user.email and ctx.contacts.email(user.email) is None:
        raise InvalidInput(f"user {user.id!r} has an invalid email address {user.email!r}")
    with ctx.store.transaction() as tx:
        tx.directory.put_user(user)
    return user


def get_user(ctx: Context, ref: access.UserRef) -> User:
    with ctx.store.transaction() as tx:
        return access.user(tx, ref)
