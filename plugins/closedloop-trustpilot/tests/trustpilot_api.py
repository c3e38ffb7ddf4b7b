"""Trustpilot's API as these tests describe it on closedloop's fake-platform kit.

The password grant hands out the platform's current bearer; the private listing of a business unit's
reviews pages by number (``perPage`` 1 to 100, 20 by default) newest written first; replies are posted and
deleted on the private reply endpoint; errors are Trustpilot's ``{"message", "errorCode", "details",
"correlationId"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from closedloop.testing.platform import FakePlatform, Refused, Request, serve_numbered_pages

API_KEY, API_SECRET = "key-1", "secret-1"
USERNAME, PASSWORD = "care@example.com", "hunter2"
UNIT, OTHER_UNIT = "507f191e810c19729de860ea", "507f191e810c19729de860eb"
TOKEN = "/v1/oauth/oauth-business-users-for-applications/accesstoken"
REVIEWS = "/v1/private/business-units/{unit}/reviews"
REPLY = "/v1/private/reviews/{id}/reply"


def trustpilot_error(status: int, message: str) -> dict[str, Any]:
    return {"message": message, "errorCode": 1001, "details": "", "correlationId": "2e03bbf2-2978-442e-9302"}


def settings(platform: FakePlatform, **changes: Any) -> dict[str, Any]:
    """The connector's settings for ``platform``, as a desk's ``extra["trustpilot"]``."""
    given = {"api_key": API_KEY, "api_secret": API_SECRET, "username": USERNAME, "password": PASSWORD}
    return {**given, "business_units": {UNIT: "paris", OTHER_UNIT: "lyon"}, "base_url": platform.url, **changes}


def stamp(moment: datetime) -> str:
    """Trustpilot's times: ISO 8601 in UTC with milliseconds and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class TrustpilotApi:
    """The reviews of some business units, served on ``platform``; replies are stamped with ``now()``."""

    def __init__(self, platform: FakePlatform, now: Callable[[], datetime]) -> None:
        self.platform, self.now = platform, now
        self.reviews: dict[str, dict[str, Any]] = {}
        self.units: dict[str, str] = {}  # the listing does not name a review's business unit: the connector knows it
        self.tokens_given = 0
        platform.bearer = "first-token"
        platform.error_shape = trustpilot_error
        pages = serve_numbered_pages(self._newest_first, items_key="reviews", default_size=20, max_size=100)
        platform.json("POST", TOKEN, self._token, authenticated=False)
        platform.json("GET", REVIEWS, lambda request: {**pages(request), "links": []})
        platform.json("POST", REPLY, self._reply)
        platform.json("DELETE", REPLY, self._delete)

    def add(
        self, review_id: str, *, at: datetime, stars: int = 4, text: str = "Fine.", unit: str = UNIT, **more: Any
    ) -> dict[str, Any]:
        review = {
            "id": review_id,
            "stars": stars,
            "title": f"Review {review_id}",
            "text": text,
            "language": "en",
            "createdAt": stamp(at),
            "updatedAt": None,
            "consumer": {"id": f"c-{review_id}", "displayName": f"Customer {review_id}"},
            "links": [],
            **more,
        }
        self.reviews[review_id], self.units[review_id] = review, unit
        return review

    def edit(self, review_id: str, *, text: str, stars: int, at: datetime) -> None:
        self.reviews[review_id].update(text=text, stars=stars, updatedAt=stamp(at))

    def _newest_first(self, request: Request) -> list[dict[str, Any]]:
        if request.query.get("orderBy") != "createdat.desc":
            raise Refused(400, "this fake lists newest first only")
        unit = [review for name, review in self.reviews.items() if self.units[name] == request.params["unit"]]
        return sorted(unit, key=lambda review: str(review["createdAt"]), reverse=True)

    def _token(self, request: Request) -> Any:
        if request.basic_auth != (API_KEY, API_SECRET):
            return 401, trustpilot_error(401, "Invalid client credentials")
        if request.form != {"grant_type": "password", "username": USERNAME, "password": PASSWORD}:
            return 400, trustpilot_error(400, "Invalid username or password")
        self.tokens_given += 1
        return {"access_token": self.platform.bearer, "refresh_token": "refresh", "expires_in": "359999"}

    def _review(self, request: Request) -> dict[str, Any]:
        if request.params["id"] not in self.reviews:
            raise Refused(404, "Review not found")
        return self.reviews[request.params["id"]]

    def _reply(self, request: Request) -> Any:
        message = request.json.get("message") if isinstance(request.json, dict) else None
        if not isinstance(message, str) or not message.strip():
            raise Refused(400, "message is required")
        self._review(request)["companyReply"] = {"text": message, "createdAt": stamp(self.now())}
        return 201, {}

    def _delete(self, request: Request) -> Any:
        self._review(request).pop("companyReply", None)
        return 204, None
