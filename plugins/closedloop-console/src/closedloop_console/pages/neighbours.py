"""Next and previous from the customer file (``/conversations/{id}/step/next``): the conversation after or
before this one in the list the agent opened it from, in that list's own order, so an agent can work down it
without going back to it. That list is the user's inbox, or the search the file was opened from
(``walk.py``: ``?q=…&folder=…&place=…``). Plain links, which the ``j`` and ``k`` keys follow.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from closedloop import ClosedLoopError, Conversation, Desk, Folder, Page
from closedloop_console.pages import flash, walk
from closedloop_console.pages.customer_file import visible
from closedloop_console.pages.inbox import Filter
from closedloop_console.web import desk_of, signed_in

#: How far down the list the console looks for the conversation: beyond this it sends the agent to the list.
MAX_SCAN = 2000
SCAN_PAGE = 200
#: One page of the list walked: ``read(after, limit)``.
PageReader = Callable[[str | None, int], Page[Conversation]]


def neighbour(read: PageReader, conversation_id: str, step: int) -> str | None:
    """The id ``step`` places away in the list ``read`` pages through (1: next, -1: previous), or None when there
    is none or the conversation is not in the list's first :data:`MAX_SCAN`."""
    seen: list[str] = []
    after: str | None = None
    while len(seen) < MAX_SCAN:
        page = read(after, SCAN_PAGE)
        seen.extend(conversation.id for conversation in page)
        if conversation_id in seen:
            at = seen.index(conversation_id) + step
            if at >= len(seen) and page.next:  # the next one is on the following page
                seen.extend(conversation.id for conversation in read(page.next, 1))
            return seen[at] if 0 <= at < len(seen) else None
        if not page.next:
            return None
        after = page.next
    return None


def reader(desk: Desk, user_id: str, search: Filter | None) -> PageReader:
    """The pages of the user's inbox, or of the search the file was opened from."""
    if search is None or search.search is None:
        return lambda after, limit: desk.inbox(user_id, Folder.INBOX, limit=limit, after=after)
    text, folder, place = search.search, search.folder, search.place
    return lambda after, limit: desk.search(user_id, text, folder=folder, places=place, limit=limit, after=after)


async def step(request: Request) -> Response:
    user_id = signed_in(request)
    desk = desk_of(request)
    conversation_id = request.path_params["conversation_id"]
    await visible(request, lambda: desk.conversation(conversation_id, by=user_id))
    direction = request.path_params["direction"]
    if direction not in ("next", "previous"):
        raise HTTPException(404)
    search = walk.walked(request.query_params)
    read = reader(desk, user_id, search)
    try:
        found = await run_in_threadpool(neighbour, read, conversation_id, 1 if direction == "next" else -1)
    except ClosedLoopError:  # only a search can be refused: its text, or a place the user does not see
        raise HTTPException(400, "This search cannot be walked from here: search again from the inbox.") from None
    if found is None:
        text = f"There is no {direction} conversation in the {walk.SEARCH if search else walk.INBOX} from here."
        return flash.back_to(request, walk.way_back(request, search), text, ok=False)
    file = request.url_for("customer_file", conversation_id=found).path
    return RedirectResponse(walk.carried(file, search), status_code=303)


routes = [Route("/conversations/{conversation_id}/step/{direction}", step, methods=["GET"], name="conversation_step")]
