"""The rest of the response module (``POST /conversations/{id}/respond/{action}``): send the reply box (naming
the assistant's draft it started from), ask the assistant for a suggestion or a rephrasing, keep the box's text
as a common reply, forward, delegate or share the conversation, and retry a message that failed.

As in ``actions.py``: the conversation must be one the user sees before the form is read (anyone else gets the
404 of a conversation that does not exist, on GET and POST alike); each action is a desk call made as the
signed-in user, answered with a 303 back to the file and a one-line message (a refusal: the file at once, the
typed text kept).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from closedloop import ClosedLoopError, Delivery, Desk, InvalidInput, Suggestion
from closedloop_console.pages import actions, flash, walk
from closedloop_console.pages.customer_file import refused, visible
from closedloop_console.pages.drafts import DraftBook, drafts_of
from closedloop_console.web import checked_form, desk_of, signed_in

#: Addresses to share with are typed in one field, separated by commas, semicolons or spaces.
ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")


@attrs.frozen
class Asked:
    """One response action as it was posted: who, on which conversation, with which form."""

    desk: Desk
    drafts: DraftBook
    conversation_id: str
    user_id: str
    form: Mapping[str, str]


@attrs.frozen
class Done:
    """What an action says, and the query the file is shown with after it (``?use=0`` keeps a text in the box)."""

    message: str
    query: str = ""


def send(asked: Asked) -> Done:
    """The reply box's text to the customer; if it started as the assistant's draft, the history says so."""
    suggestion = asked.drafts.named(asked.user_id, asked.conversation_id, asked.form.get("draft", ""))
    message = actions.reply(asked.desk, asked.conversation_id, asked.user_id, asked.form, suggestion=suggestion)
    asked.drafts.discard(asked.user_id, asked.conversation_id)
    return Done(message)


def drafted(asked: Asked, suggestion: Suggestion, what: str) -> Done:
    asked.drafts.keep(asked.user_id, asked.conversation_id, suggestion)
    checks = " ".join(suggestion.notes)
    return Done(f"{what} by {suggestion.assistant} is in the reply box: read it before sending. {checks}".strip())


def tone_of(form: Mapping[str, str]) -> str:
    return form.get("tone", "") or "friendly"


def suggest(asked: Asked) -> Done:
    suggestion = asked.desk.suggest_reply(asked.conversation_id, by=asked.user_id, tone=tone_of(asked.form))
    return drafted(asked, suggestion, "A suggestion")


def rephrase(asked: Asked) -> Done:
    text = asked.form.get("body", "")
    if not text.strip():
        raise InvalidInput("write something in the reply box first, then ask to rephrase it")
    return drafted(asked, asked.desk.rephrase(text, tone=tone_of(asked.form)), f"A {tone_of(asked.form)} rephrasing")


def save_common_reply(asked: Asked) -> Done:
    text = asked.form.get("body", "")
    if not text.strip():
        raise InvalidInput("write the reply in the box first, then keep it as a common reply")
    asked.desk.common_replies(asked.user_id).add(text)
    return Done("Kept as your newest common reply.", "?use=0")


def forward(asked: Asked) -> Done:
    colleague = asked.form.get("to", "").strip()
    if not colleague:
        raise InvalidInput("give the user id of the colleague to forward it to")
    asked.desk.forward(asked.conversation_id, by=asked.user_id, to=colleague, note=asked.form.get("note", ""))
    return Done(f"Forwarded to {colleague}.")


def delegate(asked: Asked) -> Done:
    asked.desk.delegate(asked.conversation_id, by=asked.user_id, note=asked.form.get("note", ""))
    return Done("Delegated to customer service.")


def share(asked: Asked) -> Done:
    addresses = [address for address in ADDRESS_SEPARATORS.split(asked.form.get("to", "")) if address]
    if not addresses:
        raise InvalidInput("give one or more email addresses to share it with, separated by commas")
    asked.desk.share(asked.conversation_id, by=asked.user_id, to=addresses, note=asked.form.get("note", ""))
    return Done(f"Shared with {', '.join(addresses)}.")


def retry(asked: Asked) -> Done:
    """Send a failed message again: only one of this conversation's, whatever id was posted."""
    message_id = asked.form.get("message", "")
    failed = {message.id for message in asked.desk.outbox(Delivery.FAILED, conversation_id=asked.conversation_id)}
    if message_id not in failed:
        raise InvalidInput("that message is not one of this conversation's failed messages; reload the page")
    asked.desk.retry(message_id, by=asked.user_id)
    return Done("The message will be sent again.")


RESPONSES: dict[str, Callable[[Asked], Done]] = {
    "send": send,
    "suggest": suggest,
    "rephrase": rephrase,
    "save": save_common_reply,
    "forward": forward,
    "delegate": delegate,
    "share": share,
    "retry": retry,
}


async def respond(request: Request) -> Response:
    user_id = signed_in(request)
    desk = desk_of(request)
    conversation_id = request.path_params["conversation_id"]
    await visible(request, lambda: desk.conversation(conversation_id, by=user_id))
    response = RESPONSES.get(request.path_params["action"])
    if response is None:
        raise HTTPException(404)
    if request.method != "POST":
        raise HTTPException(405, headers={"Allow": "POST"})
    form = await checked_form(request)
    asked = Asked(desk, drafts_of(request), conversation_id, user_id, form)
    search = walk.walked(request.query_params)  # the search the file was opened from stays with it
    back = request.url_for("customer_file", conversation_id=conversation_id).path
    try:
        done = await run_in_threadpool(response, asked)
    except ClosedLoopError as refusal:  # a colleague or message not found is said, not a 404: the file is seen
        return await refused(request, conversation_id, request.path_params["action"], form, str(refusal))
    return flash.back_to(request, walk.carried(back, search, done.query), done.message)


routes = [
    Route(
        "/conversations/{conversation_id}/respond/{action}",
        respond,
        methods=["GET", "POST"],
        name="conversation_respond",
    )
]
