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
_LINE_END = Token(Piece.SENTENCE_END, "\n")


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


def read(text: str, vocabulary: Vocabulary) -> Reading:
    """Score ``text`` with one language's vocabulary."""
    tokens: list[Token] = []
    chunk = vocabulary.chunk
    for line in text.lower().splitlines():
        for piece in line.split():
            tokens.extend(chunk(piece))
        tokens.append(_LINE_END)
    reading = Reading()
    _Sentences(reading).run(tokens)
    return reading


class _Sentences:
    """The pass over one text's tokens, sentence by sentence."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        # each clause's valence sum, whether it holds a sentiment word, and the concepts its terms name
        self.clauses: list[tuple[float, bool, list[Naming]]] = []
        self.contrast_at = -1  # the index of the first clause after a contrast word in this sentence

    def run(self, tokens: list[Token]) -> None:
        count = len(tokens)
        total = 0.0
        has_sentiment = False
        concepts: list[Naming] = []
        recent: list[Token] = []  # the words before the current one in its clause, three at most
        exclaims = 0
        index = 0
        while index < count:
            token = tokens[index]
            index += 1
            if token.kind is not Piece.WORD:
                self.clauses.append((total, has_sentiment, concepts))
                total, has_sentiment, concepts, recent = 0.0, False, [], []
                if token.kind is Piece.SENTENCE_END:
                    exclaims += token.exclaims
                    self.end_sentence(exclaims)
                    exclaims = 0
                continue
            for rest, phrase in token.phrases:
                end = index + len(rest)
                if end <= count and all(tokens[index + offset].word == word for offset, word in enumerate(rest)):
                    token, index = phrase, end
                    break
            if token.contrast:
                self.clauses.append((total, has_sentiment, concepts))
                total, has_sentiment, concepts, recent = 0.0, False, [], []
                if self.contrast_at < 0:
                    self.contrast_at = len(self.clauses)
                continue
            if token.concepts:
                concepts.extend(token.concepts)
            valence = token.valence
            if valence:
                if recent and not token.immune:
                    valence = _modified(valence, recent)
                total += valence
                has_sentiment = True
            recent.append(token)
            if len(recent) > 3:
                del recent[0]
        if concepts or total:
            self.clauses.append((total, has_sentiment, concepts))
            self.end_sentence(exclaims)

    def end_sentence(self, exclaims: int) -> None:
        """Score the concepts of the sentence's clauses, and add the sentence to the text's sum.

        A clause that names no concept but holds sentiment speaks of the concepts of the clause before it ("the
        food was fine but lacked salt").
        """
        clauses, contrast_at = self.clauses, self.contrast_at
        self.clauses, self.contrast_at = [], -1
        if contrast_at >= 0:
            clauses = [
                (total * (AFTER_CONTRAST if position >= contrast_at else BEFORE_CONTRAST), has, concepts)
                for position, (total, has, concepts) in enumerate(clauses)
            ]
        sentence = sum(total for total, _, _ in clauses)
        emphasis = min(exclaims, 4) * EXCLAMATION
        if sentence:
            self.reading.total += sentence + (emphasis if sentence > 0 else -emphasis)
        mentions = self.reading.mentions
        named: list[str] = []
        for total, has_sentiment, concepts in clauses:
            if concepts:
                named = _plainest(concepts)
            elif not (has_sentiment and named):
                continue
            raw = total if has_sentiment else sentence
            score = float(normalize(raw + (emphasis if raw > 0 else -emphasis))) if raw else 0.0
            for name in named:
                mentions.setdefault(name, []).append(score)


def _plainest(concepts: list[Naming]) -> list[str]:
    """The concepts named by the plainest terms of a clause: weak terms give way to plainer ones."""
    if len(concepts) == 1:
        return [concepts[0][0]]
    plainest = min(level for _, level in concepts)
    return list(dict.fromkeys(name for name, level in concepts if level == plainest))


def _modified(valence: float, recent: list[Token]) -> float:
    """``valence`` grown by the boosters and turned around by a negation among the (up to three) words before,
    unless a word such as "so" follows the negation ("never so good")."""
    negated = False
    for distance, word in enumerate(reversed(recent)):
        if word.booster and not word.valence:
            valence += (word.booster if valence > 0 else -word.booster) * BOOSTER_DISTANCE[distance]
    for word in recent:
        if word.negation:
            negated = True
        elif word.stops_negation:
            negated = False
    return valence * NEGATION_SCALAR if negated else valence
