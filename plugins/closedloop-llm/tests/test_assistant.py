"""The llm assistant, called directly with draft requests, against the fake OpenAI server."""

from __future__ import annotations

import attrs
import pytest
from builders import CUSTOMER, MODEL, feedback, request, said
from fake_openai import FakeOpenAI

from closedloop import Comment, Concept, Contact, Draft
from closedloop_llm import LlmAssistant, LlmSettings


@pytest.fixture
def assistant() -> LlmAssistant:
    return LlmAssistant(LlmSettings(model=MODEL))


def test_the_prompt_carries_the_conversation_and_the_agent(assistant: LlmAssistant, fake: FakeOpenAI) -> None:
    history = (
        said("Is anyone reading this?", by_customer=True),
        said("We are looking into it, Marie.", by_customer=False),
    )
    given = feedback("The waiter was rude and we waited forty minutes.", "The dessert was lovely.")

    assistant.suggest(request(given, tone="apologetic", history=history))

    prompt = fake.requests[-1].prompt
    for expected in (
        "The waiter was rude and we waited forty minutes.",
        "The dessert was lovely.",
        "waiting: negative (-0.80)",
        "product: positive (+0.60)",
        "Chez Nous Paris",  # the place
        "Business: Chez Nous",
        "signed by Ana",  # the agent's first name
        "Customer's first name: Marie",
        "apologetic",
        "nps (nps): 3 on a scale from 0 to 10",
        "- Customer: Is anyone reading this?",
        "- Reply from the business: We are looking into it, Marie.",
        "Write in English",
    ):
        assert expected in prompt
    assert prompt.index("waiting: negative") < prompt.index("product: positive")


def test_the_system_rules_forbid_invented_facts_and_promises(assistant: LlmAssistant, fake: FakeOpenAI) -> None:
    assistant.suggest(request())

    system = fake.requests[-1].system
    assert "Never invent facts" in system
    for promise in ("refund", "discount", "compensation", "commitment"):
        assert promise in system
    assert "Chez Nous" in system


def test_no_email_phone_number_or_surname_of_the_customer_leaves(assistant: LlmAssistant, fake: FakeOpenAI) -> None:
    given = feedback(
        "Ask Mme Dubois-Lefèvre, or DUBOIS, at Marie.Dubois@Example.fr or +33 6 12 34 56 78.",
        "My husband's number is 07 98 76 54 32, his mail jean@example.org.",
    )
    history = (said("Call me on 0612345678 please.", by_customer=True),)

    assistant.suggest(request(given, history=history))

    sent = fake.requests[-1].everything
    for private in (
        "Dubois",
        "DUBOIS",
        "Lefèvre",
        "marie.dubois@example.fr",
        "Marie.Dubois@Example.fr",
        "jean@example.org",
        "06 12 34 56 78",
        "+33 6 12 34 56 78",
        "0612345678",
        "07 98 76 54 32",
    ):
        assert private not in sent
    assert "[SURNAME]" in sent and "[EMAIL_2]" in sent and "[PHONE_2]" in sent
    assert "Call me on [PHONE_1] please." in sent  # one number, however it is written, is one placeholder
    assert "Marie" in sent  # the first name is kept, to greet the customer


def test_placeholders_in_the_answer_are_put_back(assistant: LlmAssistant, fake: FakeOpenAI) -> None:
    fake.answer = lambda _: "Dear Marie [SURNAME], we will write to [EMAIL_1] and call [PHONE_1]. [EMAIL_9] stays."
    given = feedback("Write to marie.dubois@example.fr or call +33 6 12 34 56 78, Dubois-Lefèvre here.")

    draft = assistant.suggest(request(given))

    assert draft == Draft(
        text="Dear Marie Dubois-Lefèvre, we will write to marie.dubois@example.fr and call +33 6 12 34 56 78. "
        "[EMAIL_9] stays.",
        model=MODEL,
    )


