"""The places (and groups) a user sees, by name: what the inbox's filter offers and its rows are labelled with.

The desk has no call that lists places, so this reads the store's directory and applies the domain's own
``Scope``: the same rule the desk's checks use. It only names places; what a user may list or open is still
decided by the desk, on every call the pages make.
"""

from __future__ import annotations

import attrs

from closedloop import Desk, Role, Scope


@attrs.frozen
class Choice:
    """A value of the place filter: a place id or a group id, and its name."""

    id: str
    name: str
    is_group: bool = False


@attrs.frozen
class Directory:
    """What one user sees of the business's places."""

    places: tuple[Choice, ...]
    groups: tuple[Choice, ...]

    @property
    def choices(self) -> tuple[Choice, ...]:
        return (*self.groups, *self.places)

    def name_of(self, place_id: str) -> str:
        for place in self.places:
            if place.id == place_id:
                return place.name
        return place_id

    def offers(self, choice_id: str) -> bool:
        return any(choice.id == choice_id for choice in self.choices)


def seen_by(desk: Desk, user_id: str) -> Directory:
    """The places the user's scope covers and the groups they belong to (every group, for an admin)."""
    user = desk.user(user_id)
    with desk.store.transaction() as tx:
        places = tx.directory.places()
        groups = tx.directory.groups()
    scope = Scope.of(user, groups)
    shown_places = sorted(
        (Choice(place.id, place.name) for place in places.values() if scope.allows(place.id)),
        key=lambda choice: (choice.name.casefold(), choice.id),
    )
    own_groups = groups.values() if user.role is Role.ADMIN else [g for g in groups.values() if g.id in user.groups]
    shown_groups = sorted(
        (Choice(group.id, group.name, is_group=True) for group in own_groups),
        key=lambda choice: (choice.name.casefold(), choice.id),
    )
    return Directory(tuple(shown_places), tuple(shown_groups))
