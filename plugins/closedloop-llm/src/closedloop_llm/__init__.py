"""Reply drafts and comment analysis for closedloop from any model the llm library reaches, hosted or local."""

from closedloop_llm.settings import LlmSettings, read_settings

__all__ = ["LlmAnalyzer", "LlmAssistant", "LlmSettings", "read_settings"]


def __getattr__(name: str) -> object:
    """The assistant and analyzer import llm, which takes a while: only when asked for."""
    if name == "LlmAssistant":
        from closedloop_llm.assistant import LlmAssistant

        return LlmAssistant
    if name == "LlmAnalyzer":
        from closedloop_llm.analyzer import LlmAnalyzer

        return LlmAnalyzer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
