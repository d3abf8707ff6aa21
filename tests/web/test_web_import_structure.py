"""The apps of the trial server form layers: ``core`` imports no app, and no two apps import each
other, directly or through a chain. Read from the source with ``ast`` (nothing is imported), so a
cycle hidden inside a function body counts too."""

from __future__ import annotations

import ast
from itertools import pairwise
from pathlib import Path

import trialdesk.web

WEB = Path(trialdesk.web.__file__).parent
PREFIX = "trialdesk.web."


def _app_of(path: Path) -> str:
    parts = path.relative_to(WEB).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _imported_modules(tree: ast.AST, module: str) -> set[str]:
    """Return every module ``tree`` imports, anywhere in it (absolute or relative imports)."""
    found = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def app_imports() -> dict[str, dict[str, set[str]]]:
    """Return, per app, the other apps it imports and from which of its files."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in WEB.rglob("*.py"):
        app = _app_of(path)
        module = PREFIX + ".".join(path.relative_to(WEB).with_suffix("").parts)
        for name in _imported_modules(ast.parse(path.read_text()), module):
            if not name.startswith(PREFIX):
                continue
            other = name[len(PREFIX):].split(".")[0]
            if other != app and (WEB / other).is_dir():
                graph.setdefault(app, {}).setdefault(other, set()).add(
                    str(path.relative_to(WEB)))
    return graph


def _cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, {})):
            if nxt == path[0]:
                cycles.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:  # each cycle once, from its smallest app
                visit(nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return cycles


def test_the_walk_sees_the_imports_of_every_app():
    graph = app_imports()
    assert "core" in graph["trials"]
    assert "trials" in graph["capture"]


def test_no_import_cycle_between_the_apps_of_the_server():
    graph = app_imports()
    cycles = _cycles(graph)
    assert cycles == [], "\n".join(
        " -> ".join(cycle) + ": " + "; ".join(
            f"{a}->{b} in {sorted(graph[a][b])}" for a, b in pairwise(cycle))
        for cycle in cycles)


def test_core_imports_no_app():
    assert app_imports().get("core", {}) == {}


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b": {"a.py"}}, "b": {"c": {"b.py"}}, "c": {"a": {"c.py"}}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
