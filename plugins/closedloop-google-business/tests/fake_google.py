"""A fake Business Profile API v4 on 127.0.0.1: real HTTP in a thread, following the documented shapes.

It lists reviews newest change first with pageSize (at most 50) and opaque nextPageToken, checks the bearer
token, upserts and deletes replies, and can be told to fail the way the real service does.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOCATION = "accounts/1/locations/2"
OTHER_LOCATION = "accounts/1/locations/3"
STARS = ["ONE", "TWO", "THREE", "FOUR", "FIVE"]
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    """Answer matching requests with ``status`` (``times`` of them; ``None``: until cleared)."""

    status: int
    when: Callable[[Request], bool]
    times: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "The service is currently unavailable."


class FakeGoogle:
    def __init__(self, token: str = "secret-token", now: Callable[[], datetime] | None = None) -> None:
        self.token = token
        #: When replies are stamped; tests hand in their fake clock.
        self.now = now or (lambda: datetime.now(UTC))
        self.reviews: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[Request] = []
        self.failures: list[Failure] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGoogle:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- test controls ---------------------------------------------------------------------------------------

    def add_review(
        self,
        location: str,
        review_id: str,
        *,
        stars: int | None = 4,
        comment: str = "",
        name: str = "Some One",
        anonymous: bool = False,
        at: datetime,
        reply: tuple[str, datetime] | None = None,
    ) -> dict[str, Any]:
        review: dict[str, Any] = {
            "name": f"{location}/reviews/{review_id}",
            "reviewId": review_id,
            "reviewer": {
                "displayName": "A Google user" if anonymous else name,
                "isAnonymous": anonymous,
                "profilePhotoUrl": "https://example.com/photo.png",
            },
            "starRating": STARS[stars - 1] if stars else "STAR_RATING_UNSPECIFIED",
            "createTime": rfc3339(at),
            "updateTime": rfc3339(at),
        }
        if comment:
            review["comment"] = comment
        if reply is not None:
            review["reviewReply"] = {"comment": reply[0], "updateTime": rfc3339(reply[1])}
        with self.lock:
            self.reviews.setdefault(location, []).append(review)
        return review

    def edit_review(self, name: str, *, comment: str, stars: int | None = None, at: datetime) -> None:
        with self.lock:
            review = self._find(name)
            assert review is not None, name
            review["comment"] = comment
            if stars is not None:
                review["starRating"] = STARS[stars - 1]
            review["updateTime"] = rfc3339(at)

    def review(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            return self._find(name)

    def fail(
        self,
        status: int,
        *,
        method: str | None = None,
        when: Callable[[Request], bool] | None = None,
        times: int | None = None,
        retry_after: int | None = None,
        message: str | None = None,
    ) -> None:
        def matches(request: Request) -> bool:
            return (method is None or request.method == method) and (when is None or when(request))

        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        default = {429: "Quota exceeded.", 400: "Request contains an invalid argument."}.get(status, "Unavailable.")
        self.failures.append(Failure(status, matches, times, headers, message or default))

    def heal(self) -> None:
        self.failures.clear()

    def calls(self, method: str) -> list[Request]:
        return [request for request in self.requests if request.method == method]

    # -- the API ---------------------------------------------------------------------------------------------

    def _find(self, name: str) -> dict[str, Any] | None:
        location = name.rsplit("/reviews/", 1)[0]
        return next((review for review in self.reviews.get(location, []) if review["name"] == name), None)

    def _failure(self, request: Request) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.when(request) and failure.times != 0:
                    if failure.times is not None:
                        failure.times -= 1
                    return failure
        return None

    def handle(self, request: Request) -> tuple[int, dict[str, str], Any]:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return error(401, "Request had invalid authentication credentials.")
        failure = self._failure(request)
        if failure is not None:
            status, _headers, body = error(failure.status, failure.message)
            return status, failure.headers, body
        parts = request.path.strip("/").split("/")
        if parts[:1] != ["v4"]:
            return error(404, "Not found.")
        parts = parts[1:]
        if request.method == "GET" and len(parts) == 5 and parts[4] == "reviews":
            return self._list("/".join(parts[:4]), request.query)
        if len(parts) == 7 and parts[4] == "reviews" and parts[6] == "reply":
            name = "/".join(parts[:6])
            if request.method == "PUT":
                return self._put_reply(name, request.body)
            if request.method == "DELETE":
                return self._delete_reply(name)
        return error(404, "Not found.")

    def _list(self, location: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        size = int(query.get("pageSize", "50"))
        if not 1 <= size <= 50:
            return error(400, "pageSize must be at most 50.")
        if query.get("orderBy", "updateTime desc") != "updateTime desc":
            return error(400, "Unsupported orderBy for this fake.")
        offset = int(base64.urlsafe_b64decode(query["pageToken"]).decode()) if query.get("pageToken") else 0
        with self.lock:
            every = sorted(self.reviews.get(location, []), key=lambda review: review["updateTime"], reverse=True)
            page = json.loads(json.dumps(every[offset : offset + size]))
        body: dict[str, Any] = {"totalReviewCount": len(every), "averageRating": 4.1}
        if page:
            body["reviews"] = page
        if offset + size < len(every):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
        return 200, {}, body

    def _put_reply(self, name: str, body: Any) -> tuple[int, dict[str, str], Any]:
        comment = body.get("comment") if isinstance(body, dict) else None
        if not comment:
            return error(400, "comment is required.")
        if len(comment.encode("utf-8")) > 4096:
            return error(400, "comment is too long.")
        with self.lock:
            review = self._find(name)
            if review is None:
                return error(404, "Requested entity was not found.")
            review["reviewReply"] = {"comment": comment, "updateTime": rfc3339(self.now())}
            return 200, {}, dict(review["reviewReply"])

    def _delete_reply(self, name: str) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            review = self._find(name)
            if review is None:
                return error(404, "Requested entity was not found.")
            review.pop("reviewReply", None)
        return 200, {}, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=split.path,
                    query={key: values[-1] for key, values in parse_qs(split.query).items()},
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=json.loads(raw) if raw else None,
                )
                status, headers, body = fake.handle(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_DELETE = _serve

        return Handler


def error(status: int, message: str) -> tuple[int, dict[str, str], Any]:
    """Google's error body: {"error": {"code", "message", "status"}}."""
    return status, {}, {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}
