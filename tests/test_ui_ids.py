"""Every component id lives in ``ntree/ui/ids.py``: no string ids in the pages or the UI code."""

from __future__ import annotations

import ast
from pathlib import Path

from ntree.ui import ids

ROOT = Path(__file__).resolve().parent.parent
SCANNED = sorted(
    [*(ROOT / "pages").glob("*.py"), *(ROOT / "ntree" / "ui").glob("*.py"), ROOT / "app.py"]
)
DEPENDENCIES = {"Input", "Output", "State"}


def _is_text(node: ast.AST) -> bool:
    """A string literal, an f-string, or a sum with one in it (``"x" + y``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return False


def _literal_ids(path: Path, root: Path = ROOT) -> list[str]:
    """Where ``path`` spells a component id as text: ``id="..."`` or ``Input("...", ...)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        spelled = [kw.value for kw in node.keywords if kw.arg in ("id", "component_id")]
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in DEPENDENCIES and node.args:
            spelled.append(node.args[0])
        if isinstance(node.func, ast.Attribute) and node.func.attr == "set_props" and node.args:
            spelled.append(node.args[0])
        found += [f"{path.relative_to(root)}:{n.lineno}" for n in spelled if _is_text(n)]
    return found


def test_no_page_or_ui_module_spells_a_component_id_as_text() -> None:
    assert SCANNED and all(p.exists() for p in SCANNED)
    spelled = [where for path in SCANNED if path.name != "ids.py" for where in _literal_ids(path)]
    assert spelled == [], "use a constant from ntree/ui/ids.py"


def test_the_scan_catches_a_string_id(tmp_path: Path) -> None:
    page = tmp_path / "page.py"
    page.write_text(
        'html.Div(id="x")\nhtml.Div(id=f"row-{n}")\nInput("y", "value")\n'
        'State(ids.A + "-from", "value")\nhtml.Div(id=ids.OK)\nOutput(ids.OK, "data")\n'
    )
    assert _literal_ids(page, tmp_path) == ["page.py:1", "page.py:2", "page.py:3", "page.py:4"]


def test_component_ids_are_unique() -> None:
    values = [v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)]
    assert len(values) == len(set(values))
