"""The built-in sign-in: the password, the session cookie, the login limit, sign-out."""

from __future__ import annotations

from console_world import CHEAP, SECRET, World, csrf_of, sign_in
from starlette.applications import Starlette
from starlette.testclient import TestClient

from closedloop_console import create_app


def test_an_agent_signs_in_and_sees_their_name(client: TestClient, world: World) -> None:
    response = sign_in(client, "ana")
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = client.get(f"/stub/{world.opera_conversation}")
    assert page.status_code == 200
    assert "Ana Roux" in page.text and "Sign out" in page.text


def test_the_session_cookie_is_httponly_strict_and_secure_when_asked(world: World, client: TestClient) -> None:
    cookie = sign_in(client, "ana").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    secure_app = create_app(world.desk, passwords={"ana": CHEAP.hash("pw")}, secret_key=SECRET, https_only=True)
    secure = TestClient(secure_app, base_url="https://testserver", follow_redirects=False)
    assert "secure" in sign_in(secure, "ana", "pw").headers["set-cookie"].lower()


def test_a_wrong_password_an_unknown_user_and_a_user_off_the_desk_are_refused_alike(
    client: TestClient, world: World
) -> None:
    answers = [sign_in(client, "ana", "wrong"), sign_in(client, "nobody", "wrong"), sign_in(client, "ghost")]
    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert all("This user and password do not match" in answer.text for answer in answers)
    page = client.get(f"/stub/{world.opera_conversation}")
    assert page.status_code == 303 and page.headers["location"] == f"/sign-in?next=/stub/{world.opera_conversation}"


def test_a_page_sends_a_visitor_to_sign_in_and_back(client: TestClient, world: World) -> None:
    path = f"/stub/{world.opera_conversation}"
    assert client.get(path).headers["location"] == f"/sign-in?next={path}"
    response = sign_in(client, "ana", next_path=path)
    assert response.status_code == 303 and response.headers["location"] == path
    assert client.get(path).status_code == 200


def test_five_failures_make_a_user_wait_even_with_the_right_password(client: TestClient, world: World) -> None:
    for _ in range(5):
        assert sign_in(client, "ana", "guess").status_code == 403
    refused = sign_in(client, "ana")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)  # the first failure leaves the window then
    assert "Too many failed sign-ins" in refused.text
    world.ticker.now += 15 * 60 - 1
    assert sign_in(client, "ana").status_code == 429
    world.ticker.now += 2
    assert sign_in(client, "ana").status_code == 303


def test_the_limit_counts_per_user_across_addresses_the_user_never_signed_in_from(app: Starlette) -> None:
    for number in range(10):
        guesser = TestClient(app, client=(f"192.0.2.{number}", 4000), follow_redirects=False)
        assert sign_in(guesser, "ana", "guess").status_code == 403
    elsewhere = TestClient(app, client=("198.51.100.7", 4000), follow_redirects=False)
    assert sign_in(elsewhere, "ana").status_code == 429


def test_strangers_failing_for_a_user_do_not_lock_her_out_of_her_own_address(app: Starlette) -> None:
    own = TestClient(app, client=("203.0.113.5", 4000), follow_redirects=False)
    assert sign_in(own, "ana").status_code == 303
    own.cookies.clear()
    for number in range(20):
        guesser = TestClient(app, client=(f"192.0.2.{number}", 4000), follow_redirects=False)
        sign_in(guesser, "ana", "guess")
    assert sign_in(own, "ana").status_code == 303


def test_one_persons_failures_do_not_lock_out_the_team_behind_the_same_address(client: TestClient) -> None:
    for _ in range(6):
        sign_in(client, "u1", "guess")
    assert sign_in(client, "u1").status_code == 429  # u1 at this address waits
    assert sign_in(client, "bruno").status_code == 303  # a colleague behind the same proxy does not


def test_the_limit_counts_per_address_across_users(client: TestClient, app: Starlette) -> None:
    for number in range(50):
        assert sign_in(client, f"u{number}", "guess").status_code == 403
    assert sign_in(client, "bruno").status_code == 429  # the same address, a user it never tried
    other_address = TestClient(app, client=("198.51.100.7", 4000), follow_redirects=False)
    assert sign_in(other_address, "bruno").status_code == 303


def test_signing_in_does_not_clear_the_address_count(client: TestClient) -> None:
    """A guesser with an account of its own cannot reset its count by signing in to it."""
    for number in range(49):
        sign_in(client, f"u{number}", "guess")
    assert sign_in(client, "bruno").status_code == 303
    client.cookies.clear()
    assert sign_in(client, "u99", "guess").status_code == 403
    assert sign_in(client, "ana").status_code == 429


def test_sign_out_ends_the_session_and_a_copy_of_its_cookie(client: TestClient, world: World) -> None:
    sign_in(client, "ana")
    path = f"/stub/{world.opera_conversation}"
    page = client.get(path)
    copied = dict(client.cookies)
    response = client.post("/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert client.get(path).status_code == 303
    client.cookies.clear()
    client.cookies.update(copied)
    assert client.get(path).status_code == 303, "a cookie saved before sign-out still signs in"


def test_a_signed_in_visitor_of_the_sign_in_page_goes_on(client: TestClient) -> None:
    sign_in(client, "ana")
    response = client.get("/sign-in", params={"next": "/stub/x"})
    assert response.status_code == 303 and response.headers["location"] == "/stub/x"


def test_a_form_posted_after_the_session_ended_comes_back_to_its_page(client: TestClient, world: World) -> None:
    page = f"/stub/{world.opera_conversation}"
    action = f"/conversations/{world.opera_conversation}/note"
    answer = client.post(action, data={"note": "x"}, headers={"referer": f"http://testserver{page}"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/sign-in?next={page}"
    elsewhere = client.post(action, data={"note": "x"}, headers={"referer": "https://evil.example/x"})
    assert elsewhere.headers["location"] == "/sign-in?next=/"


def test_a_session_older_than_its_lifetime_signs_in_nobody(client: TestClient, app: Starlette, world: World) -> None:
    sign_in(client, "ana")
    page = f"/stub/{world.opera_conversation}"
    assert client.get(page).status_code == 200
    app.state.session_lifetime = -1  # as if twelve hours had gone by since the sign-in
    assert client.get(page).status_code == 303


def test_a_cookie_signed_with_another_key_signs_in_nobody(client: TestClient, world: World, app: Starlette) -> None:
    """A session cookie is only believed when the console's own key signed it."""
    forger = TestClient(
        create_app(world.desk, passwords={"ana": CHEAP.hash("pw")}, secret_key="another key " * 4),
        follow_redirects=False,
    )
    sign_in(forger, "ana", "pw")
    client.cookies.update(dict(forger.cookies))
    assert client.get(f"/stub/{world.opera_conversation}").status_code == 303


def test_what_a_visitor_types_in_the_form_stays_text(client: TestClient) -> None:
    answer = sign_in(client, '<script>alert(1)</script>"><img src=x>', "guess")
    assert answer.status_code == 403
    assert "<script>alert(1)" not in answer.text and "<img src=x>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x&gt;" in answer.text
