"""A local stand-in for the Google Play Developer API's reviews resource: real HTTP on 127.0.0.1, in a thread.

It answers in the documented shapes (ReviewsListResponse with tokenPagination, Google's error body), checks the
bearer token, and records every request so the tests can check it against the discovery document.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "play-access-token"
APP = "com.example.app"
OTHER_APP = "com.example.other"
LIST = re.compile(r"^/androidpublisher/v3/applications/(?P<package>[^/]+)/reviews$")
REPLY = re.compile(r"^/androidpublisher/v3/applications/(?P<package>[^/]+)/reviews/(?P<review>[^/]+):reply$")
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def timestamp(moment: datetime) -> dict[str, Any]:
    """A protobuf Timestamp as the API writes it: seconds as an int64 string, nanos as a number."""
    whole = int(moment.timestamp())
    return {"seconds": str(whole), "nanos": moment.microsecond * 1000}


def google_error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}


@dataclass
class Recorded:
    """One request as it reached the server."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FakePlay:
    """Reviews of some apps, newest change first, served ``page_size`` at a time unless maxResults says less."""

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.now = now
        self.apps: dict[str, list[dict[str, Any]]] = {}
        #: Apps of the developer account that may have no recent review (the API then answers ``{}``).
        self.known: set[str] = set()
        self.requests: list[Recorded] = []
        #: (package, review id, replyText) of the replies carried out, in order.
        self.posted: list[tuple[str, str, str]] = []
        self.page_size = 100
        self.planned: list[Answer] = []
        self.every: Answer | None = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @contextmanager
    def running(self) -> Iterator[FakePlay]:
        self.thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()

    # -- what the tests arrange --------------------------------------------------------------------------

    def add_review(
        self,
        package: str,
        review_id: str,
        *,
        text: str,
        stars: int,
        modified: datetime,
        author: str = "A Google user",
        language: str = "en",
        reply: tuple[str, datetime] | None = None,
        **details: Any,
    ) -> dict[str, Any]:
        user = {
            "text": text,
            "lastModified": timestamp(modified),
            "starRating": stars,
            "reviewerLanguage": language,
            "thumbsUpCount": 0,
            **details,
        }
        review: dict[str, Any] = {"reviewId": review_id, "authorName": author, "comments": [{"userComment": user}]}
        if reply is not None:
            review["comments"].append({"developerComment": {"text": reply[0], "lastModified": timestamp(reply[1])}})
        self.apps.setdefault(package, []).append(review)
        return review

    def edit_review(self, package: str, review_id: str, *, text: str, stars: int, modified: datetime) -> None:
        user = self.review(package, review_id)["comments"][0]["userComment"]
        user.update(text=text, starRating=stars, lastModified=timestamp(modified))

    def review(self, package: str, review_id: str) -> dict[str, Any]:
        return next(review for review in self.apps.get(package, []) if review["reviewId"] == review_id)

    def answer_next_with(self, status: int, message: str = "", headers: dict[str, str] | None = None) -> None:
        """The next reply POST gets this answer instead of being carried out."""
        self.planned.append(Answer(status, google_error(status, message or "refused"), headers or {}))

    def answer_every_request_with(self, status: int) -> None:
        self.every = Answer(status, google_error(status, "The service is currently unavailable."))

    @property
    def replies(self) -> list[tuple[str, str, str]]:
        """(package, review id, replyText) of every reply POST that reached the server, answered or not."""
        found = []
        for request in self.requests:
            matched = REPLY.match(request.path)
            if request.method == "POST" and matched:
                body = request.body if isinstance(request.body, dict) else {}
                found.append((unquote(matched["package"]), unquote(matched["review"]), str(body.get("replyText"))))
        return found

    def lists(self, package: str | None = None) -> list[Recorded]:
        return [
            request
            for request in self.requests
            if request.method == "GET"
            and (matched := LIST.match(request.path))
            and (package is None or unquote(matched["package"]) == package)
        ]

    # -- serving -----------------------------------------------------------------------------------------

    def handle(self, recorded: Recorded) -> Answer:
        if recorded.headers.get("authorization") != f"Bearer {TOKEN}":
            return Answer(401, google_error(401, "Request had invalid authentication credentials."))
        if self.every is not None:
            return self.every
        listed = LIST.match(recorded.path)
        if recorded.method == "GET" and listed:
            return self._list(unquote(listed["package"]), recorded.query)
        replied = REPLY.match(recorded.path)
        if recorded.method == "POST" and replied:
            if self.planned:
                return self.planned.pop(0)
            return self._reply(unquote(replied["package"]), unquote(replied["review"]), recorded.body)
        return Answer(404, google_error(404, "Method not found."))

    def _list(self, package: str, query: dict[str, list[str]]) -> Answer:
        if package not in self.apps and package not in self.known:
            return Answer(404, google_error(404, "No application was found for the given package name."))
        ordered = sorted(self.apps.get(package, []), key=_changed, reverse=True)
        start = int(query.get("token", ["0"])[0].removeprefix("page-") or 0)
        size = min(int(query.get("maxResults", [self.page_size])[0]), self.page_size)
        body: dict[str, Any] = {
            "reviews": ordered[start : start + size],
            "pageInfo": {"totalResults": len(ordered), "resultPerPage": size, "startIndex": start},
        }
        if start + size < len(ordered):
            body["tokenPagination"] = {"nextPageToken": f"page-{start + size}"}
        return Answer(200, json.loads(json.dumps(body)))

    def _reply(self, package: str, review_id: str, body: Any) -> Answer:
        if not isinstance(body, dict) or not str(body.get("replyText", "")).strip():
            return Answer(400, google_error(400, "Reply text is required."))
        try:
            review = self.review(package, review_id)
        except StopIteration:
            return Answer(404, google_error(404, "The review was not found."))
        text = str(body["replyText"])
        if len(text) > 350:
            return Answer(400, google_error(400, "Reply text is too long."))
        moment = timestamp(self.now())
        review["comments"] = [comment for comment in review["comments"] if "developerComment" not in comment]
        review["comments"].append({"developerComment": {"text": text, "lastModified": moment}})
        self.posted.append((package, review_id, text))
        return Answer(200, {"result": {"replyText": text, "lastEdited": moment}})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                recorded = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                )
                with fake.lock:
                    fake.requests.append(recorded)
                    answer = fake.handle(recorded)
                payload = json.dumps(answer.body).encode() if answer.body is not None else b""
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve
            do_PATCH = _serve
            do_DELETE = _serve

        return Handler


def _changed(review: dict[str, Any]) -> int:
    times = [
        int(comment[kind]["lastModified"]["seconds"])
        for comment in review["comments"]
        for kind in ("userComment", "developerComment")
        if kind in comment
    ]
    return max(times)
