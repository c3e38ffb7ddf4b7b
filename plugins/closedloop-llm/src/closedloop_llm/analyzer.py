"""The analyzer that asks a model for each comment's concepts and their sentiment, as JSON checked strictly.

A model's JSON is refused whole, naming what was wrong, when it does not hold exactly one result per comment,
in order, each concept one of the taxonomy's names with a sentiment from -1 to 1: a half-right answer stored
as concepts would mislead every report built on them, while a refused batch is reported and can be analysed
again with ``desk.analyze``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from closedloop import AnalysisFailed, Concept, InvalidInput
from closedloop_llm.languages import language_name, phone_regions
from closedloop_llm.masking import Masker
from closedloop_llm.prompts import PromptTemplates
from closedloop_llm.provider import Provider
from closedloop_llm.settings import LlmSettings

#: Comments sent in one prompt: enough to share the instructions, few enough for a model to keep them apart.
BATCH_SIZE = 20
_FENCE = re.compile(r"^```[\w-]*\s*\n(?P<body>.*)\n\s*```$", re.DOTALL)


class MalformedAnswer(Exception):
    """What is wrong with the model's JSON; the analyzer reports it as AnalysisFailed."""


def _concept(item: object, where: str, names: frozenset[str]) -> Concept:
    if not isinstance(item, dict):
        raise MalformedAnswer(f"{where} is not an object with a name and a sentiment")
    name, sentiment = item.get("name"), item.get("sentiment")
    if not isinstance(name, str):
        raise MalformedAnswer(f"{where} has a name that is not text: {json.dumps(name)}")
    if name not in names:
        raise MalformedAnswer(f"{where} is named {name!r}, which is not one of the concepts {sorted(names)}")
    if isinstance(sentiment, bool) or not isinstance(sentiment, int | float) or not math.isfinite(sentiment):
        raise MalformedAnswer(f"{where} ({name}) has a sentiment that is not a number: {json.dumps(sentiment)}")
    if not -1 <= sentiment <= 1:
        raise MalformedAnswer(f"{where} ({name}) has the sentiment {sentiment:g}, outside -1 to 1")
    return Concept(name=name, sentiment=float(sentiment))


def _result(item: object, position: int, names: frozenset[str]) -> tuple[Concept, ...]:
    where = f"result {position}"
    if not isinstance(item, dict):
        raise MalformedAnswer(f"{where} is not an object with an index and concepts")
    index = item.get("index")
    if isinstance(index, bool) or index != position:
        raise MalformedAnswer(f"{where} has the index {json.dumps(index)} instead of {position}")
    found = item.get("concepts")
    if not isinstance(found, list):
        raise MalformedAnswer(f"{where} has no list of concepts")
    concepts = tuple(_concept(concept, f"{where}, concept {n}", names) for n, concept in enumerate(found, 1))
    seen = [concept.name for concept in concepts]
    twice = sorted({name for name in seen if seen.count(name) > 1})
    if twice:
        raise MalformedAnswer(f"{where} names {', '.join(twice)} more than once")
    return concepts


def parse_answer(answer: str, count: int, names: frozenset[str]) -> list[tuple[Concept, ...]]:
    """The concepts of ``count`` comments read from the model's answer; MalformedAnswer says what is wrong."""
    body = answer.strip()
    fenced = _FENCE.match(body)  # models like to wrap JSON in a Markdown code block
    if fenced is not None:
        body = fenced.group("body").strip()
    try:
        data: Any = json.loads(body)
    except json.JSONDecodeError as error:
        raise MalformedAnswer(
            f"the answer is not JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise MalformedAnswer('the answer is not an object with a "results" list')
    results = data["results"]
    if len(results) != count:
        raise MalformedAnswer(f"the answer has {len(results)} result(s) for {count} comment(s)")
    return [_result(item, position, names) for position, item in enumerate(results, 1)]


class LlmAnalyzer:
    """Finds the concepts named ``concepts`` in comments with the model ``settings.model``."""

    name = "llm"

    def __init__(
        self,
        settings: LlmSettings,
        *,
        concepts: Sequence[str],
        default_region: str | None = None,
        templates: PromptTemplates | None = None,
        provider: Provider | None = None,
    ) -> None:
        self.concepts = tuple(concepts)
        self.templates = templates if templates is not None else PromptTemplates(settings.prompts)
        self.provider = provider if provider is not None else Provider(settings)
        self.default_region = default_region

    def analyze(self, texts: Sequence[str], *, languages: Sequence[str]) -> list[tuple[Concept, ...]]:
        """The concepts of each text, in order; texts without words are not sent and have none."""
        if len(languages) != len(texts):
            raise InvalidInput(f"analyze needs one language per text; got {len(languages)} for {len(texts)} texts")
        results: list[tuple[Concept, ...]] = [() for _ in texts]
        worded = [index for index, text in enumerate(texts) if text.strip()]
        for start in range(0, len(worded), BATCH_SIZE):
            batch = worded[start : start + BATCH_SIZE]
            found = self._batch([texts[index] for index in batch], [languages[index] for index in batch])
            for index, concepts in zip(batch, found, strict=True):
                results[index] = concepts
        return results

    def _batch(self, texts: Sequence[str], languages: Sequence[str]) -> list[tuple[Concept, ...]]:
        regions = ([self.default_region] if self.default_region else []) + list(phone_regions(*languages))
        masker = Masker(regions=regions)
        lines = []
        for number, (text, language) in enumerate(zip(texts, languages, strict=True), 1):
            written_in = f" (written in {language_name(language)})" if language_name(language) else ""
            lines.append(f"{number}.{written_in} " + "\n   ".join(masker.mask(text).strip().splitlines()))
        names = ", ".join(self.concepts)
        prompt = self.templates.render(
            "analyze", {"concepts": names, "texts": "\n".join(lines), "count": str(len(texts))}
        )
        system = self.templates.render("analyze_system", {"concepts": names})
        answer = self.provider.complete(prompt, system=system, failure=AnalysisFailed, json_answer=True)
        try:
            return parse_answer(answer, len(texts), frozenset(self.concepts))
        except MalformedAnswer as error:
            raise AnalysisFailed(
                f"the model {self.provider.model_id!r} answered with malformed analysis JSON: {error}; "
                "desk.analyze can run it again"
            ) from None
