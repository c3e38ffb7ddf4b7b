"""The documentation is part of the product: its examples run, and every hook is documented."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pluggy
import pytest

from closedloop import hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS_DOC = ROOT / "docs" / "hooks.md"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


def hook_specs(module: types.ModuleType) -> dict[str, list[str]]:
    """Hook name -> its parameter names, for every function marked as a closedloop hook specification."""
    return {
        name: list(inspect.signature(function).parameters)
        for name, function in vars(module).items()
        if callable(function) and hasattr(function, f"{hookspecs.PROJECT}_spec")
    }


def documentation_gaps(module: types.ModuleType, doc: str) -> list[str]:
    """Each hook missing from the reference, or a parameter of it left unexplained, or a stale heading."""
    specs = hook_specs(module)
    sections = dict(re.findall(r"^### `(\w+)`\n(.*?)(?=^#{2,3} |\Z)", doc, flags=re.DOTALL | re.MULTILINE))
    gaps = []
    for name, parameters in sorted(specs.items()):
        if name not in sections:
            gaps.append(f"{name} is not documented")
            continue
        gaps += [f"{name}: parameter {p} is not explained" for p in parameters if f"- `{p}`:" not in sections[name]]
        docstring = inspect.getdoc(getattr(module, name)) or ""
        gaps += [f"{name}: docstring lacks :param {p}:" for p in parameters if f":param {p}:" not in docstring]
    gaps += [f"{name} is documented but is no hook" for name in sections if name not in specs]
    return gaps


def test_every_hook_is_documented_with_each_parameter() -> None:
    assert hook_specs(hookspecs), "no hook specifications found"
    assert documentation_gaps(hookspecs, HOOKS_DOC.read_text(encoding="utf-8")) == []


def test_an_undocumented_hook_is_caught() -> None:
    fake = types.ModuleType("fake_hookspecs")
    spec = pluggy.HookspecMarker(hookspecs.PROJECT)

    @spec
    def closedloop_register_channels(registry: object, settings: object) -> None:
        """:param registry: r\n:param settings: s"""

    @spec
    def closedloop_brand_new(desk: object) -> None:
        """Not yet documented."""

    fake.closedloop_register_channels = closedloop_register_channels  # type: ignore[attr-defined]
    fake.closedloop_brand_new = closedloop_brand_new  # type: ignore[attr-defined]
    gaps = documentation_gaps(fake, HOOKS_DOC.read_text(encoding="utf-8"))
    assert "closedloop_brand_new is not documented" in gaps
    assert not any(gap.startswith("closedloop_register_channels:") for gap in gaps)


@pytest.mark.parametrize(
    "document",
    ["README.md", "docs/plugins.md", "docs/connectors.md", "docs/ai.md", "docs/quality.md", "docs/privacy.md"],
)
def test_examples_run(document: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks(ROOT / document)
    assert blocks, f"{document} has no python example"
    namespace: dict[str, object] = {"__name__": f"example_{Path(document).stem}"}
    for block in blocks:  # in order, in one namespace, as a reader would type them
        exec(compile(block, document, "exec"), namespace)


def test_nothing_cites_a_design_file_the_repository_does_not_hold() -> None:
    """The product's words and rules live in docs/guide.md and its layout in docs/architecture.md."""
    outside = "DESIGN" + ".md"  # spelt in two parts so this file does not cite it either
    citing = [
        str(path.relative_to(ROOT))
        for pattern in ("src/**/*.py", "tests/**/*.py", "plugins/*/*/**/*.py", "*.md", "docs/*.md", "plugins/*/*.md")
        for path in ROOT.glob(pattern)
        if outside in path.read_text(encoding="utf-8")
    ]
    assert citing == []
