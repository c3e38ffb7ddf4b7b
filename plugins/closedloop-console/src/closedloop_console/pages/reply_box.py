"""What the customer file's response module shows: the reply box (empty, or filled with a common reply, a
template or the assistant's draft), the channel's limit and the text's length, the user's ten common replies,
the templates they may use, the tones the assistant writes in, and the messages that failed and can be retried.

Filling the box is a GET (``?use=2``, ``?template=thanks``): it changes nothing, so a link does it without
JavaScript. Every list comes from the desk, asked as the signed-in user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from closedloop import (
    TONES,
    Channel,
    ChannelLimits,
    ClosedLoopError,
    CustomerFile,
    Delivery,
    Desk,
    OutboundMessage,
    Template,
)
from closedloop_console.pages import display
from closedloop_console.pages.drafts import Draft, DraftBook

#: The keys that work on the customer file (shortcuts.js), and what each does: the page lists them.
SHORTCUTS = [
    ("j", "Next conversation in the inbox, or in the search it was opened from"),
    ("k", "Previous conversation in the inbox, or in the search it was opened from"),
    ("r", "Write a reply"),
    ("n", "Write a note"),
    ("d", "Mark done"),
    ("?", "Show or hide this list"),
]


@attrs.frozen
class Limit:
    """The reply channel's limit on a body, in words and as numbers for the counter."""

    text: str  # "at most 4096 bytes", "no limit"
    max_chars: int | None
    max_bytes: int | None

    def over(self, body: str) -> bool:
        too_many_chars = self.max_chars is not None and len(body) > self.max_chars
        return too_many_chars or (self.max_bytes is not None and len(body.encode("utf-8")) > self.max_bytes)


@attrs.frozen
class FailedMessage:
    id: str
    kind: str
    recipients: str
    error: str
    when: str


@attrs.frozen
class Filled:
    """The reply box's text, and the draft it holds when the assistant wrote it (its id goes with the reply)."""

    text: str = ""
    draft: Draft | None = None
    problem: str = ""  # a ?use= or ?template= that could not fill it

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def bytes(self) -> int:
        return len(self.text.encode("utf-8"))


def limit_of(limits: ChannelLimits | None) -> Limit:
    if limits is None:
        return Limit("no limit known", None, None)
    parts = [
        f"{limits.max_chars} characters" if limits.max_chars else "",
        f"{limits.max_bytes} bytes" if limits.max_bytes else "",
    ]
    shown = " and ".join(part for part in parts if part)
    return Limit(f"at most {shown}" if shown else "no limit", limits.max_chars, limits.max_bytes)


def reply_channel(desk: Desk, file: CustomerFile, channel: str) -> Channel | None:
    """The desk's channel a reply goes through (email, or the review's platform); None when the desk has none,
    so the page offers no reply it could not send."""
    return registered(desk, "email" if channel == "email" else file.feedback.platform)


def registered(desk: Desk, name: str) -> Channel | None:
    try:
        return desk.channel(name)
    except ClosedLoopError:  # ChannelUnavailable, or a platform name no channel could have
        return None


def fill(query: Mapping[str, str], drafts: DraftBook, desk: Desk, user_id: str, conversation_id: str) -> Filled:
    """The box's text: a common reply picked (``use``), a template chosen (``template``), else the pending draft."""
    use, template = query.get("use"), query.get("template")
    # the problem is said in fixed words: an address must not be able to make the console say something
    if use is not None:
        no_such = Filled(problem="There is no such common reply: pick one from the list.")
        if not use.isdecimal() or len(use) > 3:
            return no_such
        try:
            return Filled(desk.common_replies(user_id).pick(int(use)))
        except ClosedLoopError:
            return no_such
    if template is not None:
        try:
            return Filled(desk.templates(user_id).render(template, conversation_id))
        except ClosedLoopError:
            return Filled(problem="There is no such template for this place: choose one from the list.")
    draft = drafts.current(user_id, conversation_id)
    return Filled(draft.suggestion.text, draft) if draft is not None else Filled()


def failed_messages(desk: Desk, conversation_id: str) -> list[FailedMessage]:
    """The conversation's messages that failed for good; only a page that showed the conversation asks."""
    return [shown_failure(message) for message in desk.outbox(Delivery.FAILED, conversation_id=conversation_id)]


def shown_failure(message: OutboundMessage) -> FailedMessage:
    return FailedMessage(
        id=message.id,
        kind=message.kind.value.replace("_", " "),
        recipients=", ".join(message.recipients),
        error=message.last_error or "",
        when=display.moment(message.created_at),
    )


def gather(
    query: Mapping[str, str],
    kept: Mapping[str, str],
    drafts: DraftBook,
    desk: Desk,
    user_id: str,
    file: CustomerFile,
    channel: str | None,
) -> dict[str, Any]:
    """Everything ``respond.html`` needs (``channel``: where a reply would go now); the page asks for it on a worker
    thread, with the customer file, in one trip. ``kept`` is what the agent typed in a form the desk refused: its
    ``reply-body`` goes back in the box in place of anything else (never taken from the query, which anyone can
    write in a link)."""
    conversation_id = file.conversation.id
    if "reply-body" in kept:
        filled = Filled(kept["reply-body"], drafts.current(user_id, conversation_id))
    else:
        filled = fill(query, drafts, desk, user_id, conversation_id)
    common: list[str] = desk.common_replies(user_id).list()
    templates: list[Template] = desk.templates(user_id).list()
    through = reply_channel(desk, file, channel) if channel is not None else None
    limit = limit_of(through.limits) if through is not None else None
    return {
        "filled": filled,
        "common_replies": common,
        "reply_templates": templates,
        "tones": TONES,
        "reply_ready": through is not None,
        "email_ready": registered(desk, "email") is not None,
        # the desk refuses to delegate without an address for customer service: no form that cannot work
        "delegate_ready": bool(desk.settings.customer_service_email),
        "limit": limit,
        "over_limit": limit is not None and limit.over(filled.text),
        "failed_messages": failed_messages(desk, conversation_id),
        "colleagues": desk.colleagues(conversation_id, by=user_id),
        "shortcuts": SHORTCUTS,
    }
