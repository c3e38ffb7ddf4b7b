"""The console as a Starlette application: its pages, the sign-in (built in or the application's), the session,
and the answers to every way a request can fail."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import secrets
from collections.abc import Callable, Mapping
from http import HTTPStatus

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from closedloop import AccessDenied, Desk, InvalidInput, NotFound
from closedloop_console import pages
from closedloop_console.host_session import KeepHostSession
from closedloop_console.limits import LoginLimiter
from closedloop_console.passwords import PasswordBook
from closedloop_console.security import SecurityHeaders
from closedloop_console.sessions import EndedSessions
from closedloop_console.signin import SignIn
from closedloop_console.web import SignInRequired, render, sign_in_location

Authenticate = Callable[[Request], str | None]
#: How long a built-in sign-in lasts, however active the user: a working day and a bit.
SESSION_LIFETIME_SECONDS = 12 * 60 * 60
SESSION_COOKIE = "closedloop_console"
#: How many links' paths the templates' url_for keeps (the rows of the inbox pages agents look at).
MAX_KEPT_PATHS = 8192

PROBLEMS = {
    400: "This request could not be read.",
    401: "Please sign in through the application to use the console.",
    403: "This action is not allowed.",
    404: "There is nothing here, or nothing you may see.",
    405: "This address does not take that kind of request.",
    413: "This form is too large to be sent.",
}


def page_routes() -> list[BaseRoute]:
    """Every route of the modules under ``closedloop_console.pages``, in the order of their names."""
    routes: list[BaseRoute] = []
    for module_info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{pages.__name__}.{module_info.name}")
        routes.extend(getattr(module, "routes", []))
    return routes


def create_app(
    desk: Desk,
    *,
    authenticate: Authenticate | None = None,
    secret_key: str | None = None,
    passwords: Mapping[str, str] | None = None,
    https_only: bool = False,
    sign_in_url: str | None = None,
    limiter: LoginLimiter | None = None,
) -> Starlette:
    """The console for ``desk``, to mount in an application or run alone (``closedloop console``).

    ``authenticate(request)`` gives the signed-in user's id (or None) when the application signs its users in
    itself; ``sign_in_url`` is then where a visitor who is not signed in is sent (else they get a 401 page).
    Without it the console's own sign-in is used, with ``passwords`` (user id to argon2 hash). The user must be
    on the desk either way. ``secret_key`` signs the session cookie; without one a random key is made, and
    every session ends with the process. ``https_only`` marks the cookie Secure: set it behind HTTPS.
    """
    if authenticate is None and passwords is None:
        raise InvalidInput(
            "nobody could sign in: pass authenticate= (the application's sign-in) or passwords= (user id to argon2 "
            "hash, for the built-in sign-in)"
        )
    if authenticate is not None and not callable(authenticate):
        raise InvalidInput("authenticate must be a function taking the request and returning a user id or None")
    if inspect.iscoroutinefunction(authenticate):
        raise InvalidInput("authenticate must be a plain function (def, not async def) returning a user id or None")
    if secret_key is not None and (not isinstance(secret_key, str) or len(secret_key) < 32):
        raise InvalidInput("secret_key must be text of at least 32 characters; make one with secrets.token_urlsafe()")
    routes: list[BaseRoute] = []
    if authenticate is None:
        book = PasswordBook(passwords or {})
        routes.extend(SignIn(book, limiter or LoginLimiter()).routes())
    routes.append(Mount("/static", StaticFiles(packages=[("closedloop_console", "static")]), name="static"))
    routes.extend(page_routes())
    # the templates ship inside the package and do not change while it runs: no looking at their files per page
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("closedloop_console", "templates"),
        autoescape=True,
        trim_blocks=True,
        auto_reload=False,
    )
    environment.globals["url_for"] = _url_for
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(KeepHostSession),
            Middleware(
                SessionMiddleware,
                secret_key=secret_key or secrets.token_urlsafe(32),
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_LIFETIME_SECONDS,
                same_site="strict",
                https_only=https_only,
            ),
        ],
        exception_handlers={
            SignInRequired: _to_sign_in,
            HTTPException: _problem,
            NotFound: _not_found,
            AccessDenied: _not_found,
        },
    )
    app.state.desk = desk
    app.state.authenticate = authenticate
    app.state.sign_in_url = sign_in_url
    app.state.session_lifetime = SESSION_LIFETIME_SECONDS
    app.state.ended_sessions = EndedSessions(SESSION_LIFETIME_SECONDS)
    app.state.templates = environment
    app.state.routes_by_name = {route.name: route for route in routes if isinstance(route, Route | Mount)}
    app.state.route_paths = {}
    return app


@jinja2.pass_context
def _url_for(context: Mapping[str, object], name: str, /, **path_params: object) -> str:
    """The path of a named route, under the console's mount point (``url_for('static', path='console.css')``)."""
    request = context["request"]
    if not isinstance(request, Request):
        raise InvalidInput("url_for needs the request in the template's context; render with web.render")
    # What request.url_for(...).path gives, without building an absolute URL per link (a page has 60 of them), and
    # asking the console's route of that name alone rather than every route in turn (each raises NoMatchFound when
    # not it); the root path is where the console is mounted (and where its server is, behind a proxy)
    root_path: str = request.scope.get("root_path", "")
    return root_path.rstrip("/") + _route_path(request.app, name, tuple(path_params.items()))


def _route_path(app: Starlette, name: str, path_params: tuple[tuple[str, object], ...]) -> str:
    """The path of the app's route of that name, kept once made: the inbox's rows, shown again and again, then
    link to their files without asking the route each time (a few thousand paths are kept, then they start over)."""
    known: dict[tuple[str, tuple[tuple[str, object], ...]], str] = app.state.route_paths
    path = known.get((name, path_params))
    if path is None:
        route = app.state.routes_by_name.get(name) or app
        path = str(route.url_path_for(name, **dict(path_params)))
        if len(known) >= MAX_KEPT_PATHS:
            known.clear()
        known[(name, path_params)] = path
    return path


async def _to_sign_in(request: Request, error: Exception) -> Response:
    if not isinstance(error, SignInRequired):
        raise error
    if request.app.state.authenticate is not None and request.app.state.sign_in_url is None:
        return render(request, "problem.html", status_code=401, message=PROBLEMS[401])
    return RedirectResponse(sign_in_location(request, error.next_path), status_code=303)


async def _problem(request: Request, error: Exception) -> Response:
    status = error.status_code if isinstance(error, HTTPException) else 500
    detail = error.detail if isinstance(error, HTTPException) else ""
    # the console's own sentence says what was wrong (a 400's folder, search); Starlette's default phrase does not
    own = detail and status in (400, 403, 413) and detail != HTTPStatus(status).phrase
    message = detail if own else PROBLEMS.get(status, "Something went wrong.")
    headers = dict(error.headers or {}) if isinstance(error, HTTPException) else {}
    return render(request, "problem.html", status_code=status, headers=headers, message=message)


async def _not_found(request: Request, _error: Exception) -> Response:
    """The same 404 for a conversation that does not exist and one the user may not see."""
    return render(request, "problem.html", status_code=404, message=PROBLEMS[404])
