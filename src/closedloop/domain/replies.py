"""Common replies: each user's own short list of ready-made answers, newest first."""

from __future__ import annotations

from closedloop.domain.errors import InvalidInput, NotFound
from closedloop.domain.text import shown

MAX_COMMON_REPLIES = 10


def add_common_reply(replies: tuple[str, ...], text: str) -> tuple[str, ...]:
    """Put ``text`` on top; a text already there moves up, and past ten the bottom one drops off."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("a common reply cannot be empty")
    rest = tuple(existing for existing in replies if existing != text)
    return (text, *rest)[:MAX_COMMON_REPLIES]


def remove_common_reply(replies: tuple[str, ...], text: str) -> tuple[str, ...]:
    if text not in replies:
        raise NotFound(f"{shown(text)} is not among this user's common replies; list them to see the exact texts")
    return tuple(existing for existing in replies if existing != text)


def pick_common_reply(replies: tuple[str, ...], choice: int | str) -> str:
    """The text to fill a reply with, by position (0 is the newest) or by text; the order stays as it is."""
    if isinstance(choice, int) and not isinstance(choice, bool):
        if not 0 <= choice < len(replies):
            raise NotFound(f"there is no common reply at position {choice}; this user has {len(replies)}")
        return replies[choice]
    if choice not in replies:
        raise NotFound(f"{shown(choice)} is not among this user's common replies")
    return choice
