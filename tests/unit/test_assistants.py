"""AI assistants and analyzers arrive through hooks; their output is only ever a suggestion."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

import closedloop
from closedloop import (
    AnalysisFailed,
    AssistantFailed,
    Band,
    Concept,
    Contact,
    Conversation,
    Desk,
    Draft,
    DraftRequest,
    Feedback,
    Interaction,
    InteractionKind,
    InvalidInput,
    NotConfigured,
    Place,
    Rating,
    RatingKind,
    Suggestion,
    User,
)
from closedloop.testing import FakeClock, RecordingChannel


class EchoAssistant:
    name = "echo"

    def __init__(self) -> None:
        self.requests: list[DraftRequest] = []

    def suggest(self, request: DraftRequest) -> Draft:
        self.requests.append(request)
        first_name = request.conversation.feedback.contact.first_name
        return Draft(text=f"Hello {first_name}, {request.agent.first_name} here.", model="echo-1")

    def rephrase(self, text: str, *, tone: str, language: str) -> Draft:
        return Draft(text=f"[{tone}/{language}] {text}", model="echo-1")


class LengthAnalyzer:
    name = "length"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.languages: list[list[str]] = []

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> list[list[Concept]]:
        self.batches.append(list(texts))
        self.languages.append(list(languages))
        return [[Concept(name="long", sentiment=0.0)] if len(text) > 10 else [] for text in texts]


class Plugin:
    def __init__(self) -> None:
        self.analyzer = LengthAnalyzer()
        self.assistant = EchoAssistant()

    @closedloop.hookimpl
    def closedloop_register_assistants(self, registry: closedloop.Registry) -> None:
        registry.add_assistant(self.assistant)

    @closedloop.hookimpl
    def closedloop_register_analyzers(self, registry: closedloop.Registry) -> None:
        registry.add_analyzer(self.analyzer)


#: the built-in offline parts, blocked where a test is about what plugins bring
OFFLINE = ["closedloop.analysis.offline", "closedloop.assistance.offline"]


def make_desk(*plugins: object, blocked: Sequence[str] = OFFLINE) -> Desk:
    desk = Desk.open(clock=FakeClock(), plugins=list(plugins), blocked_plugins=list(blocked))
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
    suggestion = desk.suggest_reply(conversation.id, by="ana")
    assert suggestion == Suggestion(
        text="Hello Jo, Ana here.", assistant="echo", model="echo-1", language="en", conversation_id=conversation.id
    )
    assert str(suggestion) == "Hello Jo, Ana here."
    assert desk.rephrase("thanks", tone="formal", language="fr").text == "[formal/fr] thanks"
    assert desk.rephrase("thanks", tone="formal", language="fr_CA").language == "fr"
    with pytest.raises(InvalidInput, match="language must be a language code"):
        desk.rephrase("thanks", language="klingon")
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


def rated_feedback(external_id: str, comment: str, *, nps: int, locale: str = "en") -> Feedback:
    return Feedback(
        source="survey", external_id=external_id, place_id="p", received_at=FakeClock().now(), locale=locale,
        contact=Contact(name="Jo Doe", email="jo@example.com"), comments=comment,
        ratings=[Rating(key="nps", kind=RatingKind.NPS, value=nps)],
    )  # fmt: skip


class MoodAnalyzer:
    """Praise for long comments, a complaint about waiting for the rest; the sentiment order shows."""

    name = "mood"

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> list[list[Concept]]:
        return [[Concept(name="staff", sentiment=0.8), Concept(name="waiting", sentiment=-0.6)] for _ in texts]


class MoodPlugin(Plugin):
    @closedloop.hookimpl
    def closedloop_register_analyzers(self, registry: closedloop.Registry) -> None:
        registry.add_analyzer(MoodAnalyzer())


def test_the_assistant_is_asked_in_the_feedbacks_language_with_its_band_place_and_complaints_first() -> None:
    plugin = MoodPlugin()
    desk = Desk.open(clock=FakeClock(), plugins=[plugin], blocked_plugins=OFFLINE, business_name="Boulangerie Roux")
    desk.add_place(Place(id="p", name="Shop"))
    desk.add_user(User(id="ana", name="Ana Roux", places={"p"}))
    conversation = desk.ingest(rated_feedback("1", "On a attendu longtemps.", nps=3, locale="fr-CA"))

    suggestion = desk.suggest_reply(conversation.id, by="ana", tone="apologetic")

    [request] = plugin.assistant.requests
    assert (request.language, request.tone, request.band) == ("fr", "apologetic", Band.NEGATIVE)
    assert [concept.name for concept in request.concepts] == ["waiting", "staff"]
    assert (request.place.name, request.business_name, request.agent.id) == ("Shop", "Boulangerie Roux", "ana")
    assert suggestion.language == "fr"


def test_a_reply_sent_from_a_suggestion_records_which_assistant_and_model_wrote_it() -> None:
    desk = make_desk(Plugin(), RecordingChannel("email"))
    first = desk.ingest(rated_feedback("1", "ok", nps=9))
    second = desk.ingest(rated_feedback("2", "ok", nps=9))
    suggestion = desk.suggest_reply(first.id, by="ana")

    as_suggested = last_reply(desk.reply(first.id, by="ana", body=suggestion.text, suggestion=suggestion))
    assert as_suggested.details == {"assistant": "echo", "model": "echo-1", "suggestion": "sent as suggested"}

    edited = desk.reply(first.id, by="ana", body=suggestion.text + " See you soon!", suggestion=suggestion)
    assert last_reply(edited).details["suggestion"] == "edited"
    replied = desk.reply(second.id, by="ana", body="Thanks!")
    assert last_reply(replied).details == {}

    with pytest.raises(InvalidInput, match="drafted for conversation"):
        desk.reply(second.id, by="ana", body="Thanks!", suggestion=suggestion)
    with pytest.raises(InvalidInput, match=r"what desk\.suggest_reply returned"):
        desk.reply(second.id, by="ana", body="Thanks!", suggestion="echo")  # type: ignore[arg-type]
    assert desk.conversation(second.id, by="ana") == replied  # the refusals changed nothing


def last_reply(conversation: Conversation) -> Interaction:
    return [entry for entry in conversation.history if entry.kind is InteractionKind.EMAIL_REPLY][-1]


class BrokenAssistant:
    name = "broken"

    def __init__(self, answer: object) -> None:
        self.answer = answer

    def suggest(self, request: DraftRequest) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def rephrase(self, text: str, *, tone: str, language: str) -> object:
        return self.suggest(None)  # type: ignore[arg-type]

    @closedloop.hookimpl
    def closedloop_register_assistants(self, registry: closedloop.Registry) -> None:
        registry.add_assistant(self)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (RuntimeError("socket closed"), "assistant 'broken' failed: RuntimeError: socket closed"),
        (Draft(text="  "), "empty draft"),
        (42, "instead of a closedloop.Draft"),
    ],
)
def test_an_assistant_that_fails_gives_a_closedloop_error_that_names_it(answer: object, reason: str) -> None:
    desk = make_desk(BrokenAssistant(answer))
    conversation = desk.ingest(feedback("1", "ok"))
    with pytest.raises(AssistantFailed, match=re.escape(reason)):
        desk.suggest_reply(conversation.id, by="ana")
    with pytest.raises(AssistantFailed, match=re.escape(reason)):
        desk.rephrase("hello", language="en")
    assert desk.conversation(conversation.id, by="ana") == conversation


class FlakyAnalyzer:
    """Fails while ``down``; otherwise finds the concept it is set to find, so a re-run shows."""

    name = "flaky"

    def __init__(self) -> None:
        self.down = False
        self.concept = Concept(name="price", sentiment=-0.4)
        self.languages: list[list[str]] = []

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> list[list[Concept]]:
        self.languages.append(list(languages))
        if self.down:
            raise AnalysisFailed("the provider answered 503")
        return [[self.concept] for _ in texts]

    @closedloop.hookimpl
    def closedloop_register_analyzers(self, registry: closedloop.Registry) -> None:
        registry.add_analyzer(self)


def test_an_analyzer_that_fails_at_intake_keeps_the_feedback_and_is_reported() -> None:
    analyzer = FlakyAnalyzer()
    desk = make_desk(analyzer)
    analyzer.down = True

    report = desk.ingest_many([rated_feedback(str(n), "too dear", nps=4, locale="fr_FR") for n in range(3)])

    assert report.ingested == 3
    assert report.analysis_failures == ["analyzer 'flaky' failed: the provider answered 503"]
    assert analyzer.languages == [["fr", "fr", "fr"]]
    assert desk.inbox("ana").items[0].analysis == ()


def test_desk_analyze_runs_the_analyzers_again_and_keeps_everything_else() -> None:
    analyzer = FlakyAnalyzer()
    desk = make_desk(analyzer)
    desk.add_place(Place(id="q", name="Other"))
    ours = [desk.ingest(rated_feedback(str(n), "too dear", nps=4)) for n in range(5)]
    desk.mark_done(ours[0].id, by="ana")
    stored = [desk.conversation(conversation.id, by="ana") for conversation in ours]
    analyzer.concept = Concept(name="price", sentiment=-0.9)
    seen: list[str] = []

    report = desk.analyze(batch_size=2, progress=lambda report: seen.append(str(report)))

    assert (report.total, report.analyzed, report.changed, report.failures) == (5, 5, 5, [])
    assert seen[-1] == "5 of 5 analysed, 5 changed, 0 failures"
    for before in stored:
        after = desk.conversation(before.id, by="ana")
        assert after.analysis == (Concept(name="price", sentiment=-0.9),)
        assert (after.status, after.history, after.last_updated_at) == (
            before.status,
            before.history,
            before.last_updated_at,
        )
    assert desk.analyze().changed == 0  # nothing new to find

    analyzer.down = True
    failed = desk.analyze()
    assert (failed.changed, failed.skipped) == (0, 5)
    assert failed.failures == ["analyzer 'flaky' failed: the provider answered 503"] * 2  # inbox, then done
    assert desk.conversation(ours[1].id, by="ana").analysis == (Concept(name="price", sentiment=-0.9),)
    assert desk.analyze(places=["q"]).total == 0
    with pytest.raises(InvalidInput, match="neither a place id nor a group id"):
        desk.analyze(places=["nowhere"])


def test_an_assistants_notes_reach_the_agent_with_the_suggestion() -> None:
    desk = make_desk(BrokenAssistant(Draft(text="We will refund you.", notes=["the draft offers 'refund'"])))
    conversation = desk.ingest(feedback("1", "ok"))
    assert desk.suggest_reply(conversation.id, by="ana").notes == ("the draft offers 'refund'",)
    assert desk.rephrase("thanks", language="en").notes == ("the draft offers 'refund'",)
