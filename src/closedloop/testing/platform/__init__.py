"""A fake review platform for connector tests: real HTTP on loopback, described in a few lines.

::

    with FakePlatform(bearer="secret") as platform:
        platform.json("GET", "/v1/units/{unit}/reviews", serve_token_pages(reviews, items_key="reviews"))
        platform.json("POST", "/v1/reviews/{id}/reply", lambda request: (201, {}))
        platform.fail("POST", "/v1/reviews/{id}/reply", status=429, headers={"Retry-After": "30"}, times=1)
        ...  # run the connector against platform.url
        assert platform.requests[-1].json == {"message": "Thanks"}

It needs nothing beyond the standard library and closedloop, so a plugin's tests can use it as they are.
See docs/testing.md, "Testing a connector against a fake platform".
"""

from closedloop.testing.platform.paging import serve_numbered_pages, serve_token_pages
from closedloop.testing.platform.records import Refused, Request
from closedloop.testing.platform.server import FakePlatform, compile_path, plain_error

__all__ = [
    "FakePlatform",
    "Refused",
    "Request",
    "compile_path",
    "plain_error",
    "serve_numbered_pages",
    "serve_token_pages",
]
