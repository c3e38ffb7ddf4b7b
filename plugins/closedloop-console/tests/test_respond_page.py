"""The customer file's response module over HTTP: common replies, templates, the assistant's suggestions and
rephrasings, forward, delegate and share, retrying a failed message, the channel's limit with the count, next
and previous, and the shortcuts; each through the desk as the signed-in user, each refused to anyone else."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pages_world import PARIS, USERS, Seen, Shop, open_shop, page, post_form
from starlette.testclient import TestClient

from closedloop import (
    ChannelLimits,
    Conversation,
    Delivery,
    Interaction,
    InteractionKind,
    Role,
    Template,
    User,
)

SCRIPT = "<script>alert(1)</script>"
NO_COMMON_REPLY = "There is no such common reply: pick one from the list."
#: A colleague of Ana's at the Opéra with an address, so a forward can reach her.
COLLEAGUE = User(id="carla", name="Carla Vidal", role=Role.AGENT, places={"opera"}, email="carla@example.com")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    """The page tests' shop, with customer service to delegate to."""
    with open_shop(
        tmp_path, places=PARIS, users=[*USERS, COLLEAGUE], customer_service_email="care@example.com"
    ) as opened:
        yield opened


def respond_url(conversation_id: str, action: str) -> str:
    return f"{page(conversation_id)}/respond/{action}"


def respond(browser: TestClient, conversation_id: str, action: str, **fields: Any) -> tuple[Any, Seen]:
    """Post the response module's form as the file's page would; the answer and the page the browser then shows:
    the one a 303 leads back to, or the file shown at once with a refusal (422)."""
    answer = post_form(browser, page(conversation_id), respond_url(conversation_id, action), fields)
    assert answer.status_code in (303, 422), answer.text
    if answer.status_code == 422:
        return answer, Seen(answer.text)
    return answer, Seen(browser.get(answer.headers["location"]).text)


def reply_box(seen: Seen) -> str:
    found = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', seen.source, re.S)
    assert found, "the page has no reply box"
    return html.unescape(found.group(1))


def last_reply(conversation: Conversation) -> Interaction:
    return [entry for entry in conversation.history if entry.kind is InteractionKind.EMAIL_REPLY][-1]


def hidden(seen: Seen, name: str) -> str | None:
    found = [attributes.get("value") for tag, attributes in seen.tags if attributes.get("name") == name]
    return found[0] if found else None


def test_a_reply_kept_as_a_common_reply_is_listed_picked_into_the_box_and_sent(shop: Shop) -> None:
    conversation = shop.survey().id
    ana = shop.client("ana")

    answer, seen = respond(ana, conversation, "save", body="Thank you, see you soon.", channel="email")

    assert answer.headers["location"] == f"{page(conversation)}?use=0"
    assert seen.flash() == (True, "Kept as your newest common reply.")
    assert shop.desk.common_replies("ana").list() == ["Thank you, see you soon."]
    assert reply_box(seen) == "Thank you, see you soon."
    for number in range(11):
        shop.desk.common_replies("ana").add(f"reply number {number}")
    listed = Seen(ana.get(page(conversation)).text)
    assert [f"reply number {n}" in listed.text for n in range(11)] == [False] + [True] * 10  # the ten newest
    assert reply_box(Seen(ana.get(f"{page(conversation)}?use=3").text)) == "reply number 7"
    for wrong in ["12", "-1", "two"]:
        assert Seen(ana.get(f"{page(conversation)}?use={wrong}").text).flash() == (False, NO_COMMON_REPLY)

    respond(ana, conversation, "send", body="reply number 7", channel="email")

    assert last_reply(shop.read(conversation)).body == "reply number 7"


def test_a_template_fills_the_box_with_its_placeholders_filled(shop: Shop) -> None:
    conversation = shop.survey(name="Claire Dupont").id
    body = "Dear {first_name}, thank you for visiting {place_name}. {agent_first_name}, {business_name}"
    shop.desk.templates("mia").add(Template(id="thanks", name="Thank you", body=body))
    ana = shop.client("ana")

    seen = Seen(ana.get(f"{page(conversation)}?template=thanks").text)

    assert "Thank you" in seen.text
    assert reply_box(seen) == "Dear Claire, thank you for visiting Chez Nous Opéra. Ana, Chez Nous"
    for wrong in ["nothing", "Your account is locked, call 555"]:  # never echoed: a link cannot make the page speak
        seen = Seen(ana.get(f"{page(conversation)}?template={wrong}").text)
        assert seen.flash() == (False, "There is no such template for this place: choose one from the list.")


