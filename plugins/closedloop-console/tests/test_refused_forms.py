"""A form the desk refuses keeps what the agent typed: the file is shown again at once (422) with the refusal
and the text back in its field, never carried in an address, and its forms work as before."""

from __future__ import annotations

import html
import re

import pytest
from pages_world import Seen, Shop, page, post_form

from closedloop import ChannelLimits, InteractionKind

TYPED = 'Dear Claire,\nwe are so sorry <b>about</b> the "cold" soup & the wait: été, 寿司. ' * 3


def field(seen: Seen, element_id: str) -> str:
    """What a textarea or an input of the page holds, as the browser would show it."""
    textarea = re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', seen.source, re.S)
    if textarea is not None:
        return html.unescape(textarea.group(1))
    [value] = [attributes.get("value", "") for tag, attributes in seen.tags if attributes.get("id") == element_id]
    return value


def test_a_reply_the_desk_refuses_comes_back_in_the_reply_box(shop: Shop) -> None:
    shop.email.limits = ChannelLimits(max_chars=40)
    conversation = shop.survey().id
    before = shop.read(conversation)
    ana = shop.client("ana")

    answer = post_form(ana, page(conversation), f"{page(conversation)}/reply", {"body": TYPED, "channel": "email"})

    assert answer.status_code == 422 and "location" not in answer.headers
    seen = Seen(answer.text)
    flashed = seen.flash()
    assert flashed is not None and flashed[0] is False
    assert field(seen, "reply-body") == TYPED
    assert shop.read(conversation) == before


def test_a_reply_refused_from_the_send_button_keeps_its_text_too(shop: Shop) -> None:
    shop.email.limits = ChannelLimits(max_chars=40)
    conversation = shop.survey().id
    ana = shop.client("ana")

    answer = post_form(
        ana, page(conversation), f"{page(conversation)}/respond/send", {"body": TYPED, "channel": "email"}
    )

    assert answer.status_code == 422
    assert field(Seen(answer.text), "reply-body") == TYPED


@pytest.mark.parametrize(
    ("action", "fields", "kept"),
    [
        ("note", {"body": TYPED, "alert_status": "to_process"}, {"note-body": TYPED}),
        (
            "call",
            {"summary": TYPED, "outcome": "She will come back", "minutes": "ten"},
            {"call-summary": TYPED, "call-outcome": "She will come back", "call-minutes": "ten"},
        ),
        ("respond/share", {"to": "not an address", "note": TYPED}, {"share-to": "not an address", "share-note": TYPED}),
        ("respond/forward", {"to": "nobody-here", "note": TYPED}, {"forward-note": TYPED}),
    ],
)
def test_a_refused_form_shows_the_refusal_and_what_was_typed(
    shop: Shop, action: str, fields: dict[str, str], kept: dict[str, str]
) -> None:
    conversation = shop.survey(nps=2).id  # with an alert
    before = shop.read(conversation)
    ana = shop.client("ana")

    answer = post_form(ana, page(conversation), f"{page(conversation)}/{action}", fields)

    assert answer.status_code == 422, answer.text
    seen = Seen(answer.text)
    flashed = seen.flash()
    assert flashed is not None and flashed[0] is False
    assert {element: field(seen, element) for element in kept} == kept
    assert shop.read(conversation) == before


def test_the_refusals_page_keeps_the_policy_and_its_forms_post_again(shop: Shop) -> None:
    conversation = shop.survey(nps=2).id
    ana = shop.client("ana")

    refused = post_form(ana, page(conversation), f"{page(conversation)}/note", {"body": TYPED, "alert_status": "x"})

    assert "default-src 'none'" in refused.headers["content-security-policy"]
    assert refused.headers["cache-control"] == "no-store"
    addresses = [
        value
        for _, attributes in Seen(refused.text).tags
        for name, value in attributes.items()
        if name in ("href", "action", "src", "formaction")
    ]
    assert addresses and not any("sorry" in address for address in addresses)  # the text is in no address
    token = re.search(r'name="csrf_token" value="([^"]+)"', refused.text)
    assert token is not None
    again = ana.post(f"{page(conversation)}/note", data={"csrf_token": token.group(1), "body": "Will call her."})
    assert again.status_code == 303
    notes = [entry.body for entry in shop.read(conversation).history if entry.kind is InteractionKind.NOTE]
    assert notes == ["Will call her."]
    # the refusal was said once, on its own page: the file after the next post says only what that did
    assert Seen(ana.get(again.headers["location"]).text).flash() == (True, "Note added.")
