"""The import graph of ``ntree/``: no cycle anywhere, and a service core without HTTP or Dash."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ntree"
WEB = ("flask", "dash", "werkzeug")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """Return (the ntree modules, the outside top-level packages) a file imports anywhere
    (deferred imports in functions too): ``from ntree.x import y`` counts ``ntree.x.y``
    when that is a module, else ``ntree.x``."""
    inner, outer = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                for a in node.names
            ]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "ntree":
                inner.add(name)
            else:
                outer.add(name.split(".")[0])
    return inner, outer


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    found = modules()
    known = set(found)
    inner, outer = {}, {}
    for name, path in found.items():
        inner[name], outer[name] = imports_of(path, known)
        inner[name].discard(name)
    return inner, outer


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_ntree_has_no_import_cycle():
    inner, _ = graph()
    assert find_cycle(inner) is None, " -> ".join(find_cycle(inner))


def test_the_cycle_finder_finds_a_deferred_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_service_core_reaches_neither_flask_nor_dash():
    inner, outer = graph()
    seen, todo = set(), [m for m in inner if m == "ntree.service" or m.startswith("ntree.service.")]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += inner.get(name, ())
    web = {
        name: sorted(outer[name] & set(WEB)) for name in seen if outer.get(name, set()) & set(WEB)
    }
    assert web == {}, "imported (directly or through ntree modules) by ntree/service"
