"""The application's own session, kept apart from the console's. Mounted in an application with a
``SessionMiddleware`` of its own, the console's session would replace ``scope["session"]``: ``authenticate``
would read the console's session instead of the application's, and the application's cookie would be written
back with the console's contents, signing its user out. So the console puts the application's session aside
while it runs, hands it to ``authenticate``, and gives it back before the response leaves the console."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Where the application's session waits while the console's own is ``scope["session"]``.
HOST_SESSION = "closedloop_console.host_session"


class KeepHostSession:
    """Outside the console's ``SessionMiddleware``: set the application's session aside, and restore it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or "session" not in scope:
            await self.app(scope, receive, send)
            return
        host_session = scope.pop("session")
        scope[HOST_SESSION] = host_session

        async def restoring_send(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept", "websocket.close"):
                scope["session"] = host_session
            await send(message)

        try:
            await self.app(scope, receive, restoring_send)
        finally:
            scope["session"] = host_session


def host_request(request: Request) -> Request:
    """The request as the application sees it: its own ``request.session``, for its ``authenticate``."""
    if HOST_SESSION not in request.scope:
        return request
    scope = dict(request.scope)
    scope["session"] = scope[HOST_SESSION]
    return Request(scope, request.receive)
