"""The offline assistant's wording: templates per language, shipped as data files and overridable by a desk.

The wording is data (``data/<language>.toml``) so a desk can change what its drafts say without code. Every
file is checked when it is read, so a mistyped key or placeholder is refused when the desk opens, naming the
file and the key, instead of showing up later inside a customer's reply.
"""

from __future__ import annotations

import functools
import os
import re
import string
import tomllib
from collections.abc import Collection, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from closedloop.domain.drafts import TONES, Band
from closedloop.domain.errors import InvalidInput
from closedloop.domain.text import shown

#: The languages closedloop writes drafts in out of the box; any other falls back to the first.
BUILT_IN_LANGUAGES: tuple[str, ...] = ("en", "fr")
FALLBACK_LANGUAGE = "en"
BANDS: tuple[str, ...] = tuple(band.value for band in Band)
POLARITIES: tuple[str, ...] = ("negative", "positive")

BODY = frozenset({"place", "business"})
#: Pieces with one text per tone, and the placeholders each may use.
PER_TONE: Mapping[str, frozenset[str]] = {
    "greeting": frozenset({"first_name"}),
    "greeting_without_name": frozenset(),
    "closing": BODY,
    "sign_off": frozenset(),
}
#: Pieces with one text per rating band.
PER_BAND: Mapping[str, frozenset[str]] = {"opening": BODY}
#: Pieces that are a single text.
SINGLE: Mapping[str, frozenset[str]] = {"apology": BODY, "signature": frozenset({"agent", "business", "place"})}
#: ``concept.<name>.<polarity>``: one sentence per concept and polarity, optional for every concept.
CONCEPT = "concept"
SECTIONS: tuple[str, ...] = tuple(sorted([*PER_TONE, *PER_BAND, *SINGLE, CONCEPT]))
#: What a language must have to be written in; concept sentences are optional.
REQUIRED: tuple[str, ...] = (
    *(f"{section}.{tone}" for section in PER_TONE for tone in TONES),
    *(f"{section}.{band}" for section in PER_BAND for band in BANDS),
    *SINGLE,
)
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def primary_language(language: str) -> str:
    """``"fr"`` for ``"fr-CA"``, ``"FR"`` or ``"fr_FR"``: templates are kept per language, not per region."""
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]


def allowed_placeholders(key: str) -> frozenset[str]:
    """The placeholders the piece ``key`` may use; :class:`InvalidInput` saying why when it names no piece."""
    section, _, rest = key.partition(".")
    if section in PER_TONE:
        if rest in TONES:
            return PER_TONE[section]
        if not rest:
            raise InvalidInput(f'{section} must be a table with one text per tone, e.g. [{section}] friendly = "..."')
        raise InvalidInput(f"unknown tone {rest!r} under [{section}]; the tones are {', '.join(TONES)}")
    if section in PER_BAND:
        if rest in BANDS:
            return PER_BAND[section]
        if not rest:
            raise InvalidInput(f'{section} must be a table with one text per band, e.g. [{section}] negative = "..."')
        raise InvalidInput(f"unknown band {rest!r} under [{section}]; the bands are {', '.join(BANDS)}")
    if section in SINGLE:
        if rest:
            raise InvalidInput(f'{section} must be a text, e.g. {section} = "...", not a table')
        return SINGLE[section]
    if section == CONCEPT:
        name, _, polarity = rest.partition(".")
        if not name or not polarity:
            example = f"[{CONCEPT}.{name or 'staff'}]"
            raise InvalidInput(f'{key} must be a table of sentences, e.g. {example} negative = "..." positive = "..."')
        if polarity not in POLARITIES:
            raise InvalidInput(f"unknown polarity {polarity!r} under [{CONCEPT}.{name}]; use negative or positive")
        return BODY
    raise InvalidInput(f"unknown key {section!r}; the keys are {', '.join(SECTIONS)}")


def checked_placeholders(key: str, text: str) -> None:
    """Refuse a placeholder the piece cannot fill, and braces that are not a placeholder."""
    allowed = allowed_placeholders(key)
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)]
    except ValueError:
        raise InvalidInput(
            f"{key} has a lone {{ or }}; write {{{{ or }}}} for a brace, or a placeholder such as {{place}}"
        ) from None
    for name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed:
            may = ", ".join(f"{{{each}}}" for each in sorted(allowed)) or "no placeholder"
            raise InvalidInput(f"{key} uses the unknown placeholder {{{name}}}; {key} may use {may}")
        if spec or conversion:
            raise InvalidInput(f"{key}: write the placeholder as {{{name}}}, without a format or conversion")


def flattened(table: Mapping[str, Any], prefix: str = "") -> dict[str, object]:
    """``{"greeting": {"formal": "..."}}`` as ``{"greeting.formal": "..."}``."""
    flat: dict[str, object] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flattened(value, f"{key}."))
        else:
            flat[key] = value
    return flat


def checked_texts(table: Mapping[str, Any]) -> dict[str, str]:
    """The texts of one parsed file by dotted key, each key and placeholder checked."""
    texts: dict[str, str] = {}
    for key, value in flattened(table).items():
        allowed_placeholders(key)  # an unknown key is reported before a wrong value
        if not isinstance(value, str):
            raise InvalidInput(
                f'{key} must be a text in quotes, e.g. {key.rpartition(".")[2]} = "..."; got {shown(value)}'
            )
        checked_placeholders(key, value)
        texts[key] = value
    return texts


