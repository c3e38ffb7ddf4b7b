"""The entry point of closedloop-llm: registers the llm assistant, and the llm analyzer when asked for.

Settings come from ``Desk.open(extra={"llm": {...}})``; without a ``model`` nothing is registered, so an
installed but unconfigured plugin costs nothing (llm itself is imported only when a model is named).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

import closedloop
from closedloop import Registry, Settings
from closedloop_llm.settings import read_settings

#: The offline analyzer's concept names, asked for when closedloop's taxonomy cannot be read.
DEFAULT_CONCEPTS = ("staff", "waiting", "product", "price", "cleanliness", "ambience", "delivery", "booking")


def concept_names() -> tuple[str, ...]:
    """The names of closedloop's default taxonomy, so both analyzers speak of the same concepts."""
    try:
        taxonomy = importlib.import_module("closedloop.analysis").Taxonomy.default()
    except (ImportError, AttributeError):
        return DEFAULT_CONCEPTS
    names = getattr(taxonomy, "names", None)
    if names is None:
        concepts = getattr(taxonomy, "concepts", ())
        names = [getattr(concept, "name", concept) for concept in concepts]
    found = tuple(name for name in _iterable(names) if isinstance(name, str) and name)
    return found or DEFAULT_CONCEPTS


def _iterable(value: object) -> Iterable[object]:
    return value if isinstance(value, Iterable) and not isinstance(value, str) else ()


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
    from closedloop_llm.analyzer import LlmAnalyzer

    registry.add_analyzer(LlmAnalyzer(chosen, concepts=concept_names(), default_region=settings.default_region))
