"""The README's Python example runs as written (against the bundled sample bars)."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_example() -> str:
    text = README.read_text()
    start = text.index("From Python (what the API")
    return text[start:].split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_python_example_runs_on_the_sample_data(seeded_db_url, monkeypatch) -> None:
    monkeypatch.setenv("NTREE_DB_URL", seeded_db_url)
    scope: dict = {}
    exec(compile(python_example(), "README.md", "exec"), scope)
    s = scope["s"]
    assert s.ended and isinstance(scope["order_id"], int)
    assert s.summary()["num_trades"] == len(s.trades)
