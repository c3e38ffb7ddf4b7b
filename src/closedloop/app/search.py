"""Searching: the conversations a user may see whose customer or text holds every word typed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain.conversation import Conversation, Folder
from closedloop.domain.errors import InvalidInput
from closedloop.domain.inbox import Page, UnreadableConversation, check_page_size
from closedloop.domain.search import (
    MAX_SEARCH_TEXT,
    MAX_SEARCH_WORDS,
    SearchCursor,
    SearchQuery,
    fingerprint,
    joined,
    words_of,
)
from closedloop.domain.text import shown

#: Text that is a phone number and nothing else: digits, with the usual signs between them.
_PHONE = re.compile(r"\+?[\d\s().\-/]+")
#: Unicode categories of characters no search is typed with: controls (but whitespace) and lone surrogates.
UNTYPABLE = frozenset({"Cc", "Cs"})
#: The fewest digits that make typed text a phone number rather than, say, a year.
PHONE_DIGITS = 6


def search(
    ctx: Context,
    user: access.UserRef,
    text: object,
    *,
    folder: Folder | str | None,
    places: Iterable[str] | str | None,
    limit: int,
    after: str | None,
) -> Page[Conversation]:
    """A page of the user's conversations that match ``text``, newest activity first (by position,
    :mod:`closedloop.domain.search`); ``page.next`` is the
    ``after`` of the next page. A conversation that cannot be read back is an id in ``page.unreadable``."""
    user = arguments.user_ref(user, "user")
    words = search_words(ctx, text)
    folders = frozenset(Folder) if folder is None else frozenset({arguments.member(Folder, folder, "folder")})
    wanted = arguments.optional_identifiers(places, "places")
    check_page_size(limit)
    this_search = fingerprint(words, folders, wanted)
    cursor = None if after is None else SearchCursor.decode(after, search=this_search)
    with ctx.store.transaction() as tx:
        member = access.user(tx, user)
        place_ids = access.narrow(tx, member, wanted)
        query = SearchQuery(place_ids=place_ids, folders=folders, words=words, limit=limit + 1, after=cursor)
        found = tx.search.find(query)
    shown_here = found[:limit]
    entries = [item.entry for item in shown_here]
    more = len(found) > limit
    return Page(
        [entry for entry in entries if isinstance(entry, Conversation)],
        SearchCursor(shown_here[-1].position, this_search).encode() if more and shown_here else None,
        unreadable=tuple(entry.id for entry in entries if isinstance(entry, UnreadableConversation)),
    )


def search_words(ctx: Context, text: object) -> tuple[str, ...]:
    """The folded words to look for. An email address typed alone is one word (:func:`joined`), and so is a
    phone number, its digits as the desk writes the number internationally (read in its ``default_region``),
    or as typed when it cannot read it."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"search text must be some words, a name, an email or a phone number; got {shown(text)}")
    if len(text) > MAX_SEARCH_TEXT:
        raise InvalidInput(
            f"search text is at most {MAX_SEARCH_TEXT} characters; got {len(text)}: search for a few words of it"
        )
    if any(unicodedata.category(char) in UNTYPABLE and not char.isspace() for char in text):
        raise InvalidInput(
            "search text holds a control character or half of a surrogate pair, which nobody types; "
            f"search for the words around it: got {shown(text)}"
        )
    stripped = text.strip()
    digits = "".join(filter(str.isdigit, stripped))
    if _PHONE.fullmatch(stripped) and len(digits) >= PHONE_DIGITS:
        number = ctx.contacts.phone(stripped)
        return (digits if number is None else number.lstrip("+"),)
    if "@" in stripped[1:] and not any(char.isspace() for char in stripped) and joined(stripped):
        return (joined(stripped),)
    words = tuple(dict.fromkeys(words_of(stripped)))
    if not words:
        raise InvalidInput(f"search text needs a letter or a digit to look for; got {shown(text)}")
    if len(words) > MAX_SEARCH_WORDS:
        raise InvalidInput(f"search for at most {MAX_SEARCH_WORDS} words at once; got {len(words)}")
    return words
