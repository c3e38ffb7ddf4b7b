"""An application that signs its users in itself: the console asks its ``authenticate`` and nothing else."""

from __future__ import annotations

import pytest
from console_world import World, csrf_of, with_stub
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.testclient import TestClient

from closedloop_console import create_app


def by_header(request: Request) -> str | None:
    """The application's sign-in, as far as the console knows it: who the request says it is."""
    return request.headers.get("x-user")


@pytest.fixture
def embedded(world: World) -> Starlette:
    return with_stub(create_app(world.desk, authenticate=by_header))


def test_the_user_authenticate_names_is_signed_in(embedded: Starlette, world: World) -> None:
    client = TestClient(embedded, follow_redirects=False)
    page = client.get(f"/stub/{world.opera_conversation}", headers={"x-user": "ana"})
    assert page.status_code == 200 and "Ana Roux" in page.text
    assert "Sign out" not in page.text, "the application signs its users out, not the console"


def test_authenticate_decides_whose_scope_counts(embedded: Starlette, world: World) -> None:
    client = TestClient(embedded, follow_redirects=False)
    assert client.get(f"/stub/{world.gare_conversation}", headers={"x-user": "ana"}).status_code == 404
    assert client.get(f"/stub/{world.gare_conversation}", headers={"x-user": "bruno"}).status_code == 200


@pytest.mark.parametrize("headers", [{}, {"x-user": "ghost"}, {"x-user": ""}])
def test_nobody_or_a_user_off_the_desk_gets_401(embedded: Starlette, world: World, headers: dict[str, str]) -> None:
    client = TestClient(embedded, follow_redirects=False)
    response = client.get(f"/stub/{world.opera_conversation}", headers=headers)
    assert response.status_code == 401 and "sign in through the application" in response.text


def test_the_builtin_sign_in_is_not_mounted(embedded: Starlette) -> None:
    client = TestClient(embedded, follow_redirects=False)
    assert client.get("/sign-in").status_code == 404
    assert client.post("/sign-in", data={"user": "ana", "password": "x"}).status_code == 404


def test_a_sign_in_url_receives_the_visitor_with_next(world: World) -> None:
    app = with_stub(create_app(world.desk, authenticate=by_header, sign_in_url="/login"))
    response = TestClient(app, follow_redirects=False).get(f"/stub/{world.opera_conversation}?tab=notes")
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/stub/{world.opera_conversation}%3Ftab%3Dnotes"


def test_forms_still_need_the_token_under_authenticate(embedded: Starlette, world: World) -> None:
    client = TestClient(embedded, follow_redirects=False, headers={"x-user": "ana"})
    page = client.get(f"/conversations/{world.opera_conversation}")  # the customer file and its forms
    token = csrf_of(page.text)
    assert client.post(f"/conversations/{world.opera_conversation}/done", data={}).status_code == 403
    done = client.post(f"/conversations/{world.opera_conversation}/done", data={"csrf_token": token})
    assert done.status_code == 303
