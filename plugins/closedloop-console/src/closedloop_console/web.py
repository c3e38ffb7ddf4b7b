"""What every page of the console uses: who is signed in, the page's template, and a form checked for CSRF.

Pages call :func:`signed_in` first, render with :func:`render`, and read every POST with
:func:`checked_form`; the app (``app.py``) turns the exceptions raised here into redirects and error pages.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from closedloop import Desk, NotFound, User
from closedloop_console.host_session import host_request
from closedloop_console.security import NONCE_KEY

#: The hidden field every form carries, and the session key that holds its expected value.
CSRF_FIELD = "csrf_token"
SESSION_CSRF = "csrf"
#: The session keys of the built-in sign-in: who, and since when (seconds since the epoch).
SESSION_USER = "user"
SESSION_SINCE = "since"
SESSION_ID = "sid"
#: The most a form post may weigh; a reply or a note is far smaller, and more is refused before it is read.
MAX_FORM_BYTES = 256 * 1024


class SignInRequired(Exception):
    """Nobody is signed in: the app answers with a 303 to the sign-in page that comes back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Form(Mapping[str, str]):
    """A posted form whose every value is text: ``form["note"]`` is a field's last value, ``getlist`` all of
    them (the ticked boxes of a bulk action)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        self._last = dict(items)

    def __getitem__(self, name: str) -> str:
        return self._last[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._items if key == name]


def desk_of(request: Request) -> Desk:
    """The desk the console was made with."""
    desk: Desk = request.app.state.desk
    return desk


def signed_in(request: Request) -> str:
    """The signed-in user's id; raises :class:`SignInRequired` when nobody is (or the user left the desk).

    The user comes from the application's ``authenticate`` when it gave one, else from the built-in
    sign-in's session. Either way the desk must know the user, so a user removed from the desk is out at once.
    """
    cached = request.scope.get("closedloop_console.user")
    if isinstance(cached, User):
        return cached.id
    authenticate = request.app.state.authenticate
    user_id = authenticate(host_request(request)) if authenticate is not None else _session_user(request)
    user = _known_user(desk_of(request), user_id)
    if user is None:
        if authenticate is None:
            for key in (SESSION_USER, SESSION_SINCE, SESSION_ID):
                request.session.pop(key, None)
        raise SignInRequired(_return_path(request))
    request.scope["closedloop_console.user"] = user
    return user.id


def _return_path(request: Request) -> str:
    """Where to come back after signing in: this page; for a form posted after the session ended, the page it
    was posted from when that is on the console (the post itself cannot be replayed), else the home page."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.scheme == request.url.scheme:
        return safe_next(request, referer.path + (f"?{referer.query}" if referer.query else ""))
    return safe_next(request, None)


def _session_user(request: Request) -> object:
    """The built-in sign-in's user, unless the session is older than its lifetime or was signed out."""
    since = request.session.get(SESSION_SINCE)
    session_id = request.session.get(SESSION_ID)
    if not isinstance(since, int | float) or time.time() - since > request.app.state.session_lifetime:
        return None
    if not isinstance(session_id, str) or request.app.state.ended_sessions.has_ended(session_id):
        return None
    return request.session.get(SESSION_USER)


def _known_user(desk: Desk, user_id: object) -> User | None:
    if not isinstance(user_id, str) or not user_id:
        return None
    try:
        return desk.user(user_id)
    except NotFound:
        return None


def current_user(request: Request) -> User | None:
    """The user :func:`signed_in` found for this request, or None when the page did not ask (sign-in, errors)."""
    user = request.scope.get("closedloop_console.user")
    return user if isinstance(user, User) else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use; every form repeats it in :data:`CSRF_FIELD`."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def script_nonce(request: Request) -> str:
    """This response's script nonce, made on first use; only a response that asks for one allows scripts."""
    nonce = request.scope.get(NONCE_KEY)
    if not isinstance(nonce, str):
        nonce = secrets.token_urlsafe(16)
        request.scope[NONCE_KEY] = nonce
    return nonce


def render(
    request: Request,
    template_name: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The template filled with ``context`` and what every page needs: ``request``, ``user`` (the signed-in
    ``User`` or None), ``csrf_field``/``csrf_token`` and ``csrf_input()`` (the hidden field, ready to place in a
    form), ``script_nonce()`` (for a ``<script nonce=...>``: the CSP then allows that script and no other),
    ``root_path`` and ``builtin_sign_in`` (whether the console's own sign-out applies)."""
    token = csrf_token(request)
    field = Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)
    full_context = {
        "request": request,
        "user": current_user(request),
        "csrf_field": CSRF_FIELD,
        "csrf_token": token,
        "csrf_input": lambda: field,
        "script_nonce": lambda: script_nonce(request),
        "root_path": request.scope.get("root_path", ""),
        "builtin_sign_in": request.app.state.authenticate is None,
        **context,
    }
    template = request.app.state.templates.get_template(template_name)
    html = template.render(full_context)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    response.headers["Cache-Control"] = "no-store"  # every page shows customers' data to one user
    return response


async def checked_form(request: Request) -> Form:
    """The POSTed form, once its CSRF token matches the session's; a wrong or missing token is refused with
    403, a body over :data:`MAX_FORM_BYTES` with 413, files or a broken body with 400."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise HTTPException(413, "This form is too large to be sent.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise HTTPException(413, "This form is too large to be sent.")
        chunks.append(chunk)
    body = b"".join(chunks)

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    data: FormData = await Request(request.scope, replay).form(max_files=0, max_fields=2000)
    items = [(key, value) for key, value in data.multi_items() if isinstance(value, str)]
    expected = request.session.get(SESSION_CSRF)
    submitted = dict(items).get(CSRF_FIELD)
    if not (isinstance(expected, str) and isinstance(submitted, str) and _same(expected, submitted)):
        raise HTTPException(
            403, "This form had expired or did not come from the console. Reload the page and try again."
        )
    return Form(items)


def _same(expected: str, submitted: str) -> bool:
    """Constant-time comparison; text beyond ASCII (which ``compare_digest`` refuses) is never a token of ours."""
    return submitted.isascii() and hmac.compare_digest(expected.encode(), submitted.encode())


def safe_next(request: Request, candidate: object) -> str:
    """``candidate`` when it is a path on this app (under its root path), else the app's home: a ``next``
    parameter never sends anyone to another site (no scheme, no host, no ``//`` or backslash tricks)."""
    root = request.scope.get("root_path", "").rstrip("/")
    home = f"{root}/"
    if not isinstance(candidate, str) or not candidate.startswith("/") or len(candidate) > 2000:
        return home
    if candidate.startswith("//") or "\\" in candidate or any(ord(c) < 32 or ord(c) == 127 for c in candidate):
        return home
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return home
    if root and not (parts.path == root or parts.path.startswith(f"{root}/")):
        return home
    return candidate


def sign_in_location(request: Request, next_path: str) -> str:
    """Where :class:`SignInRequired` sends the browser: the app's sign-in page, or the application's own."""
    base = request.app.state.sign_in_url or request.url_for("sign_in").path
    return f"{base}?next={quote(next_path, safe='/')}"
