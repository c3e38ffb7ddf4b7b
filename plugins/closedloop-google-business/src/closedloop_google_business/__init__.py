"""closedloop-google-business: Google Business Profile reviews for closedloop.

``desk.sync("google_business")`` reads the reviews of the configured locations; ``desk.reply(...,
channel="review")`` queues a public reply that ``desk.dispatch()`` posts.
"""

from closedloop_google_business.connector import GoogleBusinessError, GoogleBusinessProfile
from closedloop_google_business.plugin import GoogleBusinessPlugin

__all__ = ["GoogleBusinessError", "GoogleBusinessPlugin", "GoogleBusinessProfile"]
