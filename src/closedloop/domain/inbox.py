"""The inbox's order, its keyset cursor and its counts.

The inbox lists conversations by descending *inbox key*: ``(priority, updated, id)``, where priority is 2 for
on hold, 1 for an open alert and 0 for the rest, and ``updated`` is the last update in microseconds since
the epoch. One direction for all three parts lets every store page with a single row comparison,
``key < cursor``, on one index (keyset pagination) instead of skipping rows with OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

import attrs

from closedloop.domain.conversation import CATEGORY_ORDER, Category, Conversation, Folder
from closedloop.domain.errors import InvalidInput
from closedloop.domain.moments import microseconds
from closedloop.domain.text import shown

MAX_PAGE = 500

T = TypeVar("T")

InboxKey = tuple[int, int, str]


def priority(category: Category) -> int:
    """On hold 2, alert 1, new message 0: higher comes first."""
    return len(CATEGORY_ORDER) - 1 - CATEGORY_ORDER.index(category)


def inbox_key(conversation: Conversation) -> InboxKey:
    """The key the inbox sorts on, in descending order."""
    return (priority(conversation.category), microseconds(conversation.last_updated_at), conversation.id)


#: The integers a store can compare with what it holds: a 64-bit database integer's range.
SMALLEST_STORED, LARGEST_STORED = -(2**63), 2**63 - 1


def stored_integer(value: object) -> bool:
    """Whether a cursor's number is a whole number a store can hold (a forged one may be any size)."""
    return type(value) is int and SMALLEST_STORED <= value <= LARGEST_STORED


@attrs.frozen
class Cursor:
    """Where a page ended: the inbox key of its last item."""

    key: InboxKey

    def encode(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(list(self.key)).encode("utf-8")).decode("ascii")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            rank, updated, item_id = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
            if not (stored_integer(rank) and stored_integer(updated) and isinstance(item_id, str)):
                raise TypeError("not a cursor")
            return cls((rank, updated, item_id))
        except (ValueError, TypeError, AttributeError, binascii.Error, UnicodeError):
            raise InvalidInput(
                f"{shown(text)} is not an inbox cursor; pass the .next of a previous page as after="
            ) from None

    @classmethod
    def after(cls, entry: Conversation | UnreadableConversation) -> Cursor:
        return cls(inbox_key(entry) if isinstance(entry, Conversation) else entry.key)


@attrs.frozen
class UnreadableConversation:
    """A conversation a store holds but cannot read back (its stored document was altered), where it stands
    in the inbox's order: a store's page holds it in its place, so one bad row neither fails the page nor
    moves the next page's cursor."""

    id: str
    key: InboxKey


def check_page_size(limit: object) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_PAGE}; got {shown(limit)}")


@attrs.frozen(kw_only=True)
class InboxQuery:
    """One page request, already narrowed to the place ids the user may see (``None``: all).

    Stores return up to ``limit`` items; the desk asks for one more than it shows to know if a next page exists.
    """

    place_ids: frozenset[str] | None
    folder: Folder = Folder.INBOX
    category: Category | None = None
    limit: int = 50
    after: Cursor | None = None

    def matches(self, conversation: Conversation) -> bool:
        if self.place_ids is not None and conversation.place_id not in self.place_ids:
            return False
        if conversation.folder is not self.folder:
            return False
        if self.category is not None and conversation.category is not self.category:
            return False
        return self.after is None or inbox_key(conversation) < self.after.key


@attrs.frozen
class Page(Generic[T]):
    """A page of results and the cursor for the next one (``None`` on the last page).

    ``unreadable`` holds the ids of the conversations that belong on this page but could not be read back
    (asking for one raises :class:`closedloop.UnreadableRecord`, which says how to mend it); it is empty
    unless a stored document was damaged, and the page shows every other conversation all the same.
    """

    items: list[T]
    next: str | None
    unreadable: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen
class Counts:
    """How many conversations are in each folder, and in each category of the inbox."""

    folders: Mapping[Folder, int]
    categories: Mapping[Category, int]

    @property
    def inbox(self) -> int:
        return self.folders.get(Folder.INBOX, 0)

    @property
    def done(self) -> int:
        return self.folders.get(Folder.DONE, 0)

    @property
    def spam(self) -> int:
        return self.folders.get(Folder.SPAM, 0)

    @property
    def on_hold(self) -> int:
        return self.categories.get(Category.ON_HOLD, 0)

    @property
    def alert(self) -> int:
        return self.categories.get(Category.ALERT, 0)

    @property
    def new_message(self) -> int:
        return self.categories.get(Category.NEW_MESSAGE, 0)

    def __getitem__(self, key: str) -> int:
        """``counts["inbox"]`` or ``counts[Category.ALERT]``: a folder or an inbox category."""
        try:
            return self.folders[Folder(key)]
        except ValueError:
            pass
        try:
            return self.categories[Category(key)]
        except ValueError:
            raise KeyError(f"{key!r} is neither a folder nor a category") from None

    @classmethod
    def of(cls, pairs: Mapping[tuple[Folder, Category], int]) -> Counts:
        """Build from counts per (folder, category); categories count the inbox only."""
        folders = {folder: 0 for folder in Folder}
        categories = {category: 0 for category in CATEGORY_ORDER}
        for (folder, category), number in pairs.items():
            folders[folder] += number
            if folder is Folder.INBOX:
                categories[category] += number
        return cls(folders, categories)
