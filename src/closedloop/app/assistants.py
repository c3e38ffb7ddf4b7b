"""AI drafts: an assistant suggests a first reply or rephrases one; nothing is sent or recorded."""

from __future__ import annotations

from closedloop.app import access, arguments
from closedloop.app.context import Context
from closedloop.domain.errors import InvalidInput, NotConfigured
from closedloop.ports import Assistant


def chosen(ctx: Context, name: str | None) -> Assistant:
    """The assistant of that name, or the first registered one when no name is given."""
    assistants = ctx.registry.assistants
    if name is not None:
        if name not in assistants:
            raise NotConfigured(f"no assistant named {name!r}; registered: {sorted(assistants) or 'none'}")
        return assistants[name]
    if not assistants:
        raise NotConfigured("no assistant is registered; install a plugin that adds one")
    return next(iter(assistants.values()))


def suggest_reply(ctx: Context, conversation_id: str, by: access.UserRef, assistant: str | None) -> str:
    conversation_id, by = arguments.identifier(conversation_id, "conversation_id"), arguments.user_ref(by, "by")
    assistant = arguments.optional_name(assistant, "assistant")
    with ctx.store.transaction() as tx:
        conversation, member = access.visible(tx, conversation_id, by)
    return chosen(ctx, assistant).suggest(conversation, agent=member)


def rephrase(ctx: Context, text: str, tone: str, assistant: str | None) -> str:
    text = arguments.text(text, "the text to rephrase")
    tone = arguments.name(tone, "tone")
    assistant = arguments.optional_name(assistant, "assistant")
    if not text.strip():
        raise InvalidInput("there is nothing to rephrase: the text is empty")
    return chosen(ctx, assistant).rephrase(text, tone=tone)
