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
from closedloop.analysis.taxonomy import Naming
from closedloop.analysis.vocabulary import Token, Vocabulary

# the weights of the clauses before and after a contrast word in its sentence
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
# a booster one, two or three words before the sentiment word counts fully, 0.95 or 0.9 of its increment
BOOSTER_DISTANCE = (1.0, 0.95, 0.9)
_MATTERS = attrgetter("matters")
_WORD = attrgetter("word")
PLAINEST_MEMO = 4_096
_PLAINEST: dict[tuple[Naming, ...], tuple[str, ...]] = {}


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
        return {
            name: round(scores[0], 3) if len(scores) == 1 else round(sum(scores) / len(scores), 3)
            for name, scores in self.mentions.items()
        }


def read(chunks: list[str], vocabulary: Vocabulary) -> Reading:
    """Score a comment cut by ``sentences.chunks`` with one language's vocabulary.

    One pass over the tokens that matter: plain words are passed over at C speed, and the words that modify a
    sentiment word are kept with their position, as only the three words before it count. A word that starts a
    phrase is looked at too, and the phrase read in its place when its other words follow. A sentence's weighted
    sum is kept as it goes (before its first contrast word, scaling the sum by one half is exact), and only its
    clauses that name a concept wait for its end, when the sum and the exclamation marks are known.
    """
    reading = Reading()
    tokens = vocabulary.tokens(chunks)
    mentions = reading.mentions
    # the clauses of the sentence that name concepts: valence sum, whether it holds a sentiment word, the
    # concepts, whether a contrast word came before it in the sentence
    named: list[tuple[float, bool, tuple[Naming, ...], bool]] = []
    sentence = 0.0  # the weighted sum of the sentence's clauses so far
    contrasted = False  # whether the sentence had a contrast word so far
    text_total = 0.0
    total = 0.0  # the clause's valence sum
    has_sentiment = False
    concepts: tuple[Naming, ...] = ()
    modifiers: list[tuple[int, Token]] = []  # the boosters, negations and negation stoppers of the clause
    skip_until = 0  # the words of a phrase already read
    for index, token in compress(enumerate(tokens), map(_MATTERS, tokens)):
        if index < skip_until:
            continue
        if token.phrasal:  # it may end or start a phrase, or do nothing but that
            if token.second:  # a phrase may start with the word before it, which does nothing on its own
                before = tokens[index - 1]
                if before.phrase_only and index > skip_until:
                    following = before.phrases.get(token.word)
                    if following is not None:
                        for rest, phrase in following:
                            end = index + 1 + len(rest)
                            if not rest or tuple(map(_WORD, tokens[index + 1 : end])) == rest:
                                token, skip_until = phrase, end
                                index -= 1
                                break
            if token.leads:  # the tokens end with one that follows every word and starts no phrase
                following = token.phrases.get(tokens[index + 1].word)
                if following is not None:
                    for rest, phrase in following:
                        end = index + 2 + len(rest)
                        if not rest or tuple(map(_WORD, tokens[index + 2 : end])) == rest:
                            token, skip_until = phrase, end
                            break
            if not token.alone:
                continue
        if token.boundary:  # punctuation, "and", "but": the clause ends
            if has_sentiment:
                sentence += total * AFTER_CONTRAST if contrasted else total
                if concepts:
                    named.append((total, True, concepts, contrasted))
                    concepts = ()
                total, has_sentiment = 0.0, False
            elif concepts:
                named.append((0.0, False, concepts, contrasted))
                concepts = ()
            if modifiers:
                modifiers = []
            if token.contrast:
                if not contrasted:
                    contrasted = True
                    sentence *= BEFORE_CONTRAST
            elif token.sentence_end:
                if sentence or named:
                    emphasis = token.emphasis
                    if sentence:
                        text_total += sentence + (emphasis if sentence > 0 else -emphasis)
                    if named:
                        _score_concepts(mentions, named, sentence, contrasted, emphasis)
                        named = []
                    sentence = 0.0
                contrasted = False
            continue
        if token.concepts:
            concepts = concepts + token.concepts if concepts else token.concepts
        valence = token.valence
        if valence:
            if modifiers and not token.immune:
                valence = _modified(valence, modifiers, index)
            total += valence
            has_sentiment = True
        if token.modifies:  # kept with the position of its last word
            modifiers.append((index + token.tail, token))
    reading.total = text_total
    return reading


def _score_concepts(
    mentions: dict[str, list[float]],
    named: list[tuple[float, bool, tuple[Naming, ...], bool]],
    sentence: float,
    contrasted: bool,
    emphasis: float,
) -> None:
    """Score the concepts of a sentence's clauses: a clause's own weighted sum, else the sentence's."""
    for total, has_sentiment, concepts, after_contrast in named:
        if has_sentiment:
            raw = total * (AFTER_CONTRAST if after_contrast else BEFORE_CONTRAST) if contrasted else total
        else:
            raw = sentence
        score = normalize(raw + (emphasis if raw > 0 else -emphasis)) if raw else 0.0
        if len(concepts) == 1:
            name = concepts[0][0]
            if name in mentions:
                mentions[name].append(score)
            else:
                mentions[name] = [score]
            continue
        names = _PLAINEST.get(concepts)
        if names is None:
            names = _plainest(concepts)
        for name in names:
            if name in mentions:
                mentions[name].append(score)
            else:
                mentions[name] = [score]


def _plainest(concepts: tuple[Naming, ...]) -> tuple[str, ...]:
    """The concepts named by the plainest terms of a clause: weak terms give way to plainer ones. Remembered per
    combination of namings (a few hundred at most in a taxonomy's use), up to ``PLAINEST_MEMO`` of them."""
    plainest = min(level for _, level in concepts)
    names = tuple(dict.fromkeys(name for name, level in concepts if level == plainest))
    if len(_PLAINEST) >= PLAINEST_MEMO:
        _PLAINEST.clear()
    _PLAINEST[concepts] = names
    return names


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
