"""The inbox (``/``): folders and the inbox's categories with their counts, a place filter, a page of rows in
priority order with a link to the next, and marking the ticked rows done or spam in one post (``/bulk``). With
``q``, the page lists the conversations of the folder and place that match it instead (``desk.search``), newest
activity first, in the same rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from closedloop import Category, ClosedLoopError, Conversation, Counts, Desk, Folder, InvalidInput, Page, PlacesSeen
from closedloop_console.pages import display, flash, wording
from closedloop_console.web import checked_form, desk_of, render, signed_in

PAGE_SIZE = 50
#: The longest search the box takes (as the desk does); a longer one from a hand-made URL is cut there.
MAX_SEARCH = 200
#: The most rows one bulk post may change: a few pages' worth; a longer list is no form the console made.
MAX_BULK = 500
FOLDER_LABELS = {Folder.INBOX: "Inbox", Folder.DONE: "Done", Folder.SPAM: "Spam"}
CATEGORY_LABELS = {Category.ON_HOLD: "On hold", Category.ALERT: "Alerts", Category.NEW_MESSAGE: "New messages"}
#: A desk method that changes one conversation: ``Desk.mark_done(desk, conversation_id, by=user_id)``.
BulkChange = Callable[..., Conversation]
BULK_ACTIONS: dict[str, tuple[str, BulkChange]] = {
    "done": ("marked done", Desk.mark_done),
    "spam": ("marked as spam", Desk.mark_spam),
}


@attrs.frozen
class Filter:
    """What the inbox shows: a folder, in the inbox a category, and a place or group (None: every one); or,
    with ``search``, what matches it in the folder and place (categories then do not apply)."""

    folder: Folder = Folder.INBOX
    category: Category | None = None
    place: str | None = None
    search: str | None = None

    def query(self, after: str | None = None) -> str:
        """The query string of this view (``after``: of its page after that cursor), or empty for the inbox."""
        pairs = [
            ("folder", self.folder.value if self.folder is not Folder.INBOX else None),
            ("category", self.category.value if self.category is not None else None),
            ("place", self.place),
            ("q", self.search),
            ("after", after),
        ]
        text = urlencode([(name, value) for name, value in pairs if value])
        return f"?{text}" if text else ""

    def in_folder(self, folder: Folder) -> Filter:
        """The same place and search in another folder (categories are the inbox's only)."""
        return Filter(folder, None, self.place, self.search)

    def in_category(self, category: Category | None) -> Filter:
        """A category of the inbox, leaving any search: a search lists every category."""
        return attrs.evolve(self, category=category, search=None)

    def without_search(self) -> Filter:
        return attrs.evolve(self, search=None)


def read_filter(values: Mapping[str, str]) -> Filter:
    """The filter a query string or a form asks for; a folder or category that does not exist is refused."""
    try:
        folder = Folder(values.get("folder") or Folder.INBOX.value)
        category = Category(values["category"]) if values.get("category") else None
    except ValueError:
        raise HTTPException(400, "There is no such folder or category.") from None
    search = " ".join((values.get("q") or "").split())[:MAX_SEARCH] or None
    category = category if folder is Folder.INBOX and search is None else None
    return Filter(folder, category, values.get("place") or None, search)


@attrs.frozen
class Row:
    """One conversation as the inbox lists it."""

    id: str
    customer: str
    ratings: tuple[display.ShownRating, ...]
    alert: str  # the alert's reasons when one is open, else empty
    on_hold: bool
    status: str
    status_label: str
    place: str
    updated: str
    updated_iso: str
    updated_by: str
    delivery_failed: bool


def row(conversation: Conversation, directory: PlacesSeen) -> Row:
    alert = conversation.alert
    return Row(
        id=conversation.id,
        customer=display.customer_name(conversation),
        ratings=tuple(display.show_rating(rating) for rating in conversation.feedback.ratings),
        alert="; ".join(alert.reasons) if alert is not None and alert.is_open else "",
        on_hold=conversation.on_hold,
        status=conversation.status.value,
        status_label=display.STATUS_LABELS[conversation.status],
        place=directory.name_of(conversation.place_id),
        updated=display.moment(conversation.last_updated_at),
        updated_iso=conversation.last_updated_at.isoformat(),
        updated_by=display.last_author(conversation),
        delivery_failed=conversation.delivery_failed,
    )


def inbox_path(request: Request, view: Filter) -> str:
    return request.url_for("inbox").path + view.query()


async def inbox(request: Request) -> Response:
    user_id = signed_in(request)
    desk = desk_of(request)
    view = read_filter(request.query_params)
    after = request.query_params.get("after") or None
    # One trip to a worker thread for all the desk calls: under load each trip waits its turn for the GIL
    directory, counts, page, refusal = await run_in_threadpool(read_inbox, desk, user_id, view, after)
    folders = [(folder, FOLDER_LABELS[folder], counts.folders.get(folder, 0)) for folder in Folder]
    # Category lists its members most urgent first: the order the inbox shows them in
    categories = [(category, CATEGORY_LABELS[category], counts.categories.get(category, 0)) for category in Category]
    return render(
        request,
        "inbox.html",
        title=FOLDER_LABELS[view.folder],
        view=view,
        folders=folders,
        categories=categories,
        inbox_total=counts.inbox,
        directory=directory,
        rows=[row(conversation, directory) for conversation in page],
        file_query=view.query() if view.search else "",  # a file opened from a search walks its results
        unreadable=len(page.unreadable),
        next_query=view.query(after=page.next) if page.next else None,
        first_query=view.query() if after else None,
        search_refusal=refusal,
        flash=flash.take(request),
        bulk_actions=[(name, label) for name, (label, _) in BULK_ACTIONS.items()],
    )


def read_inbox(
    desk: Desk, user_id: str, view: Filter, after: str | None
) -> tuple[PlacesSeen, Counts, Page[Conversation], str | None]:
    """The places the user sees, the counts and the page of ``view``: all the inbox page asks of the desk; and
    when the desk refused the search text, why (the page is then empty)."""
    directory = desk.places(user_id)
    if view.place is not None and not directory.offers(view.place):
        raise HTTPException(404)  # the same answer for a place that does not exist and one the user may not see
    counts = desk.counts(user_id, view.place)
    try:
        if view.search is None:
            page = desk.inbox(user_id, view.folder, view.category, view.place, limit=PAGE_SIZE, after=after)
        else:
            page = desk.search(
                user_id, view.search, folder=view.folder, places=view.place, limit=PAGE_SIZE, after=after
            )
    except InvalidInput as refusal:
        if view.search is None or after is not None:
            raise HTTPException(400) from None  # a cursor that is not one of ours: the filter was checked above
        return directory, counts, Page([], None), wording.plain(str(refusal))  # the search text, said why
    return directory, counts, page, None


async def bulk(request: Request) -> Response:
    """Mark every ticked conversation done (or spam); one the user may not see or change is counted, not named."""
    user_id = signed_in(request)
    desk = desk_of(request)
    form = await checked_form(request)
    try:
        view = read_filter(form)
    except HTTPException:
        view = Filter()
    back = inbox_path(request, view)
    action = BULK_ACTIONS.get(form.get("action", ""))
    chosen = list(dict.fromkeys(form.getlist("conversation")))
    if action is None:
        return flash.back_to(request, back, "Choose done or spam for the ticked conversations.", ok=False)
    if not chosen:
        return flash.back_to(request, back, "Tick at least one conversation first.", ok=False)
    if len(chosen) > MAX_BULK:
        raise HTTPException(400)
    label, change = action
    changed = await run_in_threadpool(apply_to_each, desk, change, chosen, user_id)
    text = f"{changed} conversation{'s' if changed != 1 else ''} {label}."
    if changed < len(chosen):
        text += f" {len(chosen) - changed} could not be changed (already there, or no longer yours to see)."
    return flash.back_to(request, back, text, ok=changed == len(chosen))


def apply_to_each(desk: Desk, change: BulkChange, conversation_ids: list[str], user_id: str) -> int:
    """How many of the conversations the change went through for; each is its own transaction."""
    changed = 0
    for conversation_id in conversation_ids:
        try:
            change(desk, conversation_id, by=user_id)
        except ClosedLoopError:
            continue
        changed += 1
    return changed


routes = [
    Route("/", inbox, methods=["GET"], name="inbox"),
    Route("/bulk", bulk, methods=["POST"], name="bulk"),
]
