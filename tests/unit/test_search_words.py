"""The words a conversation is found by, whatever its text: the quick splits (ASCII text, text of Latin-1 letters
as bytes) must find exactly the words of letters and digits the search has always compared, so that what was
indexed is still found. The reference here is the search's first way, one regular expression over folded text."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Actor, ActorKind, Contact, Conversation, Feedback, Interaction, InteractionKind
from closedloop.domain import rules
from closedloop.domain.privacy import ERASURE_MARKS
from closedloop.domain.search import MAX_WORD, fold, searchable_words, words_of

#: What a word is: a run of letters and digits (no underscore), as the search defines it.
WORD = re.compile(r"[^\W_]+")
WHEN = datetime(2026, 3, 1, tzinfo=UTC)
AGENT = Actor(kind=ActorKind.USER, id="anna", name="Anna")
#: ASCII punctuation and spacing, accented Latin letters, other scripts, and words longer than the cut.
TEXTS = st.text(
    alphabet=st.sampled_from([*" \t\n.,;:@+-_'\"!?/()#", *"abcXYZ019", *"éÀçÑœß", *"Ωжאה漢", "ﬁ", "²"]), max_size=80
) | st.builds(lambda word, tail: word * 7 + tail, st.sampled_from(["abcdefghij", "élodie"]), st.text(max_size=5))
#: Pieces of what customers write, drawn among every Latin-1 character (the quick split's own): ligatures,
#: typographic punctuation, combining accents (and the one that is no combining mark, U+034F), other scripts and
#: their digits, underscores, addresses, phone numbers, the marks an erasure leaves, and words longer than the cut.
PIECES = st.sampled_from([
    " ", "\n", "\t", ".", "@", "+", "-", "_", "'", "\u2019", "«", "»", "…", "\u2013", "\xd7", "\xa0", "\xad",
    "Jane.Doe@Example.com", "élodie_b@exämple.fr", "+33 6 12 34 56 78", "06.12.34.56.78", "٠٦١٢٣", "²³¹",
    "Élodie", "Çà", "cœur", "Straße", "ﬁn", "Æsir", "µ", "½", "e\u0301t\u034fe", "Ωмега", "שלום", "漢字", "देवनागरी",
    "[name]", "[email]", "[phone]", "[nam", "e]", "a" * MAX_WORD, "é" * (MAX_WORD + 3), "x_" * 40, "9" * 70,
])  # fmt: skip
#: Text of Latin-1 characters only (accented Latin letters, ``²``, ``ß``, ``æ``...), as the quick split takes.
LATIN_TEXT = st.lists(
    PIECES.filter(lambda piece: piece.isascii() or piece.encode("latin-1", "ignore").decode("latin-1") == piece)
    | st.characters(max_codepoint=0xFF, exclude_categories=["Cs"]),
    max_size=30,
).map("".join)
#: Latin-1 text with a few characters beyond it: most have one of Latin-1 that folds alike (punctuation, spaces,
#: emoji, Latin letters with accents), some have none (a digit, a ligature, a mark, a letter that folds to itself).
BEYOND_LATIN_1 = st.sampled_from([
    "\u2019", "\u2018", "\u201c", "\u201d", "\u2013", "\u2014", "…", "€", "\u202f", "\u2009", "\u200b", "\U0001f600",
    "\u2764\ufe0f", "ș", "ő", "č", "\u212a", "ǅ", "ł", "œ", "①", "٣", "\u0301", "\u034f", "\u0345", "ﬀ", "İ", "Σ",
]) | st.characters(exclude_categories=["Cs"])  # fmt: skip
MOSTLY_LATIN_TEXT = st.lists(
    PIECES.filter(lambda piece: piece.isascii() or piece.encode("latin-1", "ignore").decode("latin-1") == piece)
    | st.characters(max_codepoint=0xFF, exclude_categories=["Cs"])
    | BEYOND_LATIN_1,
    max_size=30,
).map("".join)
ANY_TEXT = st.lists(PIECES | st.characters(max_codepoint=0xFF, exclude_categories=["Cs"]), max_size=30).map("".join)
#: Text of any script at all, as hypothesis draws it.
WILD_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
SOME_TEXT = ANY_TEXT | WILD_TEXT | TEXTS
KINDS = st.sampled_from([InteractionKind.EMAIL_REPLY, InteractionKind.CUSTOMER_MESSAGE, InteractionKind.NOTE])


def expected_words(text: str) -> list[str]:
    return [word[:MAX_WORD] for word in WORD.findall(fold(text))]


# The search's first way, kept as the reference: fold as it was (whole texts), split by the regular expression.
BEYOND_LATIN_ACCENTS = re.compile("[^\x00-\x7f\u0300-\u036f]")


def reference_fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    if not BEYOND_LATIN_ACCENTS.search(decomposed):
        return decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return decomposed.translate(reference_marks()).casefold()


@functools.cache
def reference_marks() -> dict[int, None]:
    return {point: None for point in range(0x20000) if unicodedata.combining(chr(point))}


def reference_words(text: str) -> list[str]:
    return [word[:MAX_WORD] for word in WORD.findall(reference_fold(text))]


def reference_texts(conversation: Conversation) -> Iterator[str]:
    feedback = conversation.feedback
    yield from (feedback.contact.name, feedback.contact.email, feedback.contact.tel)
    yield from (comment.text for comment in feedback.comments)
    yield from feedback.answers.values()
    for entry in conversation.history:
        if entry.kind in (InteractionKind.EMAIL_REPLY, InteractionKind.REVIEW_REPLY, InteractionKind.CUSTOMER_MESSAGE):
            body = entry.body
            for mark in ERASURE_MARKS:
                body = body.replace(mark, " ")
            yield body


def reference_searchable_words(conversation: Conversation) -> str:
    seen = dict.fromkeys(reference_words("\n".join(reference_texts(conversation))))
    contact = conversation.feedback.contact
    for whole in (
        "".join(reference_words(contact.email))[:MAX_WORD],
        "".join(filter(str.isdigit, contact.tel))[:MAX_WORD],
    ):
        if whole:
            seen[whole] = None
    return " ".join(seen)


@settings(max_examples=400)
@given(TEXTS)
def test_a_text_is_cut_into_its_folded_words_of_letters_and_digits(text: str) -> None:
    assert words_of(text) == expected_words(text)


@settings(max_examples=400)
@given(SOME_TEXT)
def test_a_text_is_folded_and_cut_as_it_always_was(text: str) -> None:
    assert words_of(text) == reference_words(text)


@settings(max_examples=200)
@given(name=TEXTS, comment=TEXTS, email=TEXTS)
def test_a_conversation_is_found_by_each_distinct_word_once_in_the_order_they_come(
    name: str, comment: str, email: str
) -> None:
    feedback = Feedback(
        source="survey", external_id="r-1", place_id="p-1", received_at=WHEN,
        contact=Contact(name=name, email=email), comments=[comment] if comment.strip() else [],
    )  # fmt: skip
    conversation = rules.open_conversation("c-1", feedback, now=WHEN, alert=None)
    words = searchable_words(conversation).split(" ")
    in_order = list(dict.fromkeys(expected_words(f"{name}\n{email}\n{comment if comment.strip() else ''}")))
    assert words[: len(in_order)] == in_order
    assert len(words) == len(set(words))


def conversations(text: st.SearchStrategy[str]) -> st.SearchStrategy[Conversation]:
    """Conversations whose every text (contact, comments, answers, replies and notes) is drawn from ``text``."""
    return st.builds(
        conversation_of,
        contact=st.tuples(text, text, text),
        comments=st.lists(text, max_size=3),
        answers=st.dictionaries(st.sampled_from(["visit", "why"]), text, max_size=2),
        replies=st.lists(st.tuples(KINDS, text), max_size=3),
    )


def conversation_of(
    contact: tuple[str, str, str],
    comments: list[str],
    answers: dict[str, str],
    replies: list[tuple[InteractionKind, str]],
) -> Conversation:
    name, email, tel = contact
    feedback = Feedback(
        source="survey", external_id="r-1", place_id="p-1", received_at=WHEN,
        contact=Contact(name=name, email=email, tel=tel), comments=[text for text in comments if text], answers=answers,
    )  # fmt: skip
    conversation = rules.open_conversation("c-1", feedback, now=WHEN, alert=None)
    history = tuple(Interaction(kind=kind, at=WHEN, author=AGENT, body=body) for kind, body in replies)
    return attrs.evolve(conversation, history=conversation.history + history)


@settings(max_examples=900)
@given(conversations(LATIN_TEXT) | conversations(MOSTLY_LATIN_TEXT) | conversations(SOME_TEXT))
def test_a_conversation_is_found_by_the_very_words_it_always_was(conversation: Conversation) -> None:
    assert searchable_words(conversation) == reference_searchable_words(conversation)


@pytest.mark.parametrize("tel", ["+33 \u2460 12", "\u0660\u0666 12", "\xb206", "\U0001d7ce\U0001d7d4 12", "06 12"])
def test_a_phone_number_whole_keeps_its_digits_as_written_whatever_the_text(tel: str) -> None:
    conversation = conversation_of(("Zoé", "zoe@example.com", tel), ["Très bien\u2019 merci \U0001f600 ș"], {}, [])
    assert searchable_words(conversation) == reference_searchable_words(conversation)
