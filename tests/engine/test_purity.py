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
        "import ntree.engine.aggregate, ntree.engine.indicators, ntree.engine.ticks",
    ],
)
def test_engine_import_pulls_in_no_edge_module(statement: str) -> None:
    loaded = imported_after(statement)
    assert "ntree" in loaded
    assert loaded.isdisjoint(EDGE_MODULES), sorted(loaded & set(EDGE_MODULES))


def test_the_check_would_see_an_edge_module() -> None:
    # Guards the test itself: the probe does report what an import loads.
    assert "sqlalchemy" in imported_after("import sqlalchemy")


ALLOWED_THIRD_PARTY = {"numpy", "pandas"}


def imported_modules(path: Path) -> set[str]:
    """Return the full names of the modules a source file imports (relative ones resolved
    against ``ntree.engine``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add("ntree.engine" + (f".{node.module}" if node.module else ""))
            elif node.module:
                names.add(node.module)
    return names


def forbidden(module: str) -> bool:
    """Return True when the engine may not import ``module``: anything but the standard
    library, numpy, pandas and ``ntree.engine`` itself."""
    top = module.split(".")[0]
    if top == "ntree":
        return not (module == "ntree.engine" or module.startswith("ntree.engine."))
    return top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY


def engine_sources() -> list[Path]:
    spec = importlib.util.find_spec("ntree.engine")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    return sorted(root.rglob("*.py"))


def test_engine_sources_import_only_stdlib_numpy_pandas_and_the_engine() -> None:
    sources = engine_sources()
    assert len(sources) > 5
    for path in sources:
        bad = sorted(m for m in imported_modules(path) if forbidden(m))
        assert not bad, (path.name, bad)


@pytest.mark.parametrize(
    "module",
    ["ntree.market", "ntree.codec", "ntree", "sqlalchemy", "exchange_calendars", "scipy.stats"],
)
def test_the_purity_rule_refuses_imports_from_outside_the_engine(module: str) -> None:
    assert forbidden(module)


@pytest.mark.parametrize("module", ["ntree.engine.ticks", "numpy.typing", "pandas", "math"])
def test_the_purity_rule_allows_stdlib_numpy_pandas_and_the_engine(module: str) -> None:
    assert not forbidden(module)
