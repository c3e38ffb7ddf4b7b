"""AI drafts: an assistant suggests a first reply or rephrases one; nothing is sent or recorded.

The desk gathers what every assistant may use (the conversation, its concepts, the place, the language to
write in, the tone) into one :class:`DraftRequest`, and hands back the draft as a :class:`Suggestion` that names
the assistant and model, so a reply sent from it can say where it started.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from closedloop.analysis import detect_language, feedback_language, language_of
from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain.drafts import Draft, DraftRequest, Suggestion, band_of
from closedloop.domain.errors import AssistantFailed, ClosedLoopError, InvalidInput, NotConfigured
from closedloop.domain.text import shown
from closedloop.ports import Assistant

#: A language as a locale names it: ``en``, ``fr``, ``fr-CA``, ``pt_BR``.
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def chosen(ctx: Context, name: str | None) -> Assistant:
    """The assistant of that name, or the first registered one when no name is given: plugins are asked
    before the built-ins, so an installed and configured provider comes before the offline assistant."""
    assistants = ctx.registry.assistants
    if name is not None:
        if name not in assistants:
            raise NotConfigured(f"no assistant named {name!r}; registered: {sorted(assistants) or 'none'}")
        return assistants[name]
    if not assistants:
        raise NotConfigured("no assistant is registered; install a plugin that adds one")
    return next(iter(assistants.values()))


def suggest_reply(
    ctx: Context, conversation_id: str, by: access.UserRef, assistant: str | None, tone: str
) -> Suggestion:
    conversation_id, by = arguments.identifier(conversation_id, "conversation_id"), arguments.user_ref(by, "by")
    assistant, tone = arguments.optional_name(assistant, "assistant"), arguments.name(tone, "tone")
    helper = chosen(ctx, assistant)
    with ctx.store.transaction() as tx:
        conversation, member = access.visible(tx, conversation_id, by)
        place = access.place(tx, conversation.place_id)
    request = DraftRequest(
        conversation=conversation,
        agent=member,
        place=place,
        business_name=ctx.settings.business_name,
        language=feedback_language(conversation.feedback),
        tone=tone,
        band=band_of(conversation.feedback),
        concepts=tuple(sorted(conversation.analysis, key=lambda concept: concept.sentiment)),
    )
    draft = drafted(helper, lambda: helper.suggest(request))
    return Suggestion(
        text=draft.text,
        assistant=helper.name,
        model=draft.model,
        language=draft.language or request.language,
        conversation_id=conversation.id,
        notes=draft.notes,
    )


def rephrase(ctx: Context, text: str, tone: str, language: str | None, assistant: str | None) -> Suggestion:
    text = arguments.text(text, "the text to rephrase")
    tone = arguments.name(tone, "tone")
    assistant = arguments.optional_name(assistant, "assistant")
    language = arguments.optional_name(language, "language")
    if language is not None and not LANGUAGE_CODE.fullmatch(language):
        raise InvalidInput(f"language must be a language code such as 'en', 'fr' or 'fr-CA'; got {shown(language)}")
    if not text.strip():
        raise InvalidInput("there is nothing to rephrase: the text is empty")
    helper = chosen(ctx, assistant)
    language = language_of(language) if language is not None else detect_language(text)
    draft = drafted(helper, lambda: helper.rephrase(text, tone=tone, language=language))
    return Suggestion(
        text=draft.text,
        assistant=helper.name,
        model=draft.model,
        language=draft.language or language,
        notes=draft.notes,
    )


def drafted(helper: Assistant, write: Callable[[], object]) -> Draft:
    """The assistant's draft; whatever goes wrong inside it becomes an :class:`AssistantFailed` that names
    it, since nothing was recorded and the agent can write the reply themselves."""
    try:
        draft = write()
    except ClosedLoopError:
        raise
    except Exception as error:  # a plugin's own failure: name it rather than leak its library's error
        raise AssistantFailed(f"assistant {helper.name!r} failed: {type(error).__name__}: {error}") from error
    if isinstance(draft, str):  # an assistant written before drafts named their model
        draft = Draft(text=draft)
    if not isinstance(draft, Draft):
        raise AssistantFailed(f"assistant {helper.name!r} gave {shown(draft)} instead of a closedloop.Draft")
    if not draft.text.strip():
        raise AssistantFailed(f"assistant {helper.name!r} gave an empty draft; try again or write the reply")
    return draft
