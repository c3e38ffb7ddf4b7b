"""Google Play reviews for closedloop: ``desk.sync("google_play")`` and public replies to them."""

from closedloop_google_play.connector import GooglePlay, GooglePlayError

__all__ = ["GooglePlay", "GooglePlayError"]
