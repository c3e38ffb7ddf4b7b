"""The plugin's settings, read from ``Desk.open(extra={"llm": {...}})`` and checked when the desk opens, so a
typo or a wrong value is reported then, naming the key, rather than at the first draft."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from closedloop import InvalidInput, shown

#: How long a call to the model may take by default, in seconds.
DEFAULT_TIMEOUT = 30.0
#: The longest timeout accepted: a draft nobody waits ten minutes for.
LONGEST_TIMEOUT = 600.0
KNOWN_KEYS = ("model", "timeout", "prompts", "analyzer", "key")


@dataclass(frozen=True)
class LlmSettings:
    """What ``extra["llm"]`` says: which llm model to call, how long to wait, where prompts are overridden,
    whether the model also analyses comments, and an explicit key (else llm's own key store is used)."""

    model: str
    timeout: float = DEFAULT_TIMEOUT
    prompts: Path | None = None
    analyzer: bool = False
    key: str | None = field(default=None, repr=False)  # never shown in a log or an error


def read_settings(extra: Mapping[str, Any]) -> LlmSettings | None:
    """The settings under ``extra["llm"]``; ``None`` when no model is named, so the plugin registers nothing."""
    given = extra.get("llm")
    if given is None:
        return None
    if not isinstance(given, Mapping):
        raise InvalidInput(f"extra['llm'] must be a dict such as {{'model': 'gpt-4o-mini'}}; got {shown(given)}")
    unknown = sorted(str(key) for key in given if key not in KNOWN_KEYS)
    if unknown:
        raise InvalidInput(
            f"extra['llm'] has unknown key(s): {', '.join(unknown)}; the keys are {', '.join(KNOWN_KEYS)}"
        )
    timeout = _timeout(given.get("timeout", DEFAULT_TIMEOUT))
    prompts = _folder(given.get("prompts"))
    analyzer = given.get("analyzer", False)
    if not isinstance(analyzer, bool):
        raise InvalidInput(f"extra['llm']['analyzer'] must be True or False; got {shown(analyzer)}")
    key = given.get("key")
    if key is not None and (not isinstance(key, str) or not key.strip()):
        raise InvalidInput(
            "extra['llm']['key'] must be an API key or the name of one saved with 'llm keys set' (non-empty text); "
            f"got {'empty text' if isinstance(key, str) else type(key).__name__}"
        )
    model = given.get("model")
    if model is None:
        if given:  # settings for a model that was never named would be dropped without a word
            raise InvalidInput(
                "extra['llm'] has settings but no 'model': name the llm model id to use, e.g. "
                "{'model': 'gpt-4o-mini'} ('llm models' lists them), or leave extra['llm'] out"
            )
        return None
    if not isinstance(model, str) or not model.strip():
        raise InvalidInput(
            f"extra['llm']['model'] must name an llm model, e.g. 'gpt-4o-mini' ('llm models' lists them); "
            f"got {shown(model)}"
        )
    return LlmSettings(model=model.strip(), timeout=timeout, prompts=prompts, analyzer=analyzer, key=key)


def _timeout(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= LONGEST_TIMEOUT
    ):
        raise InvalidInput(
            f"extra['llm']['timeout'] is the seconds to wait for the model: a number above 0 and at most "
            f"{LONGEST_TIMEOUT:g}; got {shown(value)}"
        )
    return float(value)


def _folder(value: object) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise InvalidInput(f"extra['llm']['prompts'] must be the path of a folder of prompt files; got {shown(value)}")
    folder = Path(value)
    if not folder.is_dir():
        raise InvalidInput(
            f"extra['llm']['prompts'] names {str(folder)!r}, which is not a folder; create it with the prompt "
            "files to override (suggest.txt, rephrase.txt, ...), or leave the key out"
        )
    return folder
