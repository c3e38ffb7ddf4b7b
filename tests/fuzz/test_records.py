"""Every public record constructor: it builds the record or raises a closedloop error, and a record it builds
holds only what every store can keep (text without lone surrogates, finite numbers, no object of a foreign
type)."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import strategies as st

import closedloop as cl
from closedloop.channels.email import SmtpSettings

from . import arguments as a
from . import tally
from .arguments import Arg, arg, call_arguments, text_arg
from .hostile import anything, moments, numbers, texts
from .judge import broken
from .profiles import explore
from .world import RECEIVED, review, shown

_SURROGATE = re.compile("[\ud800-\udfff]")


@attrs.frozen
class Constructor:
    build: Callable[..., Any]
    required: dict[str, Arg]
    optional: dict[str, Arg] = attrs.field(factory=dict)


def number(*valid: Any) -> Arg:
    return arg(*valid, hostile=st.one_of(numbers(), anything()))


def moment(*valid: Any) -> Arg:
    return arg(*valid, hostile=st.one_of(moments(), numbers(), anything()))


def ids(*valid: str) -> Arg:
    return arg(st.lists(st.sampled_from(valid), max_size=2), st.frozensets(st.sampled_from(valid), max_size=2))


RECORDS: dict[str, Constructor] = {
    "Feedback": Constructor(cl.Feedback, *a.feedback_fields()),
    "Contact": Constructor(
        cl.Contact, {}, {"name": text_arg("Jo"), "email": text_arg("jo@example.com"), "tel": text_arg("+336")}
    ),
    "Rating": Constructor(
        cl.Rating,
        {"key": text_arg("nps"), "value": number(3, 9.5)},
        {
            "kind": text_arg(st.sampled_from([*cl.RatingKind, "nps"])),
            "scale": arg(
                None,
                (0, 10),
                (1.0, 5.0),
                hostile=st.one_of(st.tuples(numbers(), numbers()), st.lists(numbers(), max_size=3), anything()),
            ),
            "journey_moment": text_arg("checkout"),
            "label": text_arg("How likely"),
        },
    ),
    "Comment": Constructor(cl.Comment, {"text": text_arg("Cold.")}, {"question": text_arg("comment")}),
    "Place": Constructor(cl.Place, {"id": text_arg("paris"), "name": text_arg("Paris")}),
    "PlaceGroup": Constructor(
        cl.PlaceGroup, {"id": text_arg("france"), "name": text_arg("France"), "place_ids": ids("paris", "lyon")}
    ),
    "User": Constructor(
        cl.User,
        {"id": text_arg("ana"), "name": text_arg("Ana")},
        {
            "role": text_arg(st.sampled_from([*cl.Role, "admin"])),
            "email": text_arg("ana@example.com", ""),
            "places": ids("paris"),
            "groups": ids("france"),
        },
    ),
    "Template": Constructor(
        cl.Template,
        {"id": text_arg("t"), "name": text_arg("T"), "body": text_arg("Hi {first_name}")},
        {"level": text_arg(st.sampled_from([*cl.ScopeLevel, "place"])), "target": text_arg("", "paris")},
    ),
    "RetryPolicy": Constructor(
        cl.RetryPolicy,
        {},
        {
            "max_attempts": number(6),
            "first_wait": moment(timedelta(seconds=30)),
            "longest_wait": moment(timedelta(hours=1)),
            "lease": moment(timedelta(minutes=5)),
        },
    ),
    "RatingAtMost": Constructor(
        cl.RatingAtMost,
        {"threshold": number(6)},
        {
            "kind": text_arg(None, st.sampled_from([*cl.RatingKind, "nps"])),
            "key": text_arg("nps"),
            "name": text_arg("rule"),
        },
    ),
    "KeywordsInComments": Constructor(
        cl.KeywordsInComments,
        {
            "words": arg(
                ["refund"],
                ("refund", "lawyer"),
                hostile=st.one_of(st.lists(texts(), min_size=1, max_size=3), anything()),
            )
        },
        {"name": text_arg("k")},
    ),
    "ChannelLimits": Constructor(
        cl.ChannelLimits, {}, {"max_bytes": number(None, 4096), "max_chars": number(None, 350)}
    ),
    "PlatformReply": Constructor(cl.PlatformReply, {"body": text_arg("Thanks"), "at": moment(RECEIVED)}),
    "PlatformReview": Constructor(
        cl.PlatformReview,
        {"feedback": arg(review("r-1"), a.feedback()), "updated_at": moment(RECEIVED)},
        {"reply": arg(None, cl.PlatformReply(body="Thanks", at=RECEIVED))},
    ),
    "Concept": Constructor(cl.Concept, {"name": text_arg("service"), "sentiment": number(-0.5, 0.0, 1)}),
    "SendResult": Constructor(
        cl.SendResult,
        {"message_id": text_arg("m-1"), "ok": arg(True, False)},
        {
            "error": text_arg(None, "451 later"),
            "permanent": arg(False, True),
            "retry_after": moment(None, timedelta(seconds=5)),
        },
    ),
    "SmtpSettings": Constructor(
        SmtpSettings,
        {"host": text_arg("smtp.example.com"), "sender": text_arg("care@example.com")},
        {
            "port": number(None, 587),
            "security": text_arg(st.sampled_from(["starttls", "ssl", "none"])),
            "username": text_arg("care"),
            "password": text_arg("secret"),
            "sender_name": text_arg("Care"),
            "reply_to": text_arg("", "help@example.com"),
            "timeout": number(30.0),
        },
    ),
}


def unstorable(value: object, path: str, depth: int = 0) -> str | None:
    """Why a value kept in an accepted record cannot be stored by every store, or None."""
    if depth > 40:
        return f"{path.split('[', 1)[0]} nests more than 40 deep"
    if value is None or isinstance(value, bool | enum.Enum | int | datetime | timedelta):
        return None
    if isinstance(value, str):
        found = _SURROGATE.search(value)
        return None if found is None else f"{path} holds the lone surrogate U+{ord(found.group()):04X}"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} is {value!r}"
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return next(
            (why for f in fields if (why := unstorable(getattr(value, f.name), f"{path}.{f.name}", depth + 1))), None
        )
    if isinstance(value, tuple | list | frozenset | set):
        return next((why for item in value if (why := unstorable(item, f"{path}[]", depth + 1))), None)
    if isinstance(value, Mapping):
        return next(
            (
                why
                for key, item in value.items()
                if (why := unstorable(key, f"{path} key", depth + 1) or unstorable(item, f"{path}[{key!r}]", depth + 1))
            ),
            None,
        )
    return f"{path} keeps a {type(value).__name__}: {shown(value, 60)}"


def judge_constructor(name: str, build: Callable[..., Any], values: dict[str, Any]) -> str:
    """Build the record and judge it; returns "succeeded" or "refused"."""
    tally.tried(name, "-")
    try:
        record = build(**values)
    except cl.ClosedLoopError:
        tally.ended(name, "refused")
        return "refused"
    except Exception as error:
        what = f"raised {type(error).__name__}: {shown(str(error), 300)}, not a closedloop.ClosedLoopError"
        broken(name, "-", values, error, what)
    why = unstorable(record, name)
    if why is not None:
        broken(name, "-", values, None, f"accepted a value no store can keep: {why}")
    tally.ended(name, "succeeded")
    return "succeeded"


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_a_constructor_builds_a_storable_record_or_raises_a_closedloop_error(name: str) -> None:
    constructor = RECORDS[name]
    explore(
        call_arguments(constructor.required, constructor.optional),
        lambda values: judge_constructor(f"{name}()", constructor.build, values),
    )


def test_smtp_settings_from_a_mapping() -> None:
    explore(
        st.dictionaries(st.sampled_from(["host", "sender", "port", "bogus"]), anything(), max_size=4),
        lambda values: judge_constructor("SmtpSettings.of()", lambda **given: SmtpSettings.of(given), values),
    )
