"""The offline assistant, on by default: drafts from editable templates and rephrases from a fixed phrase bank.

It needs no model, no network and no key, so every desk can suggest a first reply out of the box; a hosted or
local model (the ``closedloop-llm`` plugin) registers as another assistant beside it.
"""

from __future__ import annotations

from closedloop.assistance.drafting import checked_tone, compose
from closedloop.assistance.phrasebank import phrase_bank
from closedloop.assistance.rephrasing import rephrased
from closedloop.assistance.templates import DraftTemplates, primary_language
from closedloop.domain.drafts import Draft, DraftRequest
from closedloop.domain.errors import InvalidInput
from closedloop.domain.text import checked_text, shown
from closedloop.hookspecs import hookimpl
from closedloop.registry import Registry
from closedloop.settings import Settings

OFFLINE = "offline"
#: The ``model`` of what the offline assistant writes, so a quality review can tell it from a language model's.
DRAFT_MODEL = "templates"
REPHRASE_MODEL = "phrase bank"


class OfflineAssistant:
    """Writes drafts from templates per language (English and French built in, others added by a desk) and
    rephrases from a fixed phrase bank. It says only what the request or the templates hold: it promises no
    refund, discount or other commitment, and invents no fact."""

    name = OFFLINE

    def __init__(self, templates: DraftTemplates | None = None) -> None:
        self.templates = templates if templates is not None else DraftTemplates.built_in()

    def suggest(self, request: DraftRequest) -> Draft:
        """A first reply in ``request.language`` (English when the templates have no such language) and
        ``request.tone``, from the rating band, a few concepts (complaints first), the customer's first name,
        the place and the agent's first name."""
        if not isinstance(request, DraftRequest):
            raise InvalidInput(f"suggest needs a closedloop.DraftRequest; got {shown(request)}")
        tone = checked_tone(request.tone)
        wording = self.templates.wording(checked_text(request.language, "the draft's language"))
        return Draft(text=compose(request, wording, tone), model=DRAFT_MODEL, language=wording.language)

    def written_in(self, language: str) -> str:
        """The language a draft asked for in ``language`` is actually written in (English when there is no
        wording for it), so a caller can label the suggestion truthfully."""
        return self.templates.language_for(language)

    def rephrase(self, text: str, *, tone: str, language: str) -> Draft:
        """``text`` said again in ``tone``, as far as can honestly be done without a language model.

        What it does: the greeting and the sign-off become the tone's (the name kept: "Hi Claire," <-> "Dear
        Claire,"); the tone's phrase-bank swaps are made (formal spells out contractions and says "Thank you"
        for "Thanks", friendly the reverse, concise cuts filler phrases); the apologetic tone adds an apology
        when the text has none; runs of spaces, spaces before punctuation (French spacing in French), capitals
        at sentence starts and repeated punctuation ("!!!", "??") are fixed. ``language`` ``""`` means the
        language is detected. What it cannot do: rewrite or reorder sentences, fix spelling or grammar,
        translate, or change how formal a French text's verbs are (tu/vous). It never changes a fact. A language
        without a phrase bank (only English and French have one) gets the spacing and punctuation fixes only.
        """
        text = checked_text(text, "the text to rephrase")
        if not text.strip():
            raise InvalidInput("the text to rephrase is empty: write the reply first")
        tone = checked_tone(tone)
        language = checked_text(language, "the text's language")
        if not language.strip():
            from closedloop.analysis import detect_language  # loaded only when a language must be found

            language = detect_language(text) or "en"
        primary = primary_language(language)
        wording = self.templates.wording(primary)
        bank = phrase_bank(primary) if wording.language == primary else None
        return Draft(
            text=rephrased(text, tone=tone, language=primary, bank=bank, wording=wording),
            model=REPHRASE_MODEL,
            language=primary,
        )


@hookimpl
def closedloop_register_assistants(registry: Registry, settings: Settings) -> None:
    """Every desk gets the offline assistant, with its ``draft_templates`` setting checked as it opens."""
    templates = DraftTemplates.from_setting(settings.draft_templates)
    if templates.given_concepts:
        from closedloop.analysis import Taxonomy

        templates.check_concepts(Taxonomy.from_setting(settings.taxonomy).concepts)
    registry.add_assistant(OfflineAssistant(templates))
