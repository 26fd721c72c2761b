"""Starting the app on a broken database says what is wrong, in one message, and stops."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_app_on_a_corrupt_database_file_stops_with_a_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / "ntree.db"
    bad.write_bytes(b"this is not a database, it is a shopping list" * 100)
    env = dict(os.environ, NTREE_DB_URL=f"sqlite:///{bad}", NTREE_CACHE_DIR=str(tmp_path / "c"))

    proc = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert proc.returncode != 0
    assert "file is not a database" in proc.stderr and str(bad) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert bad.read_bytes().startswith(b"this is not a database")  # left as it was
