"""How comments are cut: into chunks (what lies between spaces), chunks into words and the punctuation that ends
a sentence or a clause.

Words are folded (lower case, accents and ligatures removed, typographic apostrophes made plain) before any
look-up, so "qualité" and "qualite", "cœur" and "coeur" are one word; an apostrophe or a hyphen splits words
("n'est" is "n" and "est"). The analyzer remembers what each distinct chunk holds, so folding and the regular
expression below run once per new chunk rather than once per text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from enum import IntEnum

# a word, a run of sentence-ending marks, or one clause-ending mark
_PIECE = re.compile(r"[^\W\d_]+|[.!?…]+|[,;:()]")
# ligatures written out, typographic apostrophes (U+2019, U+2018) made plain
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "\u2019": "'", "\u2018": "'"})
# a chunk made of a dash alone separates two clauses ("great food - slow service")
DASHES = frozenset({"-", "--", "\u2013", "\u2014"})  # hyphen, two hyphens, en dash, em dash


class Piece(IntEnum):
    """What a piece of a comment is to the scorer."""

    WORD = 0
    CLAUSE_END = 1
    SENTENCE_END = 2


def fold(text: str) -> str:
    """``text`` in lower case without accents or ligatures: the form every look-up uses."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def chunks(text: str) -> list[str]:
    """``text`` lower case, cut at single spaces, each line break a chunk of its own: what
    :meth:`Vocabulary.tokens` and language detection read. Accents are folded when a chunk is first read."""
    return text.lower().replace("\n", " \n ").split(" ")


def pieces(chunk: str) -> Iterator[tuple[Piece, str]]:
    """The words and punctuation of one chunk (text between spaces), folded, in order."""
    if chunk in DASHES:
        yield Piece.CLAUSE_END, chunk
        return
    for piece in _PIECE.findall(fold(chunk)):
        first = piece[0]
        if first in ".!?…":
            yield Piece.SENTENCE_END, piece
        elif first in ",;:()":
            yield Piece.CLAUSE_END, piece
        else:
            yield Piece.WORD, piece


def words(text: str) -> list[str]:
    """The folded words of ``text``, without punctuation: how taxonomy terms and lexicon entries are read."""
    return [piece for chunk in text.split() for kind, piece in pieces(chunk) if kind is Piece.WORD]
