"""The Google Play Developer API's reviews resource, as these tests describe it on closedloop's fake-platform kit.

It answers in the documented shapes (ReviewsListResponse with ``tokenPagination``, Google's error body): reviews
newest change first, ``maxResults`` at a time with an opaque ``token``, 404 for an app the account does not
have, and replies that replace the developer's comment. The kit checks the bearer token, fails on request and
records every request, which conftest checks against the discovery document.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from closedloop.testing.platform import FakePlatform, Refused, Request, serve_token_pages

TOKEN = "play-access-token"
APP = "com.example.app"
OTHER_APP = "com.example.other"
LIST = "/androidpublisher/v3/applications/{package}/reviews"
REPLY = "/androidpublisher/v3/applications/{package}/reviews/{review}:reply"
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
    return {"seconds": str(int(moment.timestamp())), "nanos": moment.microsecond * 1000}


def google_error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}


def play_platform() -> FakePlatform:
    """A started fake platform that checks the token and writes errors as Google does."""
    return FakePlatform(
        bearer=TOKEN, error_shape=google_error, unauthorized="Request had invalid authentication credentials."
    )


class PlayReviews:
    """The reviews of some apps, served on ``platform``; replies are stamped with ``now()``."""

    def __init__(self, platform: FakePlatform, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.platform = platform
        self.now = now
        self.apps: dict[str, list[dict[str, Any]]] = {}
        #: Apps of the developer account that may have no recent review (the API then answers with none).
        self.known: set[str] = set()
        #: (package, review id, replyText) of the replies carried out, in order.
        self.posted: list[tuple[str, str, str]] = []
        pages = serve_token_pages(
            self._newest_first,
            items_key="reviews",
            size_param="maxResults",
            token_param="token",
            next_key="tokenPagination.nextPageToken",
            default_size=100,
        )
        platform.json("GET", LIST, lambda request: {**pages(request), "pageInfo": self._info(request)})
        platform.json("POST", REPLY, self._reply)

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

    @property
    def replies(self) -> list[tuple[str, str, str]]:
        """(package, review id, replyText) of every reply POST that reached the server, answered or not."""
        return [
            (call.params["package"], call.params["review"], str((call.json or {}).get("replyText")))
            for call in self.platform.calls("POST", REPLY)
        ]

    def lists(self, package: str | None = None) -> list[Request]:
        """The list requests, of one app or all."""
        return [call for call in self.platform.calls("GET", LIST) if package in (None, call.params["package"])]

    def _newest_first(self, request: Request) -> list[dict[str, Any]]:
        package = request.params["package"]
        if package not in self.apps and package not in self.known:
            raise Refused(404, "No application was found for the given package name.")
        return sorted(self.apps.get(package, []), key=_changed, reverse=True)

    def _info(self, request: Request) -> dict[str, Any]:
        return {"totalResults": len(self._newest_first(request))}

    def _reply(self, request: Request) -> dict[str, Any]:
        body = request.json if isinstance(request.json, dict) else {}
        text = str(body.get("replyText", ""))
        if not text.strip():
            raise Refused(400, "Reply text is required.")
        package, review_id = request.params["package"], request.params["review"]
        try:
            review = self.review(package, review_id)
        except StopIteration:
            raise Refused(404, "The review was not found.") from None
        if len(text) > 350:
            raise Refused(400, "Reply text is too long.")
        moment = timestamp(self.now())
        review["comments"] = [comment for comment in review["comments"] if "developerComment" not in comment]
        review["comments"].append({"developerComment": {"text": text, "lastModified": moment}})
        self.posted.append((package, review_id, text))
        return {"result": {"replyText": text, "lastEdited": moment}}


def _changed(review: dict[str, Any]) -> int:
    return max(
        int(comment[kind]["lastModified"]["seconds"])
        for comment in review["comments"]
        for kind in ("userComment", "developerComment")
        if kind in comment
    )
