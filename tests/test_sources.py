"""Bar sources: the SQLite store and the sample generator agree, and sessions play on either."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ntree import db
from ntree.engine import EngineError
from ntree.engine.sources import BarSource
from ntree.runner import open_session
from ntree.seed import SEED_END, SEED_START, SEED_SYMBOLS, seed_database
from ntree.sources import SampleBarSource, SqlBarSource

START = pd.Timestamp("2024-08-05 13:30", tz="UTC")
END = pd.Timestamp("2024-08-07 20:00", tz="UTC")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """A SQLite file filled by ``ntree data seed`` (seed_database)."""
    engine = db.connect(f"sqlite:///{tmp_path_factory.mktemp('src') / 'ntree.db'}")
    seed_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def sample() -> SampleBarSource:
    return SampleBarSource()


def test_both_sources_satisfy_the_port(seeded: sa.Engine, sample: SampleBarSource) -> None:
    sources: list[BarSource] = [SqlBarSource(seeded), sample]  # checked by the type checker
    assert all(callable(getattr(s, m)) for s in sources for m in ("load", "symbols", "bar_range"))


def test_sample_bars_equal_what_data_seed_stores(
    seeded: sa.Engine, sample: SampleBarSource
) -> None:
    stored = SqlBarSource(seeded)
    for symbol in ("SPY", "AAPL"):
        got = sample.load(symbol, START, END)
        assert len(got) == 3 * 390
        pd.testing.assert_frame_equal(got, stored.load(symbol, START, END))


def test_load_is_half_open_at_the_end(sample: SampleBarSource) -> None:
    bars = sample.load("QQQ", START, START + pd.Timedelta(minutes=5))
    assert list(bars.index) == list(pd.date_range(START, periods=5, freq="1min", name="ts"))


def test_sources_list_the_same_symbols_and_ranges(
    seeded: sa.Engine, sample: SampleBarSource
) -> None:
    stored = SqlBarSource(seeded)
    assert sample.symbols() == stored.symbols() == sorted(s.symbol for s in SEED_SYMBOLS)
    first, last = sample.bar_range("SPY")
    assert stored.bar_range("SPY") == (first, last)
    assert first.tz_convert("America/New_York").date() == pd.Timestamp(SEED_START).date()
    assert last.tz_convert("America/New_York").date() == pd.Timestamp(SEED_END).date()


def test_an_unknown_symbol_has_no_bars_in_either_source(
    seeded: sa.Engine, sample: SampleBarSource
) -> None:
    for source in (SqlBarSource(seeded), sample):
        assert source.bar_range("NOPE") is None
        empty = source.load("NOPE", START, END)
        assert empty.empty and list(empty.columns) == ["open", "high", "low", "close", "volume"]
        assert str(empty.index.dtype) == "datetime64[ns, UTC]"


def test_a_caller_writing_to_sample_bars_changes_no_later_load(sample: SampleBarSource) -> None:
    bars = sample.load("SPY", START, END)
    before = float(bars["close"].iloc[0])
    bars.iloc[0, bars.columns.get_loc("close")] = -1.0
    assert float(sample.load("SPY", START, END)["close"].iloc[0]) == before


def test_a_session_on_the_sample_source_plays_like_one_on_the_store(
    seeded: sa.Engine, tmp_path: Path, sample: SampleBarSource
) -> None:
    empty_db = db.connect(f"sqlite:///{tmp_path / 'empty.db'}")  # no bars: the source has them
    on_sample = open_session(
        empty_db, "SPY", "2024-08-05", "2024-08-06", session_id="s", source=sample
    )
    on_store = open_session(seeded, "SPY", "2024-08-05", "2024-08-06", session_id="s")
    for s in (on_sample, on_store):
        s.advance(disp_steps=3)
        s.place("BUY", "MARKET", 10)
        s.advance(disp_steps=20)
        s.end()
    assert on_sample.fingerprint == on_store.fingerprint
    assert [e.payload for e in on_sample.drain_events()] == [
        e.payload for e in on_store.drain_events()
    ]
    empty_db.dispose()


def test_open_session_names_the_sources_symbols_when_one_is_unknown(
    tmp_path: Path, sample: SampleBarSource
) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(EngineError, match="known: AAPL, QQQ, SPY") as err:
        open_session(engine, "NOPE", "2024-08-05", "2024-08-06", source=sample)
    assert err.value.code == "unknown_symbol"
    engine.dispose()


@pytest.mark.both_databases
def test_stored_extended_hours_bars_are_left_out_unless_asked_for(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)
    # 2024-07-01: 08:00 and 09:29 New York are pre-market, 09:30 and 15:59 regular, 16:00 after.
    times = ["12:00", "13:29", "13:30", "19:59", "20:00"]
    index = pd.DatetimeIndex([pd.Timestamp(f"2024-07-01 {t}", tz="UTC") for t in times])
    bars = pd.DataFrame(
        {"open": 100.0, "high": 100.5, "low": 99.5, "close": 100.0, "volume": 100}, index=index
    )
    db.save_bars(engine, "XYZ", bars)
    regular = SqlBarSource(engine).load("XYZ")
    every = SqlBarSource(engine, extended_hours=True).load("XYZ")
    assert [t.strftime("%H:%M") for t in regular.index] == ["13:30", "19:59"]
    assert len(every) == 5
