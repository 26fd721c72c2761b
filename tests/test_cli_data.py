"""``ntree data delete``: asks on a terminal, needs --yes elsewhere, one line for bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_service_data import FULL, csv_bytes

from ntree import cli, db
from ntree.ingest.files import import_files
from ntree.runner import open_session
from ntree.store import SessionStore


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A database with 390 bars of ZZ and one session played on them."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = db.connect(url)
    import_files(engine, [("zz.csv", csv_bytes({FULL: 390}))], "ZZ")
    SessionStore(engine).save(open_session(engine, "ZZ", FULL, FULL, "5m"))
    engine.dispose()
    return url


class Terminal(io.StringIO):
    """stdin as a terminal the user types ``text`` into."""

    def isatty(self) -> bool:
        return True


def bars(url: str) -> int:
    engine = db.connect(url)
    try:
        return db.count_bars(engine, "ZZ")
    finally:
        engine.dispose()


def test_delete_on_a_terminal_warns_of_the_sessions_and_deletes_on_yes(url, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))

    assert cli.main(["data", "delete", "--symbol", "zz", "--db", url]) == 0

    out = capsys.readouterr().out
    assert out.startswith("ZZ: 390 bars; 1 session was played on them: it can no longer re-run")
    assert "Delete ZZ's 390 bars for good? [y/N] " in out
    assert out.endswith("ZZ: 390 bars deleted\n")
    assert bars(url) == 0


def test_delete_on_a_terminal_keeps_the_bars_on_any_other_answer(url, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", Terminal("\n"))

    assert cli.main(["data", "delete", "--symbol", "ZZ", "--db", url]) == 0

    assert capsys.readouterr().out.endswith("nothing deleted\n")
    assert bars(url) == 390


def test_delete_off_a_terminal_needs_yes(url, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))

    assert cli.main(["data", "delete", "--symbol", "ZZ", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ntree: error: ZZ: 390 bars; 1 session was played on them")
    assert err.endswith("; add --yes to delete them\n") and err.count("\n") == 1
    assert bars(url) == 390

    assert cli.main(["data", "delete", "--symbol", "ZZ", "--yes", "--db", url]) == 0
    assert capsys.readouterr().out == "ZZ: 390 bars deleted\n"
    assert bars(url) == 0


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        ("NOPE", "ntree: error: no bars stored for NOPE\n"),
        ("a b", "ntree: error: symbol must be 1-16 letters, digits or . - _ ^ /, got 'a b'\n"),
    ],
)
def test_delete_of_a_symbol_not_stored_is_one_error_line(url, capsys, symbol, message):
    assert cli.main(["data", "delete", "--symbol", symbol, "--yes", "--db", url]) == 2
    assert capsys.readouterr().err == message
    assert bars(url) == 390
