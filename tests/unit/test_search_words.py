"""The words a conversation is found by, whatever its text: the quick split of ASCII text must find exactly the
words of letters and digits the search has always compared, so that what was indexed is still found."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Contact, Feedback
from closedloop.domain import rules
from closedloop.domain.search import MAX_WORD, fold, searchable_words, words_of

#: What a word is: a run of letters and digits (no underscore), as the search defines it.
WORD = re.compile(r"[^\W_]+")
WHEN = datetime(2026, 3, 1, tzinfo=UTC)
#: ASCII punctuation and spacing, accented Latin letters, other scripts, and words longer than the cut.
TEXTS = st.text(
    alphabet=st.sampled_from([*" \t\n.,;:@+-_'\"!?/()#", *"abcXYZ019", *"éÀçÑœß", *"Ωжאה漢", "ﬁ", "²"]), max_size=80
) | st.builds(lambda word, tail: word * 7 + tail, st.sampled_from(["abcdefghij", "élodie"]), st.text(max_size=5))


def expected_words(text: str) -> list[str]:
    return [word[:MAX_WORD] for word in WORD.findall(fold(text))]


@settings(max_examples=400)
@given(TEXTS)
def test_a_text_is_cut_into_its_folded_words_of_letters_and_digits(text: str) -> None:
    assert words_of(text) == expected_words(text)


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
