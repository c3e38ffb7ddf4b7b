"""What keeps the console safe on every response: CSRF on every POST, the CSP and other headers, no open
redirect, and a user kept to their own places whatever the URL."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import jinja2
import pytest
from console_world import SECRET, World, csrf_of, sign_in, with_stub
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def post_routes(app: Starlette) -> list[Route]:
    return [route for route in app.routes if isinstance(route, Route) and "POST" in (route.methods or ())]


def get_pages(app: Starlette, conversation_id: str) -> list[str]:
    """The path of every GET route whose only parameter (if any) is a conversation, given ``conversation_id``."""
    paths = []
    for route in app.routes:
        if isinstance(route, Route) and "GET" in (route.methods or ()):
            path = route.path.replace("{conversation_id}", conversation_id)
            if "{" not in path:
                paths.append(path)
    return paths


def form_actions(client: TestClient, paths: list[str]) -> set[str]:
    """The action of every POST form on these pages, as a browser would submit it."""
    actions = set()
    for path in paths:
        page = client.get(path)
        for form in re.finditer(r"<form\b[^>]*>", page.text):
            tag = form.group(0)
            method = re.search(r'method="([^"]*)"', tag)
            action = re.search(r'action="([^"]*)"', tag)
            if method and method.group(1).lower() == "post":
                actions.add(html.unescape(action.group(1)) if action else path)
    return actions


def test_every_post_without_the_csrf_token_is_refused(client: TestClient, app: Starlette, world: World) -> None:
    """Every form of every page (the pages' included), signed in, posted with no token or a wrong one."""
    sign_in(client, "ana")
    actions = form_actions(client, [*get_pages(app, world.opera_conversation), "/stub/" + world.opera_conversation])
    actions |= {"/sign-in"}  # its form shows only to a visitor not signed in
    actions |= {"/quality/reviews/some-review/dispute"}  # its form shows only beside a review of one's own work
    actions |= {f"/quality/conversations/{world.opera_conversation}"}  # its form shows only to a reviewer
    actions |= {f"/conversations/{world.opera_conversation}/respond/share"}  # only with an email channel
    for route in post_routes(app):
        assert any(route.path_regex.match(urlsplit(action).path) for action in actions), (
            f"no form posts to {route.path}"
        )
    for action in sorted(actions):
        for fields in ({}, {"csrf_token": ""}, {"csrf_token": "x" * 43}, {"csrf_token": "é" * 43}):
            response = client.post(action, data={**fields, "user": "ana", "password": "p", "body": "hello"})
            assert response.status_code == 403, f"POST {action} with {fields} answered {response.status_code}"
            assert "did not come from the console" in response.text
    assert client.get("/stub/" + world.opera_conversation).status_code == 200, "a refused form signed Ana out"


def test_a_user_cannot_act_on_another_places_conversation(client: TestClient, app: Starlette, world: World) -> None:
    """Every form Ana has for her own conversation, aimed at one of another place with a good token: 404."""
    sign_in(client, "ana")
    own_page = client.get(f"/stub/{world.opera_conversation}")
    token = csrf_of(own_page.text)
    actions = form_actions(client, get_pages(app, world.opera_conversation))
    aimed = {action.replace(world.opera_conversation, world.gare_conversation) for action in actions}
    before = world.desk.conversation(world.gare_conversation, by="bruno")
    targets = sorted(action for action in aimed if world.gare_conversation in action)
    assert targets, "the pages offer no form on a conversation"
    for action in targets:
        response = client.post(action, data={"csrf_token": token, "body": "hello", "note": "hello"})
        assert response.status_code == 404, f"POST {action} answered {response.status_code}"
    assert world.desk.conversation(world.gare_conversation, by="bruno") == before


def test_a_token_from_another_session_is_refused(client: TestClient, app: Starlette, world: World) -> None:
    sign_in(client, "ana")
    other = TestClient(app, follow_redirects=False)
    sign_in(other, "bruno")
    bruno_token = csrf_of(other.get(f"/stub/{world.gare_conversation}").text)
    assert client.post("/sign-out", data={"csrf_token": bruno_token}).status_code == 403
    assert client.get(f"/stub/{world.opera_conversation}").status_code == 200, "Ana was signed out by a forged form"


def test_the_token_changes_at_sign_in(client: TestClient, world: World) -> None:
    """A token planted before sign-in (session fixation) is worth nothing after it."""
    before = csrf_of(client.get("/sign-in").text)
    sign_in(client, "ana")
    after = csrf_of(client.get(f"/stub/{world.opera_conversation}").text)
    assert before != after
    assert client.post("/sign-out", data={"csrf_token": before}).status_code == 403


@pytest.mark.parametrize("path", ["/sign-in", "/nowhere", "/static/console.css", "/stub/{conversation}"])
def test_every_response_carries_the_csp_and_the_other_headers(client: TestClient, world: World, path: str) -> None:
    if "stub" in path:
        sign_in(client, "ana")
    response = client.get(path.format(conversation=world.opera_conversation))
    assert response.status_code == (404 if path == "/nowhere" else 200)
    assert response.headers["content-security-policy"] == POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    if response.headers.get("content-type", "").startswith("text/html"):
        assert response.headers["cache-control"] == "no-store"


def test_redirects_and_refusals_carry_the_headers_too(client: TestClient, world: World) -> None:
    for response in (client.get(f"/stub/{world.opera_conversation}"), client.post("/sign-out", data={})):
        assert response.status_code in (303, 403)
        assert response.headers["content-security-policy"] == POLICY


def test_a_page_that_asks_for_a_script_nonce_allows_that_script_only(app: Starlette, client: TestClient) -> None:
    environment: jinja2.Environment = app.state.templates
    environment.loader = jinja2.ChoiceLoader(
        [
            jinja2.DictLoader(
                {
                    "problem.html": '{% extends "base.html" %}{% block head %}<script nonce="{{ script_nonce() }}">'
                    "</script>{% endblock %}"
                }
            ),
            environment.loader or jinja2.DictLoader({}),
        ]
    )
    first, second = client.get("/nowhere"), client.get("/nowhere")
    nonces = [re.search(r'nonce="([^"]+)"', page.text) for page in (first, second)]
    assert nonces[0] and nonces[1] and nonces[0].group(1) != nonces[1].group(1)
    assert first.headers["content-security-policy"] == f"{POLICY}; script-src 'nonce-{nonces[0].group(1)}'"
    assert "script-src" not in client.get("/sign-in").headers["content-security-policy"]


EVIL = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "/\t/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "evil.example/path",
]