@attrs.frozen
class Wording:
    """The texts of one language by dotted key (``greeting.formal``, ``concept.staff.negative``)."""

    language: str
    texts: Mapping[str, str]

    def has(self, key: str) -> bool:
        return bool(self.texts.get(key, "").strip())

    def fill(self, key: str, values: Mapping[str, str]) -> str:
        """The text of ``key`` with its placeholders filled (``""`` when the language leaves it out);
        ``values`` holds every placeholder, and the texts were checked to use no other."""
        return self.texts.get(key, "").format_map(values).strip()


def missing_pieces(texts: Mapping[str, str]) -> list[str]:
    return [key for key in REQUIRED if key not in texts]


def parsed(data: str, where: str) -> dict[str, str]:
    """The checked texts of a file's content; every refusal names ``where``."""
    try:
        return checked_texts(tomllib.loads(data))
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(
            f"draft templates {where} is not valid TOML ({error}); check the quotes and brackets on that line"
        ) from None
    except InvalidInput as error:
        raise InvalidInput(f"draft templates {where}: {error}") from None


@attrs.frozen
class DraftTemplates:
    """The wording of every language the offline assistant writes in."""

    wordings: Mapping[str, Wording]
    #: the concepts a desk's own files give sentences for, with the file, so they can be checked against the
    #: desk's taxonomy: a misspelt concept would otherwise never be used, without a word
    given_concepts: frozenset[tuple[str, str]] = frozenset()

    def check_concepts(self, known: Collection[str]) -> None:
        """Refuse a desk's sentence for a concept its taxonomy does not have."""
        for where, concept in sorted(self.given_concepts):
            if concept not in known:
                raise InvalidInput(
                    f"draft templates {where}: [concept.{concept}] is not a concept of this desk's taxonomy "
                    f"({', '.join(sorted(known))}); check its spelling, or add the concept to the taxonomy"
                )

    @classmethod
    @functools.cache
    def built_in(cls) -> DraftTemplates:
        """The wording closedloop ships, in English and French."""
        folder = resources.files("closedloop.assistance").joinpath("data")
        wordings = {}
        for language in BUILT_IN_LANGUAGES:
            texts = parsed(folder.joinpath(f"{language}.toml").read_text(encoding="utf-8"), f"{language}.toml")
            if missing := missing_pieces(texts):
                raise InvalidInput(f"the built-in draft templates {language}.toml lack {', '.join(missing)}")
            wordings[language] = Wording(language, texts)
        return cls(wordings)

    @classmethod
    def from_setting(cls, value: object) -> DraftTemplates:
        """The wording a desk's ``draft_templates`` setting asks for: None for the built-in wording, or a folder
        of ``<language>.toml`` files whose keys replace the built-in ones (a new language gives every piece)."""
        if value is None:
            return cls.built_in()
        if isinstance(value, DraftTemplates):
            return value
        if not isinstance(value, str | os.PathLike) or not str(value).strip():
            raise InvalidInput(
                "draft_templates must be the path of a folder of <language>.toml files (en.toml, fr.toml, ...), "
                f"or None for the built-in wording; got {shown(value)}"
            )
        return cls.built_in().overridden_by(Path(value))

    def overridden_by(self, folder: Path) -> DraftTemplates:
        """These templates with the keys of every ``<language>.toml`` in ``folder`` replacing theirs."""
        if not folder.is_dir():
            state = "is a file, not a folder" if folder.exists() else "does not exist"
            raise InvalidInput(
                f"draft_templates {folder} {state}; give a folder holding one <language>.toml per language "
                "(en.toml, fr.toml, ...), or leave the setting out for the built-in wording"
            )
        files = sorted(path for path in folder.iterdir() if path.suffix == ".toml")
        if not files:
            raise InvalidInput(
                f"draft_templates {folder} holds no <language>.toml file; add en.toml or fr.toml with the keys "
                "to change, or leave the setting out for the built-in wording"
            )
        wordings = dict(self.wordings)
        given: set[tuple[str, str]] = set(self.given_concepts)
        for path in files:
            language = path.stem
            if not _LANGUAGE_CODE.fullmatch(language):
                raise InvalidInput(
                    f"draft templates {path}: name each file after a language code in lower case, such as "
                    "en.toml, fr.toml or de.toml"
                )
            try:
                data = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise InvalidInput(f"draft templates {path} cannot be read as UTF-8 text: {error}") from None
            own = parsed(data, str(path))
            given |= {(str(path), key.split(".")[1]) for key in own if key.startswith(f"{CONCEPT}.")}
            texts = {**(wordings[language].texts if language in wordings else {}), **own}
            if missing := missing_pieces(texts):
                raise InvalidInput(
                    f"draft templates {path}: {language} is a new language, so it needs every piece; it lacks "
                    f"{', '.join(missing)} (copy the built-in en.toml and translate it)"
                )
            wordings[language] = Wording(language, texts)
        return DraftTemplates(wordings, frozenset(given))

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.wordings))

    def language_for(self, language: str) -> str:
        """The language a draft asked in ``language`` is written in: it, or English when there is no wording."""
        primary = primary_language(language)
        return primary if primary in self.wordings else FALLBACK_LANGUAGE

    def wording(self, language: str) -> Wording:
        return self.wordings[self.language_for(language)]
