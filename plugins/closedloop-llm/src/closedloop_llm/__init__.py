"""Reply drafts and comment analysis for closedloop from any model the llm library reaches, hosted or local."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from closedloop_llm.settings import LlmSettings, read_settings

if TYPE_CHECKING:
    from closedloop_llm.analyzer import LlmAnalyzer
    from closedloop_llm.assistant import LlmAssistant

__all__ = ["LlmAnalyzer", "LlmAssistant", "LlmSettings", "read_settings"]

#: The modules of the names that import llm, which takes a while: imported the first time they are asked for.
_LAZY_NAMES = {"LlmAnalyzer": "closedloop_llm.analyzer", "LlmAssistant": "closedloop_llm.assistant"}


def _lazy_attribute(name: str) -> object:
    home = _LAZY_NAMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


if not TYPE_CHECKING:
    __getattr__ = _lazy_attribute
