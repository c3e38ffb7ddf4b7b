"""A fake review platform: real HTTP on 127.0.0.1, in a thread, described by a test in a few lines.

A connector's tests need the platform's behaviour more than its data: routes that answer JSON, a bearer check
that can start refusing a token, and the failures a real platform throws (429 with ``Retry-After``, 5xx, a 4xx
with its error body, a connection dropped without an answer). Going through real HTTP, rather than mocking the
HTTP client, tests the connector's own client settings (timeouts, headers, encoding) as they will run.

The standard library's ``ThreadingHTTPServer`` serves it: no dependency, so plugin packages can use the kit
without the ``test`` extra, and control over the socket to drop a connection. Requests are handled one at a
time (under one lock), so a route's handler may change shared test data without its own locking.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from closedloop.domain.errors import InvalidInput
from closedloop.testing.platform.records import Refused, Request

#: How the platform writes an error body, from the status and a message: ``{"message": ...}`` unless told.
ErrorShape = Callable[[int, str], Any]
#: A route's handler: JSON for a 200, ``(status, json)`` or ``(status, json, headers)``; or it raises Refused.
Handler = Callable[[Request], Any]

HOST = "127.0.0.1"
UNAUTHORIZED = "The access token is missing or was not accepted."
JSON = "application/json; charset=UTF-8"
BYTES = "application/octet-stream"
PLAIN = "text/plain; charset=UTF-8"


def plain_error(status: int, message: str) -> dict[str, Any]:
    """The error body most platforms write; pass your platform's own as ``error_shape``."""
    return {"message": message}


def compile_path(template: str) -> re.Pattern[str]:
    """``/v1/units/{unit}/reviews`` as a regular expression: ``{name}`` is one path segment, ``{name:path}`` any
    number of them (``accounts/1/locations/2``); the rest is literal, so ``{review}:reply`` works."""
    if not template.startswith("/"):
        raise InvalidInput(f"a route's path starts with '/', as in '/v1/reviews'; got {template!r}")
    parts = re.split(r"\{(\w+)(:path)?\}", template)
    pattern = ""
    for index in range(0, len(parts), 3):
        pattern += re.escape(parts[index])
        if index + 1 < len(parts):
            pattern += f"(?P<{parts[index + 1]}>{'.+' if parts[index + 2] else '[^/]+'})"
    return re.compile(f"^{pattern}$")


@attrs.define
class Route:
    method: str
    pattern: re.Pattern[str]
    answer: Any
    authenticated: bool


@attrs.define
class Failure:
    """Answer ``status`` (or drop the connection) to the matching requests: ``times`` of them, or until cleared."""

    method: str | None
    pattern: re.Pattern[str] | None
    status: int
    headers: dict[str, str]
    body: Any
    message: str
    times: int | None
    when: Callable[[Request], bool] | None
    drop: bool = False

    def matches(self, request: Request) -> bool:
        return (
            self.times != 0
            and (self.method is None or self.method == request.method)
            and (self.pattern is None or self.pattern.match(request.path) is not None)
            and (self.when is None or self.when(request))
        )


