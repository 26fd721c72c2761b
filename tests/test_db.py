"""The database edge on real SQLite files (and PostgreSQL where marked): schema, bar store,
seeding, errors, CLI."""

from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ntree import db
from ntree.cli import main
from ntree.seed import SEED_SYMBOLS, ensure_seeded, generate_bars, seed_database


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_schema_is_created_from_scratch_on_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.db"

    engine = db.connect(sqlite_url(path))

    assert path.exists()
    tables = set(sa.inspect(engine).get_table_names())
    assert {"bars", "replay_sessions", "replay_events", "replay_trades"} <= tables
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.symbols(engine) == []
    assert db.bar_range(engine, "SPY") is None
    engine.dispose()


@pytest.mark.both_databases
def test_saved_bars_load_back_identical_and_saving_again_writes_nothing(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)
    bars = generate_bars("SPY", "2024-07-01", "2024-07-05", seed=1)

    assert db.save_bars(engine, "SPY", bars) == len(bars)
    assert db.save_bars(engine, "SPY", bars) == 0
    loaded = db.load_bars(engine, "SPY")

    pd.testing.assert_frame_equal(loaded, bars, check_exact=True, check_freq=False)
    assert db.symbols(engine) == ["SPY"]
    assert db.bar_range(engine, "SPY") == (bars.index[0], bars.index[-1])
    engine.dispose()


@pytest.mark.both_databases
def test_load_bars_returns_the_half_open_interval_start_to_end(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)
    bars = generate_bars("AAPL", "2024-07-01", "2024-07-02", seed=2)
    db.save_bars(engine, "AAPL", bars)
    start, end = bars.index[10], bars.index[20]

    loaded = db.load_bars(engine, "AAPL", start, end)

    assert loaded.index.equals(bars.index[10:20])
    assert db.load_bars(engine, "QQQ").empty
    engine.dispose()


@pytest.mark.both_databases
def test_seed_database_is_idempotent_on_a_real_database(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)

    first = seed_database(engine)
    second = seed_database(engine)

    assert first == {s.symbol: 125 * 390 + 3 * 210 for s in SEED_SYMBOLS}
    assert second == {s.symbol: 0 for s in SEED_SYMBOLS}
    assert ensure_seeded(engine) == {}
    assert db.symbols(engine) == sorted(s.symbol for s in SEED_SYMBOLS)
    first_bar, last_bar = db.bar_range(engine, "SPY")
    assert first_bar == pd.Timestamp("2024-07-01 13:30", tz="UTC")
    assert last_bar == pd.Timestamp("2024-12-31 20:59", tz="UTC")
    engine.dispose()


@pytest.mark.both_databases
def test_forced_seed_rewrites_the_bundled_bars_identically(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)
    seed_database(engine)
    before = db.load_bars(engine, "QQQ")

    written = seed_database(engine, force=True)

    assert written["QQQ"] == len(before)
    pd.testing.assert_frame_equal(db.load_bars(engine, "QQQ"), before, check_exact=True)
    engine.dispose()


@pytest.mark.both_databases
def test_ensure_seeded_leaves_a_database_with_bars_alone(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)
    db.save_bars(engine, "MSFT", generate_bars("MSFT", "2024-07-01", "2024-07-01", seed=4))

    assert ensure_seeded(engine) == {}
    assert db.symbols(engine) == ["MSFT"]
    engine.dispose()


def test_corrupt_file_raises_a_clear_database_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite at all\x00\xff" * 200)

    with pytest.raises(db.DatabaseError, match=r"cannot open ntree database .*not a database"):
        db.connect(sqlite_url(path))


def test_missing_file_with_create_false_raises_database_error(tmp_path: Path) -> None:
    with pytest.raises(db.DatabaseError, match="does not exist"):
        db.connect(sqlite_url(tmp_path / "nowhere" / "ntree.db"), create=False)
    with pytest.raises(db.DatabaseError, match="does not exist"):
        db.connect(sqlite_url(tmp_path / "absent.db"), create=False)
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.both_databases
def test_cli_data_seed_prints_rows_per_symbol_then_zero_on_rerun(
    empty_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = empty_db_url

    assert main(["data", "seed", "--db", url]) == 0
    first = capsys.readouterr().out
    assert main(["data", "seed", "--db", url]) == 0
    second = capsys.readouterr().out

    assert first.splitlines() == [f"{s.symbol}: 49380 rows written" for s in SEED_SYMBOLS]
    assert second.splitlines() == [f"{s.symbol}: 0 rows written" for s in SEED_SYMBOLS]
    assert main(["data", "info", "--db", url]) == 0
    info = capsys.readouterr().out
    assert "SPY: 2024-07-01 13:30 .. 2024-12-31 20:59 UTC" in info


def test_cli_database_error_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"garbage" * 1000)

    code = main(["data", "info", "--db", sqlite_url(path)])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("ntree: error: cannot open ntree database")
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err
    assert main(["data", "info", "--db", sqlite_url(tmp_path / "absent.db")]) == 2


def test_a_postgresql_server_out_of_reach_is_a_database_error_that_hides_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("psycopg")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://ntree:s3cret@127.0.0.1:{port}/ntree?connect_timeout=2"

    with pytest.raises(db.DatabaseError, match="cannot open ntree database") as err:
        db.connect(url)
    assert "s3cret" not in str(err.value) and "***" in str(err.value)
    assert main(["data", "info", "--db", url]) == 2
    out, err_text = capsys.readouterr()
    assert err_text.startswith("ntree: error: ") and len(err_text.strip().splitlines()) == 1
    assert "s3cret" not in err_text


def test_a_database_ntree_does_not_run_on_is_refused_by_name() -> None:
    with pytest.raises(db.DatabaseError, match="SQLite or PostgreSQL"):
        db.connect("mysql://user:pw@localhost/ntree")
