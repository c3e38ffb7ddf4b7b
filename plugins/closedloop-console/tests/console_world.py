"""What the console's tests share: a desk with two places and an agent in each, a stand-in page, and a client
that signs in as a browser would (reading the form's CSRF field). The fixtures are in conftest.py."""

from __future__ import annotations

import re

import attrs
import httpx2
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from closedloop import Contact, Desk, Feedback, Rating, RatingKind, Source
from closedloop.testing import FakeClock
from closedloop.testing.web import Ticker
from closedloop_console.web import desk_of, render, signed_in

#: Cheap argon2 parameters: the hashes verify like real ones, in a millisecond instead of a tenth of a second.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORDS = {"ana": "ana's long passphrase", "bruno": "bruno's long passphrase", "ghost": "not on the desk"}
SECRET = "a test secret key that is long enough to sign sessions"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@attrs.define
class World:
    desk: Desk
    ticker: Ticker
    opera_conversation: str  # Ana's place
    gare_conversation: str  # Bruno's place


def feedback(number: int, place: str, clock: FakeClock) -> Feedback:
    return Feedback(
        source=Source.SURVEY,
        external_id=f"survey-{number}",
        place_id=place,
        received_at=clock.now(),
        contact=Contact(name=f"Customer {number}", email=f"customer{number}@example.com"),
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=3)],
        comments="The soup was cold.",
    )


async def stub_file(request: Request) -> Response:
    """A stand-in page that asks the desk for a customer file as the signed-in user, as the real pages do."""
    user = signed_in(request)
    customer_file = desk_of(request).customer_file(request.path_params["conversation_id"], by=user)
    return render(request, "problem.html", message=f"File of {customer_file.conversation.id}")


def with_stub(app: Starlette) -> Starlette:
    app.router.routes.append(Route("/stub/{conversation_id}", stub_file, name="stub_file"))
    return app


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(
    client: TestClient, user: str, password: str | None = None, *, next_path: str | None = None
) -> httpx2.Response:
    """Fill and send the sign-in form as a browser would; the response to the POST."""
    form_page = client.get("/sign-in", params={"next": next_path} if next_path is not None else None)
    fields = {
        "user": user,
        "password": PASSWORDS.get(user, "") if password is None else password,
        "csrf_token": csrf_of(form_page.text),
    }
    if next_path is not None:
        fields["next"] = next_path
    return client.post("/sign-in", data=fields)
