"""The fake-platform kit a connector's tests are built on: what it answers, refuses, fails and records.

Each test talks to it over real HTTP with httpx, as a connector would, so what passes here is what a connector
will meet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from closedloop import InvalidInput
from closedloop.testing.platform import FakePlatform, Refused, Request, serve_numbered_pages, serve_token_pages

REVIEWS = "/v1/units/{unit}/reviews"


def google_error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message}}


@pytest.fixture
def platform() -> Iterator[FakePlatform]:
    with FakePlatform(bearer="secret") as started:
        yield started


@pytest.fixture
def client(platform: FakePlatform) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform.url, headers={"Authorization": "Bearer secret"}, timeout=5) as opened:
        yield opened


def test_a_route_answers_fixed_or_computed_json_with_its_path_parameters(
    platform: FakePlatform, client: httpx.Client
) -> None:
    platform.json("GET", "/v1/health", {"ok": True})
    platform.json("POST", "/v1/reviews/{id}/reply", lambda request: (201, {"replied": request.params["id"]}))
    platform.json("GET", "/v1/apps/{app}/reviews/{review}:reply", lambda request: request.params)
    platform.json("GET", "/v4/{location:path}/reviews", lambda request: {"location": request.params["location"]})

    assert client.get("/v1/health").json() == {"ok": True}
    created = client.post("/v1/reviews/r%2F1/reply", json={"message": "Thanks"})
    assert (created.status_code, created.json()) == (201, {"replied": "r/1"})
    assert client.get("/v1/apps/com.a/reviews/gp%3Ax:reply").json() == {"app": "com.a", "review": "gp:x"}
    assert client.get("/v4/accounts/1/locations/2/reviews").json() == {"location": "accounts/1/locations/2"}
    assert client.get("/v1/reviews/1/reply").status_code == 404, "a route answers its own method only"


def test_every_request_is_recorded_with_its_body_query_headers_and_answer(
    platform: FakePlatform, client: httpx.Client
) -> None:
    platform.json("POST", "/v1/reviews/{id}/reply", lambda request: (201, {}, {"Location": "/replies/9"}))
    platform.json("POST", "/oauth/token", lambda request: {"access_token": "t"}, authenticated=False)

    answered = client.post("/v1/reviews/7/reply", params={"lang": ["en", "fr"]}, json={"message": "Thanks"})
    client.post("/oauth/token", data={"grant_type": "password", "username": "ana"}, auth=("key", "s3cret"))

    assert answered.headers["Location"] == "/replies/9"
    reply, token = platform.requests
    assert (reply.method, reply.path, reply.params) == ("POST", "/v1/reviews/7/reply", {"id": "7"})
    assert reply.query == {"lang": "fr"} and reply.query_lists == {"lang": ["en", "fr"]}
    assert reply.json == {"message": "Thanks"} and reply.form == {} and reply.bearer == "secret"
    assert (reply.status, reply.answer) == (201, {})
    assert token.form == {"grant_type": "password", "username": "ana"} and token.json is None
    assert token.basic_auth == ("key", "s3cret") and token.answer == {"access_token": "t"}
    assert platform.calls("POST", "/v1/reviews/{id}/reply") == [reply]
    assert platform.calls("get") == []


def test_a_missing_or_wrong_bearer_gets_a_401_in_the_platforms_shape(platform: FakePlatform) -> None:
    platform.error_shape = google_error
    platform.unauthorized = "Request had invalid authentication credentials."
    platform.json("GET", "/v1/health", {"ok": True})
    url = f"{platform.url}/v1/health"

    for headers in ({}, {"Authorization": "Bearer stale"}, {"Authorization": "Basic c2VjcmV0"}):
        refused = httpx.get(url, headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
        assert refused.json() == {"error": {"code": 401, "message": "Request had invalid authentication credentials."}}
    assert httpx.get(url, headers={"Authorization": "Bearer secret"}).json() == {"ok": True}


def test_a_rotated_bearer_refuses_the_old_token_until_the_connector_asks_for_the_new_one(
    platform: FakePlatform, client: httpx.Client
) -> None:
    platform.json("GET", "/v1/health", {"ok": True})
    platform.json("POST", "/oauth/token", lambda request: {"access_token": platform.bearer}, authenticated=False)

    fresh = platform.rotate_bearer()

    assert fresh != "secret" and client.get("/v1/health").status_code == 401
    token = client.post("/oauth/token", data={"grant_type": "refresh_token"}).json()["access_token"]
    assert token == fresh
    assert client.get("/v1/health", headers={"Authorization": f"Bearer {token}"}).json() == {"ok": True}
    assert platform.rotate_bearer("chosen") == "chosen" == platform.bearer


def test_queued_failures_answer_n_requests_then_the_route_serves_again(
    platform: FakePlatform, client: httpx.Client
) -> None:
    platform.error_shape = google_error
    platform.json("POST", "/v1/reviews/{id}/reply", lambda request: (201, {}))
    path = "/v1/reviews/{id}/reply"
    platform.fail("POST", path, status=429, headers={"Retry-After": "30"}, times=1)
    platform.fail("POST", path, status=503, times=1)
    platform.fail("POST", path, status=400, message="Reply contains prohibited content.", times=1)
    platform.fail("POST", path, status=422, body={"details": ["too long"]}, times=1)

    answers = [client.post("/v1/reviews/1/reply", json={}) for _ in range(5)]

    assert [answer.status_code for answer in answers] == [429, 503, 400, 422, 201]
    assert answers[0].headers["Retry-After"] == "30"
    assert answers[1].json() == {"error": {"code": 503, "message": "Service Unavailable"}}
    assert answers[2].json() == {"error": {"code": 400, "message": "Reply contains prohibited content."}}
    assert answers[3].json() == {"details": ["too long"]}
    assert [request.status for request in platform.requests] == [429, 503, 400, 422, 201]


def test_a_failure_without_times_lasts_until_cleared_and_can_be_narrowed(
    platform: FakePlatform, client: httpx.Client
) -> None:
    platform.json("GET", REVIEWS, {"reviews": []})
    platform.json("POST", "/v1/reviews/{id}/reply", {})
    platform.fail("GET", REVIEWS, status=503, when=lambda request: "pageToken" in request.query)

    assert [client.get("/v1/units/u/reviews", params={"pageToken": "x"}).status_code for _ in range(3)] == [503] * 3
    assert client.get("/v1/units/u/reviews").status_code == 200
    assert client.post("/v1/reviews/1/reply").status_code == 200, "another route is not touched"

    platform.fail(status=500)
    assert client.post("/v1/reviews/1/reply").status_code == 500, "no method or path: every request fails"
    platform.clear_failures()
    assert client.get("/v1/units/u/reviews", params={"pageToken": "x"}).status_code == 200


def test_a_failure_is_spent_only_on_requests_past_the_bearer_check(platform: FakePlatform) -> None:
    platform.json("GET", "/v1/health", {"ok": True})
    platform.fail(status=503, times=1)
    url = f"{platform.url}/v1/health"

    assert httpx.get(url, headers={"Authorization": "Bearer stale"}).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer secret"}).status_code == 503
    assert httpx.get(url, headers={"Authorization": "Bearer secret"}).status_code == 200


def test_a_dropped_connection_gets_no_answer_at_all(platform: FakePlatform, client: httpx.Client) -> None:
    platform.json("POST", "/v1/reviews/{id}/reply", {})
    platform.drop("POST", "/v1/reviews/{id}/reply", times=1)

    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/reviews/1/reply", json={})
    assert client.post("/v1/reviews/1/reply", json={}).status_code == 200
    dropped, served = platform.requests
    assert (dropped.status, served.status) == (None, 200)


def test_a_handler_refuses_in_the_platforms_shape(platform: FakePlatform, client: httpx.Client) -> None:
    platform.error_shape = google_error

    def find(request: Request) -> dict[str, Any]:
        raise Refused(404, f"No review {request.params['id']}.", headers={"X-Reason": "gone"})

    platform.json("GET", "/v1/reviews/{id}", find)
    missing = client.get("/v1/reviews/r9")
    assert (missing.status_code, missing.json()) == (404, {"error": {"code": 404, "message": "No review r9."}})
    assert missing.headers["X-Reason"] == "gone"
    unknown = client.get("/v1/nowhere")
    assert unknown.status_code == 404 and "no route for GET /v1/nowhere" in unknown.json()["error"]["message"]


def test_token_pages_hand_out_opaque_tokens_that_must_come_back(platform: FakePlatform, client: httpx.Client) -> None:
    reviews = [{"id": number} for number in range(5)]
    platform.json("GET", REVIEWS, serve_token_pages(reviews, items_key="reviews", default_size=2, max_size=3))

    seen, token, pages = [], None, 0
    while True:
        body = client.get("/v1/units/u/reviews", params={"pageToken": token} if token else {}).json()
        seen += [review["id"] for review in body["reviews"]]
        pages += 1
        token = body.get("nextPageToken")
        if token is None:
            break
        assert not token.isdigit(), "the token is no offset a connector could make up"
    assert (seen, pages) == ([0, 1, 2, 3, 4], 3)

    reviews.append({"id": 5})  # the list is read at every request
    assert len(client.get("/v1/units/u/reviews", params={"pageSize": "3"}).json()["reviews"]) == 3
    for params in ({"pageSize": "4"}, {"pageSize": "0"}, {"pageSize": "many"}, {"pageToken": "made-up"}):
        refused = client.get("/v1/units/u/reviews", params=params)
        assert refused.status_code == 400, params
    assert (
        "pageSize must be between 1 and 3; got 4"
        in client.get("/v1/units/u/reviews", params={"pageSize": "4"}).json()["message"]
    )


def test_token_pages_take_the_platforms_names_and_a_list_per_request(
    platform: FakePlatform, client: httpx.Client
) -> None:
    by_app = {"a": [{"id": 1}, {"id": 2}, {"id": 3}], "b": [{"id": 9}]}
    pages = serve_token_pages(
        lambda request: by_app[request.params["unit"]],
        items_key="reviews",
        size_param="maxResults",
        token_param="token",
        next_key="tokenPagination.nextPageToken",
    )
    platform.json("GET", REVIEWS, pages)

    first = client.get("/v1/units/a/reviews", params={"maxResults": "2"}).json()
    token = first["tokenPagination"]["nextPageToken"]
    second = client.get("/v1/units/a/reviews", params={"maxResults": "2", "token": token}).json()
    assert [first["reviews"], second] == [[{"id": 1}, {"id": 2}], {"reviews": [{"id": 3}]}]
    assert client.get("/v1/units/b/reviews").json() == {"reviews": [{"id": 9}]}


def test_numbered_pages_count_from_the_first_page(platform: FakePlatform, client: httpx.Client) -> None:
    reviews = [{"id": number} for number in range(5)]
    platform.json(
        "GET", REVIEWS, serve_numbered_pages(reviews, items_key="reviews", size_param="perPage", total_key="total")
    )

    def page(number: int) -> Any:
        return client.get("/v1/units/u/reviews", params={"page": number, "perPage": 2}).json()

    assert [page(number)["reviews"] for number in (1, 2, 3, 4)] == [
        [{"id": 0}, {"id": 1}],
        [{"id": 2}, {"id": 3}],
        [{"id": 4}],
        [],
    ]
    assert page(1)["total"] == 5
    assert client.get("/v1/units/u/reviews", params={"page": 0}).status_code == 400


def test_a_stopped_platform_leaves_nobody_listening() -> None:
    with FakePlatform() as platform:
        platform.json("GET", "/", {"ok": True})
        assert httpx.get(platform.url + "/").json() == {"ok": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(platform.url + "/")
    platform.stop()  # stopping twice is harmless


def test_mistakes_in_a_description_are_explained(platform: FakePlatform) -> None:
    with pytest.raises(InvalidInput, match="starts with '/'"):
        platform.json("GET", "v1/reviews", {})
    with pytest.raises(InvalidInput, match="at least 1"):
        platform.fail(status=503, times=0)


def test_the_fixture_is_a_started_platform_with_nothing_described(fake_platform: FakePlatform) -> None:
    assert httpx.get(fake_platform.url + "/anything").status_code == 404
    assert [request.path for request in fake_platform.requests] == ["/anything"]


def test_a_failure_sends_bytes_as_they_are_and_anything_else_as_json(
    platform: FakePlatform, client: httpx.Client
) -> None:
    platform.json("GET", "/v1/reviews", {"reviews": []})
    page = b"<html><body>Bad gateway</body></html>"
    platform.fail("GET", "/v1/reviews", status=502, body=page, headers={"Content-Type": "text/html"}, times=1)
    platform.fail("GET", "/v1/reviews", status=503, body=b"\x00\xff", times=1)
    platform.fail("GET", "/v1/reviews", status=500, body="<html>", times=1)

    html, raw, text = client.get("/v1/reviews"), client.get("/v1/reviews"), client.get("/v1/reviews")

    assert (html.status_code, html.content, html.headers["content-type"]) == (502, page, "text/html")
    assert (raw.content, raw.headers["content-type"]) == (b"\x00\xff", "application/octet-stream")
    assert (text.json(), text.headers["content-type"].split(";")[0]) == ("<html>", "application/json")
    assert client.get("/v1/reviews").json() == {"reviews": []}, "the server still serves"


def test_a_handler_may_answer_bytes_and_one_json_cannot_carry_is_a_500(
    platform: FakePlatform, client: httpx.Client
) -> None:
    platform.json("GET", "/v1/export", lambda request: (200, b"id,stars\nr1,5\n", {"Content-Type": "text/csv"}))
    platform.json("GET", "/v1/broken", lambda request: {"when": object()})

    export, broken = client.get("/v1/export"), client.get("/v1/broken")

    assert (export.text, export.headers["content-type"]) == ("id,stars\nr1,5\n", "text/csv")
    assert broken.status_code == 500 and "cannot send dict as JSON" in broken.text
    with pytest.raises(InvalidInput, match="bytes, or a value JSON can carry"):
        platform.fail(status=500, body={1, 2})
