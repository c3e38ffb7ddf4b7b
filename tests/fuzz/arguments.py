"""Strategies for the arguments of closedloop's entry points and records.

Each argument has valid values (of the right type, though they may name nothing or be refused for another
reason: an unknown id, a user who may not see the place) and hostile ones. A call most often gets exactly one
hostile argument, the others valid, so each check is reached on its own and not hidden behind the first one
that refuses; sometimes it gets none, or two.

Records handed to the desk (feedback, places, users, templates) are built the same way from their fields;
when the constructor refuses the fields a valid record stands in, so what reaches the desk is what a
constructor let through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import attrs
from hypothesis import strategies as st

import closedloop as cl

from .hostile import anything, moments, numbers, texts
from .world import CONVERSATIONS, PLACES, RECEIVED, USER_IDS, USERS, Ref, review

PLACE_IDS = tuple(place.id for place in PLACES)
GROUP_IDS = ("france",)
TEMPLATE_IDS = ("org", "paris-tpl", "france-tpl", "far-tpl")


@attrs.frozen
class Arg:
    """One argument: the values of its type, and the hostile ones."""

    valid: st.SearchStrategy[Any]
    hostile: st.SearchStrategy[Any]


def arg(*valid: Any, hostile: st.SearchStrategy[Any] | None = None) -> Arg:
    """An argument whose valid values are these (plain values or strategies); hostile ones are anything."""
    choices = [value if isinstance(value, st.SearchStrategy) else st.just(value) for value in valid]
    return Arg(st.one_of(*choices), anything() if hostile is None else hostile)


def text_arg(*valid: Any) -> Arg:
    """A text argument: hostile values are hostile texts as often as values of another type."""
    return arg(*valid, hostile=st.one_of(texts(), anything()))


def call_arguments(required: Mapping[str, Arg], optional: Mapping[str, Arg] | None = None) -> st.SearchStrategy[Any]:
    """Arguments by name: optional ones left out now and then, and mostly one of them hostile."""
    optional = optional or {}
    every = {**required, **optional}

    @st.composite
    def draw_arguments(draw: st.DrawFn) -> dict[str, Any]:
        names = [*required, *(name for name in optional if draw(st.booleans()))]
        count = draw(st.sampled_from((1, 1, 0, 1, 0, 2)))
        hostile = set(draw(st.permutations(names))[:count]) if names else set()
        return {name: draw(every[name].hostile if name in hostile else every[name].valid) for name in names}

    return draw_arguments()


def accepted(
    record: Callable[..., Any], fallback: Any, required: Mapping[str, Arg], optional: Mapping[str, Arg] | None = None
) -> st.SearchStrategy[Any]:
    """The record built from fields drawn as arguments are, or ``fallback`` when its constructor refuses."""

    def build(values: dict[str, Any]) -> Any:
        try:
            return record(**values)
        except Exception:  # the constructor's own fuzz test judges how it refuses
            return fallback

    return call_arguments(required, optional).map(build)


def record_arg(record: st.SearchStrategy[Any]) -> Arg:
    """A record argument: what its constructor let through, or something that is not that record."""
    return Arg(record, anything())


# -- references to the seeded world ------------------------------------------------------------------------


def conversation_ids() -> Arg:
    """The world's conversations, and now and then an id nothing has."""
    return text_arg(st.sampled_from([*(Ref(name) for name in CONVERSATIONS), "0" * 32]))


def user_refs() -> Arg:
    """Mostly a user who sees every place, so calls get past the access checks; else one who sees less, a
    User record (stored, or forged with rights it was not given), or an unknown id."""
    forged = cl.User(id="agent", name="Alex Agent", role=cl.Role.ADMIN)
    return text_arg(st.sampled_from(["admin", "admin", "manager", *USER_IDS[2:], "nobody", USERS[0], USERS[1], forged]))


def place_filters() -> Arg:
    """What ``inbox`` and ``counts`` take as ``places``: None, one id, or ids of places and groups."""
    one = st.sampled_from((*PLACE_IDS, *GROUP_IDS, "nowhere"))
    return arg(
        None,
        one,
        st.lists(one, max_size=3),
        st.frozensets(one, max_size=3),
        hostile=st.one_of(anything(), st.lists(st.one_of(one, texts(), anything()), min_size=1, max_size=3)),
    )


