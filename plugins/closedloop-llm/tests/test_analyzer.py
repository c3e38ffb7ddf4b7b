"""The llm analyzer: concepts and sentiment asked for as JSON, and that JSON checked before it is believed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from builders import MODEL
from fake_openai import Failure, FakeOpenAI, Recorded

from closedloop import AnalysisFailed, Concept
from closedloop.analysis import Taxonomy
from closedloop_llm import LlmAnalyzer, LlmSettings

CONCEPTS = Taxonomy.default().concepts
NUMBERED = re.compile(r"^(\d+)\.", re.MULTILINE)


def results_for(request: Recorded, concepts: list[dict[str, Any]] | None = None) -> str:
    """A well-formed answer: ``concepts`` for every comment the prompt numbers."""
    comments = request.prompt.split("The comments:", 1)[1]
    count = len(NUMBERED.findall(comments))
    found = concepts if concepts is not None else [{"name": "waiting", "sentiment": -0.7}]
    return json.dumps({"results": [{"index": index, "concepts": found} for index in range(1, count + 1)]})


@pytest.fixture
def analyzer() -> LlmAnalyzer:
    return LlmAnalyzer(LlmSettings(model=MODEL, analyzer=True), concepts=CONCEPTS)


def test_each_text_gets_the_concepts_the_model_found(analyzer: LlmAnalyzer, fake: FakeOpenAI) -> None:
    def answer(request: Recorded) -> str:
        return json.dumps(
            {
                "results": [
                    {
                        "index": 1,
                        "concepts": [{"name": "waiting", "sentiment": -0.8}, {"name": "staff", "sentiment": 1}],
                    },
                    {"index": 2, "concepts": []},
                ]
            }
        )

    fake.answer = answer

    found = analyzer.analyze(["Slow, but lovely staff.", "Nothing to say."], languages=["en", ""])

    assert [list(concepts) for concepts in found] == [
        [Concept(name="waiting", sentiment=-0.8), Concept(name="staff", sentiment=1.0)],
        [],
    ]


def test_the_prompt_names_the_concepts_and_numbers_the_texts_with_their_language(
    analyzer: LlmAnalyzer, fake: FakeOpenAI
) -> None:
    fake.answer = results_for

    analyzer.analyze(["Trop d'attente.", "Great food"], languages=["fr", "en"])

    sent = fake.requests[-1]
    for name in CONCEPTS:
        assert name in sent.prompt and name in sent.system
    assert "1. (written in French) Trop d'attente." in sent.prompt
    assert "2. (written in English) Great food" in sent.prompt
    assert sent.body["response_format"] == {"type": "json_object"}  # JSON mode, where the model has one


def test_emails_and_phone_numbers_in_comments_are_not_sent(analyzer: LlmAnalyzer, fake: FakeOpenAI) -> None:
    fake.answer = results_for

    analyzer.analyze(["Mail me at jo@example.com or call 06 12 34 56 78"], languages=["fr"])

    sent = fake.requests[-1].everything
    assert "jo@example.com" not in sent and "06 12 34 56 78" not in sent
    assert "Mail me at [EMAIL_1] or call [PHONE_1]" in sent


def test_texts_without_words_are_not_sent(analyzer: LlmAnalyzer, fake: FakeOpenAI) -> None:
    fake.answer = results_for

    found = analyzer.analyze(["", "Slow.", "   "], languages=["en", "en", "en"])

    assert [len(list(concepts)) for concepts in found] == [0, 1, 0]
    assert "1. (written in English) Slow." in fake.requests[-1].prompt
    assert analyzer.analyze(["", " "], languages=["en", "en"]) == [(), ()]
    assert len(fake.requests) == 1


def test_many_texts_are_sent_in_batches_and_come_back_in_order(analyzer: LlmAnalyzer, fake: FakeOpenAI) -> None:
    def answer(request: Recorded) -> str:
        texts = re.findall(r"^\d+\. \(written in English\) text (\d+)$", request.prompt, re.MULTILINE)
        return json.dumps(
            {
                "results": [
                    {"index": index, "concepts": [{"name": "price", "sentiment": int(number) / 100}]}
                    for index, number in enumerate(texts, 1)
                ]
            }
        )

    fake.answer = answer

    found = analyzer.analyze([f"text {number}" for number in range(45)], languages=["en"] * 45)

    assert [next(iter(concepts)).sentiment for concepts in found] == [number / 100 for number in range(45)]
    assert len(fake.requests) == 3


def test_json_in_a_code_block_is_read(analyzer: LlmAnalyzer, fake: FakeOpenAI) -> None:
    fake.answer = lambda request: "```json\n" + results_for(request) + "\n```"

    assert analyzer.analyze(["Slow."], languages=["en"]) == [(Concept(name="waiting", sentiment=-0.7),)]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("Here are the concepts: waiting", "the answer is not JSON (Expecting value at line 1, column 1)"),
        ('{"results": [', "the answer is not JSON"),
        ("[]", 'the answer is not an object with a "results" list'),
        ('{"concepts": []}', 'the answer is not an object with a "results" list'),
        ('{"results": []}', "the answer has 0 result(s) for 2 comment(s)"),
        ('{"results": [{"index": 1, "concepts": []}]}', "the answer has 1 result(s) for 2 comment(s)"),
        ('{"results": [{"index": 1, "concepts": []}, {"index": 1, "concepts": []}]}', "result 2 has the index 1"),
        ('{"results": [{"index": 1, "concepts": []}, {"index": true, "concepts": []}]}', "result 2 has the index true"),
        ('{"results": [{"index": 1, "concepts": []}, "none"]}', "result 2 is not an object"),
        ('{"results": [{"index": 1}, {"index": 2, "concepts": []}]}', "result 1 has no list of concepts"),
        (
            '{"results": [{"index": 1, "concepts": [{"name": 3, "sentiment": 0}]}, {"index": 2, "concepts": []}]}',
            "result 1, concept 1 has a name that is not text: 3",
        ),
        (
            '{"results": [{"index": 1, "concepts": [{"name": "vibes", "sentiment": 0}]}, '
            '{"index": 2, "concepts": []}]}',
            "result 1, concept 1 is named 'vibes', which is not one of the concepts",
        ),
        (
            '{"results": [{"index": 1, "concepts": []}, {"index": 2, "concepts": [{"name": "price", '
            '"sentiment": 1.5}]}]}',
            "result 2, concept 1 (price) has the sentiment 1.5, outside -1 to 1",
        ),
        (
            '{"results": [{"index": 1, "concepts": []}, {"index": 2, "concepts": [{"name": "price", '
            '"sentiment": "bad"}]}]}',
            'result 2, concept 1 (price) has a sentiment that is not a number: "bad"',
        ),
        (
            '{"results": [{"index": 1, "concepts": []}, {"index": 2, "concepts": [{"name": "price", '
            '"sentiment": NaN}]}]}',
            "result 2, concept 1 (price) has a sentiment that is not a number: NaN",
        ),
        (
            '{"results": [{"index": 1, "concepts": []}, {"index": 2, "concepts": [{"name": "price", '
            '"sentiment": -0.5}, {"name": "price", "sentiment": 0.5}]}]}',
            "result 2 names price more than once",
        ),
        ('{"results": [{"index": 1, "concepts": []}, {"index": 2, "concepts": ["price"]}]}', "result 2, concept 1 is"),
    ],
)
def test_malformed_json_is_refused_saying_what_is_wrong(
    analyzer: LlmAnalyzer, fake: FakeOpenAI, answer: str, said: str
) -> None:
    fake.answer = lambda _: answer

    with pytest.raises(AnalysisFailed) as raised:
        analyzer.analyze(["Slow.", "Expensive."], languages=["en", "en"])

    assert type(raised.value) is AnalysisFailed
    assert str(raised.value).startswith("the model 'fake-gpt' answered with malformed analysis JSON: ")
    assert said in str(raised.value)


def test_a_provider_failure_is_an_analysis_failure(fake: FakeOpenAI) -> None:
    fake.failures.append(Failure(429, "Rate limit reached"))
    analyzer = LlmAnalyzer(LlmSettings(model=MODEL), concepts=CONCEPTS)

    with pytest.raises(AnalysisFailed, match=r"rate limiting requests \(HTTP 429\)"):
        analyzer.analyze(["Slow."], languages=["en"])


def test_a_slow_provider_is_an_analysis_failure(fake: FakeOpenAI) -> None:
    fake.delay = 10
    analyzer = LlmAnalyzer(LlmSettings(model=MODEL, timeout=0.3), concepts=CONCEPTS)

    with pytest.raises(AnalysisFailed, match=r"did not answer within 0\.3 seconds"):
        analyzer.analyze(["Slow."], languages=["en"])
