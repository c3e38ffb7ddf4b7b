"""Route handlers that serve a list a page at a time, the two ways review platforms page.

Token paging hands out an opaque token for the next page and takes a page size; page-number paging takes a
page number and a size. Both read their list anew at every request (a live list, or a function of the request
such as "the reviews of this location"), so a test that adds or edits an item between two syncs is served the
change, and both refuse a size or token the platform would refuse, in the platform's error shape, so a
connector that sends a wrong one fails its test instead of passing on a forgiving fake.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Callable, Sequence
from typing import Any

from closedloop.testing.platform.records import Refused, Request

#: A list to serve: the list itself (read at every request) or a function of the request that returns it.
Items = Sequence[Any] | Callable[[Request], Sequence[Any]]
#: What a page helper returns: a function of the request answering with the page's JSON body.
PageHandler = Callable[[Request], dict[str, Any]]


def serve_token_pages(
    items: Items,
    *,
    items_key: str = "items",
    size_param: str = "pageSize",
    token_param: str = "pageToken",
    next_key: str = "nextPageToken",
    default_size: int = 20,
    max_size: int | None = None,
) -> PageHandler:
    """Serve ``items`` in order, ``size_param`` at a time, with an opaque token for the next page.

    The body is ``{items_key: [...], next_key: "<token>"}``; the token is left out on the last page.
    ``next_key`` may be dotted (``"tokenPagination.nextPageToken"``) for platforms that nest it. A size past
    ``max_size``, below 1 or not a number, and a token this helper did not hand out, are refused with 400.
    """

    def page(request: Request) -> dict[str, Any]:
        every = _read(items, request)
        size = _size(request, size_param, default_size, max_size)
        given = request.query.get(token_param)
        start = _offset(given, token_param) if given else 0
        body: dict[str, Any] = {items_key: copy.deepcopy(list(every[start : start + size]))}
        if start + size < len(every):
            _put(body, next_key, _token(start + size))
        return body

    return page


def serve_numbered_pages(
    items: Items,
    *,
    items_key: str = "items",
    page_param: str = "page",
    size_param: str = "perPage",
    first_page: int = 1,
    default_size: int = 20,
    max_size: int | None = None,
    total_key: str | None = None,
) -> PageHandler:
    """Serve ``items`` in order by page number (the first is ``first_page``), ``size_param`` a page.

    The body is ``{items_key: [...]}``, with the number of items under ``total_key`` when one is given; a page
    past the end is empty, as such platforms answer. A page before ``first_page`` or not a number, and a size
    the platform would refuse, are refused with 400.
    """

    def page(request: Request) -> dict[str, Any]:
        every = _read(items, request)
        size = _size(request, size_param, default_size, max_size)
        number = _whole(request.query.get(page_param, str(first_page)), page_param)
        if number < first_page:
            raise Refused(400, f"{page_param} must be at least {first_page}; got {number}")
        start = (number - first_page) * size
        body: dict[str, Any] = {items_key: copy.deepcopy(list(every[start : start + size]))}
        if total_key is not None:
            _put(body, total_key, len(every))
        return body

    return page


def _read(items: Items, request: Request) -> Sequence[Any]:
    return items(request) if callable(items) else items


def _whole(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise Refused(400, f"{name} must be a whole number; got {value!r}") from None


def _size(request: Request, name: str, default: int, most: int | None) -> int:
    size = _whole(request.query.get(name, str(default)), name)
    if size < 1 or (most is not None and size > most):
        bound = f"between 1 and {most}" if most is not None else "at least 1"
        raise Refused(400, f"{name} must be {bound}; got {size}")
    return size


def _token(offset: int) -> str:
    """Opaque enough that a connector cannot make one up: it must send back the one it was given."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str, name: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix == "offset" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise Refused(400, f"{name} {token!r} is not a token this platform handed out")


def _put(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        body = body.setdefault(key, {})
    body[last] = value
