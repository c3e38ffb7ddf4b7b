"""Places of the business, named groups of them, and the users who may see them."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import attrs

from closedloop.domain.errors import AccessDenied, InvalidInput
from closedloop.domain.feedback import optional_text
from closedloop.domain.values import id_field, id_set, one_of, text_field


@attrs.frozen(kw_only=True)
class Place:
    """A location of the business; its name signs public replies to reviews."""

    id: str = attrs.field(validator=id_field("place"))
    name: str = attrs.field(validator=id_field("place", one_line=True))  # it signs emails, in their From


def _group_places(value: object) -> frozenset[str]:
    return id_set(value, "group place_ids")


@attrs.frozen(kw_only=True)
class PlaceGroup:
    """A named set of places ("paris", "france") used for scoping users, templates and filters."""

    id: str = attrs.field(validator=id_field("group"))
    name: str = attrs.field(validator=id_field("group"))
    place_ids: frozenset[str] = attrs.field(converter=_group_places)


class Role(enum.StrEnum):
    """Admins see every place; managers and agents see the places and groups they are given."""

    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"


class Right(enum.StrEnum):
    """What a user may do beyond working the inbox of their places; admins have every right."""

    REVIEWER = "reviewer"  # review how conversations were handled (quality reviews)
    PRIVACY = "privacy"  # erase a customer's personal data


def _rights(value: object) -> frozenset[Right]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise InvalidInput(f"user rights are a set of rights, e.g. {{'reviewer'}}; got {value!r}")
    return frozenset(one_of(Right, item, "user right") for item in value)


def _role(value: object) -> Role:
    return one_of(Role, value, "user role")


def _user_places(value: object) -> frozenset[str]:
    return id_set(value, "user places")


def _user_groups(value: object) -> frozenset[str]:
    return id_set(value, "user groups")


@attrs.frozen(kw_only=True)
class User:
    """Someone of the business who works the inbox."""

    id: str = attrs.field(validator=id_field("user"))
    name: str = attrs.field(validator=id_field("user", one_line=True))  # it goes in the subject of hand-offs
    role: Role = attrs.field(default=Role.AGENT, converter=_role)
    email: str = attrs.field(default="", converter=optional_text, validator=text_field("user", one_line=True))
    places: frozenset[str] = attrs.field(factory=frozenset, converter=_user_places)
    groups: frozenset[str] = attrs.field(factory=frozenset, converter=_user_groups)
    rights: frozenset[Right] = attrs.field(factory=frozenset, converter=_rights)

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    def has(self, right: Right) -> bool:
        """Admins have every right; other users those they were given."""
        return self.role is Role.ADMIN or right in self.rights


@attrs.frozen
class Scope:
    """The place ids one user may see; ``None`` means every place (admins)."""

    place_ids: frozenset[str] | None

    @classmethod
    def of(cls, user: User, groups: Mapping[str, PlaceGroup]) -> Scope:
        if user.role is Role.ADMIN:
            return cls(None)
        visible = set(user.places)
        for group_id in user.groups:
            group = groups.get(group_id)
            if group is not None:
                visible |= group.place_ids
        return cls(frozenset(visible))

    def allows(self, place_id: str) -> bool:
        return self.place_ids is None or place_id in self.place_ids

    def check(self, user: User | None, place_id: str) -> None:
        if not self.allows(place_id):
            who = "this job" if user is None else f"user {user.id!r}"
            raise AccessDenied(
                f"{who} may not see place {place_id!r}; an admin can add the place or one of "
                "its groups to the user's places or groups"
            )

    def narrow(
        self,
        user: User | None,
        wanted: Iterable[str] | None,
        places: Mapping[str, Place],
        groups: Mapping[str, PlaceGroup],
    ) -> frozenset[str] | None:
        """Resolve a filter of place and group ids to the place ids this user may list.

        A group yields the part of it the user sees; naming a place outside the scope is refused.
        """
        if wanted is None:
            return self.place_ids
        chosen: set[str] = set()
        for item in id_set(wanted, "the places filter"):
            if item in groups:
                chosen |= {place_id for place_id in groups[item].place_ids if self.allows(place_id)}
            elif item in places:
                self.check(user, item)
                chosen.add(item)
            else:
                raise InvalidInput(f"{item!r} is neither a place id nor a group id known to this desk")
        return frozenset(chosen)


def _by_name(item: Place | PlaceGroup) -> tuple[str, str]:
    return item.name.casefold(), item.id


@attrs.frozen(kw_only=True)
class PlacesSeen:
    """The places one user sees and the groups they may filter by, each in order of name: what a screen offers
    them to choose from. An admin sees every place and group; anyone else the places of their scope and the
    groups they belong to."""

    places: tuple[Place, ...]
    groups: tuple[PlaceGroup, ...]
    _names: Mapping[str, str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_names", {place.id: place.name for place in self.places})

    @classmethod
    def of(cls, user: User, places: Mapping[str, Place], groups: Mapping[str, PlaceGroup]) -> PlacesSeen:
        scope = Scope.of(user, groups)
        own = groups.values() if user.role is Role.ADMIN else [groups[g] for g in user.groups if g in groups]
        seen = [place for place in places.values() if scope.allows(place.id)]
        return cls(places=tuple(sorted(seen, key=_by_name)), groups=tuple(sorted(own, key=_by_name)))

    def name_of(self, place_id: str) -> str:
        """The place's name, or its id when the user does not see it (a place removed from their scope)."""
        return self._names.get(place_id, place_id)

    def offers(self, place_or_group_id: str) -> bool:
        """Whether the id is one of these places or groups: a filter a screen may show this user."""
        return place_or_group_id in self._names or any(group.id == place_or_group_id for group in self.groups)
