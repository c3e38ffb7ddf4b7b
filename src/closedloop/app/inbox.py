"""Reading: the inbox a page at a time, its counts, one conversation, and the customer file."""

from __future__ import annotations

from collections.abc import Iterable

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain.conversation import Category, Conversation, Folder
from closedloop.domain.customer_file import CustomerFile
from closedloop.domain.inbox import Counts, Cursor, InboxQuery, Page, UnreadableConversation, check_page_size
from closedloop.serialization import to_json


def inbox(
    ctx: Context,
    user: access.UserRef,
    *,
    folder: Folder | str,
    category: Category | str | None,
    places: Iterable[str] | str | None,
    limit: int,
    after: str | None,
) -> Page[Conversation]:
    """A page of the user's conversations in priority order; ``page.next`` is the ``after`` of the next. A
    conversation that cannot be read back takes its place on the page as an id in ``page.unreadable``."""
    user = arguments.user_ref(user, "user")
    folder = arguments.member(Folder, folder, "folder")
    category = arguments.optional_member(Category, category, "category")
    wanted = arguments.optional_identifiers(places, "places")
    check_page_size(limit)
    cursor = None if after is None else Cursor.decode(after)
    with ctx.store.transaction() as tx:
        member = access.user(tx, user)
        place_ids = access.narrow(tx, member, wanted)
        query = InboxQuery(place_ids=place_ids, folder=folder, category=category, limit=limit + 1, after=cursor)
        found = tx.conversations.page(query)
    entries = found[:limit]
    more = len(found) > limit
    return Page(
        [entry for entry in entries if isinstance(entry, Conversation)],
        Cursor.after(entries[-1]).encode() if more and entries else None,
        unreadable=tuple(entry.id for entry in entries if isinstance(entry, UnreadableConversation)),
    )


def counts(ctx: Context, user: access.UserRef, places: Iterable[str] | str | None) -> Counts:
    """How many conversations the user sees in each folder, and in each category of the inbox."""
    user = arguments.user_ref(user, "user")
    wanted = arguments.optional_identifiers(places, "places")
    with ctx.store.transaction() as tx:
        member = access.user(tx, user)
        return Counts.of(tx.conversations.counts(access.narrow(tx, member, wanted)))


def conversation(ctx: Context, conversation_id: str, by: access.UserRef) -> Conversation:
    conversation_id, by = arguments.identifier(conversation_id, "conversation_id"), arguments.user_ref(by, "by")
    with ctx.store.transaction() as tx:
        return access.visible(tx, conversation_id, by)[0]


def customer_file(ctx: Context, conversation_id: str, by: access.UserRef) -> CustomerFile:
    conversation_id, by = arguments.identifier(conversation_id, "conversation_id"), arguments.user_ref(by, "by")
    with ctx.store.transaction() as tx:
        found, _member = access.visible(tx, conversation_id, by)
        return CustomerFile(place=access.place(tx, found.place_id), conversation=found)


def export_file(ctx: Context, conversation_id: str, by: access.UserRef) -> str:
    """The customer file as JSON, for archiving or handing to another system."""
    return to_json(customer_file(ctx, conversation_id, by))
