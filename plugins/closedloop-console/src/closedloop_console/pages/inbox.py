"""The inbox (``/``): folders and the inbox's categories with their counts, a place filter, a page of rows in
priority order with a link to the next, and marking the ticked rows done or spam in one post (``/bulk``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from closedloop import Category, ClosedLoopError, Conversation, Counts, Desk, Folder, InvalidInput, Page
from closedloop_console.pages import display, flash
from closedloop_console.pages.places import Directory, seen_by
from closedloop_console.web import checked_form, desk_of, render, signed_in

PAGE_SIZE = 50
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
    """What the inbox shows: a folder, in the inbox a category, and a place or group (None: every one)."""

    folder: Folder = Folder.INBOX
    category: Category | None = None
    place: str | None = None

    def query(self, after: str | None = None) -> str:
        """The query string of this view (``after``: of its page after that cursor), or empty for the inbox."""
        pairs = [
            ("folder", self.folder.value if self.folder is not Folder.INBOX else None),
            ("category", self.category.value if self.category is not None else None),
            ("place", self.place),
            ("after", after),
        ]
        text = urlencode([(name, value) for name, value in pairs if value])
        return f"?{text}" if text else ""

    def in_folder(self, folder: Folder) -> Filter:
        """The same place in another folder (categories are the inbox's only)."""
        return Filter(folder, None, self.place)

    def in_category(self, category: Category | None) -> Filter:
        return attrs.evolve(self, category=category)


def read_filter(values: Mapping[str, str]) -> Filter:
    """The filter a query string or a form asks for; a folder or category that does not exist is refused."""
    try:
        folder = Folder(values.get("folder") or Folder.INBOX.value)
        category = Category(values["category"]) if values.get("category") else None
    except ValueError:
        raise HTTPException(400, "There is no such folder or category.") from None
    return Filter(folder, category if folder is Folder.INBOX else None, values.get("place") or None)


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


def row(conversation: Conversation, directory: Directory) -> Row:
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
    directory, counts, page = await run_in_threadpool(read_inbox, desk, user_id, view, after)
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
        unreadable=len(page.unreadable),
        next_query=view.query(after=page.next) if page.next else None,
        first_query=view.query() if after else None,
        flash=flash.take(request),
        bulk_actions=[(name, label) for name, (label, _) in BULK_ACTIONS.items()],
    )


def read_inbox(
    desk: Desk, user_id: str, view: Filter, after: str | None
) -> tuple[Directory, Counts, Page[Conversation]]:
    """The places the user sees, the counts and the page of ``view``: all the inbox page asks of the desk."""
    directory = seen_by(desk, user_id)
    if view.place is not None and not directory.offers(view.place):
        raise HTTPException(404)  # the same answer for a place that does not exist and one the user may not see
    try:
        counts = desk.counts(user_id, view.place)
        page = desk.inbox(user_id, view.folder, view.category, view.place, limit=PAGE_SIZE, after=after)
    except InvalidInput:
        raise HTTPException(400) from None  # a cursor that is not one of ours: the filter was checked above
    return directory, counts, page


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