def test_a_suggestion_fills_the_box_and_the_reply_sent_from_it_names_the_assistant(shop: Shop) -> None:
    conversation = shop.survey(nps=2, comments="The soup was cold and we waited an hour.").id
    ana = shop.client("ana")

    _, seen = respond(ana, conversation, "suggest", tone="apologetic", body="", channel="email")

    flashed = seen.flash()
    assert flashed is not None and flashed[0] and "is in the reply box" in flashed[1]
    suggested = reply_box(seen)
    assert suggested.strip() and hidden(seen, "draft")
    respond(ana, conversation, "send", body=suggested, channel="email", draft=hidden(seen, "draft"))

    sent = last_reply(shop.read(conversation))
    assert sent.body == suggested
    assert sent.details["suggestion"] == "sent as suggested" and sent.details["assistant"]
    assert hidden(Seen(ana.get(page(conversation)).text), "draft") is None  # the draft went with the reply


def test_a_rephrasing_fills_the_box_and_a_reply_edited_from_it_says_so(shop: Shop) -> None:
    conversation = shop.survey().id
    ana = shop.client("ana")

    _, seen = respond(ana, conversation, "rephrase", body="thanks for coming we hope see you again", tone="formal")

    rephrased = reply_box(seen)
    assert rephrased.strip() and hidden(seen, "draft")
    respond(ana, conversation, "send", body=rephrased + " Ana", channel="email", draft=hidden(seen, "draft"))
    assert last_reply(shop.read(conversation)).details["suggestion"] == "edited"
    _, empty = respond(ana, conversation, "rephrase", body="  ", tone="formal")
    assert empty.flash() == (False, "write something in the reply box first, then ask to rephrase it")


def test_forward_delegate_and_share_hand_the_conversation_on(shop: Shop) -> None:
    conversation = shop.survey().id
    ana = shop.client("ana")

    _, seen = respond(ana, conversation, "forward", to="carla", note="She asked for you.")
    assert seen.flash() == (True, "Forwarded to carla.")
    assert shop.read(conversation).assignee == "carla"
    _, refused = respond(ana, conversation, "forward", to="bruno", note="")
    flashed = refused.flash()
    assert flashed is not None and not flashed[0]
    assert shop.read(conversation).assignee == "carla"

    _, seen = respond(ana, conversation, "delegate", note="Refund please.")
    assert seen.flash() == (True, "Delegated to customer service.")
    _, seen = respond(ana, conversation, "share", to="chef@example.com, owner@example.com", note="FYI")
    assert seen.flash() == (True, "Shared with chef@example.com, owner@example.com.")

    history = shop.read(conversation).history
    kinds = [entry.kind for entry in history]
    assert [
        kind for kind in kinds if kind in (InteractionKind.FORWARD, InteractionKind.DELEGATION, InteractionKind.SHARE)
    ] == [InteractionKind.FORWARD, InteractionKind.DELEGATION, InteractionKind.SHARE]
    assert set(history[-1].recipients) == {"chef@example.com", "owner@example.com"}
    assert "Refund please." in [entry.body for entry in history]


def test_forward_offers_the_colleagues_who_see_the_place_by_name(shop: Shop) -> None:
    conversation = shop.survey().id
    offered = shop.client("ana").get(page(conversation)).text
    select = re.search(r'<select id="forward-to" name="to" required>(.*?)</select>', offered, re.S)
    assert select is not None, "the forward form asks for a typed user id"
    # Bruno sees another place; Paula and Mia see it but have no email address to be sent it at
    assert re.findall(r'<option value="([^"]+)">([^<]+)</option>', select.group(1)) == [("carla", "Carla Vidal")]


def test_a_failed_message_is_listed_and_retried(shop: Shop) -> None:
    conversation = shop.survey().id
    shop.desk.reply(conversation, by="ana", body="Sorry about the soup.")
    shop.email.fail_with, shop.email.permanent = "mailbox unavailable", True
    shop.desk.dispatch()
    [failed] = shop.desk.outbox(Delivery.FAILED, conversation_id=conversation)
    ana = shop.client("ana")
    assert "mailbox unavailable" in Seen(ana.get(page(conversation)).text).text

    _, seen = respond(ana, conversation, "retry", message=failed.id)

    assert seen.flash() == (True, "The message will be sent again.")
    assert shop.desk.outbox(Delivery.FAILED, conversation_id=conversation) == []
    assert shop.read(conversation).history[-1].kind is InteractionKind.DELIVERY_RETRIED
    _, refused = respond(ana, conversation, "retry", message=failed.id)  # not failed any more
    assert refused.flash() == (False, "that message is not one of this conversation's failed messages; reload the page")


