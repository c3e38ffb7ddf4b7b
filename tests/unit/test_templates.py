"""The response library: placeholders, safe rendering, and who sees and manages which templates."""

from __future__ import annotations

import pytest

import closedloop as cl
from closedloop.domain import templates

VALUES = {
    "first_name": "Claire",
    "last_name": "Martin",
    "customer_name": "Claire Martin",
    "place_name": "Paris Opera",
    "agent_name": "Max Manager",
    "agent_first_name": "Max",
    "business_name": "Test Business",
}


def org(template_id: str, body: str = "Thank you {first_name}.") -> cl.Template:
    return cl.Template(id=template_id, name=template_id.title(), body=body)


def scoped(template_id: str, level: cl.ScopeLevel, target: str) -> cl.Template:
    return cl.Template(id=template_id, name=template_id.title(), body="Hello {first_name}.", level=level, target=target)


# -- rendering -----------------------------------------------------------------------------------------------


def test_every_placeholder_is_rendered_for_a_conversation(seeded_desk, make_feedback):
    body = (
        "Dear {first_name} {last_name} ({customer_name}), thank you for visiting {place_name}. "
        "{agent_first_name} -- {agent_name}, {business_name}"
    )
    seeded_desk.templates("admin").add(org("all", body))
    conversation = seeded_desk.ingest(make_feedback(place_id="paris"))

    rendered = seeded_desk.templates("manager").render("all", conversation.id)

    assert rendered == (
        "Dear Claire Martin (Claire Martin), thank you for visiting Paris Opera. Max -- Max Manager, Test Business"
    )


def test_business_name_falls_back_to_the_place_name(clock, make_feedback):
    with cl.Desk.open(clock=clock) as desk:
        desk.add_place(cl.Place(id="paris", name="Paris Opera"))
        desk.add_user(cl.User(id="admin", name="Ada Admin", role=cl.Role.ADMIN))
        desk.templates("admin").add(org("sig", "{business_name}"))
        conversation = desk.ingest(make_feedback())

        assert desk.templates("admin").render("sig", conversation.id) == "Paris Opera"


def test_a_customer_without_a_name_renders_empty_placeholders(seeded_desk, make_feedback):
    seeded_desk.templates("admin").add(org("hi", "Hello {first_name}!"))
    conversation = seeded_desk.ingest(make_feedback(contact=cl.Contact(email="x@example.com")))

    assert seeded_desk.templates("admin").render("hi", conversation.id) == "Hello !"


def test_literal_braces_are_written_doubled():
    assert templates.render("Use code {{WELCOME}}, {first_name}!", VALUES) == "Use code {WELCOME}, Claire!"


def test_values_are_inserted_as_plain_text():
    hostile = {**VALUES, "first_name": "{agent_name.__class__}"}

    assert templates.render("Hi {first_name}", hostile) == "Hi {agent_name.__class__}"


@pytest.mark.parametrize(
    "placeholder",
    ["{first_name.__class__}", "{0}", "{first_name!r}", "{first_name:>99}", "{__import__}", "{first_name[0]}", "{}"],
)
def test_rendering_cannot_run_code(placeholder):
    body = f"Hello {placeholder}"

    with pytest.raises(cl.InvalidInput) as on_create:
        org("evil", body)
    with pytest.raises(cl.InvalidInput) as on_render:
        templates.render(body, VALUES)

    assert placeholder in str(on_create.value)
    assert placeholder in str(on_render.value)


def test_an_unknown_placeholder_is_named_in_the_error():
    with pytest.raises(cl.InvalidInput, match=r"\{shoe_size\}"):
        org("odd", "Your size is {shoe_size}")


@pytest.mark.parametrize("body", ["Hello {first_name", "Hello }", "Hello {", "Hello {first_name}}"])
def test_unbalanced_braces_are_refused(body):
    with pytest.raises(cl.InvalidInput, match="brace"):
        org("broken", body)


def test_a_refused_template_is_not_stored(seeded_desk):
    library = seeded_desk.templates("admin")

    with pytest.raises(cl.InvalidInput):
        library.add(org("evil", "{first_name.__class__}"))

    assert library.list() == []


@pytest.mark.parametrize(
    ("level", "target"),
    [(cl.ScopeLevel.PLACE, ""), (cl.ScopeLevel.GROUP, ""), (cl.ScopeLevel.ORGANISATION, "paris")],
)
def test_a_template_target_matches_its_level(level, target):
    with pytest.raises(cl.InvalidInput, match="target"):
        cl.Template(id="t", name="T", body="Hi", level=level, target=target)


# -- scoping -------------------------------------------------------------------------------------------------


@pytest.fixture
def library_desk(seeded_desk) -> cl.Desk:
    """A desk holding one template at every scope, plus one for a group "capital" of paris only."""
    seeded_desk.add_group(cl.PlaceGroup(id="capital", name="Capital", place_ids={"paris"}))
    admin = seeded_desk.templates("admin")
    admin.add(org("org"))
    admin.add(scoped("for-paris", cl.ScopeLevel.PLACE, "paris"))
    admin.add(scoped("for-lyon", cl.ScopeLevel.PLACE, "lyon"))
    admin.add(scoped("for-france", cl.ScopeLevel.GROUP, "france"))
    admin.add(scoped("for-capital", cl.ScopeLevel.GROUP, "capital"))
    return seeded_desk


def visible(desk: cl.Desk, user: str) -> set[str]:
    return {template.id for template in desk.templates(user).list()}


