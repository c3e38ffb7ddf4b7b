"""The base of an HTTP connector: what every review platform's connector does the same way, written once.

A subclass says how its platform lists reviews (``reviews``), what one review means (``review``, ``review_id``)
and how a reply is posted (``post_reply``); the base gives it the HTTP client, the bearer token refreshed
once after a 401, the standard reading of an answer, and the channel's ``send``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

import httpx

from closedloop.app.sync import UNREADABLE
from closedloop.connectors.http import PlatformError, plain_message, read_error, send_result
from closedloop.domain.errors import ChannelUnavailable, InvalidInput
from closedloop.domain.messages import ChannelLimits, MessageKind, OutboundMessage
from closedloop.domain.reviews import PlatformReview
from closedloop.domain.text import shown
from closedloop.ports.outside import Clock, SendResult

#: What gives the bearer token: the token itself, or a function called before each request (so it can hand
#: out a fresh one as the last expires).
Token = Callable[[], str] | str

TIMEOUT = httpx.Timeout(30.0)


class CalledClock:
    """A function giving the time, as a :class:`Clock`: what ``clock=`` took before desks handed theirs over."""

    def __init__(self, read: Callable[[], datetime]) -> None:
        self.read = read

    def now(self) -> datetime:
        return self.read()


def clock_of(clock: Clock | Callable[[], datetime] | None) -> Clock | None:
    """A desk's clock as it is, a function giving the time wrapped as one; anything else refused."""
    if clock is None:
        return None
    if callable(getattr(clock, "now", None)):
        return cast(Clock, clock)
    if callable(clock):
        return CalledClock(clock)
    raise InvalidInput(f"clock must have a now() method, as a desk's clock does, or be a function; got {shown(clock)}")


