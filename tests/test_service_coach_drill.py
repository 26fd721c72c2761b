"""Drills from weak spots: which buckets get one, and the window a drill plays."""

from __future__ import annotations

import pandas as pd
import pytest
from coach_helpers import fresh_service, play_brackets

from ntree.market import sessions
from ntree.service import ServiceError
from ntree.service.coach import (
    drill_plan,
    drill_window,
    played_days,
    start_drill,
    weak_buckets,
)

WEEK = sessions("2024-07-01", "2024-07-05")  # Mon..Fri; Thu 07-04 a holiday, Wed 07-03 closes 13:00
LAST_BAR = pd.Timestamp("2024-07-05 19:59", tz="UTC")


def test_drill_window_takes_the_newest_day_not_played_at_the_buckets_new_york_time():
    start, end = drill_window(WEEK, {"2024-07-05"}, "10:30", LAST_BAR)
    # 2024-07-03 10:30 New York (EDT) is 14:30 UTC; a 30-minute bucket.
    assert (start, end) == (
        pd.Timestamp("2024-07-03 14:30", tz="UTC"),
        pd.Timestamp("2024-07-03 15:00", tz="UTC"),
    )


def test_drill_window_skips_a_half_day_that_closes_before_the_bucket_ends():
    start, _ = drill_window(WEEK, {"2024-07-05"}, "13:00", LAST_BAR)
    assert start == pd.Timestamp("2024-07-02 17:00", tz="UTC")  # 07-03 closes at 13:00
    start, _ = drill_window(WEEK, {"2024-07-05"}, "12:30", LAST_BAR)
    assert start == pd.Timestamp("2024-07-03 16:30", tz="UTC")  # 12:30-13:00 fits it


def test_drill_window_skips_a_day_whose_bars_end_before_the_window():
    start, _ = drill_window(WEEK, set(), "15:30", pd.Timestamp("2024-07-05 17:00", tz="UTC"))
    assert start == pd.Timestamp("2024-07-02 19:30", tz="UTC")


def test_drill_window_is_none_when_every_day_was_played():
    played = {"2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05"}
    assert drill_window(WEEK, played, "10:00", LAST_BAR) is None


def test_played_days_counts_every_new_york_date_a_session_spans():
    rows = [{"t_start": "2024-07-01T13:30:00Z", "t_end": "2024-07-03T00:30:00Z"}]  # 07-02 20:30 NY
    assert played_days(rows) == {"2024-07-01", "2024-07-02"}


def _report(by_hour: dict, trades: list[dict]) -> dict:
    return {"by_hour": by_hour, "by_regime": {}, "by_setup": {}, "trades": trades}


def test_weak_buckets_are_those_of_five_trades_or_more_that_lose():
    report = _report(
        {
            "09:30": {"n": 5, "expectancy_r": -0.1},
            "10:00": {"n": 4, "expectancy_r": -2.0},  # too few
            "10:30": {"n": 9, "expectancy_r": 0.3},  # wins
            "11:00": {"n": 6, "expectancy_r": None, "expectancy": -12.0},  # no stop: in $
        },
        [],
    )
    assert [k for k, _ in weak_buckets(report, "hour")] == ["09:30", "11:00"]


def test_drill_plan_plays_the_symbol_and_frame_of_most_of_the_buckets_trades():
    trades = [
        {"session_id": "a", "regime": "trend", "time_bucket": "11:00"},
        {"session_id": "a", "regime": "trend", "time_bucket": "11:00"},
        {"session_id": "b", "regime": "trend", "time_bucket": "09:30"},
        {"session_id": "b", "regime": "range", "time_bucket": "10:00"},
    ]
    rows = [
        {"session_id": "a", "symbol": "QQQ", "disp_tf": "15m"},
        {"session_id": "b", "symbol": "SPY", "disp_tf": "5m"},
    ]
    plan = drill_plan(_report({}, trades), "regime", "trend", rows)
    assert plan == {"symbol": "QQQ", "disp_tf": "15m", "start": "11:00"}
    assert drill_plan(_report({}, trades), "hour", "10:00", rows)["start"] == "10:00"
    with pytest.raises(ServiceError):
        drill_plan(_report({}, trades), "weekday", "Mon", rows)
    with pytest.raises(ServiceError):  # its sessions deleted since
        drill_plan(_report({}, trades), "regime", "trend", [])


@pytest.fixture
def svc(tmp_path):
    svc = fresh_service(tmp_path)
    yield svc
    svc.cache.close()


def test_start_drill_opens_a_session_on_a_day_not_played_yet(svc):
    sid = play_brackets(svc, "2024-08-06", "BUY", 2)
    report = svc.coach({"session_id": [sid]})
    hour = report["trades"][0]["time_bucket"]
    first = start_drill(svc, "hour", hour, {"session_id": [sid]})
    second = start_drill(svc, "hour", hour, {"session_id": [sid]})
    rows = {r["session_id"]: r for r in svc.store.list_sessions(limit=None)}
    days = [played_days([rows[s["session_id"]]]) for s in (first, second)]
    assert days[0] != days[1] and "2024-08-06" not in days[0] | days[1]
    start = pd.Timestamp(rows[first["session_id"]]["t_start"])
    start = start.tz_localize("UTC") if start.tzinfo is None else start
    assert start.tz_convert("America/New_York").strftime("%H:%M") == hour
    assert rows[first["session_id"]]["symbol"] == "SPY"
