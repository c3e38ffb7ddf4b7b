"""One language's words as the scorer meets them: the sentiment lexicon and the taxonomy merged, looked up once
per distinct chunk of text.

Looking a word up means folding it, trying the lexicon's entries and prefixes and the taxonomy's words and stems;
a vocabulary does that the first time it meets a chunk and remembers the answer (up to ``MEMO_SIZE`` chunks,
then it starts over), so reading a comment costs a dictionary look-up per chunk, made at C speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain

from closedloop.analysis.language import common_words
from closedloop.analysis.lexicon import EXCLAMATION, NOTHING, Lexicon, Meaning
from closedloop.analysis.sentences import Piece, pieces
from closedloop.analysis.taxonomy import Matcher, Naming

MEMO_SIZE = 200_000
#: Longer than any word of the lexicons or taxonomies: such a "word" (a pasted code, a run of one letter) is
#: read as a plain word without looking it up, as looking up a word tries its prefixes and grows with its square.
LONGEST_WORD = 48


class Token:
    """A word, phrase or punctuation mark with everything the scorer needs to know about it."""

    __slots__ = (
        "alone",
        "booster",
        "boundary",
        "concepts",
        "contrast",
        "emphasis",
        "ends_clause",
        "exclaims",
        "immune",
        "kind",
        "leads",
        "matters",
        "modifies",
        "negation",
        "phrasal",
        "phrase_only",
        "phrases",
        "second",
        "sentence_end",
        "stops_negation",
        "tail",
        "valence",
        "word",
    )

    def __init__(self, kind: Piece, word: str, meaning: Meaning = NOTHING, concepts: tuple[Naming, ...] = ()) -> None:
        self.kind = kind
        self.word = word
        self.valence = meaning.valence
        self.booster = meaning.booster
        self.negation = meaning.negation
        self.contrast = meaning.contrast
        self.ends_clause = meaning.ends_clause or meaning.contrast
        self.stops_negation = meaning.stops_negation
        self.concepts = concepts
        # the phrases this word starts, by their second word: (the words after the second, the phrase), longest
        # first; set by the vocabulary
        self.phrases: dict[str, tuple[tuple[tuple[str, ...], Token], ...]] = {}
        self.immune = False  # a phrase holding a negation of its own ("pas terrible") is not turned around again
        self.exclaims = min(word.count("!"), 4) if kind is Piece.SENTENCE_END else 0
        self.sentence_end = kind is Piece.SENTENCE_END
        self.emphasis = self.exclaims * EXCLAMATION
        self.boundary = kind is not Piece.WORD or self.ends_clause  # punctuation, "and", "but": a clause ends
        # whether a sentiment word after it must know of it (a booster that is itself a sentiment word boosts
        # nothing, as in VADER), and whether it does anything on its own
        self.modifies = bool((self.booster and not self.valence) or self.negation or self.stops_negation)
        self.alone = self.boundary or self.modifies or bool(self.valence or concepts)
        self.matters = self.alone
        # a word that does nothing on its own but start phrases ("the", "a"): the scorer looks at it only from the
        # word after it, when that word is one its phrases go on with
        self.phrase_only = False
        self.leads = False  # it starts phrases and the scorer looks ahead from it
        self.second = False  # it may be the second word of a phrase that a phrase-only word starts
        self.phrasal = not self.alone  # any of the three above, or it does nothing on its own
        self.tail = 0  # how many words follow the first in a phrase

    def starts(
        self, phrases: dict[str, tuple[tuple[tuple[str, ...], Token], ...]], *, from_second: bool, second: bool
    ) -> None:
        """Note the phrases this word starts, whether they are looked for from their second word, and whether this
        word may be the second of a phrase looked for that way."""
        self.phrases = phrases
        self.phrase_only = bool(phrases) and from_second
        self.leads = bool(phrases) and not from_second
        self.second = second
        self.matters = self.alone or self.leads or second
        self.phrasal = self.leads or second or not self.alone


LINE_END = Token(Piece.SENTENCE_END, "\n")
# what the scorer reads after a comment's last token: it ends the last sentence, and no phrase goes on into it
TEXT_END = Token(Piece.SENTENCE_END, "")


class Vocabulary:
    """The lexicon (may be None: concepts are then found with a neutral sentiment) and the taxonomy's matcher of
    one language, with the memo of chunks already read."""

    def __init__(self, lexicon: Lexicon | None, matcher: Matcher) -> None:
        self._lexicon = lexicon
        self._matcher = matcher
        entries = lexicon.entries if lexicon else {}
        negations = frozenset(word for word, meaning in entries.items() if meaning.negation)
        by_two: dict[str, dict[str, list[tuple[tuple[str, ...], Token]]]] = {}
        for key, token in _phrase_tokens(lexicon.phrases if lexicon else {}, matcher, negations).items():
            by_two.setdefault(key[0], {}).setdefault(key[1], []).append((key[2:], token))
        self._phrases = {
            first: {second: tuple(sorted(found, key=lambda entry: -len(entry[0]))) for second, found in seconds.items()}
            for first, seconds in by_two.items()
        }
        # the words doing nothing on their own but start phrases, whose phrases never go on with a common word:
        # looked at from their second words (rare) rather than each time they are met ("the", "a", "la")
        common = common_words()
        self._from_second = frozenset(
            first for first, seconds in self._phrases.items() if not self._alone(first) and common.isdisjoint(seconds)
        )
        self._seconds = frozenset(second for first in self._from_second for second in self._phrases[first])
        self._chunks: dict[str, tuple[Token, ...]] = {"\n": (LINE_END,)}

    def tokens(self, chunks: list[str]) -> list[Token]:
        """The tokens of a comment cut by ``sentences.chunks``, then ``TEXT_END``; a line break ends a sentence."""
        try:
            found = list(chain.from_iterable(map(self._chunks.get, chunks)))  # type: ignore[arg-type]
        except TypeError:  # a chunk not met before (``None``): read the new ones, then try again
            known = [self._chunks.get(chunk) or self._read(chunk) for chunk in chunks]
            found = list(chain.from_iterable(known))
        found.append(TEXT_END)
        return found

    def _read(self, chunk: str) -> tuple[Token, ...]:
        found = tuple(
            self._word(piece) if kind is Piece.WORD else Token(kind, piece) for kind, piece in pieces(chunk.strip())
        )
        if len(self._chunks) >= MEMO_SIZE:
            self._chunks.clear()
            self._chunks["\n"] = (LINE_END,)
        self._chunks[chunk] = found
        return found

    def _word(self, word: str) -> Token:
        if len(word) > LONGEST_WORD:
            return Token(Piece.WORD, word)
        meaning = self._lexicon.meaning(word) if self._lexicon else NOTHING
        token = Token(Piece.WORD, word, meaning, self._matcher.concepts_of(word))
        token.starts(self._phrases.get(word, {}), from_second=word in self._from_second, second=word in self._seconds)
        return token

    def _alone(self, word: str) -> bool:
        if len(word) > LONGEST_WORD:
            return Token(Piece.WORD, word).alone
        meaning = self._lexicon.meaning(word) if self._lexicon else NOTHING
        return Token(Piece.WORD, word, meaning, self._matcher.concepts_of(word)).alone


def _phrase_tokens(
    lexicon_phrases: Mapping[tuple[str, ...], Meaning], matcher: Matcher, negations: frozenset[str]
) -> dict[tuple[str, ...], Token]:
    """Lexicon and taxonomy phrases by their words. A lexicon phrase names the concepts its words name ("long
    wait" is about waiting); a taxonomy phrase carries the sentiment of the same lexicon phrase, if any; a
    phrase holding a negation is not turned around by another."""
    concepts: dict[tuple[str, ...], tuple[Naming, ...]] = {
        key: tuple(dict.fromkeys(naming for word in key for naming in matcher.concepts_of(word)))
        for key in lexicon_phrases
    }
    for key, named in matcher.phrases.items():
        concepts[key] = tuple(dict.fromkeys((*named, *concepts.get(key, ()))))
    tokens: dict[tuple[str, ...], Token] = {}
    for key, named in concepts.items():
        meaning = lexicon_phrases.get(key, NOTHING)
        token = Token(Piece.WORD, " ".join(key), meaning, named)
        token.immune = meaning.negation or any(word in negations for word in key)
        token.tail = len(key) - 1
        tokens[key] = token
    return tokens