class HttpConnector:
    """A review source and reply channel in one object over one HTTP client, named after its platform.

    Subclasses set ``title`` (the platform's name in messages), ``limits``, ``error`` (their
    :class:`PlatformError` subclass) and, for a platform that lists reviews by creation, ``lists_by_creation
    = True`` and perhaps ``look_back``; they override ``describe`` (the platform's error shape), ``advice``
    (what a person can check for a status), ``refresh`` (to drop a cached token after a 401) and, to word
    errors otherwise, ``explain``.

    ``clock`` is what reads a ``Retry-After`` date: left ``None``, the desk that registers the connector gives
    its own (``Desk.open(clock=...)``), so a test's fake clock reaches every connector without its author
    passing it on; with no desk clock either, real time.
    """

    title: ClassVar[str] = "the platform"
    kinds: frozenset[MessageKind] = frozenset({MessageKind.REVIEW_REPLY})
    limits: ChannelLimits = ChannelLimits()
    lists_by_creation: bool = False
    error: ClassVar[type[PlatformError]] = PlatformError

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        token: Token | None = None,
        http: httpx.Client | None = None,
        clock: Clock | Callable[[], datetime] | None = None,
    ) -> None:
        if not isinstance(platform, str) or not platform.strip():
            raise InvalidInput(f"platform must be a non-empty name, e.g. 'trustpilot'; got {shown(platform)}")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InvalidInput(f"base_url must be an http:// or https:// address; got {shown(base_url)}")
        if token is not None and not isinstance(token, str) and not callable(token):
            raise InvalidInput("token must be the access token, or a function returning a fresh one")
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.token: Callable[[], str] | None = (lambda: token) if isinstance(token, str) else token
        self._http = http
        self._owns_http = http is None
        self.clock = clock_of(clock)

    def now(self) -> datetime:
        """The time on the desk's clock (see ``clock``), else the real time."""
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    @property
    def name(self) -> str:
        """The channel's name is the platform's: review replies go to the channel named after it."""
        return self.platform

    @property
    def http(self) -> httpx.Client:
        """Made on first use, so a desk that never syncs nor replies opens no connection."""
        if self._http is None:
            self._http = httpx.Client(timeout=TIMEOUT)
        return self._http

    def close(self) -> None:
        """Close the HTTP client this connector made (one it was given stays its owner's)."""
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    # -- what a subclass says about its platform -------------------------------------------------------------

    def reviews(self, *, since: datetime | None) -> Iterable[Sequence[Any]]:
        """Pages of what the platform gave (mapped by ``review``), or of ``PlatformReview``s."""
        raise NotImplementedError(f"{type(self).__name__} must say how {self.title} lists its reviews")

    def review(self, raw: Any) -> PlatformReview:
        """One review as the platform gave it, as closedloop sees it; what it raises rejects that review alone."""
        raise NotImplementedError(f"{type(self).__name__} must say how to read a review of {self.title}")

    def review_id(self, raw: Any) -> str:
        """The platform's id of a review, to name in a sync's report the one that could not be read."""
        return str(raw["id"])

    def post_reply(self, message: OutboundMessage) -> httpx.Response:
        """Post one reply (``message.external_id`` is the id ``review`` gave), with :meth:`request`."""
        raise NotImplementedError(f"{type(self).__name__} must say how to reply on {self.title}")

    def describe(self, response: httpx.Response) -> str:
        """The platform's own words about an error response: the ``message`` of its error JSON in the usual
        shapes (``{"message": ...}``, ``{"error": {"message": ...}}``), else the start of the body; override
        for another shape."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            data = data["error"]
        if isinstance(data, dict) and isinstance(data.get("message"), str) and data["message"].strip():
            return str(data["message"]).strip()
        return response.text.strip()[:200] or response.reason_phrase

    def advice(self, status: int) -> str:
        """What a person can check after a refusal with this status, as ``"; check ..."`` (or nothing)."""
        if status == 401:
            return f"; {self.title} refused the access token twice: check the token or what gives it"
        return ""

    def explain(self, response: httpx.Response, what: str | None) -> str:
        """The error of a failed reply (``what`` None) or read, as a user reads it: override to word it
        otherwise."""
        reading = f" for {what}" if what else ""
        return f"{self.title} answered {response.status_code}{reading}: {self.words(response)}" + self.advice(
            response.status_code
        )

    def words(self, response: httpx.Response) -> str:
        """``describe(response)``, or the base's reading of the body when it fails, as an override written for
        the platform's JSON does on an HTML error page: a misread error must not hide the error itself."""
        try:
            described = self.describe(response)
        except Exception:  # a subclass's parsing of a body nobody controls
            described = None
        if not isinstance(described, str) or not described.strip():
            return HttpConnector.describe(self, response)
        return described

    def refresh(self) -> None:
        """Called after a 401, before the token is asked for again: drop a cached token here."""

    # -- what the base does for it ---------------------------------------------------------------------------

    def mapped(self, items: Iterable[Any]) -> list[Any]:
        """Each item as a ``PlatformReview`` where ``review`` can read it, else as the platform gave it, for
        the desk to reject alone with the reason: for a connector whose ``reviews()`` is also called directly
        and expected to give reviews."""
        found: list[Any] = []
        for raw in items:
            try:
                found.append(self.review(raw))
            except UNREADABLE:
                found.append(raw)
        return found

    def headers(self) -> dict[str, str]:
        """The headers of every request: the bearer token, when there is one."""
        headers = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token()}"
        return headers

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One request to ``base_url + path`` (or to a full URL) with fresh headers; after a 401 the token is
        refreshed and the request made once more, as a token may expire between two requests."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        response = self.http.request(method, url, headers=self.headers(), **options)
        if response.status_code == 401 and self.token is not None:
            self.refresh()
            response = self.http.request(method, url, headers=self.headers(), **options)
        return response

    def get_json(self, path: str, what: str, **options: Any) -> dict[str, Any]:
        """The JSON object a GET answers, for a sync: anything else raises ``error``, saying what ``what``
        (``"page 2 of the reviews of shop 7"``) could not be read and whether to try again later."""
        try:
            answer: httpx.Response | httpx.HTTPError = self.request("GET", path, **options)
        except httpx.HTTPError as failure:
            answer = failure
        problem = read_error(answer, what, error=self.error, **self._reading())
        if problem is not None:
            raise problem
        if not isinstance(answer, httpx.Response):  # read_error names every failure: only a response is left
            raise self.error(f"{what} could not be read from {self.title}")
        try:
            data = answer.json()
        except ValueError:
            data = answer.text
        if not isinstance(data, dict):
            raise self.error(
                f"{self.title} sent {shown(data)} for {what}, not a JSON object", status=answer.status_code
            )
        return data

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        """Post each reply; a batch holding a kind this channel cannot carry is refused whole, and every
        failure is a result, never an exception."""
        for message in messages:
            if message.kind not in self.kinds:
                raise ChannelUnavailable(
                    f"the {self.name} channel posts {', '.join(sorted(kind.value for kind in self.kinds))} "
                    f"messages; it cannot carry a {message.kind.value} message ({message.id})"
                )
        return [self.send_one(message) for message in messages]

    def send_one(self, message: OutboundMessage) -> SendResult:
        """One reply's result: a reply ``post_reply`` refuses (an ``InvalidInput``, such as a malformed
        review id) fails for good, one that could not get a token waits (as long as the token endpoint said) and
        is tried again, the platform's answer is read the standard way."""
        try:
            answer: httpx.Response | httpx.HTTPError = self.post_reply(message)
        except InvalidInput as refusal:
            return SendResult(message_id=message.id, ok=False, error=str(refusal), permanent=True)
        except PlatformError as refusal:
            return SendResult(message_id=message.id, ok=False, error=str(refusal), retry_after=refusal.retry_after)
        except httpx.HTTPError as failure:
            answer = failure
        return send_result(message.id, answer, **self._reading())

    def explained(self, response: httpx.Response, what: str | None) -> str:
        """``explain``, or the plain message with the status when an override of it fails."""
        try:
            sentence = self.explain(response, what)
        except Exception:  # a subclass's wording of a body nobody controls
            sentence = None
        if not isinstance(sentence, str) or not sentence.strip():
            return f"{self.title} answered {plain_message(response, what)}"
        return sentence

    def _reading(self) -> dict[str, Any]:
        return {
            "now": self.now(),
            "explain": self.explained,
            "unreachable": f"{self.title} is unreachable",
        }
