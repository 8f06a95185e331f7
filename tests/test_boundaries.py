"""The package boundaries of architecture.md and an acyclic import graph, checked by scanning
imports (``ast``, so nothing is imported to check)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "harvesters", "models")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Dotted names a module imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # module level includes `if TYPE_CHECKING:` / try blocks, not defs
        nodes = [
            n
            for top in tree.body
            if not isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            for n in ast.walk(top)
        ]
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(package: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


def reaches(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("harvesters", {"models", "sqlalchemy", "prefect", "flows", "alembic"}),
        (
            "models",
            {"httpx", "requests", "arxiv", "scholarly", "prefect", "flows", "harvesters.http"},
        ),
    ],
)
def test_package_does_not_import(package: str, forbidden: set[str]) -> None:
    offenders = {
        name: sorted(i for i in imports_of(path) if any(reaches(i, f) for f in forbidden))
        for name, path in modules(package).items()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_models_use_harvesters_only_for_record_types_and_normalization() -> None:
    allowed = {"harvesters.records", "harvesters.normalize"}
    for name, path in modules("models").items():
        used = {i for i in imports_of(path) if reaches(i, "harvesters")}
        assert all(any(reaches(i, a) for a in allowed) for i in used), f"{name} imports {used}"


def test_only_flows_prefect_imports_prefect_at_module_level() -> None:
    offenders = [
        name
        for package in PACKAGES
        for name, path in modules(package).items()
        if not reaches(name, "flows.prefect")
        and any(reaches(i, "prefect") for i in imports_of(path, top_level_only=True))
    ]
    assert offenders == []


def test_the_import_graph_between_our_modules_has_no_cycle() -> None:
    """Every import counts, lazy ones inside functions too: a cycle is a cycle even when
    it only closes at run time."""
    known = {name: path for package in PACKAGES for name, path in modules(package).items()}
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for imported in imports_of(path):
            # `from flows.cli import scholar` names the module flows.cli.scholar.
            if imported in known and imported != name:
                targets.add(imported)
        graph[name] = targets - {n for n in targets if name.startswith(n + ".")}
    cycles = _cycles(graph)
    assert cycles == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
