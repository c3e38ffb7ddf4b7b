"""Every public entry point of ``Desk``, with how to call it and a strategy for its arguments.

Arguments are drawn as a dict by parameter name; keyword arguments that may be left out are left out now and
then, so defaults are tried too. What is not a desk argument but part of the world (the pages a review
platform shows to ``sync``) is drawn alongside and set on the world before the call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import attrs
from hypothesis import strategies as st

import closedloop as cl

from . import arguments as a
from .arguments import Arg, arg, call_arguments, text_arg
from .hostile import anything, numbers, texts
from .judge import World
from .world import PLATFORM, Ref


@attrs.frozen
class Entry:
    """One public entry point: its name in reports, its arguments, and how to call it with them."""

    name: str
    arguments: st.SearchStrategy[dict[str, Any]]
    invoke: Callable[[World, dict[str, Any]], object]


def method(
    name: str,
    positional: tuple[str, ...] = (),
    required: dict[str, Arg] | None = None,
    optional: dict[str, Arg] | None = None,
) -> Entry:
    """A desk method: ``positional`` names the arguments passed by position, the rest go by keyword."""

    def invoke(world: World, values: dict[str, Any]) -> object:
        given = [values[argument] for argument in positional]
        keywords = {key: value for key, value in values.items() if key not in positional}
        return getattr(world.ready(), name)(*given, **keywords)

    return Entry(f"Desk.{name}", call_arguments(required or {}, optional), invoke)


def on_conversation(name: str, required: dict[str, Arg] | None = None, **optional: Arg) -> Entry:
    """A desk method on one conversation, acting as a user: ``(conversation_id, by=..., ...)``."""
    arguments = {"conversation_id": a.conversation_ids(), "by": a.user_refs(), **(required or {})}
    return method(name, ("conversation_id",), arguments, optional)


def nested(name: str, owner: str, call: Callable[[Any, dict[str, Any]], object], **fields: Arg) -> Entry:
    """A method of what a desk method returns, e.g. ``desk.templates(user).add(template)``."""

    def invoke(world: World, values: dict[str, Any]) -> object:
        return call(getattr(world.ready(), owner)(values["user"]), values)

    return Entry(name, call_arguments({"user": a.user_refs(), **fields}), invoke)


def _sync(world: World, values: dict[str, Any]) -> object:
    desk = world.ready()
    world.source.pages = values.pop("pages")
    try:
        return desk.sync(values.pop("platform"), **values)
    finally:
        world.source.pages = []


def _stop_events() -> Arg:
    """What ``work`` is told to stop by: an event already set (one that is not would run for ever)."""

    def set_event() -> threading.Event:
        event = threading.Event()
        event.set()
        return event

    return arg(st.builds(set_event), hostile=st.one_of(texts(), numbers(), st.sampled_from([None, [], object()])))


def _number(*valid: Any) -> Arg:
    """A number argument: hostile values are numbers past every boundary as often as other types."""
    return arg(*valid, hostile=st.one_of(numbers(), anything()))


_pages = arg(
    st.lists(st.lists(a.platform_reviews(), max_size=3), max_size=2),
    # the platform's connector yields pages, as its protocol says, of anything at all
    hostile=st.lists(st.lists(anything(), min_size=1, max_size=2), min_size=1, max_size=2),
)

ENTRIES: tuple[Entry, ...] = (
    # places and people
    method("add_place", ("place",), {"place": a.places()}, {"replace": arg(False, True)}),
    method("add_group", ("group",), {"group": a.groups()}, {"replace": arg(False, True)}),
    method("add_user", ("user",), {"user": a.users()}, {"replace": arg(False, True)}),
    method("user", ("ref",), {"ref": a.user_refs()}),
    method("channel", ("name",), {"name": text_arg(st.sampled_from(["email", "phone", PLATFORM, "fax"]))}),
    # intake
    method("ingest", ("feedback",), {"feedback": arg(a.feedback(), hostile=st.one_of(a.feedback_dicts(), anything()))}),
    method(
        "ingest_many",
        ("items",),
        {
            "items": arg(
                st.lists(st.one_of(a.feedback(), a.feedback_dicts()), max_size=4),
                hostile=st.one_of(st.lists(anything(), min_size=1, max_size=3), anything()),
            )
        },
        {"batch_size": arg(1, 2, 1000), "progress": a.callbacks()},
    ),
    Entry(
        "Desk.sync",
        call_arguments(
            {"platform": text_arg(PLATFORM, "unknown-platform"), "pages": _pages},
            {"full": arg(True, False), "progress": a.callbacks()},
        ),
        _sync,
    ),
    # reading
    method(
        "inbox",
        ("user",),
        {"user": a.user_refs()},
        {
            "folder": text_arg(st.sampled_from([*cl.Folder, "done"])),
            "category": text_arg(None, st.sampled_from([*cl.Category, "alert"])),
            "places": a.place_filters(),
            "limit": _number(1, 50, 500, 501),
            "after": text_arg(None, Ref("cursor"), "bm90IGEgY3Vyc29y", "W1sxXSwgMiwgIngiXQ=="),
        },
    ),
    method("counts", ("user",), {"user": a.user_refs()}, {"places": a.place_filters()}),
    method(
        "metrics",
        ("user",),
        {"user": a.user_refs()},
        {
            "places": a.place_filters(),
            "since": arg(None, date(2026, 1, 1), datetime(2025, 12, 1, tzinfo=UTC)),
            "until": arg(None, date(2026, 6, 1)),
            "by": text_arg(None, "day", "month", "place", "group", "agent", "source", "year"),
            "zone": text_arg("UTC", "Europe/Paris", "Nowhere/Else"),
            "window": a.durations(),
        },
    ),
    on_conversation("conversation"),
    on_conversation("customer_file"),
    on_conversation("export_file"),
    # acting
    on_conversation("reply", {"body": a.bodies()}, channel=text_arg("email", "review", "sms")),
    on_conversation("note", {"body": a.bodies()}, alert_status=a.alert_statuses()),
    on_conversation(
        "log_call",
        {"summary": a.bodies()},
        alert_status=a.alert_statuses(),
        outcome=text_arg("reached", ""),
        duration_seconds=_number(None, 0, 60, st.integers(0, 86_400)),
    ),
    on_conversation("hold"),
    on_conversation("release"),
    on_conversation("forward", {"to": a.user_refs()}, note=a.bodies()),
    on_conversation("delegate", note=a.bodies()),
    on_conversation(
        "share",
        {
            "to": arg(
                ["friend@example.com"],
                ("ana@example.com", "bo@example.com"),
                hostile=st.one_of(st.lists(st.one_of(texts(), anything()), min_size=1, max_size=3), anything()),
            )
        },
        note=a.bodies(),
    ),
    on_conversation("mark_read"),
    on_conversation("mark_done"),
    on_conversation("mark_spam"),
    on_conversation("reopen"),
    # ready-made replies
    nested("Desk.common_replies().list", "common_replies", lambda replies, values: replies.list()),
    nested(
        "Desk.common_replies().add",
        "common_replies",
        lambda replies, values: replies.add(values["text"]),
        text=text_arg("Thanks for your feedback!", "Welcome back"),
    ),
    nested(
        "Desk.common_replies().remove",
        "common_replies",
        lambda replies, values: replies.remove(values["text"]),
        text=text_arg("Thanks for your feedback!", "On it.", "Not there"),
    ),
    nested(
        "Desk.common_replies().pick",
        "common_replies",
        lambda replies, values: replies.pick(values["choice"]),
        choice=arg(0, 1, 10, -1, "Sorry about that.", "Not there", hostile=st.one_of(numbers(), texts(), anything())),
    ),
    nested("Desk.templates().list", "templates", lambda library, values: library.list()),
    nested(
        "Desk.templates().get",
        "templates",
        lambda library, values: library.get(values["template_id"]),
        template_id=text_arg(st.sampled_from((*a.TEMPLATE_IDS, "no-such-template"))),
    ),
    nested(
        "Desk.templates().add",
        "templates",
        lambda library, values: library.add(values["template"]),
        template=a.templates(),
    ),
    nested(
        "Desk.templates().remove",
        "templates",
        lambda library, values: library.remove(values["template_id"]),
        template_id=text_arg(st.sampled_from((*a.TEMPLATE_IDS, "no-such-template"))),
    ),
    nested(
        "Desk.templates().render",
        "templates",
        lambda library, values: library.render(values["template_id"], values["conversation_id"]),
        template_id=text_arg(st.sampled_from((*a.TEMPLATE_IDS, "no-such-template"))),
        conversation_id=a.conversation_ids(),
    ),
    # AI drafts
    on_conversation(
        "suggest_reply", assistant=text_arg(None, "echo", "offline", "gpt"), tone=text_arg("friendly", "formal", "odd")
    ),
    method(
        "rephrase",
        ("text",),
        {"text": a.bodies()},
        {
            "tone": text_arg("friendly", "formal", "concise"),
            "language": text_arg(None, "en", "fr", "de"),
            "assistant": text_arg(None, "echo", "offline", "gpt"),
        },
    ),
    method("analyze", (), {}, {"places": a.place_filters(), "batch_size": arg(1, 3, 500), "progress": a.callbacks()}),
    # the customer's side
    method("customer_view", ("token",), {"token": a.tokens()}),
    method("customer_reply", ("token",), {"token": a.tokens(), "body": a.bodies()}),
    # the outbox
    method(
        "outbox",
        (),
        {},
        {
            "status": text_arg(None, st.sampled_from([*cl.Delivery, "failed"])),
            "conversation_id": Arg(st.one_of(st.none(), a.conversation_ids().valid), a.conversation_ids().hostile),
        },
    ),
    method("dispatch", (), {}, {"limit": _number(None, 1, 100)}),
    method("retry", ("message_id",), {"message_id": a.message_ids(), "by": a.user_refs()}),
    method(
        "work",
        ("stop",),
        {"stop": _stop_events()},
        {"poll_seconds": _number(0.0, 0.01), "progress": a.callbacks()},
    ),
)

BY_NAME = {entry.name: entry for entry in ENTRIES}