def test_a_french_feedback_gets_a_french_draft(assistant: LlmAssistant, fake: FakeOpenAI) -> None:
    given = feedback("Quarante minutes d'attente pour une table, c'est trop.", locale="fr")

    draft = assistant.suggest(request(given, language="fr"))

    assert "Write in French" in fake.requests[-1].prompt
    assert "Write in French" in fake.requests[-1].system
    assert draft.text.startswith("Bonjour, merci beaucoup pour votre retour.")


def test_a_word_that_is_also_the_surname_is_kept_in_lower_case(assistant: LlmAssistant, fake: FakeOpenAI) -> None:
    given = feedback("The price was too high.", contact=Contact(name="Tom Price"))

    assistant.suggest(request(given, concepts=(Concept(name="price", sentiment=-0.5),)))

    assert "The price was too high." in fake.requests[-1].prompt


def test_comments_to_other_questions_are_named(assistant: LlmAssistant, fake: FakeOpenAI) -> None:
    given = attrs.evolve(feedback(), comments=(Comment(text="Too noisy", question="ambience"),))

    assistant.suggest(request(given))

    assert "- [ambience] Too noisy" in fake.requests[-1].prompt


def test_rephrase_sends_the_text_and_tone_with_its_personal_data_masked(
    assistant: LlmAssistant, fake: FakeOpenAI
) -> None:
    fake.answer = lambda _: "Nous vous écrirons à [EMAIL_1]."

    draft = assistant.rephrase("on vous ecrit a marie.dubois@example.fr !!!", tone="formal", language="fr")

    sent = fake.requests[-1]
    assert "on vous ecrit a [EMAIL_1] !!!" in sent.prompt
    assert "formal" in sent.prompt and "Write in French" in sent.prompt
    assert CUSTOMER.email not in sent.everything
    assert draft == Draft(text="Nous vous écrirons à marie.dubois@example.fr.", model=MODEL)


def test_rephrase_of_a_text_in_an_unknown_language_keeps_its_language(
    assistant: LlmAssistant, fake: FakeOpenAI
) -> None:
    assistant.rephrase("Thanks for coming", tone="friendly", language="")

    assert "Write in the same language as the reply" in fake.requests[-1].prompt


def test_the_model_is_asked_without_streaming_under_its_configured_name(
    assistant: LlmAssistant, fake: FakeOpenAI
) -> None:
    assistant.suggest(request())

    body = fake.requests[-1].body
    assert body["model"] == "gpt-fake-1"
    assert not body.get("stream")
    assert [message["role"] for message in body["messages"]] == ["system", "user"]
    assert assistant.name == "llm" and assistant.model == MODEL


def test_a_commitment_the_model_makes_on_its_own_comes_with_a_note_and_the_draft_is_kept(
    assistant: LlmAssistant, fake: FakeOpenAI
) -> None:
    fake.answer = lambda _: "Sorry Marie, we will refund your meal and offer a 20% discount next time."
    draft = assistant.suggest(request(feedback("The soup was cold.")))
    assert draft.text == "Sorry Marie, we will refund your meal and offer a 20% discount next time."
    assert [note.split(",")[0] for note in draft.notes] == ["the draft offers 'discount'", "the draft offers 'refund'"]

    fake.answer = lambda _: "Nous vous remboursons le repas."
    assert "'remboursons'" in assistant.suggest(request(feedback("Soupe froide.", locale="fr"))).notes[0]
    fake.answer = lambda _: "You can count on us; we hope to see you again."
    assert assistant.suggest(request(feedback("The soup was cold."))).notes == ()


def test_a_commitment_already_in_the_agents_text_is_no_news_when_rephrased(
    assistant: LlmAssistant, fake: FakeOpenAI
) -> None:
    fake.answer = lambda _: "We are refunding your order."
    assert assistant.rephrase("we refund ur order", tone="formal", language="en").notes == ()
