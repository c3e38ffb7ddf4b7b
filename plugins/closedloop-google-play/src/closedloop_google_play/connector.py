"""The Google Play connector: reads an app's reviews and posts public replies through androidpublisher v3.

One object is both the review source (``desk.sync("google_play")``) and the channel review replies go to, so
both share one HTTP connection and one token; :class:`closedloop.connectors.HttpConnector` does the HTTP,
this module says what the Play API looks like.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from closedloop import (
    ChannelLimits,
    Comment,
    Contact,
    Feedback,
    InvalidInput,
    OutboundMessage,
    PlatformReply,
    PlatformReview,
    Rating,
    RatingKind,
    Source,
)
from closedloop.connectors import HttpConnector, PlatformError, older_than, token_pages

DEFAULT_BASE_URL = "https://androidpublisher.googleapis.com"
API_PATH = "androidpublisher/v3/applications"
#: Google Play rejects replies of more than about 350 characters (ReviewsReplyRequest.replyText).
MAX_REPLY_CHARS = 350
#: What a person can do about a refused reply, where the status says it.
ADVICE = {
    401: " (the access token was refused twice: check the token, and what gives it)",
    403: " (this account may not reply to the app's reviews: give it the 'Reply to reviews' permission)",
}
#: What to check when the reviews of an app cannot be listed.
READ_ADVICE = " (check the token, and that the app is in this developer account)"

#: What a sync pages through: an app's review as the API gave it, with the app's package name.
Raw = tuple[str, Mapping[str, Any]]


class GooglePlayError(PlatformError):
    """Google Play refused a request the connector cannot do without (listing reviews)."""


def google_message(response: httpx.Response) -> str:
    """The platform's own explanation, from Google's error body ``{"error": {"code", "message", "status"}}``."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, dict) and error.get("message"):
        status = f" {error['status']}" if error.get("status") else ""
        return f"HTTP {response.status_code}{status}: {error['message']}"
    text = response.text.strip()[:200]
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")


def _timestamp(value: Any) -> datetime | None:
    """A protobuf Timestamp as JSON (``seconds`` is an int64 string) as an aware datetime."""
    if not isinstance(value, dict) or value.get("seconds") in (None, ""):
        return None
    nanos = int(value.get("nanos") or 0)
    return datetime.fromtimestamp(int(value["seconds"]), UTC) + timedelta(microseconds=nanos // 1000)


def split_external_id(external_id: str) -> tuple[str, str]:
    """``"{packageName}/{reviewId}"`` back into its parts; the review id itself never holds a slash."""
    package, _slash, review_id = external_id.rpartition("/")
    if not package or not review_id:
        raise InvalidInput(f"a Google Play review id looks like 'com.example.app/<reviewId>'; got {external_id!r}")
    return package, review_id


class GooglePlay(HttpConnector):
    """Google Play reviews of some apps, each app answering for one of the desk's places.

    ``token`` is called before every request, so it can refresh an OAuth access token as it expires.
    """

    title = "Google Play"
    limits = ChannelLimits(max_chars=MAX_REPLY_CHARS)
    error = GooglePlayError

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
        super().__init__(platform=platform, base_url=base_url, token=token, http=http, clock=clock)
        self.apps = dict(apps)
        self.page_size = page_size

    def reviews(self, *, since: datetime | None) -> Iterator[list[PlatformReview | Raw]]:
        """One list per API page, app after app; an app's paging stops after a page entirely older than
        ``since`` (the API lists the most recently changed first). A review that cannot be read stays as the
        API gave it."""
        for package in self.apps:
            for page in token_pages(self._pages_of(package), stop=older_than(since, _changed)):
                yield self.mapped(page)

    def _pages_of(self, package: str) -> Callable[[str | None], tuple[list[Raw], str | None]]:
        path = f"{API_PATH}/{quote(package, safe='')}/reviews"

        def fetch(token: str | None) -> tuple[list[Raw], str | None]:
            params = {name: value for name, value in (("maxResults", self.page_size), ("token", token)) if value}
            data = self.get_json(path, f"the reviews of {package}", params=params)
            following = (data.get("tokenPagination") or {}).get("nextPageToken")
            return [(package, item) for item in data.get("reviews", [])], following

        return fetch

    def review(self, raw: Raw) -> PlatformReview:
        """A review as closedloop sees it; one without the customer's comment has nothing to show."""
        package, item = raw
        user, developer = _comments(item)
        written = _timestamp(user.get("lastModified"))
        if written is None:
            raise InvalidInput("the review holds no comment of the customer's")
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
            metadata={key: value for key, value in metadata.items() if value not in (None, "")},
        )
        answered = _timestamp(developer.get("lastModified"))
        reply = PlatformReply(body=str(developer["text"]), at=answered) if developer.get("text") and answered else None
        return PlatformReview(feedback=feedback, updated_at=written, reply=reply)

    def review_id(self, raw: Raw) -> str:
        return f"{raw[0]}/{raw[1]['reviewId']}"

    def post_reply(self, message: OutboundMessage) -> httpx.Response:
        package, review_id = split_external_id(message.external_id)
        path = f"{API_PATH}/{quote(package, safe='')}/reviews/{quote(review_id, safe='')}:reply"
        return self.request("POST", path, json={"replyText": message.body})

    def explain(self, response: httpx.Response, what: str | None) -> str:
        if what is None:
            return google_message(response) + ADVICE.get(response.status_code, "")
        hint = READ_ADVICE if response.status_code in (401, 403) else ""
        return f"Google Play did not list {what}: {google_message(response)}{hint}"


def _comments(item: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The customer's comment and the developer's reply of a review (the last of each)."""
    user: Mapping[str, Any] = {}
    developer: Mapping[str, Any] = {}
    for comment in item.get("comments", []):
        user = comment.get("userComment") or user
        developer = comment.get("developerComment") or developer
    return user, developer


def _changed(raw: Raw) -> datetime | None:
    """When anything on the review last changed there, the business's reply included."""
    moments = [_timestamp(comment.get("lastModified")) for comment in _comments(raw[1])]
    return max((moment for moment in moments if moment), default=None)
