"""The response library: shared reply templates with placeholders, scoped to the organisation, a group or a place.

Rendering only substitutes known names with plain text. It never calls ``str.format`` on the template,
so attribute access, indexing and format specs (``{x.__class__}``, ``{x[0]}``, ``{x:>10}``) are refused
instead of evaluated.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Mapping

import attrs

from closedloop.domain.errors import AccessDenied, InvalidInput
from closedloop.domain.feedback import Feedback
from closedloop.domain.people import Place, PlaceGroup, Role, Scope, User
from closedloop.domain.values import id_field, one_of, text_field

PLACEHOLDERS: Mapping[str, str] = {
    "first_name": "the customer's first name",
    "last_name": "the customer's last name",
    "customer_name": "the customer's full name",
    "place_name": "the place the feedback is about",
    "agent_name": "the acting user's full name",
    "agent_first_name": "the acting user's first name",
    "business_name": "the business name the desk was opened with",
}


class ScopeLevel(enum.StrEnum):
    ORGANISATION = "organisation"
    GROUP = "group"
    PLACE = "place"


def _level(value: object) -> ScopeLevel:
    return one_of(ScopeLevel, value, "template level")


@attrs.frozen(kw_only=True)
class Template:
    """A named reply text. ``target`` is the group or place id; it stays empty for organisation-wide ones."""

    id: str = attrs.field(validator=id_field("template"))
    name: str = attrs.field(validator=id_field("template"))
    body: str = attrs.field(validator=id_field("template"))
    level: ScopeLevel = attrs.field(default=ScopeLevel.ORGANISATION, converter=_level)
    target: str = attrs.field(default="", validator=text_field("template"))

    def __attrs_post_init__(self) -> None:
        if (self.level is ScopeLevel.ORGANISATION) != (self.target == ""):
            raise InvalidInput(
                f"template {self.id!r}: give target= (a group or place id) for level {self.level.value}, "
                "and no target for the organisation level"
            )
        placeholders_of(self.body)


def placeholders_of(body: str) -> tuple[str, ...]:
    """The placeholder names a template uses; refuses anything but plain known names."""
    names = []
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as error:
        raise InvalidInput(
            f"template text has unbalanced braces ({error}); write {{{{ and }}}} for literal braces"
        ) from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            shown = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise InvalidInput(
                f"unknown placeholder {shown} in template; the known ones are "
                + ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            )
        names.append(field)
    return tuple(names)


def render(body: str, values: Mapping[str, str]) -> str:
    """Fill a template's placeholders with plain text values."""
    placeholders_of(body)
    parts = []
    for literal, field, _spec, _conversion in string.Formatter().parse(body):
        parts.append(literal)
        if field is not None:
            parts.append(values.get(field, ""))
    return "".join(parts)


def placeholder_values(feedback: Feedback, place: Place, user: User, business_name: str) -> dict[str, str]:
    """The value of every placeholder for one feedback and acting user."""
    contact = feedback.contact
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "customer_name": contact.name,
        "place_name": place.name,
        "agent_name": user.name,
        "agent_first_name": user.first_name,
        "business_name": business_name or place.name,
    }


def visible_to(template: Template, scope: Scope, groups: Mapping[str, PlaceGroup]) -> bool:
    """Users see organisation templates and those of their places and of groups they share places with."""
    if scope.place_ids is None or template.level is ScopeLevel.ORGANISATION:
        return True
    if template.level is ScopeLevel.PLACE:
        return scope.allows(template.target)
    group = groups.get(template.target)
    return group is not None and bool(group.place_ids & scope.place_ids)


def check_may_manage(user: User, template: Template, scope: Scope, groups: Mapping[str, PlaceGroup]) -> None:
    """Admins manage every template; managers those of places and groups wholly in their scope."""
    if user.role is Role.ADMIN:
        return
    if user.role is Role.MANAGER and template.level is not ScopeLevel.ORGANISATION:
        if template.level is ScopeLevel.PLACE:
            places = frozenset({template.target})
        else:
            group = groups.get(template.target)
            places = group.place_ids if group is not None else frozenset()
        if places and all(scope.allows(place_id) for place_id in places):
            return
    raise AccessDenied(
        f"user {user.id!r} ({user.role.value}) may not manage template {template.id!r}: admins manage every "
        "template, managers those of places and groups they see in full"
    )
