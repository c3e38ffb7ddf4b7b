"""The headers every response carries: a strict Content-Security-Policy (scripts only with this response's
nonce, when a page asked for one), no sniffing, no framing, and referrers kept to the console itself."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Where a page's script nonce is kept in the scope (set by ``web.script_nonce``).
NONCE_KEY = "closedloop_console.nonce"
BASE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
FIXED_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def policy(nonce: str | None) -> str:
    """The CSP: no script at all, or only the ones carrying ``nonce``."""
    return f"{BASE_POLICY}; script-src 'nonce-{nonce}'" if nonce else BASE_POLICY


class SecurityHeaders:
    """ASGI middleware adding the headers when the response starts (after the page chose its nonce)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                nonce = scope.get(NONCE_KEY)
                csp = policy(nonce if isinstance(nonce, str) else None).encode()
                message["headers"] = [*message.get("headers", []), (b"content-security-policy", csp), *FIXED_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
