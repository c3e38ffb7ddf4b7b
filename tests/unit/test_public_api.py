"""Plugins and the documentation reach closedloop only through its public API.

The public API is ``closedloop`` itself and the submodules listed under "The public API" in docs/plugins.md.
Everything a plugin's source, its tests or a documented example imports from closedloop must come from one of
them, be importable, not start with an underscore, and be in the module's ``__all__`` when it has one; so moving
code inside closedloop never breaks a plugin written against what the docs promise.
"""

from __future__ import annotations

import ast
import importlib
import re
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS_DOC = ROOT / "docs" / "plugins.md"
PLUGIN_SOURCES = sorted(ROOT.glob("plugins/*/src/**/*.py"))
# a plugin's tests are written by its authors from the docs alone too, and what they import is what they learn
PLUGIN_TESTS = sorted(ROOT.glob("plugins/*/tests/**/*.py"))
DOCUMENTS = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("plugins/*/README.md")])


def public_modules() -> frozenset[str]:
    """The modules docs/plugins.md lists under "The public API", as ``- `closedloop.x`: ...`` lines."""
    text = PLUGINS_DOC.read_text(encoding="utf-8")
    section = re.search(r"^## The public API\n(.*?)(?=^## |\Z)", text, flags=re.DOTALL | re.MULTILINE)
    if section is None:
        return frozenset()
    return frozenset(re.findall(r"^- `(closedloop(?:\.\w+)*)`", section.group(1), flags=re.MULTILINE))


def is_closedloop(module: str) -> bool:
    return module == "closedloop" or module.startswith("closedloop.")


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for an attribute chain on a plain name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def uses(source: str) -> Iterator[tuple[str, str | None]]:
    """Each ``(module, name)`` the code takes from closedloop: ``from m import name``, ``import m`` (name
    None), and ``closedloop.m.name`` reached through an imported ``closedloop`` (its longest chain only)."""
    tree = ast.parse(source)
    bound: dict[str, str] = {}  # local name -> the closedloop module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and is_closedloop(node.module or ""):
            for alias in node.names:
                yield node.module or "", alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if is_closedloop(alias.name):
                    yield alias.name, None
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:  # ``import closedloop.x`` binds ``closedloop`` itself
                        bound["closedloop"] = "closedloop"
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            chain = dotted(node)
            root = chain.split(".")[0] if chain else ""
            if chain and root in bound:
                path = bound[root] + chain[len(root) :]
                module, _, name = path.rpartition(".")
                yield module, name


def resolve(module: str, name: str | None) -> tuple[str, str | None]:
    """Where ``module.name`` really is: a name that is itself a module counts as that module, and a chain
    through submodules (``closedloop.a.b.C`` written as module ``closedloop.a.b``) is walked one step at a
    time from the longest importable module."""
    parts = module.split(".") + ([name] if name else [])
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        try:
            importlib.import_module(candidate)
        except ImportError:
            continue
        rest = parts[end:]
        return candidate, ".".join(rest) or None
    return module, name


def problems(source: str, public: frozenset[str]) -> list[str]:
    """What the code takes from closedloop that is not its public API."""
    found = []
    for written_module, written_name in uses(source):
        module, name = resolve(written_module, written_name)
        shown = f"{written_module}.{written_name}" if written_name else written_module
        if module != "closedloop" and module not in public:
            found.append(f"{shown}: {module} is not a public module")
            continue
        if name is None:
            continue
        first = name.split(".")[0]
        if first.startswith("_") and not (first.startswith("__") and first.endswith("__")):
            found.append(f"{shown}: {first} is private")
            continue
        value = importlib.import_module(module)
        exported = getattr(value, "__all__", None)
        if not hasattr(value, first):
            found.append(f"{shown}: {module} has no {first}")
        elif exported is not None and first not in exported and not first.startswith("__"):
            found.append(f"{shown}: {first} is not in {module}.__all__")
    return found


def test_the_public_modules_are_listed_and_importable() -> None:
    public = public_modules()
    assert "closedloop.cli" in public and "closedloop.channels" in public, "docs/plugins.md lists no public API"
    for module in sorted(public):
        assert isinstance(importlib.import_module(module), types.ModuleType)


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_plugins_use_only_the_public_api(path: Path) -> None:
    assert problems(path.read_text(encoding="utf-8"), public_modules()) == []


@pytest.mark.parametrize("path", PLUGIN_TESTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_plugin_tests_use_only_the_public_api(path: Path) -> None:
    assert problems(path.read_text(encoding="utf-8"), public_modules()) == []


def test_every_plugin_is_checked() -> None:
    """A plugin moved or renamed would otherwise leave its files unchecked without a word."""
    for plugin in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        assert any(path.is_relative_to(plugin.parent / "src") for path in PLUGIN_SOURCES), plugin.parent.name
        if (plugin.parent / "tests").is_dir():
            assert any(path.is_relative_to(plugin.parent / "tests") for path in PLUGIN_TESTS), plugin.parent.name


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_documented_examples_use_only_the_public_api(path: Path) -> None:
    found = [problem for block in python_blocks(path) for problem in problems(block, public_modules())]
    assert found == []


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_name_the_prose_mentions_exists(path: Path) -> None:
    """A `closedloop.x.y` in the text names a module or something in one, so a reader can find it."""
    missing = []
    for reference in sorted(set(re.findall(r"`(closedloop(?:\.\w+)+)", path.read_text(encoding="utf-8")))):
        module, name = resolve(reference, None)
        value: object = importlib.import_module(module)
        for part in name.split(".") if name else []:
            if not hasattr(value, part):
                missing.append(reference)
                break
            value = getattr(value, part)
    assert missing == []


def test_reaching_past_the_public_api_is_caught() -> None:
    source = """
import closedloop
import closedloop.storage.sql.store
from closedloop import Desk, NoSuchName, __version__
from closedloop.domain.rules import MAX_CUSTOMER_MESSAGE
from closedloop.cli import _private, database_url
from closedloop.cli import InvalidInput
from closedloop import plugins

closedloop.hookimpl
closedloop.domain.rules.customer_actor
"""
    found = problems(source, frozenset({"closedloop.cli", "closedloop.storage.sql"}))
    assert found == [
        "closedloop.storage.sql.store: closedloop.storage.sql.store is not a public module",
        "closedloop.NoSuchName: closedloop has no NoSuchName",
        "closedloop.domain.rules.MAX_CUSTOMER_MESSAGE: closedloop.domain.rules is not a public module",
        "closedloop.cli._private: _private is private",
        "closedloop.cli.InvalidInput: InvalidInput is not in closedloop.cli.__all__",
        "closedloop.plugins: closedloop.plugins is not a public module",
        "closedloop.domain.rules.customer_actor: closedloop.domain.rules is not a public module",
    ]
