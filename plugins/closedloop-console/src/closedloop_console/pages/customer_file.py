"""The customer file (``/conversations/{id}``): the feedback, its alert, concepts and history on one page, with
the forms of every action ``actions.py`` takes.

Whether the user may see the conversation is the desk's answer to ``desk.customer_file``; a conversation that
does not exist, one of a place the user does not see, and an id of no valid shape all get the same 404.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from closedloop import (
    AccessDenied,
    AlertStatus,
    Concept,
    CustomerFile,
    Desk,
    InvalidInput,
    NotFound,
    Status,
    UnreadableRecord,
)
from closedloop_console.pages import display, flash, reply_box, walk
from closedloop_console.pages.drafts import DraftBook, drafts_of
from closedloop_console.web import desk_of, render, signed_in

T = TypeVar("T")
#: The alert statuses an agent may move an alert to with a note or a call (never back to "to process").
ALERT_CHOICES = [
    (status.value, display.ALERT_LABELS[status]) for status in (AlertStatus.IN_PROGRESS, AlertStatus.PROCESSED)
]
#: Errors that all mean "nothing here you may see": answered with one 404, whichever it was.
HIDDEN = (NotFound, AccessDenied, InvalidInput, UnreadableRecord)
#: What an agent typed in each form, by action: the posted field, and the field on the page it goes back in when
#: the desk refuses the action (so nothing typed is lost).
KEPT_FIELDS: dict[str, dict[str, str]] = {
    "reply": {"body": "reply-body"},
    "send": {"body": "reply-body"},
    "suggest": {"body": "reply-body"},
    "rephrase": {"body": "reply-body"},
    "save": {"body": "reply-body"},
    "note": {"body": "note-body"},
    "call": {"summary": "call-summary", "outcome": "call-outcome", "minutes": "call-minutes"},
    "forward": {"note": "forward-note"},
    "delegate": {"note": "delegate-note"},
    "share": {"to": "share-to", "note": "share-note"},
}


async def visible(request: Request, read: Callable[[], T]) -> T:
    """``read()`` run off the event loop; any sign that the conversation is missing or not the user's is a 404."""
    try:
        return await run_in_threadpool(read)
    except HIDDEN:
        raise HTTPException(404) from None


@attrs.frozen
class ShownConcept:
    name: str
    sentiment: str  # "+0.80", "-0.60"
    tone: str  # positive, negative or neutral, for a CSS class


def show_concept(concept: Concept) -> ShownConcept:
    tone = "positive" if concept.sentiment > 0.2 else "negative" if concept.sentiment < -0.2 else "neutral"
    return ShownConcept(concept.name, f"{concept.sentiment:+.2f}", tone)


@attrs.frozen
class Possible:
    """Which actions make sense for the conversation as it stands, so the page offers only those."""

    reply_channel: str | None  # "email", "review", or None when a reply cannot be sent now
    call: bool
    hold: bool
    release: bool
    read: bool
    done: bool
    spam: bool
    reopen: bool


def possible(file: CustomerFile) -> Possible:
    conversation, feedback = file.conversation, file.feedback
    open_now = conversation.status not in (Status.DONE, Status.SPAM)
    channel = "review" if feedback.source.is_public else "email" if feedback.contact.email else None
    return Possible(
        reply_channel=channel if open_now else None,
        call=bool(feedback.contact.tel),
        hold=not conversation.on_hold,
        release=conversation.on_hold,
        read=conversation.status is Status.UNREAD_CUSTOMER_REPLY,
        done=conversation.status is not Status.DONE,
        spam=conversation.status is not Status.SPAM,
        reopen=not open_now,
    )


def read_file(
    desk: Desk, user_id: str, conversation_id: str, query: Mapping[str, str], kept: Mapping[str, str], drafts: DraftBook
) -> tuple[CustomerFile, dict[str, Any]] | None:
    """The file and what its response module shows; None when the user may not see it (or it does not exist)."""
    try:
        file = desk.customer_file(conversation_id, by=user_id)
    except HIDDEN:
        return None
    return file, reply_box.gather(query, kept, drafts, desk, user_id, file, possible(file).reply_channel)


async def customer_file(request: Request) -> Response:
    signed_in(request)
    query = dict(request.query_params)
    return await show(request, request.path_params["conversation_id"], query=query, said=flash.take(request))


async def refused(
    request: Request, conversation_id: str, action: str, form: Mapping[str, str], refusal: str
) -> Response:
    """The file again, at once (422), saying why the desk refused ``action``, with what the agent typed back in its
    form: a redirect would have to carry the text in the session's cookie, too small for a long reply."""
    kept = {shown: form.get(posted, "") for posted, shown in KEPT_FIELDS.get(action, {}).items()}
    return await show(request, conversation_id, said=flash.refusal(refusal), kept=kept, status_code=422)


async def show(
    request: Request,
    conversation_id: str,
    *,
    said: flash.Flash | None,
    query: Mapping[str, str] | None = None,
    kept: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The customer file as the signed-in user sees it, with the line an action left (``said``); its links and
    forms keep the search it was opened from, if any (``walk.py``)."""
    user_id = signed_in(request)
    desk = desk_of(request)
    walked = walk.walked(request.query_params)
    # One trip to a worker thread for all the desk calls: under load each trip waits its turn for the GIL
    found = await run_in_threadpool(
        read_file, desk, user_id, conversation_id, query or {}, kept or {}, drafts_of(request)
    )
    if found is None:
        raise HTTPException(404)
    file, response_module = found
    conversation, feedback, alert = file.conversation, file.feedback, file.alert
    can = possible(file)
    return render(
        request,
        "customer_file.html",
        status_code=status_code,
        file=file,
        conversation=conversation,
        feedback=feedback,
        customer=display.customer_name(conversation),
        status_label=display.STATUS_LABELS[conversation.status],
        received=display.moment(feedback.received_at),
        updated=display.moment(conversation.last_updated_at),
        updated_by=display.last_author(conversation),
        rating_groups=display.ratings_by_moment(feedback.ratings),
        alert_status=display.ALERT_LABELS[alert.status] if alert is not None else "",
        alert_raised=display.moment(alert.raised_at) if alert is not None else "",
        concepts=[show_concept(concept) for concept in file.analysis],
        history=display.show_history(file.history),
        can=can,
        alert_choices=ALERT_CHOICES if alert is not None else [],
        flash=said,
        kept=kept or {},
        **walk.context(request, walked),
        **response_module,
    )


routes = [Route("/conversations/{conversation_id}", customer_file, methods=["GET"], name="customer_file")]
