"""The built-in sign-in, for a console running alone: the form, the password check with its rate limit, and
sign-out. An application that signs its users in itself passes ``authenticate`` instead, and none of this is
mounted."""

from __future__ import annotations

import secrets
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from closedloop import NotFound
from closedloop_console.limits import LoginLimiter
from closedloop_console.passwords import PasswordBook
from closedloop_console.web import (
    SESSION_CSRF,
    SESSION_ID,
    SESSION_SINCE,
    SESSION_USER,
    SignInRequired,
    checked_form,
    desk_of,
    render,
    safe_next,
    signed_in,
)

#: The longest a user id or password may be; longer is never a real one, and argon2 is not asked to hash it.
MAX_FIELD = 1024


class SignIn:
    """The sign-in endpoints, bound to the passwords and the limiter of one app."""

    def __init__(self, passwords: PasswordBook, limiter: LoginLimiter) -> None:
        self.passwords = passwords
        self.limiter = limiter

    def routes(self) -> list[Route]:
        return [
            Route("/sign-in", self.sign_in, methods=["GET", "POST"], name="sign_in"),
            Route("/sign-out", self.sign_out, methods=["POST"], name="sign_out"),
        ]

    async def sign_in(self, request: Request) -> Response:
        """GET shows the form (or goes on to ``next`` when already signed in); POST checks the password."""
        if request.method == "POST":
            return await self._post(request)
        next_path = safe_next(request, request.query_params.get("next"))
        try:
            signed_in(request)
        except SignInRequired:
            return render(request, "sign_in.html", next_path=next_path, user_id="", error="")
        return RedirectResponse(next_path, status_code=303)

    async def _post(self, request: Request) -> Response:
        form = await checked_form(request)
        user_id = form.get("user", "").strip()[:MAX_FIELD]
        password = form.get("password", "")
        next_path = safe_next(request, form.get("next"))
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.wait_seconds(user_id, client)
        if wait:
            minutes = max(1, round(wait / 60))
            error = f"Too many failed sign-ins. Please wait {minutes} minute{'s' if minutes > 1 else ''} and try again."
            return render(
                request,
                "sign_in.html",
                status_code=429,
                headers={"Retry-After": str(wait)},
                next_path=next_path,
                user_id=user_id,
                error=error,
            )
        matched = len(password) <= MAX_FIELD and await run_in_threadpool(self.passwords.check, user_id, password)
        if not (matched and await run_in_threadpool(_on_desk, request, user_id)):
            self.limiter.failed(user_id, client)
            error = "This user and password do not match. Check them and try again."
            return render(request, "sign_in.html", status_code=403, next_path=next_path, user_id=user_id, error=error)
        self.limiter.succeeded(user_id, client)
        request.session.clear()  # a new session: nothing from before the sign-in carries over
        request.session.update(
            {
                SESSION_USER: user_id,
                SESSION_SINCE: int(time.time()),
                SESSION_ID: secrets.token_urlsafe(16),
                SESSION_CSRF: secrets.token_urlsafe(32),
            }
        )
        return RedirectResponse(next_path, status_code=303)

    async def sign_out(self, request: Request) -> Response:
        await checked_form(request)
        session_id = request.session.get(SESSION_ID)
        if isinstance(session_id, str):
            request.app.state.ended_sessions.end(session_id)  # a copy of the cookie no longer signs anyone in
        request.session.clear()
        return RedirectResponse(request.url_for("sign_in").path, status_code=303)


def _on_desk(request: Request, user_id: str) -> bool:
    try:
        desk_of(request).user(user_id)
    except NotFound:
        return False
    return True
