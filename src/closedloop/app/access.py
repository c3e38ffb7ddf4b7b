"""Who is acting and what they may see: the checks every use case makes inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable

from closedloop.domain.conversation import Conversation
from closedloop.domain.errors import NotFound
from closedloop.domain.people import Place, Scope, User
from closedloop.ports import StoreTransaction

#: A user, or the id of one.
UserRef = str | User

#: How to add a missing place or user, said both ways: these messages reach Python callers and command-line users.
ADD_PLACE = "add the place first (desk.add_place in Python, `closedloop places add` on the command line)"
ADD_USER = "add the user first (desk.add_user in Python, `closedloop users add` on the command line)"


def user(tx: StoreTransaction, ref: UserRef) -> User:
    """The stored user (a given ``User`` is looked up again, so its stored rights count)."""
    user_id = ref.id if isinstance(ref, User) else ref
    found = tx.directory.get_user(user_id) if isinstance(user_id, str) else None
    if found is None:
        raise NotFound(f"user {user_id!r} is not on this desk; {ADD_USER}")
    return found


def scope(tx: StoreTransaction, member: User) -> Scope:
    return Scope.of(member, tx.directory.groups())


def place(tx: StoreTransaction, place_id: str) -> Place:
    found = tx.directory.places().get(place_id)
    if found is None:
        raise NotFound(f"place {place_id!r} is not on this desk")
    return found


def visible(
    tx: StoreTransaction, conversation_id: str, by: UserRef, *, lock: bool = False
) -> tuple[Conversation, User]:
    """The conversation and the acting user, once it is checked that the user may see its place; with
    ``lock``, other transactions that get it with ``lock`` or save it wait until this one ends (where the store
    can)."""
    member = user(tx, by)
    conversation = tx.conversations.get(conversation_id, lock=lock)
    scope(tx, member).check(member, conversation.place_id)
    return conversation, member


def narrow(tx: StoreTransaction, member: User | None, places: Iterable[str] | str | None) -> frozenset[str] | None:
    """The place ids a listing covers: the user's scope, narrowed by a filter of places and groups; a desk-wide
    job (``member`` None) covers every place."""
    groups = tx.directory.groups()
    seen = Scope(None) if member is None else Scope.of(member, groups)
    if places is None:
        return seen.place_ids
    return seen.narrow(member, places, tx.directory.places(), groups)
