"""The Business Profile API v4, as these tests describe it on closedloop's fake-platform kit.

It lists a location's reviews newest change first (``orderBy=updateTime desc``), ``pageSize`` at most 50 with
an opaque ``nextPageToken``, leaves ``reviews`` out of an empty page as the API does, upserts and deletes
replies, and writes Google's error body; the kit checks the bearer token, fails on request and records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from closedloop.testing.platform import FakePlatform, Refused, Request, serve_token_pages

TOKEN = "secret-token"
LOCATION = "accounts/1/locations/2"
OTHER_LOCATION = "accounts/1/locations/3"
REVIEWS = "/v4/{location:path}/reviews"
REPLY = "/v4/{location:path}/reviews/{review}/reply"
STARS = ["ONE", "TWO", "THREE", "FOUR", "FIVE"]
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


def google_error(status: int, message: str) -> dict[str, Any]:
    """Google's error body: {"error": {"code", "message", "status"}}."""
    return {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def google_platform() -> FakePlatform:
    """A started fake platform that checks the token and writes errors as Google does."""
    return FakePlatform(
        bearer=TOKEN, error_shape=google_error, unauthorized="Request had invalid authentication credentials."
    )


class BusinessProfile:
    """The reviews of some locations, served on ``platform``; replies are stamped with ``now()``."""

    def __init__(self, platform: FakePlatform, now: Callable[[], datetime]) -> None:
        self.now = now
        self.reviews: dict[str, list[dict[str, Any]]] = {}
        self._pages = serve_token_pages(self._newest_first, items_key="reviews", default_size=50, max_size=50)
        platform.json("GET", REVIEWS, self._list)
        platform.json("PUT", REPLY, self._put_reply)
        platform.json("DELETE", REPLY, self._delete_reply)

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
        self.reviews.setdefault(location, []).append(review)
        return review

    def edit_review(self, name: str, *, comment: str, stars: int | None = None, at: datetime) -> None:
        review = self.review(name)
        assert review is not None, name
        review["comment"] = comment
        if stars is not None:
            review["starRating"] = STARS[stars - 1]
        review["updateTime"] = rfc3339(at)

    def review(self, name: str) -> dict[str, Any] | None:
        location = name.rsplit("/reviews/", 1)[0]
        return next((review for review in self.reviews.get(location, []) if review["name"] == name), None)

    def _newest_first(self, request: Request) -> list[dict[str, Any]]:
        every = self.reviews.get(request.params["location"], [])
        return sorted(every, key=lambda review: str(review["updateTime"]), reverse=True)

    def _list(self, request: Request) -> dict[str, Any]:
        if request.query.get("orderBy", "updateTime desc") != "updateTime desc":
            raise Refused(400, "Unsupported orderBy for this fake.")
        body = self._pages(request)
        if not body["reviews"]:
            del body["reviews"]
        return {**body, "totalReviewCount": len(self._newest_first(request)), "averageRating": 4.1}

    def _target(self, request: Request) -> dict[str, Any]:
        review = self.review(f"{request.params['location']}/reviews/{request.params['review']}")
        if review is None:
            raise Refused(404, "Requested entity was not found.")
        return review

    def _put_reply(self, request: Request) -> dict[str, Any]:
        comment = request.json.get("comment") if isinstance(request.json, dict) else None
        if not comment:
            raise Refused(400, "comment is required.")
        if len(comment.encode("utf-8")) > 4096:
            raise Refused(400, "comment is too long.")
        review = self._target(request)
        review["reviewReply"] = {"comment": comment, "updateTime": rfc3339(self.now())}
        return dict(review["reviewReply"])

    def _delete_reply(self, request: Request) -> dict[str, Any]:
        self._target(request).pop("reviewReply", None)
        return {}
