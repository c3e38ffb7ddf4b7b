"""The one-line message an action leaves for the page it redirects to ("Note added.", or what went wrong).

It travels in the signed session, never in the URL: an address cannot be crafted to make the console say
something, and reloading the page does not repeat it.
"""

from __future__ import annotations

import attrs
from starlette.requests import Request
from starlette.responses import RedirectResponse

from closedloop_console.pages.wording import plain

SESSION_FLASH = "flash"
#: A message longer than this is cut: the session is a cookie, and browsers keep cookies under 4 KB.
MAX_FLASH = 600


@attrs.frozen
class Flash:
    text: str
    ok: bool = True


def said(text: str, *, ok: bool = True) -> Flash:
    text = text if ok else plain(text)  # a refusal may be the desk's developer's sentence
    return Flash(text if len(text) <= MAX_FLASH else text[: MAX_FLASH - 1] + "…", ok)


def refusal(text: str) -> Flash:
    """A refusal shown on the page answering the post itself, in the agent's words."""
    return said(text, ok=False)


def leave(request: Request, text: str, *, ok: bool = True) -> None:
    shown = said(text, ok=ok)
    request.session[SESSION_FLASH] = {"text": shown.text, "ok": shown.ok}


def take(request: Request) -> Flash | None:
    """The message left for this page, once: it is gone from the session after."""
    stored = request.session.pop(SESSION_FLASH, None)
    if not isinstance(stored, dict) or not isinstance(stored.get("text"), str):
        return None
    return Flash(stored["text"], ok=stored.get("ok") is True)


def back_to(request: Request, path: str, text: str, *, ok: bool = True) -> RedirectResponse:
    """A 303 to ``path`` (a path this app built, never one a visitor sent) carrying the message."""
    leave(request, text, ok=ok)
    return RedirectResponse(path, status_code=303)
