"""The engine core stays pure: no web framework, database or cache comes in with it."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

EDGE_MODULES = ("dash", "flask", "sqlalchemy", "diskcache", "exchange_calendars")


def imported_after(statement: str) -> set[str]:
    """Return the top-level modules a fresh interpreter has loaded after ``statement``."""
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.split(".")[0] for name in json.loads(out.stdout)}


@pytest.mark.parametrize(
    "statement",
    [
        "import ntree.engine",
        "from ntree.engine import ReplaySession, SessionConfig, EngineError, Event",
        "import ntree.engine.fills, ntree.engine.portfolio, ntree.engine.orders",
        "import ntree.aggregate, ntree.indicators",
    ],
)
def test_engine_import_pulls_in_no_edge_module(statement: str) -> None:
    loaded = imported_after(statement)
    assert "ntree" in loaded
    assert loaded.isdisjoint(EDGE_MODULES), sorted(loaded & set(EDGE_MODULES))


def test_the_check_would_see_an_edge_module() -> None:
    # Guards the test itself: the probe does report what an import loads.
    assert "sqlalchemy" in imported_after("import sqlalchemy")


def top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_engine_sources_import_only_stdlib_numpy_pandas_and_ntree() -> None:
    spec = importlib.util.find_spec("ntree.engine")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    for path in sorted(root.glob("*.py")):
        third_party = top_level_imports(path) - set(sys.stdlib_module_names)
        assert third_party <= {"numpy", "pandas", "ntree"}, (path.name, third_party)
