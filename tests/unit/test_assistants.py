"""AI assistants and analyzers arrive through hooks; their output is only ever a suggestion."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

import closedloop
from closedloop import Concept, Contact, Conversation, Desk, Feedback, NotConfigured, Place, User
from closedloop.testing import FakeClock


class EchoAssistant:
    name = "echo"

    def suggest(self, conversation: Conversation, *, agent: User) -> str:
        return f"Hello {conversation.feedback.contact.first_name}, {agent.first_name} here."

    def rephrase(self, text: str, *, tone: str) -> str:
        return f"[{tone}] {text}"


class LengthAnalyzer:
    name = "length"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def analyze(self, texts: Sequence[str]) -> list[list[Concept]]:
        self.batches.append(list(texts))
        return [[Concept(name="long", sentiment=0.0)] if len(text) > 10 else [] for text in texts]


class Plugin:
    def __init__(self) -> None:
        self.analyzer = LengthAnalyzer()

    @closedloop.hookimpl
    def closedloop_register_assistants(self, registry: closedloop.Registry) -> None:
        registry.add_assistant(EchoAssistant())

    @closedloop.hookimpl
    def closedloop_register_analyzers(self, registry: closedloop.Registry) -> None:
        registry.add_analyzer(self.analyzer)


def make_desk(*plugins: object) -> Desk:
    desk = Desk.open(clock=FakeClock(), plugins=list(plugins))
    desk.add_place(Place(id="p", name="Shop"))
    desk.add_user(User(id="ana", name="Ana Roux", places={"p"}))
    return desk


def feedback(external_id: str, comment: str) -> Feedback:
    return Feedback(
        source="survey", external_id=external_id, place_id="p", received_at=FakeClock().now(),
        contact=Contact(name="Jo Doe"), comments=comment,
    )  # fmt: skip


def test_suggestions_and_rephrasing_come_from_the_registered_assistant_and_record_nothing() -> None:
    desk = make_desk(Plugin())
    conversation = desk.ingest(feedback("1", "ok"))
    assert desk.suggest_reply(conversation.id, by="ana") == "Hello Jo, Ana here."
    assert desk.rephrase("thanks", tone="formal") == "[formal] thanks"
    assert desk.conversation(conversation.id, by="ana") == conversation
    assert desk.outbox() == []


def test_without_an_assistant_the_error_says_what_to_install() -> None:
    desk = make_desk()
    conversation = desk.ingest(feedback("1", "ok"))
    with pytest.raises(NotConfigured, match="no assistant is registered"):
        desk.suggest_reply(conversation.id, by="ana")
    with pytest.raises(NotConfigured, match="no assistant named 'gpt'"):
        desk.rephrase("hi", assistant="gpt")


def test_analyzers_run_at_intake_and_their_concepts_reach_the_customer_file() -> None:
    plugin = Plugin()
    desk = make_desk(plugin)
    conversation = desk.ingest(feedback("1", "a rather long comment"))
    assert plugin.analyzer.batches == [["a rather long comment"]]
    assert desk.customer_file(conversation.id, by="ana").analysis == (Concept(name="long", sentiment=0.0),)
    assert desk.ingest(feedback("2", "short")).analysis == ()
