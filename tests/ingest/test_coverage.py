"""Coverage against the exchange calendar, bar_range's two seeks, one calendar per exchange."""

from __future__ import annotations

import pandas as pd
import pytest

from ntree import cli, db, market
from ntree.ingest.coverage import coverage

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL


def minutes(day: str, n: int, exchange: str = "XNYS") -> pd.DataFrame:
    opens = market.session_minutes(day, day, exchange)[:n]
    return pd.DataFrame(
        {"open": 10.0, "high": 10.5, "low": 9.5, "close": 10.0, "volume": 1},
        index=pd.DatetimeIndex(opens, name="ts"),
    )


def test_coverage_counts_missing_minutes_and_open_days_with_no_data(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)
    # 2024-03-01 (Fri) full, 2024-03-04 (Mon) nothing, 2024-03-05 (Tue) 100 minutes.
    db.save_bars(engine, "SPY", pd.concat([minutes("2024-03-01", 390), minutes("2024-03-05", 100)]))

    cov = coverage(engine, "SPY")

    assert (cov.trading_days, cov.days_with_data, cov.bars) == (3, 2, 490)
    assert cov.minutes_missing == 390 + 290
    assert cov.days_without_data == ["2024-03-04"]
    assert db.bar_range(engine, "SPY") == (
        pd.Timestamp("2024-03-01T14:30:00Z"),
        pd.Timestamp("2024-03-05T16:09:00Z"),
    )
    assert db.bar_range(engine, "NONE") is None


def test_coverage_follows_the_symbols_exchange_hong_kong_lunch_break(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)
    day = minutes("2024-03-01", 400, "XHKG")
    with engine.begin() as conn:
        db.save_bars(engine, "0700", day, conn=conn)
        db.save_symbol(conn, "0700", exchange="XHKG", tick=0.2, source="file")

    cov = coverage(engine, "0700")

    # 09:30-12:00 and 13:00-16:00: 330 minutes, the lunch hour is not "missing".
    assert (cov.exchange, cov.trading_days, cov.minutes_missing) == ("XHKG", 1, 0)
    assert cov.bars == 330


def test_each_exchange_calendar_is_built_once_per_process() -> None:
    assert market.calendar() is market.calendar("XNYS") is market.calendar("xnys")
    assert market.calendar("XLON") is market.calendar("XLON")
    with pytest.raises(ValueError, match="unknown exchange calendar"):
        market.calendar("NOPE")


def test_cli_coverage_prints_one_line_per_symbol(
    capsys: pytest.CaptureFixture[str], empty_db_url: str
) -> None:
    url = empty_db_url
    engine = db.connect(url)
    db.save_bars(engine, "QQQ", minutes("2024-03-01", 10))
    engine.dispose()

    assert cli.main(["data", "coverage", "--symbol", "qqq", "--db", url]) == 0

    assert capsys.readouterr().out == (
        "QQQ (XNYS): 2024-03-01 14:30 .. 2024-03-01 14:39 UTC, 10 bars, 1/1 trading days, "
        "380 regular-session minutes missing, 0 open days with no data\n"
    )


def _listed_minutes(ts_s, exchange: str, days: list[str]) -> dict[str, tuple[int, int]]:
    """The naive reference: list every regular minute of each day and look each one up."""
    have = set(ts_s.tolist())
    out = {}
    for day in days:
        minutes = market.session_minutes(day, day, exchange).as_unit("s").asi8.tolist()
        out[day] = (len(minutes), sum(m in have for m in minutes))
    return out


@pytest.mark.parametrize(
    ("exchange", "days"),
    [
        # a half day (Black Friday), Thanksgiving skipped, a DST-free December week
        ("XNYS", ["2023-11-22", "2023-11-24", "2023-11-27", "2023-12-29"]),
        # lunch breaks, and Lunar New Year's half day
        ("XHKG", ["2024-02-08", "2024-02-09", "2024-02-15"]),
        ("XLON", ["2023-12-22", "2023-12-27"]),
    ],
)
def test_day_table_counts_each_sessions_minutes_as_listing_them_would(exchange, days):
    import numpy as np

    from ntree.ingest.coverage import day_table

    rng = np.random.default_rng(7)
    minutes = market.session_minutes(days[0], days[-1], exchange).as_unit("s").asi8
    kept = minutes[rng.random(len(minutes)) > 0.2]
    cal = market.calendar(exchange)
    extra = [int(cal.schedule.loc[d, "close"].timestamp()) + 60 for d in days]  # after hours
    if exchange == "XHKG":  # a bar inside the lunch break is not a regular minute
        extra.append(int(cal.schedule.loc[days[0], "break_start"].timestamp()) + 600)
    ts = np.concatenate([kept, kept[:3], extra])  # duplicates count once

    first = pd.Timestamp(int(ts.min()), unit="s", tz="UTC")
    last = pd.Timestamp(int(ts.max()), unit="s", tz="UTC")
    table = day_table(ts, exchange, first, last)

    every_day = [f"{d:%Y-%m-%d}" for d in table.index]
    reference = _listed_minutes(ts, exchange, every_day)
    counted = {
        d: (int(r.expected), int(r.present))
        for d, r in zip(every_day, table.itertuples(), strict=True)
    }
    assert counted == reference
    assert set(days) <= set(every_day)
