"""The entry point of closedloop-llm: registers the llm assistant, and the llm analyzer when asked for.

Settings come from ``Desk.open(extra={"llm": {...}})``; without a ``model`` nothing is registered, so an
installed but unconfigured plugin costs nothing (llm itself is imported only when a model is named).
"""

from __future__ import annotations

import closedloop
from closedloop import Registry, Settings
from closedloop_llm.settings import read_settings


@closedloop.hookimpl
def closedloop_register_assistants(registry: Registry, settings: Settings) -> None:
    chosen = read_settings(settings.extra)
    if chosen is None:
        return
    from closedloop_llm.assistant import LlmAssistant

    registry.add_assistant(
        LlmAssistant(chosen, business_name=settings.business_name, default_region=settings.default_region)
    )


@closedloop.hookimpl
def closedloop_register_analyzers(registry: Registry, settings: Settings) -> None:
    chosen = read_settings(settings.extra)
    if chosen is None or not chosen.analyzer:
        return
    from closedloop.analysis import Taxonomy
    from closedloop_llm.analyzer import LlmAnalyzer

    # the desk's taxonomy (closedloop's default, extended or replaced), so every analyzer speaks of the same concepts
    concepts = Taxonomy.from_setting(settings.taxonomy).concepts
    registry.add_analyzer(LlmAnalyzer(chosen, concepts=concepts, default_region=settings.default_region))
