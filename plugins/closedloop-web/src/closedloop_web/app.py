"""The Starlette application behind the reply link: the page, the form, and every way a link can fail."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from closedloop import MAX_CUSTOMER_MESSAGE, CustomerView, Desk, ExpiredToken, InvalidInput, UnknownToken, UsedToken
from closedloop_web import csrf
from closedloop_web.display import show_messages, show_ratings
from closedloop_web.guard import GuessLimiter
from closedloop_web.texts import TEXTS, format_moment, language_from_header, language_of

HERE = Path(__file__).parent

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        b"frame-ancestors 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds the headers that keep the page to itself: its own styles only, no scripts, no referrer, no frames."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: The shape of a reply link's token (URL-safe base64, as ``secrets.token_urlsafe`` makes it).
LINK_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: The most a form post may weigh: the longest message, each character sent as four UTF-8 bytes written as
#: %XX (twelve bytes), and room for the other field. Anything larger is refused before it is read whole.
MAX_BODY_BYTES = 12 * MAX_CUSTOMER_MESSAGE + 4096


async def bounded_body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None as soon as it proves longer than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """An ASGI ``receive`` that hands over a body already read, for a second look at the same request."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class ReplyPages:
    """The endpoints, bound to one desk, its templates and its guessing limit."""

    def __init__(self, desk: Desk, templates: Jinja2Templates, limiter: GuessLimiter) -> None:
        self.desk = desk
        self.templates = templates
        self.limiter = limiter

    async def page(self, request: Request) -> Response:
        """GET shows the conversation and the form; POST sends the message and uses the link up."""
        client = request.client.host if request.client else "unknown"
        wait = self.limiter.wait_seconds(client)
        if wait:
            return self._problem(request, "busy", 429, headers={"Retry-After": str(wait)})
        token = request.path_params["token"]
        try:
            if not LINK_TOKEN.fullmatch(token):
                raise UnknownToken("not a reply link")  # a shape closedloop never makes: no need to look it up
            view = await run_in_threadpool(self.desk.customer_view, token)
        except (UnknownToken, InvalidInput):
            self.limiter.missed(client)
            return self._problem(request, "unknown", 404)
        except ExpiredToken:
            return self._problem(request, "expired", 410)
        except UsedToken:
            return self._problem(request, "used", 410)
        if request.method == "POST":
            return await self._post(request, token, view)
        return self._form(request, view)

    async def _post(self, request: Request, token: str, view: CustomerView) -> Response:
        language = language_of(view.locale)
        body = await bounded_body(request, MAX_BODY_BYTES)
        if body is None:
            return self._form(request, view, error=TEXTS[language]["too_large"], status=413)
        try:
            form = await Request(request.scope, replay(body)).form(max_files=0, max_fields=4)
        except HTTPException:  # not a form a browser makes: files, too many fields, a broken multipart body
            return self._form(request, view, error=TEXTS[language]["unreadable"], status=400)
        message = form.get("message")
        # browsers send a line break as CR LF but count it as one character against maxlength, as we do
        text = message.replace("\r\n", "\n") if isinstance(message, str) else ""
        if not csrf.is_genuine(request, form.get(csrf.FIELD)):
            return self._form(request, view, text=text, error=TEXTS[language]["form_expired"], status=403)
        if not text.strip():
            return self._form(request, view, text=text, error=TEXTS[language]["empty"], status=422)
        if len(text.strip()) > MAX_CUSTOMER_MESSAGE:
            error = TEXTS[language]["too_long"].format(count=len(text.strip()), limit=MAX_CUSTOMER_MESSAGE)
            return self._form(request, view, text=text, error=error, status=422)
        try:
            await run_in_threadpool(lambda: self.desk.customer_reply(token, body=text.strip()))
        except (ExpiredToken, UsedToken) as error:  # the link was used or expired while the form was open
            return self._problem(request, "used" if isinstance(error, UsedToken) else "expired", 410)
        except InvalidInput as error:
            return self._form(request, view, text=text, error=str(error), status=422)
        return self._render(request, "thanks.html", language, {"place": view.place_name, "view": view})

    def _form(
        self, request: Request, view: CustomerView, *, text: str = "", error: str = "", status: int = 200
    ) -> Response:
        language = language_of(view.locale)
        token = csrf.token_for(request)
        context = {
            "view": view,
            "submitted_at": format_moment(view.submitted_at, language),
            "ratings": show_ratings(view.ratings, language),
            "messages": show_messages(view, language),
            "text": text,
            "error": error,
            "csrf_field": csrf.FIELD,
            "csrf_token": token,
            "limit": MAX_CUSTOMER_MESSAGE,
        }
        response = self._render(request, "reply.html", language, context, status)
        csrf.remember(response, request, token)
        return response

    def _problem(self, request: Request, problem: str, status: int, headers: dict[str, str] | None = None) -> Response:
        """A polite page that says what happened to the link, and nothing of any conversation."""
        language = language_from_header(request.headers.get("accept-language", ""))
        return self._render(request, "problem.html", language, {"problem": problem}, status, headers)

    def _render(
        self,
        request: Request,
        name: str,
        language: str,
        context: dict[str, Any],
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        root_path = request.scope.get("root_path", "")
        context = {**context, "t": TEXTS[language], "language": language, "root_path": root_path}
        response = self.templates.TemplateResponse(request, name, context, status_code=status, headers=headers)
        response.headers["Cache-Control"] = "no-store"  # the page is private to whoever holds the link
        return response

    async def stylesheet(self, _request: Request) -> Response:
        return Response(
            (HERE / "static" / "closedloop.css").read_bytes(),
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=3600"},
        )


def create_app(
    desk: Desk,
    *,
    templates: str | Path | None = None,
    limiter: GuessLimiter | None = None,
) -> ASGIApp:
    """The reply page as an ASGI app: mount it at the path of the desk's ``reply_link_base``.

    The app serves ``/{token}`` (the page and its form) and ``/assets/closedloop.css``. ``templates`` is a
    folder whose files replace the shipped ones of the same name (``base.html``, ``reply.html``,
    ``thanks.html``, ``problem.html``). ``limiter`` bounds how many unknown links a client may try.
    """
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("closedloop_web", "templates")]
    if templates is not None:
        folder = Path(templates)
        if not folder.is_dir():
            raise InvalidInput(f"templates must be a folder of template files; {folder} is not a folder")
        loaders.insert(0, jinja2.FileSystemLoader(folder))
    environment = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True)
    pages = ReplyPages(desk, Jinja2Templates(env=environment), limiter or GuessLimiter())
    app = Starlette(
        routes=[
            Route("/assets/closedloop.css", pages.stylesheet),
            Route("/{token}", pages.page, methods=["GET", "POST"]),
        ]
    )
    return SecurityHeaders(app)
