"""The prompt templates: text files shipped with the plugin, which an admin overrides one by one from a folder.

A template writes ``$name`` (or ``${name}``) where a value goes and ``$$`` for a dollar sign. Each template
accepts a fixed set of names, checked when the desk opens, so a misspelt placeholder is reported then instead
of reaching the model as it stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from closedloop import InvalidInput


@dataclass(frozen=True)
class Slot:
    """What one template may say and must say."""

    allowed: frozenset[str]
    required: frozenset[str] = frozenset()


_REPLY_CONTEXT = frozenset(
    {"business", "place", "agent", "customer", "language", "tone", "band", "ratings", "comments", "concepts"}
)
SLOTS: Mapping[str, Slot] = {
    "system": Slot(allowed=frozenset({"business", "language"})),
    "suggest": Slot(allowed=_REPLY_CONTEXT | {"history"}, required=frozenset({"comments"})),
    "rephrase": Slot(allowed=frozenset({"text", "tone", "language"}), required=frozenset({"text"})),
    "analyze_system": Slot(allowed=frozenset({"concepts"})),
    "analyze": Slot(allowed=frozenset({"concepts", "texts", "count"}), required=frozenset({"texts"})),
}


def _checked(name: str, text: str, origin: str) -> Template:
    template = Template(text)
    if not template.is_valid():
        raise InvalidInput(
            f"the prompt template {origin} has a '$' not followed by a placeholder name; write $$ for a dollar sign"
        )
    slot = SLOTS[name]
    used = set(template.get_identifiers())
    unknown = sorted(used - slot.allowed)
    if unknown:
        raise InvalidInput(
            f"the prompt template {origin} uses unknown placeholder(s) {', '.join('$' + item for item in unknown)}; "
            f"it may use {', '.join('$' + item for item in sorted(slot.allowed))}"
        )
    missing = sorted(slot.required - used)
    if missing:
        raise InvalidInput(
            f"the prompt template {origin} must contain {', '.join('$' + item for item in missing)}, "
            "or the model never sees what it is to work on"
        )
    return template


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"the prompt template {path} is not UTF-8 text; save it as UTF-8") from error
    except OSError as error:
        raise InvalidInput(f"the prompt template {path} cannot be read: {error.strerror or error}") from error


class PromptTemplates:
    """The templates in use: the shipped ones, each replaced by the file of the same name in ``folder``."""

    def __init__(self, folder: Path | None = None) -> None:
        shipped = resources.files("closedloop_llm") / "prompts"
        self.templates: dict[str, Template] = {
            name: _checked(name, (shipped / f"{name}.txt").read_text(encoding="utf-8"), f"{name}.txt") for name in SLOTS
        }
        if folder is not None:
            self._override(folder)

    def _override(self, folder: Path) -> None:
        for path in sorted(folder.glob("*.txt")):
            name = path.stem
            if name not in SLOTS:
                raise InvalidInput(
                    f"the prompts folder holds {path.name}, which is no prompt template; the templates are "
                    f"{', '.join(f'{item}.txt' for item in SLOTS)}"
                )
            self.templates[name] = _checked(name, _read(path), str(path))

    def render(self, name: str, values: Mapping[str, str]) -> str:
        """The template ``name`` with ``values`` put in; placeholders it does not use are ignored."""
        return self.templates[name].substitute({key: values.get(key, "") for key in SLOTS[name].allowed}).strip()