def test_admins_see_every_template(library_desk):
    assert visible(library_desk, "admin") == {"org", "for-paris", "for-lyon", "for-france", "for-capital"}


def test_managers_see_the_templates_of_their_groups_places(library_desk):
    assert visible(library_desk, "manager") == {"org", "for-paris", "for-lyon", "for-france", "for-capital"}


def test_agents_see_org_templates_and_those_of_their_places_and_groups_only(library_desk):
    # the agent sees lyon: france holds lyon, capital does not
    assert visible(library_desk, "agent") == {"org", "for-lyon", "for-france"}


def test_a_template_out_of_scope_cannot_be_fetched_or_rendered(library_desk, make_feedback):
    conversation = library_desk.ingest(make_feedback(place_id="lyon"))

    with pytest.raises(cl.NotFound):
        library_desk.templates("agent").get("for-paris")
    with pytest.raises(cl.NotFound):
        library_desk.templates("agent").render("for-capital", conversation.id)
    assert library_desk.templates("agent").render("for-lyon", conversation.id) == "Hello Claire."


def test_templates_are_listed_by_name(seeded_desk):
    library = seeded_desk.templates("admin")
    for template_id, name in [("b", "Bravo"), ("a", "Alpha"), ("c", "Charlie")]:
        library.add(cl.Template(id=template_id, name=name, body="Hi"))

    assert [template.name for template in library.list()] == ["Alpha", "Bravo", "Charlie"]


# -- managing ------------------------------------------------------------------------------------------------

ALL_SCOPES = [
    org("new-org"),
    scoped("new-paris", cl.ScopeLevel.PLACE, "paris"),
    scoped("new-lyon", cl.ScopeLevel.PLACE, "lyon"),
    scoped("new-france", cl.ScopeLevel.GROUP, "france"),
]


@pytest.mark.parametrize("template", ALL_SCOPES, ids=lambda t: t.id)
def test_agents_cannot_add_templates(seeded_desk, template):
    with pytest.raises(cl.AccessDenied):
        seeded_desk.templates("agent").add(template)

    assert template.id not in visible(seeded_desk, "admin")


@pytest.mark.parametrize("template", ALL_SCOPES, ids=lambda t: t.id)
def test_admins_add_anything(seeded_desk, template):
    seeded_desk.templates("admin").add(template)

    assert template.id in visible(seeded_desk, "admin")


@pytest.mark.parametrize("template", ALL_SCOPES[1:], ids=lambda t: t.id)
def test_managers_add_templates_for_places_and_groups_in_their_scope(seeded_desk, template):
    seeded_desk.templates("manager").add(template)

    assert template.id in visible(seeded_desk, "manager")


def test_managers_cannot_add_organisation_templates(seeded_desk):
    with pytest.raises(cl.AccessDenied):
        seeded_desk.templates("manager").add(org("new-org"))

    assert visible(seeded_desk, "admin") == set()


def test_managers_cannot_add_templates_for_a_group_only_partly_theirs(seeded_desk):
    seeded_desk.add_user(cl.User(id="lyon-manager", name="Léa Lyon", role=cl.Role.MANAGER, places={"lyon"}))
    library = seeded_desk.templates("lyon-manager")

    library.add(scoped("new-lyon", cl.ScopeLevel.PLACE, "lyon"))
    for template in [
        scoped("new-france", cl.ScopeLevel.GROUP, "france"),
        scoped("new-paris", cl.ScopeLevel.PLACE, "paris"),
    ]:
        with pytest.raises(cl.AccessDenied):
            library.add(template)

    assert visible(seeded_desk, "admin") == {"new-lyon"}


@pytest.mark.parametrize(
    "template", [scoped("x", cl.ScopeLevel.PLACE, "marseille"), scoped("y", cl.ScopeLevel.GROUP, "benelux")]
)
def test_templates_for_unknown_places_or_groups_are_refused(seeded_desk, template):
    with pytest.raises(cl.InvalidInput, match=template.target):
        seeded_desk.templates("admin").add(template)


def test_managers_cannot_remove_organisation_templates(library_desk):
    with pytest.raises(cl.AccessDenied):
        library_desk.templates("manager").remove("org")

    assert "org" in visible(library_desk, "agent")


def test_removing_a_template(library_desk):
    library_desk.templates("manager").remove("for-lyon")

    assert "for-lyon" not in visible(library_desk, "admin")


@pytest.mark.parametrize("taken", ["org", "for-paris"])
def test_a_manager_cannot_take_over_a_template_out_of_reach_by_reusing_its_id(library_desk, taken):
    """The replaced template's scope is checked too: a lyon manager may add lyon templates, but not by giving
    one the id of the organisation's or paris's template, which would replace it (issue 13, point 2)."""
    library_desk.add_user(cl.User(id="lyon-manager", name="Léa Lyon", role=cl.Role.MANAGER, places={"lyon"}))
    before = library_desk.templates("admin").get(taken)

    with pytest.raises(cl.AccessDenied):
        library_desk.templates("lyon-manager").add(scoped(taken, cl.ScopeLevel.PLACE, "lyon"))

    assert library_desk.templates("admin").get(taken) == before


def test_a_manager_may_replace_a_template_of_their_own_scope(library_desk):
    library_desk.templates("manager").add(
        cl.Template(id="for-lyon", name="Lyon", body="Hi.", level="place", target="lyon")
    )

    assert library_desk.templates("admin").get("for-lyon").body == "Hi."