@pytest.mark.parametrize("target", EVIL)
def test_next_never_leaves_the_console(client: TestClient, target: str) -> None:
    form = client.get("/sign-in", params={"next": target})
    assert 'name="next" value="/"' in form.text
    response = sign_in(client, "ana", next_path=target)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_next_keeps_a_path_and_its_query_on_the_console(client: TestClient) -> None:
    response = sign_in(client, "ana", next_path="/stub/abc?folder=done&q=soup")
    assert response.headers["location"] == "/stub/abc?folder=done&q=soup"


def test_mounted_under_a_path_next_stays_under_it(world: World, app: Starlette) -> None:
    outer = Starlette(routes=[Mount("/console", app=app), Route("/admin", lambda request: None)])
    client = TestClient(outer, follow_redirects=False)
    page = client.get(f"/console/stub/{world.opera_conversation}")
    assert page.headers["location"] == f"/console/sign-in?next=/console/stub/{world.opera_conversation}"
    form = client.get("/console/sign-in", params={"next": "/admin"})
    assert 'name="next" value="/console/"' in form.text
    assert 'href="/console/static/console.css"' in form.text and 'action="/console/sign-in"' in form.text
    fields = {"user": "ana", "password": "ana's long passphrase", "csrf_token": csrf_of(form.text), "next": "/admin"}
    assert client.post("/console/sign-in", data=fields).headers["location"] == "/console/"


def test_a_user_gets_404_for_another_places_conversation(client: TestClient, world: World) -> None:
    sign_in(client, "ana")
    own = client.get(f"/stub/{world.opera_conversation}")
    assert own.status_code == 200 and world.opera_conversation in own.text
    elsewhere = client.get(f"/stub/{world.gare_conversation}")
    missing = client.get("/stub/01a00000000000000000000000000000")
    assert elsewhere.status_code == missing.status_code == 404
    assert elsewhere.text == missing.text, "the 404 tells a hidden conversation from a missing one"
    assert world.gare_conversation not in elsewhere.text


def test_pages_of_the_other_place_refuse_the_user_on_every_route(
    client: TestClient, app: Starlette, world: World
) -> None:
    """Every GET route with a path parameter, the pages' included, given a conversation of another place."""
    sign_in(client, "ana")
    routes = [route for route in app.routes if isinstance(route, Route) and "{" in route.path]
    assert routes
    for route in routes:
        if "GET" not in (route.methods or ()):
            continue
        response = client.get(re.sub(r"\{[^}]+\}", world.gare_conversation, route.path))
        assert response.status_code == 404, f"GET {route.path} answered {response.status_code}"
        assert "soup" not in response.text.lower()


def test_the_app_refuses_a_short_secret_key(world: World) -> None:
    from closedloop import InvalidInput
    from closedloop_console import create_app

    with pytest.raises(InvalidInput, match="at least 32 characters"):
        create_app(world.desk, passwords={}, secret_key="short")
    with pytest.raises(InvalidInput, match="nobody could sign in"):
        create_app(world.desk, secret_key=SECRET)
    with pytest.raises(InvalidInput, match="'ana' is not an argon2 hash"):
        create_app(world.desk, passwords={"ana": "plain text"}, secret_key=SECRET)
    assert with_stub(create_app(world.desk, passwords={}))  # no key: a random one
