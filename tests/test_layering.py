"""The layering, read from the source: every import of every module of ours (at the top of a
module or inside a function alike), parsed with `ast`.

domain <- projections <- infra <- services, with bench and the tests above them all
(docs/adr/0018): `domain/` imports nothing of ours, `projections/` neither infra nor services,
`infra/` not services, the benchmarks not the tests, and no two packages or modules import
each other, even through others.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("domain", "projections", "infra", "services", "bench", "tests")
Import = tuple[str, str]  # (importing module, imported module)


@cache
def modules() -> dict[str, Path]:
    """Every module of ours by dotted name (a package by its name, for its __init__.py)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _module_of(name: str) -> str:
    """The module an imported name lives in: `projections.store.ReadStore` ->
    `projections.store`."""
    known = modules()
    while name not in known and "." in name:
        name = name.rpartition(".")[0]
    return name


def _imported(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module`: that module; `from module import name`: the module.
            yield from (_module_of(f"{base}.{alias.name}") for alias in node.names)


@cache
def imports() -> list[Import]:
    """Every (module, module of ours it imports), without self-imports."""
    found = set()
    for module, path in modules().items():
        for name in _imported(module, path):
            if _ours(name) and (target := _module_of(name)) != module:
                found.add((module, target))
    return sorted(found)


def _top(module: str) -> str:
    return module.split(".")[0]


def _breaking(importer: str, forbidden: set[str]) -> list[Import]:
    return [(m, t) for m, t in imports() if _top(m) == importer and _top(t) in forbidden]


def _cycles(edges: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_import_parser_sees_the_wiring_of_every_layer() -> None:
    # The parser reads what the rules below rely on: top-level, aliased and local imports.
    found = set(imports())
    assert ("services.wiring", "projections.runner") in found
    assert ("services.wiring", "infra.event_log") in found
    assert ("infra.kafka", "projections.event_log") in found
    assert ("projections.runner", "domain.calendar") in found
    assert ("bench.run", "bench.harness") in found
    assert ("services.cli", "services.http.app") in found  # imported inside a function
    assert len(modules()) > 100


def test_domain_imports_nothing_of_ours_but_the_domain() -> None:
    assert _breaking("domain", set(PACKAGES) - {"domain"}) == []


@pytest.mark.parametrize("importer", ["projections", "infra"])
def test_projections_and_infra_never_import_services(importer: str) -> None:
    assert _breaking(importer, {"services", "bench", "tests"}) == []


def test_projections_never_import_infra() -> None:
    assert _breaking("projections", {"infra"}) == []


def test_services_never_import_the_benchmarks_or_the_tests() -> None:
    assert _breaking("services", {"bench", "tests"}) == []


def test_the_benchmarks_never_import_the_tests() -> None:
    assert _breaking("bench", {"tests"}) == []


def test_no_two_packages_import_each_other() -> None:
    between_packages = sorted({(_top(m), _top(t)) for m, t in imports() if _top(m) != _top(t)})
    assert _cycles(between_packages) == []


def test_no_two_modules_import_each_other() -> None:
    assert _cycles(imports()) == []


def test_a_cycle_is_found_through_a_third_module() -> None:
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
    assert _cycles(edges) == [["a", "b", "c"]]


# Files outside tests/ stay under 600 lines: a longer one is split by concern (issue #15
# "Structure"; docs/adr/0028 for the claim aggregate).
MAX_LINES = 600
_NOT_SOURCE = frozenset({"tests", "var", "build", "dist", "node_modules", "__pycache__"})


def _source_files() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not any(
            part in _NOT_SOURCE or part.startswith(".")
            for part in path.relative_to(ROOT).parts[:-1]
        )
    ]


def test_no_source_file_outside_the_tests_is_over_600_lines() -> None:
    lengths = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in _source_files()
    }
    assert "domain/claim/__init__.py" in lengths
    assert not any(name.startswith("tests/") for name in lengths)
    too_long = {name: n for name, n in lengths.items() if n > MAX_LINES}
    assert too_long == {}