def tokens() -> Arg:
    return text_arg(st.sampled_from([Ref("token"), Ref("used-token")]), "A" * 43)


def message_ids() -> Arg:
    return text_arg(st.sampled_from([Ref("message:failed"), Ref("message:pending")]), "no-such-message")


def bodies() -> Arg:
    return text_arg(st.sampled_from(["Thanks for telling us.", "Sorry, {first_name}.", "x" * 5001]))


def alert_statuses() -> Arg:
    return text_arg(None, st.sampled_from(list(cl.AlertStatus)), st.sampled_from([s.value for s in cl.AlertStatus]))


def callbacks() -> Arg:
    """A progress callback, or something that is not one."""
    return arg(None, st.just(lambda report: None))


# -- records -----------------------------------------------------------------------------------------------


def places() -> Arg:
    fields = {"id": text_arg(st.sampled_from((*PLACE_IDS, "new-place"))), "name": text_arg("New Place")}
    return record_arg(accepted(cl.Place, PLACES[0], fields))


def groups() -> Arg:
    ids = st.sampled_from((*PLACE_IDS, "nowhere"))
    fields = {
        "id": text_arg(st.sampled_from(("france", "south"))),
        "name": text_arg("South"),
        "place_ids": arg(st.frozensets(ids, max_size=3), st.lists(ids, max_size=3)),
    }
    return record_arg(accepted(cl.PlaceGroup, cl.PlaceGroup(id="south", name="South", place_ids={"lyon"}), fields))


def users() -> Arg:
    fields = {
        "id": text_arg(st.sampled_from((*USER_IDS, "newcomer"))),
        "name": text_arg("Noa Newcomer"),
    }
    optional = {
        "role": text_arg(st.sampled_from([*cl.Role, *(role.value for role in cl.Role)])),
        "email": text_arg("noa@example.com", "", "jö@exämple.com"),
        "places": arg(st.frozensets(st.sampled_from((*PLACE_IDS, "nowhere")), max_size=3)),
        "groups": arg(st.frozensets(st.sampled_from((*GROUP_IDS, "nowhere")), max_size=2)),
    }
    return record_arg(accepted(cl.User, cl.User(id="newcomer", name="Noa Newcomer"), fields, optional))


def text_maps() -> st.SearchStrategy[Any]:
    """Answers or metadata: names to texts, the texts hostile now and then."""
    return st.dictionaries(
        st.one_of(st.sampled_from(["q1", "table"]), texts()), st.one_of(st.just("yes"), texts()), max_size=3
    )


def contacts() -> st.SearchStrategy[Any]:
    fields = {
        "name": text_arg("Jo Doe", ""),
        "email": text_arg("jo@example.com", "jö@example.com", ""),
        "tel": text_arg("+33 6 12 34 56 78", "06 12 34 56 78", ""),
    }
    return accepted(cl.Contact, cl.Contact(name="Jo Doe", email="jo@example.com"), {}, fields)


def ratings() -> st.SearchStrategy[Any]:
    required = {
        "key": text_arg("nps", "stars"),
        "value": arg(st.integers(0, 5), hostile=st.one_of(numbers(), anything())),
    }
    optional = {
        "kind": text_arg(st.sampled_from(list(cl.RatingKind))),
        "scale": arg(None, (0, 10), (1, 5), hostile=st.one_of(st.tuples(numbers(), numbers()), anything())),
        "journey_moment": text_arg("checkout"),
        "label": text_arg("How likely..."),
    }
    return accepted(cl.Rating, cl.Rating(key="nps", kind=cl.RatingKind.NPS, value=2), required, optional)


def comments() -> st.SearchStrategy[Any]:
    comment = accepted(cl.Comment, cl.Comment(text="Cold."), {"text": text_arg("Cold.")}, {"question": text_arg("q")})
    return st.one_of(st.just("The soup was cold."), texts(), st.lists(st.one_of(comment, texts()), max_size=3))


