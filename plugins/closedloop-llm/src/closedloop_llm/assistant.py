"""The assistant that drafts and rephrases replies with a model reached through llm.

A prompt carries what the agent would read before answering (comments, ratings, concepts, the conversation's
customer-visible history, the business, the place, the agent and the tone), the customer's personal data
masked; the model's answer has the placeholders it kept put back, and is only ever a suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable

from closedloop import AssistantFailed, Draft, DraftRequest, InteractionKind
from closedloop_llm.commitments import unbacked_commitments
from closedloop_llm.context import business, language_or, masker_for, reply_values
from closedloop_llm.languages import phone_regions
from closedloop_llm.masking import Masker
from closedloop_llm.prompts import PromptTemplates
from closedloop_llm.provider import Provider
from closedloop_llm.settings import LlmSettings


class LlmAssistant:
    """Drafts replies with the model ``settings.model``; ``business_name`` and ``default_region`` are the
    desk's, for rephrasings (which belong to no conversation) and for reading national phone numbers."""

    name = "llm"

    def __init__(
        self,
        settings: LlmSettings,
        *,
        business_name: str = "",
        default_region: str | None = None,
        templates: PromptTemplates | None = None,
        provider: Provider | None = None,
    ) -> None:
        self.templates = templates if templates is not None else PromptTemplates(settings.prompts)
        self.provider = provider if provider is not None else Provider(settings)
        self.business_name = business_name
        self.default_region = default_region

    @property
    def model(self) -> str:
        """The id of the model that writes the drafts."""
        return self.provider.model_id

    def _system(self, business_name: str, language: str) -> str:
        values = {
            "business": business(business_name),
            "language": language_or(language, "the language of the text you are given"),
        }
        return self.templates.render("system", values)

    def _answer(self, prompt: str, system: str, masker: Masker, said_before: Iterable[str]) -> Draft:
        """The model's answer with the personal data put back, and a note for each commitment it makes that
        the business had not made before."""
        text = masker.restore(self.provider.complete(prompt, system=system, failure=AssistantFailed)).strip()
        return Draft(text=text, model=self.model, notes=unbacked_commitments(text, said_before))

    def suggest(self, request: DraftRequest) -> Draft:
        """A first reply to the request's conversation, in its language and tone."""
        masker = masker_for(request, self.default_region)
        prompt = self.templates.render("suggest", reply_values(request, masker))
        replies = [
            entry.body
            for entry in request.conversation.customer_messages
            if entry.kind is not InteractionKind.CUSTOMER_MESSAGE
        ]
        system = self._system(request.business_name or self.business_name, request.language)
        return self._answer(prompt, system, masker, replies)

    def rephrase(self, text: str, *, tone: str, language: str) -> Draft:
        """``text`` said again in ``tone`` and corrected; in ``language`` (kept as it is when ``""``)."""
        regions = ([self.default_region] if self.default_region else []) + list(phone_regions(language))
        masker = Masker(regions=regions)
        values = {
            "text": masker.mask(text),
            "tone": tone,
            "language": language_or(language, "the same language as the reply"),
        }
        prompt = self.templates.render("rephrase", values)
        return self._answer(prompt, self._system(self.business_name, language), masker, [text])
