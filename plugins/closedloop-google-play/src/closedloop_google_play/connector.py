"""The Google Play connector: reads an app's reviews and posts public replies through androidpublisher v3.

One object is both the review source (``desk.sync("google_play")``) and the channel review replies go to, so
both share one HTTP connection and one token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from closedloop import (
    ChannelLimits,
    ChannelUnavailable,
    ClosedLoopError,
    Comment,
    Contact,
    Feedback,
    InvalidInput,
    MessageKind,
    OutboundMessage,
    PlatformReply,
    PlatformReview,
    Rating,
    RatingKind,
    SendResult,
    Source,
)
from closedloop.channels import parse_retry_after

DEFAULT_BASE_URL = "https://androidpublisher.googleapis.com"
API_PATH = "/androidpublisher/v3/applications"
#: Google Play rejects replies of more than about 350 characters (ReviewsReplyRequest.replyText).
MAX_REPLY_CHARS = 350
TIMEOUT = httpx.Timeout(30.0)


class GooglePlayError(ClosedLoopError):
    """Google Play refused a request the connector cannot do without (listing reviews)."""


def _google_message(response: httpx.Response) -> str:
    """The platform's own explanation, from Google's error body ``{"error": {"code", "message", "status"}}``."""
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    if isinstance(error, dict) and error.get("message"):
        status = f" {error['status']}" if error.get("status") else ""
        return f"HTTP {response.status_code}{status}: {error['message']}"
    text = response.text.strip()[:200]
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")


def _retry_after(response: httpx.Response, now: datetime) -> timedelta | None:
    """The response's Retry-After as a wait from ``now``."""
    return parse_retry_after(response.headers.get("Retry-After"), now)


def _timestamp(value: Any) -> datetime | None:
    """A protobuf Timestamp as JSON (``seconds`` is an int64 string) as an aware datetime."""
    if not isinstance(value, dict) or value.get("seconds") in (None, ""):
        return None
    seconds = int(value["seconds"])
    nanos = int(value.get("nanos") or 0)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=nanos // 1000)


def split_external_id(external_id: str) -> tuple[str, str]:
    """``"{packageName}/{reviewId}"`` back into its parts; the review id itself never holds a slash."""
    package, _slash, review_id = external_id.rpartition("/")
    if not package or not review_id:
        raise InvalidInput(f"a Google Play review id looks like 'com.example.app/<reviewId>'; got {external_id!r}")
    return package, review_id


