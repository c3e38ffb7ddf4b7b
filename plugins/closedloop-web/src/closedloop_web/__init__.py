"""closedloop-web: the page a customer lands on from the one-time link in a reply email.

``create_app(desk)`` is a Starlette application to mount where the desk's ``reply_link_base`` points (or to
run alone with ``closedloop serve``).
"""

from closedloop_web.app import create_app
from closedloop_web.guard import GuessLimiter

__all__ = ["GuessLimiter", "create_app"]
