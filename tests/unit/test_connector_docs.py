"""The connector author's kit is documented name by name: what its modules export is what the docs explain."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KIT = {"closedloop.connectors": "docs/connectors.md", "closedloop.testing.platform": "docs/testing.md"}


def mentioned(text: str) -> set[str]:
    """The names written as code: `name`, `name(...)` or `name=...`."""
    return set(re.findall(r"`(\w+)[(=`]", text))


def public_api_entry(module: str) -> str:
    """The bullet of docs/plugins.md's public API list that names ``module``."""
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    found = re.search(rf"^- `{re.escape(module)}`:(.*?)(?=^- |^#|\Z)", text, flags=re.DOTALL | re.MULTILINE)
    assert found is not None, f"docs/plugins.md does not list {module}"
    return found.group(1)


@pytest.mark.parametrize("module", sorted(KIT))
def test_every_exported_name_is_explained_and_listed(module: str) -> None:
    exported = set(importlib.import_module(module).__all__)
    guide = (ROOT / KIT[module]).read_text(encoding="utf-8")
    assert sorted(exported - mentioned(guide)) == [], f"{KIT[module]} does not explain them"
    assert sorted(exported - mentioned(public_api_entry(module))) == [], "docs/plugins.md does not list them"