class GooglePlay:
    """Google Play reviews of some apps, each app answering for one of the desk's places.

    ``token`` is called before every request, so it can refresh an OAuth access token as it expires.
    """

    kinds = frozenset({MessageKind.REVIEW_REPLY})
    limits = ChannelLimits(max_chars=MAX_REPLY_CHARS)

    def __init__(
        self,
        *,
        token: Callable[[], str],
        apps: Mapping[str, str],
        base_url: str = DEFAULT_BASE_URL,
        platform: str = "google_play",
        http: httpx.Client | None = None,
        page_size: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not callable(token):
            raise InvalidInput("GooglePlay(token=...) takes a function that returns an OAuth access token")
        if not apps:
            raise InvalidInput("GooglePlay(apps=...) needs at least one app: {'com.example.app': 'place-id'}")
        self.token = token
        self.apps = dict(apps)
        self.base_url = base_url.rstrip("/")
        self.platform = platform
        self.page_size = page_size
        self._http = http
        self._owns_http = http is None
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def name(self) -> str:
        """The channel's name is the platform's: review replies go to the channel named after it."""
        return self.platform

    @property
    def http(self) -> httpx.Client:
        """Created on first use, so a desk that never syncs or replies opens no connection."""
        if self._http is None:
            self._http = httpx.Client(timeout=TIMEOUT)
        return self._http

    def close(self) -> None:
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}

    def _reviews_url(self, package: str) -> str:
        return f"{self.base_url}{API_PATH}/{quote(package, safe='')}/reviews"

    # -- the review source ---------------------------------------------------------------------------------

    def reviews(self, *, since: datetime | None) -> Iterator[Sequence[PlatformReview]]:
        """One list per API page, app after app; an app's paging stops after a page entirely older than
        ``since`` (the API lists the most recently changed first)."""
        for package in self.apps:
            yield from self._app_reviews(package, since)

    def _app_reviews(self, package: str, since: datetime | None) -> Iterator[list[PlatformReview]]:
        token: str | None = None
        while True:
            params: dict[str, str | int] = {}
            if self.page_size is not None:
                params["maxResults"] = self.page_size
            if token:
                params["token"] = token
            response = self.http.get(self._reviews_url(package), params=params, headers=self._headers())
            if response.status_code != 200:
                hint = " (check the token, and that the app is in this developer account)"
                raise GooglePlayError(
                    f"Google Play did not list the reviews of {package}: {_google_message(response)}"
                    + (hint if response.status_code in (401, 403) else "")
                )
            data = response.json()
            page = [review for item in data.get("reviews", []) if (review := self._review(package, item)) is not None]
            yield page
            token = (data.get("tokenPagination") or {}).get("nextPageToken")
            if not token or (since is not None and page and all(_changed(review) < since for review in page)):
                return

    def _review(self, package: str, item: Mapping[str, Any]) -> PlatformReview | None:
        """A review as closedloop sees it; ``None`` for one without the customer's comment (nothing to show)."""
        user: Mapping[str, Any] = {}
        developer: Mapping[str, Any] = {}
        for comment in item.get("comments", []):
            user = comment.get("userComment") or user
            developer = comment.get("developerComment") or developer
        written = _timestamp(user.get("lastModified"))
        if written is None or not item.get("reviewId"):
            return None
        text = str(user.get("text") or "").strip()
        stars = user.get("starRating")
        metadata = {
            "package_name": package,
            "app_version_name": user.get("appVersionName"),
            "app_version_code": user.get("appVersionCode"),
            "device": user.get("device"),
            "android_os_version": user.get("androidOsVersion"),
        }
        feedback = Feedback(
            source=Source.REVIEW,
            platform=self.platform,
            external_id=f"{package}/{item['reviewId']}",
            place_id=self.apps[package],
            received_at=written,
            contact=Contact(name=str(item.get("authorName") or "")),
            ratings=(Rating(key="stars", kind=RatingKind.STARS, value=int(stars)),) if stars else (),
            comments=(Comment(text=text, question="review"),) if text else (),
            locale=str(user.get("reviewerLanguage") or "en"),
            metadata={key: str(value) for key, value in metadata.items() if value not in (None, "")},
        )
        reply = None
        answered = _timestamp(developer.get("lastModified"))
        if developer.get("text") and answered is not None:
            reply = PlatformReply(body=str(developer["text"]), at=answered)
        return PlatformReview(feedback=feedback, updated_at=written, reply=reply)

    # -- the channel ---------------------------------------------------------------------------------------

    def send(self, messages: Sequence[OutboundMessage]) -> list[SendResult]:
        """Post each reply; a whole batch is refused up front if it holds a message this channel cannot carry."""
        for message in messages:
            if message.kind not in self.kinds:
                raise ChannelUnavailable(f"the {self.name} channel only posts review replies; got {message.kind}")
        return [self._post_reply(message) for message in messages]

    def _post_reply(self, message: OutboundMessage) -> SendResult:
        try:
            package, review_id = split_external_id(message.external_id)
        except InvalidInput as error:
            return SendResult(message_id=message.id, ok=False, error=str(error), permanent=True)
        url = f"{self._reviews_url(package)}/{quote(review_id, safe='')}:reply"
        try:
            response = self.http.post(url, json={"replyText": message.body}, headers=self._headers())
        except httpx.HTTPError as error:
            return SendResult(message_id=message.id, ok=False, error=f"Google Play unreachable: {error!r}")
        return self._outcome(message, response)

    def _outcome(self, message: OutboundMessage, response: httpx.Response) -> SendResult:
        """What a status means: rate limits, server trouble and an expired token pass; a refusal stays."""
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(message_id=message.id, ok=True)
        reason = _google_message(response)
        wait = _retry_after(response, self._clock())
        if status == 401:
            reason = f"{reason} (the access token was refused; a fresh one is asked for on the next attempt)"
            return SendResult(message_id=message.id, ok=False, error=reason, retry_after=wait)
        if status == 403:
            reason = (
                f"{reason} (this account may not reply to reviews of {message.external_id.rpartition('/')[0]}: "
                "give it the 'Reply to reviews' permission in the Play Console)"
            )
            return SendResult(message_id=message.id, ok=False, error=reason, permanent=True)
        if status in (408, 429) or status >= 500:
            return SendResult(message_id=message.id, ok=False, error=reason, retry_after=wait)
        return SendResult(message_id=message.id, ok=False, error=reason, permanent=True)


def _changed(review: PlatformReview) -> datetime:
    """When anything on the review last changed there, the business's reply included."""
    return max(review.updated_at, review.reply.at) if review.reply is not None else review.updated_at
