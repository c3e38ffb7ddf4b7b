"""How well the offline analyzer reads review sentences it was not tuned on: tests/data/analysis/sentences.tsv.

Concept precision and recall count (sentence, concept) pairs; polarity accuracy counts the concepts both found and
labelled, a sentiment within NEUTRAL of 0 reading as neutral. The figures are printed (``pytest -s``) per language
and overall, and each must reach its threshold below.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # type: ignore[import-untyped]

from closedloop.analysis.lexicon import english
from closedloop.analysis.offline import OfflineAnalyzer
from closedloop.analysis.scoring import read
from closedloop.analysis.sentences import chunks
from closedloop.analysis.taxonomy import Taxonomy
from closedloop.analysis.vocabulary import Vocabulary

SENTENCES = Path(__file__).parents[1] / "data" / "analysis" / "sentences.tsv"
NEUTRAL = 0.05
# the floor the issue aims for; the analyzer reaches more (precision 0.87-0.90, recall 0.94-0.95, polarity
# 0.86-0.87 per language when these were set), and the test prints what it reaches
PRECISION = 0.8
RECALL = 0.8
POLARITY = 0.8
# the English scorer against VADER's own polarity_scores, sentence by sentence: with VADER's lexicon alone it
# applies VADER's rules, so the signs agree; with the review wording added it departs where VADER reads a
# review sentence as neutral ("the steak was overcooked"), so it is held to VADER's non-neutral sentences
SAME_SIGN_AS_VADER = 0.9
SAME_SIGN_WHERE_VADER_IS_NOT_NEUTRAL = 0.8


@dataclass(frozen=True)
class Labelled:
    language: str
    text: str
    concepts: dict[str, str]  # concept -> positive, negative or neutral


@dataclass
class Tally:
    found: int = 0  # (sentence, concept) pairs the analyzer gave
    labelled: int = 0
    matched: int = 0  # pairs both given and labelled
    same_polarity: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.labelled if self.labelled else 1.0

    @property
    def polarity(self) -> float:
        return self.same_polarity / self.matched if self.matched else 1.0

    def add(self, other: Tally) -> None:
        self.found += other.found
        self.labelled += other.labelled
        self.matched += other.matched
        self.same_polarity += other.same_polarity
        self.misses.extend(other.misses)


def polarity_of(sentiment: float) -> str:
    if sentiment >= NEUTRAL:
        return "positive"
    if sentiment <= -NEUTRAL:
        return "negative"
    return "neutral"


def labelled_sentences() -> Iterator[Labelled]:
    for number, line in enumerate(SENTENCES.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        language, text, labels = [*line.split("\t"), ""][:3]
        concepts = dict(label.strip().split(":") for label in labels.split(",") if label.strip())
        assert set(concepts.values()) <= {"positive", "negative", "neutral"}, f"line {number}: {labels!r}"
        yield Labelled(language, text, concepts)


def score(analyzer: OfflineAnalyzer, sentences: list[Labelled]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for sentence in sentences:
        tally = tallies.setdefault(sentence.language, Tally())
        found = analyzer.concepts(sentence.text, hint=sentence.language)
        tally.found += len(found)
        tally.labelled += len(sentence.concepts)
        for name, sentiment in found.items():
            if name not in sentence.concepts:
                tally.misses.append(f"{sentence.text!r}: found {name} ({sentiment}) not labelled")
                continue
            tally.matched += 1
            if polarity_of(sentiment) == sentence.concepts[name]:
                tally.same_polarity += 1
            else:
                tally.misses.append(f"{sentence.text!r}: {name} {sentiment} labelled {sentence.concepts[name]}")
        for name in sentence.concepts.keys() - found.keys():
            tally.misses.append(f"{sentence.text!r}: missed {name}:{sentence.concepts[name]}")
    overall = Tally()
    for tally in tallies.values():
        overall.add(tally)
    return {**tallies, "overall": overall}


@pytest.fixture(scope="module")
def tallies() -> dict[str, Tally]:
    sentences = list(labelled_sentences())
    assert len(sentences) >= 300
    results = score(OfflineAnalyzer(), sentences)
    for name, tally in results.items():
        print(
            f"\n{name:8} precision {tally.precision:.3f}  recall {tally.recall:.3f}  polarity {tally.polarity:.3f}  "
            f"({tally.matched} of {tally.found} found, {tally.labelled} labelled)"
        )
    return results


@pytest.mark.parametrize("part", ["en", "fr", "overall"])
def test_concepts_are_found_with_precision_and_recall(tallies: dict[str, Tally], part: str) -> None:
    tally = tallies[part]
    assert tally.precision >= PRECISION, tally.misses
    assert tally.recall >= RECALL, tally.misses


@pytest.mark.parametrize("part", ["en", "fr", "overall"])
def test_the_polarity_of_found_concepts_is_the_labelled_one(tallies: dict[str, Tally], part: str) -> None:
    assert tallies[part].polarity >= POLARITY, tallies[part].misses


def test_the_english_scorer_agrees_in_sign_with_vader() -> None:
    vader = SentimentIntensityAnalyzer()
    vader_only = Vocabulary(english(reviews=False), Taxonomy.default().matcher("en"))  # type: ignore[arg-type]
    analyzer = OfflineAnalyzer()
    sentences = [sentence.text for sentence in labelled_sentences() if sentence.language == "en"]
    theirs = [polarity_of(vader.polarity_scores(text)["compound"]) for text in sentences]
    ours_vader_only = [polarity_of(read(chunks(text), vader_only).sentiment) for text in sentences]
    ours = [polarity_of(analyzer.reading(text, hint="en").sentiment) for text in sentences]  # type: ignore[union-attr]
    same_vader_only = sum(a == b for a, b in zip(ours_vader_only, theirs, strict=True)) / len(sentences)
    judged = [(a, b) for a, b in zip(ours, theirs, strict=True) if b != "neutral"]
    same_where_vader_judges = sum(a == b for a, b in judged) / len(judged)
    print(
        f"\nsame sign as VADER: {same_vader_only:.3f} with VADER's lexicon alone, {same_where_vader_judges:.3f} with "
        f"the review wording on the {len(judged)} of {len(sentences)} sentences VADER finds not neutral"
    )
    assert same_vader_only >= SAME_SIGN_AS_VADER
    assert same_where_vader_judges >= SAME_SIGN_WHERE_VADER_IS_NOT_NEUTRAL
