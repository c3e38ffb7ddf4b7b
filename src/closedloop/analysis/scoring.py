"""Scoring a comment: the concepts it names and the sentiment of the clause each is named in.

The rules are VADER's, read in one pass over the words rather than VADER's several (its ``polarity_scores``
costs tens of microseconds per short sentence, and intake must stay fast): a sentiment word's valence grows with
the boosters among the three words before it (VADER's increments, less for the farther ones) and is turned
around by a negation among them (VADER's scalar); a contrast word ("but", "mais") ends a clause, and in its
sentence what came before counts half and what follows one and a half; exclamation marks add emphasis;
VADER's ``normalize`` maps the sum to -1..1. A concept's sentiment is that of its clause (a sentence is cut at
commas, semicolons and contrast words), or of its sentence when the clause holds no sentiment word.
"""

from __future__ import annotations

from itertools import compress
from operator import attrgetter

from vaderSentiment.vaderSentiment import normalize  # type: ignore[import-untyped]

from closedloop.analysis.lexicon import NEGATION_SCALAR
from closedloop.analysis.sentences import Piece
from closedloop.analysis.taxonomy import Naming
from closedloop.analysis.vocabulary import Token, Vocabulary

# VADER's emphasis per exclamation mark (at most four count), and the weights of the clauses before and after
# a contrast word in its sentence
EXCLAMATION = 0.292
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
# a booster one, two or three words before the sentiment word counts fully, 0.95 or 0.9 of its increment
BOOSTER_DISTANCE = (1.0, 0.95, 0.9)
_MATTERS = attrgetter("matters")


class Reading:
    """What scoring one text found: each concept's clause sentiments, and the sentiment of the whole text."""

    __slots__ = ("mentions", "total")

    def __init__(self) -> None:
        self.mentions: dict[str, list[float]] = {}
        self.total = 0.0  # the sum VADER would normalize: every sentence's weighted valences and emphasis

    @property
    def sentiment(self) -> float:
        """The whole text's sentiment from -1 to 1, as VADER's ``compound``."""
        return float(normalize(self.total)) if self.total else 0.0

    def concepts(self) -> dict[str, float]:
        """Each concept named, once, with the mean sentiment of its mentions rounded to 3 places."""
        return {name: round(sum(scores) / len(scores), 3) for name, scores in self.mentions.items()}


def read(chunks: list[str], vocabulary: Vocabulary) -> Reading:
    """Score a comment cut by ``sentences.chunks`` with one language's vocabulary.

    One pass over the tokens that matter: plain words are passed over at C speed, and the words that modify a
    sentiment word are kept with their position, as only the three words before it count. A word that starts a
    phrase is looked at too, and the phrase read in its place when its other words follow.
    """
    reading = Reading()
    tokens = vocabulary.tokens(chunks)
    # each clause of the sentence: its valence sum, whether it holds a sentiment word, the concepts it names
    clauses: list[tuple[float, bool, list[Naming]]] = []
    contrast_at = -1  # the index of the first clause after a contrast word in the sentence
    total = 0.0
    has_sentiment = False
    concepts: list[Naming] = []
    modifiers: list[tuple[int, Token]] = []  # boosters, negations and sentiment words of the clause
    count = len(tokens)
    skip_until = 0  # the words of a phrase already read
    for index in compress(range(count), map(_MATTERS, tokens)):
        if index < skip_until:
            continue
        token = tokens[index]
        position = index
        if token.phrases and index + 1 < count:
            following = token.phrases.get(tokens[index + 1].word)
            if following is not None:
                for rest, phrase in following:
                    end = index + 2 + len(rest)
                    if end <= count and all(tokens[index + 2 + at].word == word for at, word in enumerate(rest)):
                        token, skip_until, position = phrase, end, end - 1
                        break
        if token.kind or token.ends_clause:  # punctuation, "and", "but": the clause ends
            if concepts or has_sentiment:
                clauses.append((total, has_sentiment, concepts))
                total, has_sentiment, concepts = 0.0, False, []
            modifiers = []
            if token.contrast:
                if contrast_at < 0:
                    contrast_at = len(clauses)
            elif token.kind is Piece.SENTENCE_END:
                if clauses:
                    _end_sentence(reading, clauses, contrast_at, token.exclaims)
                    clauses = []
                contrast_at = -1
            continue
        if token.concepts:
            concepts.extend(token.concepts)
        valence = token.valence
        if valence:
            if modifiers and not token.immune:
                valence = _modified(valence, modifiers, index)
            total += valence
            has_sentiment = True
        if token.modifies:
            modifiers.append((position, token))
    if concepts or has_sentiment:
        clauses.append((total, has_sentiment, concepts))
    if clauses:
        _end_sentence(reading, clauses, contrast_at, 0)
    return reading


def _end_sentence(
    reading: Reading, clauses: list[tuple[float, bool, list[Naming]]], contrast_at: int, exclaims: int
) -> None:
    """Score the concepts of a sentence's clauses, and add the sentence to the text's sum."""
    if contrast_at >= 0:
        clauses = [
            (total * (AFTER_CONTRAST if position >= contrast_at else BEFORE_CONTRAST), has, concepts)
            for position, (total, has, concepts) in enumerate(clauses)
        ]
    sentence = 0.0
    for total, _, _ in clauses:
        sentence += total
    emphasis = min(exclaims, 4) * EXCLAMATION
    if sentence:
        reading.total += sentence + (emphasis if sentence > 0 else -emphasis)
    mentions = reading.mentions
    for total, has_sentiment, concepts in clauses:
        if not concepts:
            continue
        raw = total if has_sentiment else sentence
        score = float(normalize(raw + (emphasis if raw > 0 else -emphasis))) if raw else 0.0
        for name in _plainest(concepts):
            if name in mentions:
                mentions[name].append(score)
            else:
                mentions[name] = [score]


def _plainest(concepts: list[Naming]) -> list[str]:
    """The concepts named by the plainest terms of a clause: weak terms give way to plainer ones."""
    if len(concepts) == 1:
        return [concepts[0][0]]
    plainest = min(level for _, level in concepts)
    return list(dict.fromkeys(name for name, level in concepts if level == plainest))


def _modified(valence: float, modifiers: list[tuple[int, Token]], position: int) -> float:
    """``valence`` grown by the boosters and turned around by a negation among the three words before
    ``position``, unless a word such as "so" follows the negation ("never so good"). As in VADER, a booster that
    is itself a sentiment word boosts nothing."""
    negated = False
    for at, word in modifiers:
        distance = position - at - 1
        if distance > 2:
            continue
        if word.booster and not word.valence:
            valence += (word.booster if valence > 0 else -word.booster) * BOOSTER_DISTANCE[distance]
        if word.negation:
            negated = True
        elif word.stops_negation:
            negated = False
    return valence * NEGATION_SCALAR if negated else valence
