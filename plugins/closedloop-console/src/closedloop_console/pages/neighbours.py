"""Next and previous from the customer file (``/conversations/{id}/step/next``): the conversation after or
before this one in the user's inbox, in the inbox's own order, so an agent can work down it without going back
to the list. Plain links, which the ``j`` and ``k`` keys follow.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from closedloop import Desk, Folder
from closedloop_console.pages import flash
from closedloop_console.pages.customer_file import visible
from closedloop_console.web import desk_of, signed_in

#: How far down the inbox the console looks for the conversation: beyond this it sends the agent to the inbox.
MAX_SCAN = 2000
SCAN_PAGE = 200


def neighbour(desk: Desk, user_id: str, conversation_id: str, step: int) -> str | None:
    """The id ``step`` places away in the user's inbox (1: next, -1: previous), or None when there is none or the
    conversation is not in the inbox's first :data:`MAX_SCAN`."""
    seen: list[str] = []
    after: str | None = None
    while len(seen) < MAX_SCAN:
        page = desk.inbox(user_id, Folder.INBOX, limit=SCAN_PAGE, after=after)
        seen.extend(conversation.id for conversation in page)
        if conversation_id in seen:
            at = seen.index(conversation_id) + step
            if at >= len(seen) and page.next:  # the next one is on the following page
                seen.extend(conversation.id for conversation in desk.inbox(user_id, limit=1, after=page.next))
            return seen[at] if 0 <= at < len(seen) else None
        if not page.next:
            return None
        after = page.next
    return None


async def step(request: Request) -> Response:
    user_id = signed_in(request)
    desk = desk_of(request)
    conversation_id = request.path_params["conversation_id"]
    await visible(request, lambda: desk.conversation(conversation_id, by=user_id))
    direction = request.path_params["direction"]
    if direction not in ("next", "previous"):
        raise HTTPException(404)
    found = await run_in_threadpool(neighbour, desk, user_id, conversation_id, 1 if direction == "next" else -1)
    if found is None:
        text = f"There is no {direction} conversation in the inbox from here."
        return flash.back_to(request, request.url_for("inbox").path, text, ok=False)
    return RedirectResponse(request.url_for("customer_file", conversation_id=found).path, status_code=303)


routes = [Route("/conversations/{conversation_id}/step/{direction}", step, methods=["GET"], name="conversation_step")]
