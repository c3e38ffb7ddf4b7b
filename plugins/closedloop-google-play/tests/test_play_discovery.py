"""The discovery-document checker itself: it accepts the documented requests and catches what the API lacks."""

from __future__ import annotations

import json
from typing import Any

from play_discovery import DiscoveryChecker

from closedloop.testing.platform import Request

LIST = "/androidpublisher/v3/applications/com.example.app/reviews"
REPLY = "/androidpublisher/v3/applications/com.example.app/reviews/gp%3AAOqp:reply"


def request(method: str, path: str, query: dict[str, list[str]] | None = None, body: Any = None) -> Request:
    """A request as the fake platform records it: a dict body sent as JSON, a string as it is."""
    raw = b"" if body is None else body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return Request(method=method, path=path, query_lists=query or {}, headers={}, body=raw)


def test_the_documented_requests_pass(checker: DiscoveryChecker) -> None:
    documented = [
        request("GET", LIST, {"maxResults": ["20"], "token": ["abc"], "translationLanguage": ["fr"]}),
        request("GET", LIST, {"startIndex": ["40"]}),
        request("GET", "/androidpublisher/v3/applications/com.example.app/reviews/gp%3AAOqp"),
        request("POST", REPLY, body={"replyText": "Thank you!"}),
    ]
    assert checker.all_problems(documented) == []


def test_an_unknown_query_parameter_is_caught(checker: DiscoveryChecker) -> None:
    assert checker.problems(request("GET", LIST, {"pageSize": ["20"]})) == [
        f"GET {LIST}: androidpublisher.reviews.list has no query parameter 'pageSize'"
    ]


def test_a_parameter_of_the_wrong_type_is_caught(checker: DiscoveryChecker) -> None:
    assert checker.problems(request("GET", LIST, {"maxResults": ["many"]})) == [
        f"GET {LIST}: query parameter 'maxResults' must be integer; got 'many'"
    ]


def test_an_unknown_body_field_is_caught(checker: DiscoveryChecker) -> None:
    assert checker.problems(request("POST", REPLY, body={"replyText": "Hi", "text": "Hi"})) == [
        f"POST {REPLY}: ReviewsReplyRequest has no field 'text'"
    ]


def test_a_wrong_verb_path_or_body_is_caught(checker: DiscoveryChecker) -> None:
    assert checker.problems(request("PUT", REPLY, body={"replyText": "Hi"})) == [
        f"PUT {REPLY}: the path belongs to androidpublisher.reviews.get (GET), androidpublisher.reviews.reply "
        "(POST), not to a PUT"
    ]
    assert checker.problems(request("GET", "/androidpublisher/v3/applications/com.example.app/review")) == [
        "GET /androidpublisher/v3/applications/com.example.app/review: no method of the discovery document has "
        "this path"
    ]
    assert checker.problems(request("POST", REPLY, body="replyText=Hi")) == [
        f"POST {REPLY}: androidpublisher.reviews.reply takes a JSON object (ReviewsReplyRequest); got 'replyText=Hi'"
    ]
    assert checker.problems(request("GET", LIST, body={"maxResults": 2})) == [
        f"GET {LIST}: androidpublisher.reviews.list takes no request body"
    ]
