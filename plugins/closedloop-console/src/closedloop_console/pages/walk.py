"""The search a customer file was opened from, carried on its links and forms (``?q=…&folder=…&place=…``), so
that its previous and next links (and the j and k keys) walk that search's results in their order, and its way
back returns to them. A file opened without ``q`` walks the inbox, as it always has.

The search is read with the inbox's own :func:`~closedloop_console.pages.inbox.read_filter`: the same text
cleaning, and the same 400 for a folder that does not exist. The desk checks the rest when the walk is taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from closedloop_console.pages.inbox import Filter, read_filter

#: What a file walks when it was not opened from a search.
INBOX = "inbox"
SEARCH = "search results"


def walked(query: Mapping[str, str]) -> Filter | None:
    """The search in a file's query string (its text, folder and place), or None: the file walks the inbox."""
    if not (query.get("q") or "").split():
        return None
    found = read_filter(query)
    return Filter(found.folder, None, found.place, found.search)


def pairs(walk: Filter | None) -> str:
    """The walk as query-string pairs with no ``?`` (empty for the inbox), for a link that has a query of its own."""
    return walk.query()[1:] if walk is not None else ""


def carried(path: str, walk: Filter | None, query: str = "") -> str:
    """``path`` with its own ``query`` (``"?use=0"``, or empty) and the walk after it."""
    more = pairs(walk)
    if not more:
        return path + query
    return f"{path}{query}&{more}" if query else f"{path}?{more}"


def way_back(request: Request, walk: Filter | None) -> str:
    """Where "back" goes from the file: the search's results, or the inbox."""
    return carried(request.url_for("inbox").path, walk)


def context(request: Request, walk: Filter | None) -> dict[str, Any]:
    """What the customer file's templates need to keep the walk on every link and form they make (texts, typed
    as ``render`` takes them)."""
    return {
        "walk_query": carried("", walk),
        "walk_pairs": pairs(walk),
        "walk_text": (walk.search or "") if walk is not None else "",
        "back_path": way_back(request, walk),
        "back_label": "Search results" if walk is not None else "Inbox",
    }
