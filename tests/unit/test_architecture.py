"""The shape of the code, checked: a pure domain, no import cycles, no reaching for private names, short
modules, and a top-level package that imports its heavy parts only when they are asked for.

These read the source with :mod:`ast` rather than importing it, so they name the file and line at fault.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import closedloop

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "closedloop"
DOMAIN = PACKAGE / "domain"
PLUGIN_SOURCES = sorted(ROOT.glob("plugins/*/src"))
MAX_LINES = 400

#: What the domain may import besides the standard library and itself.
DOMAIN_MAY_IMPORT = frozenset({"attrs"})
#: Libraries of the adapters: loading any of them with the domain means the domain is not pure any more.
HEAVY = ("sqlalchemy", "pluggy", "email_validator", "phonenumbers", "msgspec", "cattrs")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_under(root: Path, top: Path) -> dict[str, Path]:
    """Every module of the tree ``top``, by dotted name as seen from ``root``."""
    return {module_name(path, root): path for path in sorted(top.rglob("*.py"))}


def first_party_sources() -> Iterator[tuple[Path, Path]]:
    """(file, its import root) for closedloop and every plugin package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, SRC
    for root in PLUGIN_SOURCES:
        for path in sorted(root.rglob("*.py")):
            yield path, root


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def resolved(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` reads from, relative forms included."""
    if node.level == 0:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is imported: its own statements, classes' bodies, ``try`` and
    ``with`` blocks, and ``if`` branches, but not ``if TYPE_CHECKING:`` nor anything inside a function."""
    for statement in body:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            yield statement
        elif isinstance(statement, ast.If):
            test = statement.test
            if is_type_checking(test):
                yield from runtime_imports(statement.orelse)
            elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and is_type_checking(test.operand):
                yield from runtime_imports(statement.body)
            else:
                yield from runtime_imports(statement.body)
                yield from runtime_imports(statement.orelse)
        elif isinstance(statement, ast.Try | ast.TryStar):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from runtime_imports(block)
            for handler in statement.handlers:
                yield from runtime_imports(handler.body)
        elif isinstance(statement, ast.With | ast.ClassDef):
            yield from runtime_imports(statement.body)


# -- (a) the domain imports only the standard library, attrs and itself ----------------------------------------


def test_the_domain_imports_only_the_standard_library_attrs_and_itself() -> None:
    allowed_roots = set(sys.stdlib_module_names) | DOMAIN_MAY_IMPORT
    found = []
    for name, path in modules_under(SRC, DOMAIN).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):  # every import, wherever it is: the domain has no excuse for any
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = [resolved(node, name, path.name == "__init__.py")]
            else:
                continue
            for target in targets:
                inside = target == "closedloop.domain" or target.startswith("closedloop.domain.")
                if not inside and target.split(".")[0] not in allowed_roots:
                    found.append(f"{relative(path)}:{node.lineno} imports {target}")

    assert found == [], "the domain must import only the standard library, attrs and itself:\n" + "\n".join(found)


# -- (b) importing the domain loads none of the adapters' libraries -------------------------------------------


@pytest.mark.parametrize("statement", ["import closedloop.domain", "import closedloop"])
def test_importing_the_domain_loads_no_adapter_library(statement: str) -> None:
    code = f"{statement}; import json, sys; print(json.dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT)
    assert run.returncode == 0, run.stderr

    loaded = {module.split(".")[0] for module in json.loads(run.stdout)}

    assert sorted(loaded.intersection(HEAVY)) == [], f"{statement!r} loads adapter libraries"


# -- (c) no import cycle at import time ------------------------------------------------------------------------


def import_graph(src: Path = SRC, package: Path = PACKAGE) -> dict[str, set[str]]:
    """Which modules of ``package`` each of its modules imports while it is being imported.

    Importing ``a.b.c`` runs ``a`` and ``a.b`` first, so those count too, except a package the importer
    lives in: that one is already being imported when the importer runs. ``from a import b`` counts ``a.b``
    when it is a module, else ``a``.
    """
    modules = modules_under(src, package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for importer, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in runtime_imports(tree.body):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            else:
                source = resolved(node, importer, is_package)
                submodules = [f"{source}.{alias.name}" for alias in node.names]
                named = [module for module in submodules if module in modules] or [source]
            for target in named:
                parts = target.split(".")
                for depth in range(1, len(parts) + 1):
                    module = ".".join(parts[:depth])
                    ancestor = importer == module or importer.startswith(module + ".")
                    if module in modules and (depth == len(parts) or not ancestor) and module != importer:
                        graph[importer].add(module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle, as a path, for each strongly connected group of modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [path_around(group, graph) for group in groups]


def path_around(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest way from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for target in sorted(graph[module] & group):
            if target == start:
                return [*paths[module], start]
            if target not in paths:
                paths[target] = [*paths[module], target]
                queue.append(target)
    return sorted(group)


def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_cycles_are_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    assert cycles(graph) == [["a", "b", "c", "a"]]


def test_the_import_graph_follows_what_runs_at_import_time(tmp_path: Path) -> None:
    src = write_package(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.core import thing\n",
            "pkg/core.py": "from . import helpers\nfrom .sub import deep\n",
            "pkg/helpers.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.core import thing\n"
                "def later():\n    from pkg import core\n"
                "try:\n    import pkg.sub.deep as d\nexcept ImportError:\n    pass\n"
            ),
            "pkg/sub/__init__.py": "",
            "pkg/sub/deep.py": "from ..helpers import later\n",
        },
    )

    graph = import_graph(src, src / "pkg")

    assert graph == {
        "pkg": {"pkg.core"},
        "pkg.core": {"pkg.helpers", "pkg.sub", "pkg.sub.deep"},
        "pkg.helpers": {"pkg.sub", "pkg.sub.deep"},
        "pkg.sub": set(),
        "pkg.sub.deep": {"pkg.helpers"},
    }
    assert cycles(graph) == [["pkg.helpers", "pkg.sub.deep", "pkg.helpers"]]


def test_there_is_no_import_cycle() -> None:
    found = cycles(import_graph())

    assert found == [], "import cycles (at import time):\n" + "\n".join(" -> ".join(cycle) for cycle in found)


# -- (d) no module takes another module's private name ---------------------------------------------------------


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


FIRST_PARTY = frozenset(module_name(path, root) for path, root in first_party_sources())


def private_uses(path: Path, root: Path, known_modules: frozenset[str] = FIRST_PARTY) -> Iterator[str]:
    """Each private name ``path`` takes from elsewhere: ``from x import _y``, and ``m._y`` (or ``m.C._y``) on
    a name ``m`` bound to a module by ``import``, or by ``from p import m`` when ``p.m`` is one of
    ``known_modules``. Privates of objects reached otherwise (``desk._user``) need types and go unseen."""
    importer = module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()  # local names bound to a module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = resolved(node, importer, is_package)
            for alias in node.names:
                if is_private(alias.name):
                    yield f"{relative_to(path, root)}:{node.lineno} imports {alias.name} from {source}"
                if f"{source}.{alias.name}" in known_modules:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            chain = [node.attr]
            base: ast.expr = node.value
            while isinstance(base, ast.Attribute):
                chain.insert(0, base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                yield f"{relative_to(path, root)}:{node.lineno} uses {'.'.join([base.id, *chain])}"


def relative_to(path: Path, root: Path) -> str:
    return relative(path) if path.is_relative_to(ROOT) else path.relative_to(root).as_posix()


def test_private_names_taken_from_other_modules_are_found(tmp_path: Path) -> None:
    src = write_package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/tools.py": "_secret = 1\nclass Tool:\n    _inner = 2\n",
            "pkg/user.py": (
                "import argparse\n"
                "import pkg.tools as t\n"
                "from pkg import tools\n"
                "from .tools import _secret, Tool\n"
                "def f(x: argparse._SubParsersAction, desk) -> None:\n"
                "    print(t._secret, tools.Tool._inner, Tool._inner, desk._user, tools.__name__, x._private)\n"
            ),
        },
    )
    modules = frozenset({"pkg", "pkg.tools", "pkg.user"})

    found = sorted(private_uses(src / "pkg" / "user.py", src, modules))

    assert found == [
        "pkg/user.py:4 imports _secret from pkg.tools",
        "pkg/user.py:5 uses argparse._SubParsersAction",
        "pkg/user.py:6 uses t._secret",
        "pkg/user.py:6 uses tools.Tool._inner",
    ]


def test_no_module_takes_another_modules_private_name() -> None:
    found = [use for path, root in first_party_sources() for use in private_uses(path, root)]

    assert found == [], "private names taken from other modules:\n" + "\n".join(found)


# -- (e) short modules -----------------------------------------------------------------------------------------


def test_no_module_is_longer_than_400_lines() -> None:
    long = []
    for path, _root in first_party_sources():
        if "versions" in path.relative_to(ROOT).parts:  # migrations are written once and never read again
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{relative(path)}: {lines} lines")

    assert long == [], f"modules over {MAX_LINES} lines:\n" + "\n".join(long)


def test_the_desk_stays_a_thin_facade() -> None:
    """A new capability is a module of closedloop/app plus a line on Desk, so the facade stays short and holds
    no use case of its own: every public method hands its call on."""
    desk = ROOT / "src" / "closedloop" / "desk.py"
    assert len(desk.read_text(encoding="utf-8").splitlines()) < 400
    tree = ast.parse(desk.read_text(encoding="utf-8"))
    [facade] = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Desk"]
    thick = []
    for method in facade.body:
        if not isinstance(method, ast.FunctionDef) or method.name.startswith("_") or method.name in ("open", "close"):
            continue
        statements = [
            node for node in method.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]
        if len(statements) != 1 or not isinstance(statements[0], ast.Return):
            thick.append(method.name)
    assert thick == [], f"Desk methods that do more than hand the call on: {thick}"


# -- the top-level package -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", closedloop.__all__)
def test_every_public_name_imports_from_closedloop(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from closedloop import {name}", namespace)

    assert namespace[name] is getattr(closedloop, name)


def test_public_names_are_listed_once_and_shown_by_dir() -> None:
    assert len(closedloop.__all__) == len(set(closedloop.__all__))
    assert set(closedloop.__all__) <= set(dir(closedloop))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Dsk'"):
        closedloop.Dsk  # type: ignore[attr-defined]  # noqa: B018

    with pytest.raises(ImportError):
        exec("from closedloop import Dsk", {})
