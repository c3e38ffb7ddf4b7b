"""Rephrasing offline: what can be done to a reply without a language model, and nothing more.

It swaps the greeting and the sign-off for the tone's, makes the phrase bank's swaps of that tone (contractions
spelled out for formal, fillers cut for concise, ...), adds an apology for the apologetic tone when there is
none, and tidies spacing, capitals and repeated punctuation. It never rewrites a sentence, so it cannot change a
fact; it cannot fix spelling or grammar either. Each step is a plain function of the text.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from closedloop.assistance.phrasebank import PhraseBank
from closedloop.assistance.templates import Wording

if TYPE_CHECKING:
    from closedloop.analysis import OfflineAnalyzer

#: Written before ; : ! ? in French, and inside « »: a no-break space, as French word processors put it.
FRENCH_SPACE = "\u00a0"
_SPACES = "[ \t\u00a0\u202f]"
_SENTENCE_END = ".!?…"
#: What a sentence's last character may be: its mark, or a quote or bracket closed after it.
SENTENCE_CLOSE = ".!?\"'\u2019»)"


def tidy_lines(text: str) -> str:
    """One space between words, no space at a line's ends, one blank line at most between paragraphs."""
    lines = [
        re.sub(r"[ \t]+", " ", line).strip(" \t") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def tidy_punctuation(text: str) -> str:
    """``!!!`` -> ``!``, ``??`` -> ``?``, ``?!?!`` -> ``?!``, ``,,`` -> ``,``, ``....`` -> ``...``, ``..`` -> ``.``."""
    text = re.sub(r"[!?]{2,}", lambda run: "?!" if len(set(run.group())) == 2 else run.group()[0], text)
    text = re.sub(r"([,;:])\1+", r"\1", text)
    text = re.sub(r"\.{4,}", "...", text)
    return re.sub(r"(?<!\.)\.\.(?![./])", ".", text)


def tidy_spacing(text: str, language: str) -> str:
    """No space before , and . (nor before ; : ! ? but in French, where a no-break space goes there and inside
    « »); a space after a comma or semicolon that touches the next word. Times and addresses (10:30, https://)
    are left alone, since the mark is not followed by a space there."""
    text = re.sub(rf"{_SPACES}+(?=[,.](?!\d))", "", text)
    text = re.sub(r"([,;])(?=[^\W\d_])", r"\1 ", text)
    if language == "fr":
        text = re.sub(rf"(?<=\S){_SPACES}*([;:!?]+)(?=\s|$|[»)\"'\u2019])", rf"{FRENCH_SPACE}\1", text)
        text = re.sub(rf"«{_SPACES}*", f"«{FRENCH_SPACE}", text)
        return re.sub(rf"{_SPACES}*»", f"{FRENCH_SPACE}»", text)
    return re.sub(rf"(?<=\S){_SPACES}+(?=[;:!?](?:\s|$))", "", text)


def ends_sentence(before: str, abbreviations: tuple[str, ...]) -> bool:
    """Whether ``before`` (the text up to a space) ends a sentence: with . ! or ?, but not an abbreviation such as
    ``e.g.``, an ellipsis, or an initial."""
    stripped = before.rstrip(" \t\u00a0\u202f\"'\u2019»)")
    if not stripped or stripped[-1] not in ".!?" or stripped.endswith(("...", "…")):
        return False
    last_word = stripped.split()[-1] if stripped.split() else ""
    if last_word.casefold() in {abbreviation.casefold() for abbreviation in abbreviations}:
        return False
    return not re.fullmatch(r"[^\W\d_]\.", last_word)  # "J. Smith": an initial, not a sentence end


def looks_like_an_address(word: str) -> bool:
    """A web or email address (``https://...``, ``shop.example``, ``ana@shop.example``), which keeps its case."""
    return bool(re.search(r"://|@|\.[^\W\d_]", word))


def capitalised(text: str, abbreviations: tuple[str, ...]) -> str:
    """A capital at the start of the text, of each paragraph and of each sentence. A line after a short line
    ending with a comma (a greeting, a sign-off) starts anew; a line wrapped mid-sentence does not."""
    lines = text.split("\n")
    starts_anew = True
    for index, line in enumerate(lines):
        characters = list(line)
        pending = starts_anew
        for position, char in enumerate(characters):
            if char.isalpha():
                if pending and char.islower() and not looks_like_an_address(line[position:].split(maxsplit=1)[0]):
                    characters[position] = char.upper()
                pending = False
            elif char.isdigit():
                pending = False
            elif (
                char.isspace()
                and line[position - 1 : position] in SENTENCE_CLOSE
                and ends_sentence(line[max(0, position - 40) : position], abbreviations)
            ):
                pending = True
        lines[index] = "".join(characters)
        stripped = line.rstrip()
        starts_anew = (
            not stripped
            or (stripped[-1] in _SENTENCE_END and ends_sentence(stripped, abbreviations))
            or stripped[-1] == ":"
            or (stripped[-1] == "," and len(stripped.split()) <= 5)
        )
    return "\n".join(lines)


def greeting_swapped(text: str, bank: PhraseBank, wording: Wording, tone: str) -> tuple[str, bool]:
    """The text with its opening greeting said the tone's way, the name kept; and whether the greeting stands
    alone on the first line. A greeting followed by a word in lower case ("Hello and thanks") is left alone."""
    match = bank.greeting_pattern.match(text)
    if match is None:
        return text, False
    name = match["name"] or ""
    if name and not all(word[:1].isupper() for word in name.split()):
        return text, False
    rest = text[match.end() :]
    alone = not rest.strip(" \t") or rest.lstrip(" \t").startswith("\n")
    greeting = wording.fill(f"greeting.{tone}" if name else f"greeting_without_name.{tone}", {"first_name": name})
    if not greeting:
        return text, alone
    return greeting + (rest if alone else " " + rest.lstrip(" \t")), alone


def sign_off_line(lines: list[str], bank: PhraseBank, *, below: int) -> int | None:
    """The index of the sign-off among the last four non-blank lines, searching up from the bottom; it comes
    after line ``below`` (the greeting, or the first line of the body), so a short text is not taken for one."""
    filled = [index for index, line in enumerate(lines) if line.strip()][-4:]
    return next((index for index in reversed(filled) if index > below and bank.is_sign_off(lines[index])), None)


#: From this overall sentiment up (VADER's compound scale), a text reads as plainly happy: nothing to apologise for.
HAPPY = 0.5


def plainly_happy(text: str, language: str) -> bool:
    """Whether the offline analyzer reads the text as plainly positive, so an apology would ring false."""
    reading = _analyzer().reading(text, hint=language)
    return reading is not None and reading.sentiment >= HAPPY


@functools.cache
def _analyzer() -> OfflineAnalyzer:
    """Built once, when a rephrasing first asks, so importing the assistant loads no lexicon."""
    from closedloop.analysis import OfflineAnalyzer

    return OfflineAnalyzer()


def apology_added(lines: list[str], bank: PhraseBank, *, body_start: int, body_end: int) -> list[str]:
    """The lines with the bank's apology ending the first paragraph of the body (``lines[body_start:body_end]``),
    or as a paragraph of its own before the sign-off when there is no body."""
    body = [index for index in range(body_start, body_end) if lines[index].strip()]
    if not body:
        return [*lines[:body_start], "", bank.apology, "", *lines[body_start:]]
    end = body[0]
    while end + 1 < body_end and lines[end + 1].strip():
        end += 1
    last = lines[end].rstrip()
    ended = last[-1] in SENTENCE_CLOSE + ",;:…"
    return [*lines[:end], f"{last}{'' if ended else '.'} {bank.apology}", *lines[end + 1 :]]


def toned(text: str, *, tone: str, bank: PhraseBank, wording: Wording) -> str:
    """``text`` (tidied) in ``tone``, as far as the phrase bank can take it."""
    text, greeting_alone = greeting_swapped(text, bank, wording, tone)
    lines = text.split("\n")
    first_swapped = 1 if greeting_alone else 0
    body_first = next((index for index in range(first_swapped, len(lines)) if lines[index].strip()), len(lines))
    sign_off = sign_off_line(lines, bank, below=0 if greeting_alone else body_first)
    tone_sign_off = wording.fill(f"sign_off.{tone}", {})
    if sign_off is not None and tone_sign_off:
        lines[sign_off] = tone_sign_off
    swap = bank.swapper(tone)
    last_swapped = sign_off if sign_off is not None else len(lines)
    lines = [swap(line) if first_swapped <= index < last_swapped else line for index, line in enumerate(lines)]
    body = "\n".join(lines[first_swapped:last_swapped])
    if tone == "apologetic" and not bank.apologises("\n".join(lines)) and not plainly_happy(body, wording.language):
        lines = apology_added(lines, bank, body_start=first_swapped, body_end=last_swapped)
    return "\n".join(lines)


def rephrased(text: str, *, tone: str, language: str, bank: PhraseBank | None, wording: Wording) -> str:
    """``text`` in ``tone`` with its spacing, capitals and punctuation tidied; ``language`` is a primary code.

    Without a phrase bank for the language, only the spacing, capitals and punctuation are tidied.
    """
    text = tidy_lines(text)
    if bank is not None:
        text = tidy_lines(toned(text, tone=tone, bank=bank, wording=wording)) or text  # all filler: keep it
    text = tidy_punctuation(tidy_spacing(tidy_punctuation(text), language))  # ", ," is ",," once spaced
    return capitalised(text, bank.abbreviations if bank is not None else ())
