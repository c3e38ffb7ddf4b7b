"""What an agent does from the customer file (``POST /conversations/{id}/{action}``): reply, note, log a call,
hold and release, mark read, done or spam, reopen. Each is one desk call made as the signed-in user, then a
303 back to the file with a line saying what happened; a refusal shows the file at once (422) saying why, with
what the agent typed still in its form.

The conversation must be one the user sees before the form is even read: anyone else gets the 404 a
conversation that does not exist gets, whatever they post.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from closedloop import AccessDenied, ClosedLoopError, Desk, InvalidInput, NotFound, Status, Suggestion
from closedloop_console.pages import flash, walk
from closedloop_console.pages.customer_file import refused, visible
from closedloop_console.web import checked_form, desk_of, signed_in

#: An action: given the desk, the conversation, the user and the form, make the change and say what was done.
Action = Callable[[Desk, str, str, Mapping[str, str]], str]
#: The longest call worth logging, in minutes (a working day); more is a typing slip.
MAX_CALL_MINUTES = 600


def alert_status(form: Mapping[str, str]) -> str | None:
    """The alert status the note or call moves the alert to; left empty, the alert stays as it is."""
    return form.get("alert_status") or None


def reply(
    desk: Desk, conversation_id: str, user_id: str, form: Mapping[str, str], suggestion: Suggestion | None = None
) -> str:
    """``suggestion``: the assistant's draft the reply started from (``respond.py`` knows it), for the history."""
    channel = form.get("channel", "email")
    if channel not in ("email", "review"):
        raise InvalidInput("a reply goes by email or on the review platform; choose one of them")
    desk.reply(conversation_id, by=user_id, body=form.get("body", ""), channel=channel, suggestion=suggestion)
    return "Your reply is on its way." if channel == "email" else "Your public reply is on its way."


def note(desk: Desk, conversation_id: str, user_id: str, form: Mapping[str, str]) -> str:
    desk.note(conversation_id, by=user_id, body=form.get("body", ""), alert_status=alert_status(form))
    return "Note added."


def call_minutes(text: str) -> int | None:
    """The call's length in whole minutes, as typed; empty when the agent did not say."""
    text = text.strip()
    if not text:
        return None
    if not text.isdecimal() or len(text) > len(str(MAX_CALL_MINUTES)) or not 0 <= int(text) <= MAX_CALL_MINUTES:
        raise InvalidInput(f"the call's length is a whole number of minutes from 0 to {MAX_CALL_MINUTES}, e.g. 5")
    return int(text)


def call(desk: Desk, conversation_id: str, user_id: str, form: Mapping[str, str]) -> str:
    minutes = call_minutes(form.get("minutes", ""))
    desk.log_call(
        conversation_id,
        by=user_id,
        summary=form.get("summary", ""),
        alert_status=alert_status(form),
        outcome=form.get("outcome", "").strip(),
        duration_seconds=None if minutes is None else minutes * 60,
    )
    return "Call logged."


def read(desk: Desk, conversation_id: str, user_id: str, _form: Mapping[str, str]) -> str:
    """Mark the customer's reply read; the desk leaves anything else untouched, so the page must not claim it did."""
    if desk.conversation(conversation_id, by=user_id).status is not Status.UNREAD_CUSTOMER_REPLY:
        raise InvalidInput("there is no unread customer reply here, so nothing was marked as read")
    desk.mark_read(conversation_id, by=user_id)
    return "Marked as read."


def simple(change: Callable[..., object], done: str) -> Action:
    """An action that needs nothing but the conversation and the user."""

    def run(desk: Desk, conversation_id: str, user_id: str, _form: Mapping[str, str]) -> str:
        change(desk, conversation_id, by=user_id)
        return done

    return run


ACTIONS: dict[str, Action] = {
    "reply": reply,
    "note": note,
    "call": call,
    "hold": simple(Desk.hold, "On hold: it stays at the top of the inbox until released."),
    "release": simple(Desk.release, "Released from hold."),
    "read": read,
    "done": simple(Desk.mark_done, "Marked done."),
    "spam": simple(Desk.mark_spam, "Marked as spam."),
    "reopen": simple(Desk.reopen, "Reopened: it is back in the inbox."),
}


async def act(request: Request) -> Response:
    user_id = signed_in(request)
    desk = desk_of(request)
    conversation_id = request.path_params["conversation_id"]
    await visible(request, lambda: desk.conversation(conversation_id, by=user_id))
    action = ACTIONS.get(request.path_params["action"])
    if action is None:
        raise HTTPException(404)
    form = await checked_form(request)
    search = walk.walked(request.query_params)  # the search the file was opened from stays with it
    back = walk.carried(request.url_for("customer_file", conversation_id=conversation_id).path, search)
    try:
        done = await run_in_threadpool(action, desk, conversation_id, user_id, form)
    except (NotFound, AccessDenied):
        raise HTTPException(404) from None  # the user lost sight of it between the check and the change
    except ClosedLoopError as refusal:
        return await refused(request, conversation_id, request.path_params["action"], form, str(refusal))
    return flash.back_to(request, back, done)


routes = [Route("/conversations/{conversation_id}/{action}", act, methods=["POST"], name="conversation_action")]
