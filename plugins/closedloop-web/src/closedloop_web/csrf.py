"""Cross-site request forgery protection for the reply form: a double-submit cookie.

The page sets a random value in a ``SameSite=Strict`` cookie and repeats it in the form; a post counts only
when both are there and equal. Another site can make a browser post to us, but it can neither read our
cookie nor set it, so it cannot forge the matching field.

Both values come from the visitor, so neither is trusted to be one of ours: only a value of the shape we
make (URL-safe base64) is ever reused or compared, and a forged value of any other shape, of any characters,
is simply not genuine.
"""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "closedloop_csrf"
FIELD = "csrf_token"
#: What ``secrets.token_urlsafe(32)`` makes (43 characters), with room for longer values of the same alphabet.
SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")


def _ours(value: object) -> str | None:
    """The value if it has the shape of a token we make; None for anything else a visitor may send."""
    return value if isinstance(value, str) and SHAPE.fullmatch(value) else None


def token_for(request: Request) -> str:
    """The value the page repeats in its form: the visitor's cookie if it has a sound one, else a new one."""
    return _ours(request.cookies.get(COOKIE)) or secrets.token_urlsafe(32)


def remember(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=request.scope.get("root_path") or "/",
    )


def is_genuine(request: Request, submitted: object) -> bool:
    """Whether the form's field matches the cookie; compared in constant time, and only once both are ASCII
    tokens of our shape (``hmac.compare_digest`` refuses text beyond ASCII with a TypeError)."""
    cookie, field = _ours(request.cookies.get(COOKIE)), _ours(submitted)
    return cookie is not None and field is not None and hmac.compare_digest(cookie.encode(), field.encode())