class FakePlatform:
    """A started fake platform at :attr:`url`; stop it with :meth:`stop`, or use it as a context manager.

    ``bearer``: the token every authenticated route wants (``None``: no check); assign :attr:`bearer` or call
    :meth:`rotate_bearer` to make the platform refuse the old one, as when a token expires. ``error_shape``
    writes the platform's error bodies; ``unauthorized`` is the message of its 401.
    """

    def __init__(
        self,
        *,
        bearer: str | None = None,
        error_shape: ErrorShape = plain_error,
        unauthorized: str = UNAUTHORIZED,
    ) -> None:
        self.bearer = bearer
        self.error_shape = error_shape
        self.unauthorized = unauthorized
        #: Every request that reached the platform, in order, with the answer it got.
        self.requests: list[Request] = []
        self._routes: list[Route] = []
        self._failures: list[Failure] = []
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._stopped = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the base URL to give the connector."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Stop serving and free the port; a connector pointed here then finds nobody listening."""
        if not self._stopped:
            self._stopped = True
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakePlatform:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -- describing the platform -------------------------------------------------------------------------

    def json(self, method: str, path: str, answer: Any, *, authenticated: bool = True) -> None:
        """Answer ``method path`` with JSON: a fixed value (status 200) or a handler of the :class:`Request`.

        A handler returns the JSON for a 200, ``(status, json)`` or ``(status, json, headers)`` (bytes instead of
        JSON are sent as they are, with the ``Content-Type`` its headers give), or raises
        :class:`Refused` for an error in the platform's shape. ``authenticated=False`` skips the bearer check,
        for an OAuth token endpoint. A later route for the same method and path replaces the earlier one.
        """
        pattern = compile_path(path)
        with self._lock:
            self._routes = [r for r in self._routes if (r.method, r.pattern) != (method.upper(), pattern)]
            self._routes.append(Route(method.upper(), pattern, answer, authenticated))

    def fail(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        status: int,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        message: str | None = None,
        times: int | None = None,
        when: Callable[[Request], bool] | None = None,
    ) -> None:
        """Answer the matching requests with ``status`` instead of serving them: ``times`` of them, or all until
        :meth:`clear_failures`.

        ``method`` and ``path`` (a route template) narrow which requests fail, ``when`` narrows further; the body
        is ``body`` if given, else the platform's error shape with ``message`` (the status's phrase by default).
        A ``body`` is sent as JSON (a text too, as a JSON string), except bytes, sent as they are: an HTML error
        page is ``body=b"<html>...", headers={"Content-Type": "text/html"}`` (without one, octet-stream).
        Failures queue: the first that matches a request answers it. The bearer is checked first, so a failure is
        spent only on a request the platform would otherwise have served.
        """
        if body is not None and _encoded(body)[0] is None:
            raise InvalidInput(f"a failure's body is bytes, or a value JSON can carry; got {type(body).__name__}")
        text = message or _phrase(status)
        self._queue(method, path, times, when, status=status, headers=dict(headers or {}), body=body, message=text)

    def drop(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        times: int | None = None,
        when: Callable[[Request], bool] | None = None,
    ) -> None:
        """Close the connection of the matching requests without answering, as a crashed proxy does."""
        self._queue(method, path, times, when, status=0, headers={}, body=None, message="", drop=True)

    def clear_failures(self) -> None:
        """Serve every request normally again."""
        with self._lock:
            self._failures.clear()

    def rotate_bearer(self, new: str | None = None) -> str:
        """Accept only ``new`` (a fresh random token if not given) from now on, and return it."""
        self.bearer = new or secrets.token_urlsafe(12)
        return self.bearer

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """The recorded requests of ``method`` whose path matches the template ``path`` (both optional)."""
        pattern = compile_path(path) if path is not None else None
        return [
            request
            for request in list(self.requests)
            if (method is None or request.method == method.upper())
            and (pattern is None or pattern.match(request.path) is not None)
        ]

    # -- serving -----------------------------------------------------------------------------------------

    def _queue(
        self,
        method: str | None,
        path: str | None,
        times: int | None,
        when: Callable[[Request], bool] | None,
        **answer: Any,
    ) -> None:
        if times is not None and times < 1:
            raise InvalidInput(f"times is how many requests fail, at least 1 (None: until cleared); got {times}")
        pattern = compile_path(path) if path is not None else None
        failure = Failure(method.upper() if method else None, pattern, times=times, when=when, **answer)
        with self._lock:
            self._failures.append(failure)

    def serve(self, request: Request) -> tuple[int, dict[str, str], Any] | None:
        """The (status, headers, JSON) for one request, or ``None`` to drop its connection; recorded either way."""
        with self._lock:
            self.requests.append(request)
            outcome = self._outcome(request)
            request.status, request.answer = (outcome[0], outcome[2]) if outcome is not None else (None, None)
            return outcome

    def _outcome(self, request: Request) -> tuple[int, dict[str, str], Any] | None:
        route, found = self._route(request)
        if route is None:
            return self._error(404, f"no route for {request.method} {request.path}")
        request.params = {name: unquote(value) for name, value in found.items()}
        if route.authenticated and self.bearer is not None and request.bearer != self.bearer:
            return self._error(401, self.unauthorized, {"WWW-Authenticate": "Bearer"})
        failure = next((failure for failure in self._failures if failure.matches(request)), None)
        if failure is not None:
            if failure.times is not None:
                failure.times -= 1
            if failure.drop:
                return None
            if failure.body is not None:
                return failure.status, failure.headers, failure.body
            return self._error(failure.status, failure.message, failure.headers)
        try:
            return _normalise(route.answer(request) if callable(route.answer) else route.answer)
        except Refused as refused:
            return self._error(refused.status, refused.message, refused.headers)

    def _route(self, request: Request) -> tuple[Route | None, dict[str, str]]:
        for route in reversed(self._routes):
            matched = route.pattern.match(request.path)
            if matched is not None and route.method == request.method:
                return route, matched.groupdict()
        return None, {}

    def _error(
        self, status: int, message: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        return status, dict(headers or {}), self.error_shape(status, message)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _normalise(answer: Any) -> tuple[int, dict[str, str], Any]:
    if isinstance(answer, tuple) and len(answer) == 2:
        return int(answer[0]), {}, answer[1]
    if isinstance(answer, tuple) and len(answer) == 3:
        return int(answer[0]), dict(answer[2]), answer[1]
    return 200, {}, answer


def _encoded(body: Any) -> tuple[bytes | None, str | None]:
    """The bytes of an answer's body and their default content type: bytes as they are, anything else as JSON
    (``None`` when it is not JSON), no body for ``None``."""
    if body is None:
        return b"", None
    if isinstance(body, bytes | bytearray):
        return bytes(body), BYTES
    try:
        return json.dumps(body).encode(), JSON
    except (TypeError, ValueError):
        return None, None


def _handler_for(platform: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Turns the socket's bytes into a :class:`Request` and the platform's answer back into bytes."""

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a test's output is for its own failures."""

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=split.path,
                query_lists=parse_qs(split.query, keep_blank_values=True),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            outcome = platform.serve(request)
            if outcome is None:
                self.close_connection = True
                return
            status, headers, body = outcome
            data, kind = _encoded(body)
            if data is None:  # a handler's answer JSON cannot carry: say so rather than kill the server's thread
                status, headers = 500, {}
                data, kind = f"the fake platform cannot send {type(body).__name__} as JSON".encode(), PLAIN
            given = {name.lower() for name in headers}
            self.send_response(status)
            if kind is not None and "content-type" not in given:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler
