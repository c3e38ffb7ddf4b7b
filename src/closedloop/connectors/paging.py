"""Paging through a platform's list of reviews, as generators of pages, so a sync commits one page at a time.

Platforms page in one of two ways: a token the last page gave (``nextPageToken``), or a page number. Either
way a sync may stop early once a whole page is older than what it asks for (:func:`older_than`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")

#: Decides, after a page was yielded, that the rest need not be read.
Stop = Callable[[Sequence[T]], bool]


def never(items: Sequence[object]) -> bool:
    return False


def token_pages(
    fetch: Callable[[str | None], tuple[Sequence[T], str | None]], *, stop: Stop[T] = never
) -> Iterator[Sequence[T]]:
    """The pages ``fetch(token)`` gives as ``(items, next token)``, starting with ``None``: until a page has
    no next token, or no items, or ``stop(items)`` says the rest is not needed. Empty pages are not yielded."""
    token: str | None = None
    while True:
        items, token = fetch(token)
        if items:
            yield items
        if not token or not items or stop(items):
            return


def numbered_pages(
    fetch: Callable[[int], Sequence[T]], *, first: int = 1, size: int | None = None, stop: Stop[T] = never
) -> Iterator[Sequence[T]]:
    """The pages ``fetch(number)`` gives, numbered from ``first``: until a page is empty, or shorter than
    ``size`` (the page size asked for, when the platform does not say whether more follow), or ``stop(items)``
    says the rest is not needed."""
    number = first
    while True:
        items = fetch(number)
        if not items:
            return
        yield items
        if (size is not None and len(items) < size) or stop(items):
            return
        number += 1


def older_than(since: datetime | None, when: Callable[[T], datetime | None]) -> Stop[T]:
    """A ``stop`` for a list sorted newest first: true once every item of a page is older than ``since``
    (never on a first or full sync, ``since`` being ``None``). ``when(item)`` reads an item's time, by last
    change or by creation as the platform sorts; an item whose time it cannot read keeps the paging going."""

    def passed(items: Sequence[T]) -> bool:
        if since is None:
            return False
        for item in items:
            try:
                moment = when(item)
            except (LookupError, TypeError, ValueError, AttributeError):
                return False
            if moment is None or moment >= since:
                return False
        return True

    return passed