def test_the_reply_box_shows_the_channels_limit_and_the_count(shop: Shop) -> None:
    shop.reviews.limits = ChannelLimits(max_bytes=4096)
    conversation = shop.review().id
    ana = shop.client("ana")
    shop.desk.common_replies("ana").add("Désolé")

    seen = Seen(ana.get(f"{page(conversation)}?use=0").text)

    assert "6 characters · 8 bytes · at most 4096 bytes" in seen.text
    assert any(attributes.get("data-max-bytes") == "4096" for _, attributes in seen.tags)
    scripts = [attributes for tag, attributes in seen.tags if tag == "script"]
    nonce = ana.get(page(conversation)).headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert {script["src"] for script in scripts} == {"/static/reply_counter.js", "/static/shortcuts.js"}
    assert all(script["nonce"] for script in scripts)
    assert nonce and ana.get("/static/reply_counter.js").status_code == 200
    assert "0 characters · no limit" in Seen(ana.get(page(shop.survey().id)).text).text


def test_next_and_previous_follow_the_inbox_and_the_shortcuts_are_listed(shop: Shop) -> None:
    first, second, third = (shop.survey().id for _ in range(3))
    ana = shop.client("ana")
    order = Seen(ana.get("/").text).rows

    middle = order[1]
    assert ana.get(f"{page(middle)}/step/next").headers["location"] == page(order[2])
    assert ana.get(f"{page(middle)}/step/previous").headers["location"] == page(order[0])
    assert ana.get(f"{page(order[-1])}/step/next").headers["location"] == "/"
    assert {first, second, third} == set(order)
    seen = Seen(ana.get(page(middle)).text)
    assert seen.rel["next"] == f"{page(middle)}/step/next"
    for key, what in [("j", "Next conversation"), ("r", "Write a reply"), ("n", "Write a note"), ("d", "Mark done")]:
        assert f"{key} {what}" in seen.text


NEW_POSTS = ["send", "suggest", "rephrase", "save", "forward", "delegate", "share", "retry"]


def test_another_places_user_gets_404_on_every_new_url(shop: Shop) -> None:
    conversation = shop.survey(place="opera").id
    shop.desk.common_replies("bruno").add("Bruno's reply")
    before = shop.read(conversation)
    bruno = shop.client("bruno")
    own = shop.survey(place="gare").id

    for action in NEW_POSTS:
        url = respond_url(conversation, action)
        assert bruno.get(url).status_code == 404, action
        fields = {"body": "x", "to": "bruno", "message": "m", "channel": "email"}
        assert post_form(bruno, page(own), url, fields).status_code == 404, action
    for ending in ["/step/next", "/step/previous", "?use=0", "?template=thanks"]:
        assert bruno.get(page(conversation) + ending).status_code == 404, ending
    assert shop.read(conversation) == before


def test_every_new_form_needs_the_csrf_token(shop: Shop) -> None:
    conversation = shop.survey().id
    before = shop.read(conversation)
    ana = shop.client("ana")
    ana.get(page(conversation))

    for action in NEW_POSTS:
        for token in ({}, {"csrf_token": "x" * 43}):
            answer = ana.post(respond_url(conversation, action), data={**token, "body": "hi", "to": "paula"})
            assert answer.status_code == 403, action
    assert shop.read(conversation) == before
    assert shop.desk.common_replies("ana").list() == []


def test_script_payloads_in_common_replies_and_templates_stay_text(shop: Shop) -> None:
    conversation = shop.survey().id
    shop.desk.common_replies("ana").add(f"common {SCRIPT}")
    shop.desk.templates("mia").add(Template(id="evil", name=f"name {SCRIPT}", body=f"body {SCRIPT}"))
    ana = shop.client("ana")

    for path in [page(conversation), f"{page(conversation)}?use=0", f"{page(conversation)}?template=evil"]:
        source = ana.get(path).text
        seen = Seen(source)
        assert source.count("<script") == len([tag for tag, _ in seen.tags if tag == "script"]) == 2, path
        assert f"name {SCRIPT}" in seen.text, path
    assert reply_box(Seen(ana.get(f"{page(conversation)}?template=evil").text)) == f"body {SCRIPT}"
    assert reply_box(Seen(ana.get(f"{page(conversation)}?use=0").text)) == f"common {SCRIPT}"
