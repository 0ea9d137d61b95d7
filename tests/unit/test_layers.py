"""The packages stack in floors without loops, counting every import (pyproject's
``[tool.importlinter]``, run by ``make lint``). These tests check what the contract relies on.

import-linter builds its graph with grimp. Imports inside functions are most of the upward
imports a layering breaks (a lazy ``from llmops._configure import configure`` in tracing), so
the first test checks, for this repository's mapped layout, that every import statement inside
a function body of the installed package is an edge of grimp's graph.
"""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # No cache: a graph cached from another layout (a run with the checkout on sys.path sees
    # only llmops/, not the mapped tracing/ eval/ ...) would fail or pass this for nothing.
    return grimp.build_graph("llmops", cache_dir=None)


def _floors() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return [
        [f"llmops.{name.strip()}" for name in layer.replace("|", ":").split(":")]
        for layer in contract["layers"]
    ]


def _floor_of(module: str, floors: list[list[str]]) -> int | None:
    for index, members in enumerate(floors):
        if any(module == m or module.startswith(m + ".") for m in members):
            return index
    return None


def _imports_in_functions(path: Path) -> list[tuple[int, list[str], int]]:
    """(line, the names it may import, relative level) of each import inside a function.

    ``from a.b import c`` may import the module ``a.b.c`` or the name ``c`` of ``a.b``: both
    are given, and either edge counts.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found += [(inner.lineno, [alias.name], 0) for alias in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    base = inner.module or ""
                    names = [f"{base}.{a.name}" if base else a.name for a in inner.names]
                    found.append((inner.lineno, [*names, base], inner.level))
    return found


def _resolve(importer: str, named: str, level: int, is_package: bool) -> str:
    if not level:
        return named
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, named] if named else base)


def _known(name: str, modules: set[str]) -> str:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def test_grimp_sees_every_import_inside_a_function(graph: grimp.ImportGraph) -> None:
    checked = 0
    modules = set(graph.modules)
    for module in sorted(m for m in modules if m.startswith("llmops")):
        spec = importlib.util.find_spec(module)
        assert spec is not None
        assert spec.origin is not None
        path = Path(spec.origin)
        for line, names, level in _imports_in_functions(path):
            targets = {
                _known(_resolve(module, name, level, path.name == "__init__.py"), modules)
                for name in names
            }
            targets = {t for t in targets if t.startswith("llmops") and t != module}
            if not targets:
                continue
            assert any(graph.direct_import_exists(importer=module, imported=t) for t in targets), (
                f"{module}:{line} imports {sorted(targets)} inside a function; grimp missed it"
            )
            checked += 1
    assert checked > 50  # the package has many lazy imports: the check really ran


def test_every_module_is_on_a_floor_and_imports_only_floors_below(
    graph: grimp.ImportGraph,
) -> None:
    floors = _floors()
    upward = []
    for module in sorted(m for m in graph.modules if m.startswith("llmops.")):
        floor = _floor_of(module, floors)
        assert floor is not None, f"{module} is on no floor of pyproject's layers contract"
        for imported in graph.find_modules_directly_imported_by(module):
            other = _floor_of(imported, floors)
            if other is not None and other < floor:  # a smaller index is a higher floor
                upward.append(f"{module} -> {imported}")
    assert not upward, "imports that go up a floor:\n" + "\n".join(upward)
