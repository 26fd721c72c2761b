"""The film room on a Hong Kong day: History's dates, the review's chart, trades, timeline and
fork text, and the Coach's time-of-day and weekday buckets all in Hong Kong time (a session
that opens at 09:30 HKT is 21:30 the evening before in New York)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ntree.service import ReplayService
from ntree.ui import figures, history_grid, log_layout, review
from ntree.ui import format as fmt
from ntree.ui.tables import log_events_table
from tests.test_service_exchanges import imported, local_rows

DAY = "2024-03-01"  # a Friday in Hong Kong, a Thursday evening in New York at its open


@pytest.fixture
def hk(tmp_path: Path) -> ReplayService:
    rows = local_rows("XHKG", DAY, lambda ts: 100.0 if ts.hour < 12 else 99.0)
    svc = ReplayService.create(imported(tmp_path, "0005", "XHKG", rows), tmp_path / "cache")
    yield svc
    svc.cache.close()


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), default=str, ensure_ascii=False)


def _played(svc: ReplayService) -> str:
    """Buy at 10:00 HKT, sell at 13:30 HKT (after the lunch break), end; return the id."""
    sid = svc.start({"symbol": "0005", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"})["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 6})  # 09:30 + 30 min
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    svc.jump({"session_id": sid, "to": f"{DAY}T13:30:00+08:00"})
    svc.command("place", {"session_id": sid, "side": "SELL", "type": "MARKET", "qty": 10})
    svc.command("step", {"session_id": sid, "disp_steps": 1})
    svc.command("end", {"session_id": sid})
    return sid


def test_history_dates_a_hong_kong_session_in_hong_kong_time(hk: ReplayService) -> None:
    sid = _played(hk)
    shown = history_grid.grid_row(hk.get_session(sid))
    assert shown["dates"] == "Fri 2024-03-01 09:30–16:00 HKT"
    header = {c.get("field"): c["headerName"] for c in history_grid.column_defs()}
    assert header["dates"] == "Dates (exchange time)"


def test_the_review_shows_a_hong_kong_session_in_hong_kong_time(hk: ReplayService) -> None:
    sid = _played(hk)
    row = hk.get_session(sid)
    tz = fmt.session_tz(row)
    assert tz == "Asia/Hong_Kong"
    trades = hk.trade_page(sid, page_size=review.TRADES_PAGE_SIZE)
    (trade,) = trades["trades"]
    chart = hk.review_chart(sid, n=review.REVIEW_BARS)
    candles = review.session_bars(chart["candles"], row["t_start"])
    fig = review.review_figure(candles, chart["fills"], [trade], chart["disp_tf"], tz=tz)
    xs = fig["data"][0]["x"]
    assert fig["layout"]["annotations"][figures.REGIME_TAG]["visible"] is False
    assert xs[0] == "03-01 09:30" and "03-01 13:00" in xs  # the session's bars, in HKT
    won_or_lost = [t for t in fig["data"] if t.get("name") in review.TRADE_TRACES and t["x"]]
    assert won_or_lost[0]["x"][:2] == ["03-01 10:00", "03-01 13:30"]
    page = log_layout.page(row, trades, hk.journal(sid), log_layout.Chart(fig, [], None), {}, {})
    text = _text(page)
    assert "Fri 2024-03-01 09:30 → Fri 2024-03-01 16:00 HKT" in text
    assert "Entry (HKT)" in text and "03-01 10:00" in text and "03-01 13:30" in text
    assert "(ET)" not in text and "21:30" not in text
    events = hk.event_page(sid, page_size=50)["events"]
    timeline = _text(log_events_table(events, tz))
    assert "Time (HKT)" in timeline and "Fri 03-01 09:30" in timeline
    assert review.picked_text(candles[0]["ts"], tz) == "fork after the 03-01 09:30 HKT bar"


def test_the_coach_buckets_a_hong_kong_trade_by_its_hong_kong_time(hk: ReplayService) -> None:
    sid = _played(hk)
    report = hk.coach({"session_id": sid})
    (trade,) = report["trades"]
    assert (trade["time_bucket"], trade["weekday"]) == ("10:00", "Fri")
    assert list(report["by_hour"]) == ["10:00"] and list(report["by_weekday"]) == ["Fri"]


def test_a_coach_date_filter_is_the_hong_kong_sessions_own_date(hk: ReplayService) -> None:
    sid = _played(hk)  # 2024-03-01 in Hong Kong, 2024-02-29 in New York
    assert hk.coach({"from": DAY, "to": DAY})["n_sessions"] == 1
    assert hk.coach({"from": "2024-02-29", "to": "2024-02-29"})["n_sessions"] == 0
    assert hk.coach({"from": "2024-03-02"})["n_sessions"] == 0
    assert hk.coach({"session_id": sid, "to": "2024-02-29"})["n_sessions"] == 0


def test_a_compared_window_and_a_session_choice_are_labelled_in_their_exchanges_time(
    hk: ReplayService,
) -> None:
    from ntree.ui.coach_layout import session_label, window_label

    window = {"symbol": "0005", "start": "2024-03-01T01:30:00Z", "disp_tf": "5m"}
    assert window_label(window, {"0005": "Asia/Hong_Kong"}) == "0005 Fri 03-01 09:30 5m"
    assert window_label(window) == "0005 Thu 02-29 20:30 5m"  # a symbol not named: New York
    sid = _played(hk)
    assert session_label(hk.get_session(sid)).startswith("0005 Fri 03-01 09:30 5m")


def test_the_r_distribution_of_trades_without_a_stop_says_why_it_is_empty() -> None:
    from ntree.ui.coach_figures import NO_R_NOTE, r_distribution

    empty = [{"lo": -0.5, "hi": 0.0, "n": 0}, {"lo": 0.0, "hi": 0.5, "n": 0}]
    assert r_distribution(empty)["layout"]["annotations"] == [NO_R_NOTE]
    some = [{"lo": -0.5, "hi": 0.0, "n": 0}, {"lo": 0.0, "hi": 0.5, "n": 2}]
    assert "annotations" not in r_distribution(some)["layout"]
