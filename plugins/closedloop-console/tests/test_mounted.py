"""The console mounted inside an application that has its own session, exactly as the README shows."""

from __future__ import annotations

import pytest
from console_world import World
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from closedloop import InvalidInput
from closedloop_console import create_app


def who_is_signed_in(request: Request) -> str | None:
    user_id = request.session.get("user_id")
    return user_id if isinstance(user_id, str) else None


def login(request: Request) -> Response:
    request.session["user_id"] = "ana"
    return RedirectResponse(request.query_params.get("next", "/"), status_code=303)


def whoami(request: Request) -> Response:
    return PlainTextResponse(str(request.session.get("user_id")))


def test_the_application_session_reaches_authenticate_and_survives_the_console(world: World) -> None:
    console = create_app(world.desk, authenticate=who_is_signed_in, secret_key="k" * 40, sign_in_url="/login")
    site = Starlette(
        routes=[Route("/login", login), Route("/whoami", whoami), Mount("/console", app=console)],
        middleware=[Middleware(SessionMiddleware, secret_key="the application's own secret, long enough")],
    )
    client = TestClient(site, follow_redirects=False)
    first = client.get("/console/")
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=")
    assert client.get(first.headers["location"]).status_code == 303
    page = client.get("/console/")
    assert page.status_code == 200 and "Ana Roux" in page.text
    assert client.get("/whoami").text == "ana", "the console wrote over the application's session"
    assert client.get("/console/").status_code == 200


def test_an_async_authenticate_is_refused_when_the_app_is_made(world: World) -> None:
    async def asynchronous(request: Request) -> str | None:
        return None

    with pytest.raises(InvalidInput, match="async def"):
        create_app(world.desk, authenticate=asynchronous)
