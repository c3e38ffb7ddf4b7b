"""The plugin on a desk: what it registers, the settings it refuses when the desk opens, and drafts and
analyses going through ``desk.suggest_reply``, ``desk.rephrase`` and intake."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from builders import CUSTOMER, MODEL, feedback, open_desk
from fake_openai import Failure, FakeOpenAI, Recorded

import closedloop_llm.plugin
from closedloop import AssistantFailed, Desk, InteractionKind, InvalidInput
from closedloop.analysis import Taxonomy
from closedloop_llm import LlmAnalyzer, LlmAssistant, read_settings


def test_the_plugin_is_an_entry_point_of_closedloop() -> None:
    found = [entry for entry in metadata.entry_points(group="closedloop") if entry.name == "llm"]

    assert [entry.value for entry in found] == ["closedloop_llm.plugin"]


def test_an_unconfigured_plugin_does_not_import_llm() -> None:
    code = (
        "import sys, closedloop, closedloop_llm, closedloop_llm.plugin\n"
        "closedloop.Desk.open(plugins=[closedloop_llm.plugin], load_entry_points=False).close()\n"
        "print('llm' in sys.modules)"
    )

    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert shown.strip() == "False"


def test_settings_without_a_model_are_refused_rather_than_dropped() -> None:
    with pytest.raises(InvalidInput, match="has settings but no 'model'"):
        Desk.open(plugins=[closedloop_llm.plugin], load_entry_points=False, extra={"llm": {"timeout": 5}})


@pytest.mark.parametrize("extra", [{}, {"llm": None}, {"llm": {}}])
def test_without_a_model_nothing_is_registered(extra: dict[str, Any], fake: FakeOpenAI) -> None:
    with Desk.open(plugins=[closedloop_llm.plugin], load_entry_points=False, extra=extra) as desk:
        assert not any(isinstance(item, LlmAssistant) for item in desk.registry.assistants.values())
        assert not any(isinstance(item, LlmAnalyzer) for item in desk.registry.analyzers)
    assert fake.requests == []


def test_a_model_registers_the_assistant_and_the_analyzer_when_asked() -> None:
    with open_desk() as desk:
        assert isinstance(desk.registry.assistants["llm"], LlmAssistant)
        assert not any(isinstance(item, LlmAnalyzer) for item in desk.registry.analyzers)
    with open_desk(analyzer=True) as desk:
        assert any(isinstance(item, LlmAnalyzer) for item in desk.registry.analyzers)


@pytest.mark.parametrize(
    ("llm", "said"),
    [
        ({"model": ""}, "extra['llm']['model'] must name an llm model"),
        ({"model": 4}, "extra['llm']['model'] must name an llm model"),
        ({"model": "no-such-model"}, "extra['llm']['model'] is 'no-such-model', which llm does not know"),
        ({"timeout": 0}, "extra['llm']['timeout'] is the seconds to wait"),
        ({"timeout": "30"}, "extra['llm']['timeout'] is the seconds to wait"),
        ({"timeout": True}, "extra['llm']['timeout'] is the seconds to wait"),
        ({"timeout": float("nan")}, "extra['llm']['timeout'] is the seconds to wait"),
        ({"timeout": 3600}, "at most 600"),
        ({"analyzer": "yes"}, "extra['llm']['analyzer'] must be True or False"),
        ({"key": ""}, "extra['llm']['key'] must be an API key"),
        ({"prompts": 3}, "extra['llm']['prompts'] must be the path of a folder"),
        ({"prompts": "/no/such/folder"}, "which is not a folder"),
        ({"modle": "gpt-4o"}, "extra['llm'] has unknown key(s): modle; the keys are model, timeout"),
    ],
)
def test_bad_settings_are_refused_when_the_desk_opens(llm: dict[str, Any], said: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        open_desk(**llm)

    assert said in str(raised.value)


def test_a_refused_key_is_not_shown() -> None:
    with pytest.raises(InvalidInput) as raised:
        open_desk(key=b"sk-secret-bytes")

    assert "sk-secret" not in str(raised.value) and "got bytes" in str(raised.value)
    assert "sk-secret" not in repr(read_settings({"llm": {"model": MODEL, "key": "sk-secret"}}))


def test_settings_that_are_not_a_dict_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"extra\['llm'\] must be a dict"):
        Desk.open(plugins=[closedloop_llm.plugin], load_entry_points=False, extra={"llm": "gpt-4o"})


def test_a_draft_from_the_desk_names_the_assistant_and_model(fake: FakeOpenAI) -> None:
    with open_desk() as desk:
        conversation = desk.ingest(feedback())

        suggestion = desk.suggest_reply(conversation.id, by="ana", tone="apologetic", assistant="llm")

        assert (suggestion.assistant, suggestion.model, suggestion.language) == ("llm", MODEL, "en")
        assert suggestion.text.startswith("Hello, thank you very much for your feedback.")
        prompt = fake.requests[-1].prompt
        assert "Chez Nous Paris" in prompt and "signed by Ana" in prompt and "apologetic" in prompt
        assert CUSTOMER.email not in fake.requests[-1].everything
        assert "06 12 34 56 78" not in fake.requests[-1].everything
        assert CUSTOMER.email in suggestion.text and "06 12 34 56 78" in suggestion.text  # put back
        assert desk.conversation(conversation.id, by="ana").history == conversation.history  # nothing recorded


def test_a_french_feedback_gets_a_french_draft_from_the_desk(fake: FakeOpenAI) -> None:
    with open_desk() as desk:
        conversation = desk.ingest(
            feedback("Nous avons attendu quarante minutes et le serveur était désagréable.", locale="fr")
        )

        suggestion = desk.suggest_reply(conversation.id, by="ana", assistant="llm")

    assert suggestion.language == "fr"
    assert "Write in French" in fake.requests[-1].prompt
    assert suggestion.text.startswith("Bonjour, merci beaucoup pour votre retour.")


def test_a_reply_sent_from_a_draft_records_the_model(fake: FakeOpenAI) -> None:
    with open_desk() as desk:
        conversation = desk.ingest(feedback())
        suggestion = desk.suggest_reply(conversation.id, by="ana", assistant="llm")

        replied = desk.reply(conversation.id, by="ana", body=suggestion.text, suggestion=suggestion)

    entry = next(item for item in replied.history if item.kind is InteractionKind.EMAIL_REPLY)
    assert entry.details["assistant"] == "llm" and entry.details["model"] == MODEL


def test_rephrase_through_the_desk(fake: FakeOpenAI) -> None:
    fake.answer = lambda _: "Thank you for visiting us."
    with open_desk() as desk:
        suggestion = desk.rephrase("thx for coming!!!", tone="formal", language="en", assistant="llm")

    assert (suggestion.text, suggestion.assistant, suggestion.model) == ("Thank you for visiting us.", "llm", MODEL)
    assert "thx for coming!!!" in fake.requests[-1].prompt and "formal" in fake.requests[-1].prompt


def test_a_provider_failure_reaches_the_agent_as_assistant_failed(fake: FakeOpenAI) -> None:
    fake.failures.append(Failure(429, "Rate limit reached"))
    with open_desk() as desk:
        conversation = desk.ingest(feedback())

        with pytest.raises(AssistantFailed, match=r"rate limiting requests \(HTTP 429\).*retry later"):
            desk.suggest_reply(conversation.id, by="ana", assistant="llm")


def analysis_answer(request: Recorded) -> str:
    count = int(request.prompt.split("For each of the ", 1)[1].split()[0])
    concept = {"name": "waiting", "sentiment": -0.9}
    return json.dumps({"results": [{"index": index, "concepts": [concept]} for index in range(1, count + 1)]})


def test_the_analyzer_runs_at_intake_and_its_concepts_reach_the_draft(fake: FakeOpenAI) -> None:
    fake.answer = lambda request: analysis_answer(request) if "JSON" in request.system else "Hello."
    with open_desk(analyzer=True) as desk:
        conversation = desk.ingest(feedback())

        desk.suggest_reply(conversation.id, by="ana", assistant="llm")

    assert {"name": "waiting", "sentiment": -0.9} in [
        {"name": concept.name, "sentiment": concept.sentiment} for concept in conversation.analysis
    ]
    assert "- waiting: negative (-0.90)" in fake.requests[-1].prompt


def test_the_analyzer_asks_for_the_desks_taxonomy(fake: FakeOpenAI) -> None:
    fake.answer = analysis_answer
    taxonomy = Taxonomy.default().extended({"parking": {"en": ["parking", "car park"]}})
    with Desk.open(
        plugins=[closedloop_llm.plugin],
        load_entry_points=False,
        taxonomy=taxonomy,
        extra={"llm": {"model": MODEL, "analyzer": True}},
    ) as desk:
        analyzer = next(item for item in desk.registry.analyzers if isinstance(item, LlmAnalyzer))

        analyzer.analyze(["No parking anywhere."], languages=["en"])

    assert (
        "staff, waiting, product, price, cleanliness, ambience, delivery, booking, parking" in fake.requests[-1].prompt
    )


def test_malformed_analysis_at_intake_keeps_the_feedback(fake: FakeOpenAI) -> None:
    fake.answer = lambda _: "not json"
    with open_desk(analyzer=True) as desk:
        report = desk.ingest_many([feedback()])

        assert report.ingested == 1
        assert any("malformed analysis JSON" in reason for reason in report.analysis_failures)


def test_an_admin_overrides_a_prompt_from_a_folder(tmp_path: Path, fake: FakeOpenAI) -> None:
    (tmp_path / "suggest.txt").write_text("Reply to $customer about: $comments. Write in $language. Costs $$5.")
    with open_desk(prompts=str(tmp_path)) as desk:
        conversation = desk.ingest(feedback("Too slow."))

        desk.suggest_reply(conversation.id, by="ana", assistant="llm")

    assert fake.requests[-1].prompt == "Reply to Marie about: - Too slow.. Write in English. Costs $5."
    assert "Never invent facts" in fake.requests[-1].system  # the other templates stay


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("suggest.txt", "Answer $coments", "suggest.txt uses unknown placeholder(s) $coments; it may use $agent"),
        ("suggest.txt", "Answer politely.", "suggest.txt must contain $comments"),
        ("rephrase.txt", "Rewrite in $tone", "must contain $text"),
        ("analyze.txt", "$texts for $customer", "uses unknown placeholder(s) $customer"),
        ("system.txt", "Costs $5", "has a '$' not followed by a placeholder name; write $$ for a dollar sign"),
        ("sugest.txt", "$comments", "the prompts folder holds sugest.txt, which is no prompt template"),
    ],
)
def test_a_wrong_prompt_override_is_refused_when_the_desk_opens(
    tmp_path: Path, name: str, text: str, said: str
) -> None:
    (tmp_path / name).write_text(text)

    with pytest.raises(InvalidInput) as raised:
        open_desk(prompts=tmp_path)

    assert said in str(raised.value)
