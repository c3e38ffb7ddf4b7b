"""Cross-site request forgery protection for the reply form: a double-submit cookie.

The page sets a random value in a ``SameSite=Strict`` cookie and repeats it in the form; a post counts only
when both are there and equal. Another site can make a browser post to us, but it can neither read our
cookie nor set it, so it cannot forge the matching field.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "closedloop_csrf"
FIELD = "csrf_token"


def token_for(request: Request) -> str:
    """The value the page repeats in its form: the visitor's cookie if it has a sound one, else a new one."""
    existing = request.cookies.get(COOKIE, "")
    return existing if len(existing) >= 32 else secrets.token_urlsafe(32)


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
    cookie = request.cookies.get(COOKIE, "")
    return isinstance(submitted, str) and len(cookie) >= 32 and hmac.compare_digest(cookie, submitted)
