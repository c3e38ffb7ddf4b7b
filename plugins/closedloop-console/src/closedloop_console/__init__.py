"""closedloop-console: the agent console (the inbox and the customer file) as a Starlette app to mount.

``create_app(desk, authenticate=...)`` mounts in an application that signs its users in; ``closedloop console``
runs it alone with its own sign-in.
"""

from closedloop_console.app import create_app
from closedloop_console.limits import LoginLimiter
from closedloop_console.passwords import hash_password

__all__ = ["LoginLimiter", "create_app", "hash_password"]