def feedback_fields() -> tuple[dict[str, Arg], dict[str, Arg]]:
    """The fields of a Feedback, required and optional; the external id is new, or one the world holds."""
    required = {
        "source": text_arg(st.sampled_from([*cl.Source, "survey"])),
        "external_id": text_arg(st.sampled_from(["fb-new-1", "fb-new-2", "fb-email"])),
        "place_id": text_arg(st.sampled_from((*PLACE_IDS, "nowhere"))),
        "received_at": arg(RECEIVED, hostile=st.one_of(moments(), anything())),
    }
    optional = {
        "platform": text_arg("", "google"),
        "contact": arg(contacts()),
        "ratings": arg(st.lists(ratings(), max_size=2)),
        "comments": arg(comments()),
        "answers": arg(text_maps()),
        "metadata": arg(text_maps()),
        "locale": text_arg("en", "fr"),
        "test": arg(st.booleans()),
    }
    return required, optional


def feedback() -> st.SearchStrategy[Any]:
    fallback = cl.Feedback(source=cl.Source.SURVEY, external_id="fb-new-1", place_id="paris", received_at=RECEIVED)
    return accepted(cl.Feedback, fallback, *feedback_fields())


def feedback_dicts() -> st.SearchStrategy[Any]:
    """Feedback as rows of a file or a database give it to ``ingest_many``: dicts of texts and numbers, with
    keys missing, unknown keys, a contact as text, times as text."""
    required, optional = feedback_fields()
    required["received_at"] = arg(RECEIVED, RECEIVED.isoformat(), "2026-01-05T10:00:00+01:00")
    optional["contact"] = arg(
        st.fixed_dictionaries({}, optional={"name": texts(), "email": texts(), "tel": texts()}),
        hostile=st.one_of(st.just("Jo Doe <jo@example.com>"), anything()),
    )
    optional["ratings"] = arg(st.lists(st.fixed_dictionaries({"key": st.just("nps"), "value": st.integers(0, 10)})))
    optional["bogus"] = arg("unknown key")
    return call_arguments(required, optional)


def platform_reviews() -> st.SearchStrategy[Any]:
    """What a review platform's connector yields, from feedback built with hostile fields."""
    required, optional = feedback_fields()
    required["source"] = arg(cl.Source.REVIEW)
    optional["platform"] = arg("google")
    fallback = review("fb-new-review")
    reviewed = accepted(cl.Feedback, fallback, {**required, "platform": arg("google")}, optional)
    reply = accepted(cl.PlatformReply, None, {"body": text_arg("Thanks!"), "at": arg(RECEIVED, hostile=moments())})
    fields = {"feedback": arg(reviewed), "updated_at": arg(RECEIVED, hostile=moments())}
    return accepted(
        cl.PlatformReview, cl.PlatformReview(feedback=fallback, updated_at=RECEIVED), fields, {"reply": arg(reply)}
    )


def templates() -> Arg:
    required = {
        "id": text_arg(st.sampled_from((*TEMPLATE_IDS, "new-tpl"))),
        "name": text_arg("New"),
        "body": text_arg("Hi {first_name}", "{business_name} thanks you"),
    }
    optional = {
        "level": text_arg(st.sampled_from([*cl.ScopeLevel, "place"])),
        "target": text_arg("", "paris", "lyon", "far", "france", "nowhere"),
    }
    fallback = cl.Template(id="new-tpl", name="New", body="Hi {first_name}")
    return record_arg(accepted(cl.Template, fallback, required, optional))


def durations() -> Arg:
    return arg(timedelta(seconds=30), timedelta(hours=1), hostile=st.one_of(moments(), numbers(), anything()))


def retry_policies() -> st.SearchStrategy[Any]:
    optional = {
        "max_attempts": arg(st.integers(1, 10), hostile=st.one_of(numbers(), anything())),
        "first_wait": durations(),
        "longest_wait": durations(),
        "lease": durations(),
    }
    return accepted(cl.RetryPolicy, cl.RetryPolicy(), {}, optional)
