"""The cockpit's widgets after an action: what is redrawn, and what is left as it is."""

from __future__ import annotations

from dash import no_update

from ntree.ui.cockpit import SPEEDS, Action, bars_per_tick, handle, speed_label, tick_interval_ms
from ntree.ui.cockpit_view import render, speed_index


def _start(svc) -> str:
    body = {"symbol": "SPY", "t_start": "2024-08-05", "t_end": "2024-08-05", "disp_tf": "5m"}
    return svc.start(body)["session_id"]


def test_a_start_draws_every_widget(replay_service) -> None:
    svc = replay_service
    sid = _start(svc)
    action = Action("init")
    res = handle(svc, sid, None, action)

    out = render(res, action, None)

    assert out["session"] == sid and out["chart"]["meta"] == res.meta
    assert out["clock"]["label"] == f"SPY · 5m · {sid}"
    assert out["clock"]["bar_time"].endswith(" ET") and out["position"]["qty"] == "flat"
    assert out["playback"]["play"] == "▶ Play" and out["playback"]["ticker_off"] is True
    assert out["playback"]["disp_tf"] == "5m"
    assert out["summary"] is None and out["alert"]["is_open"] is no_update


def test_a_step_with_nothing_new_leaves_the_tables_label_and_menus_alone(replay_service) -> None:
    svc = replay_service
    sid = _start(svc)
    meta = handle(svc, sid, None, Action("init")).meta
    step = Action("step", {"n": 1})

    out = render(handle(svc, sid, meta, step), step, meta)

    assert out["tables"] == {"orders": no_update, "trades": no_update, "excursion": no_update}
    assert out["clock"]["label"] is no_update and out["playback"]["disp_tf"] is no_update
    assert out["chart"]["live"] is no_update and out["summary"] is no_update


def test_no_session_blanks_the_widgets_and_says_why(replay_service) -> None:
    action = Action("init", {"resume": "nope"})
    res = handle(replay_service, None, None, action)

    out = render(res, action, None)

    assert out["session"] is None and out["chart"]["meta"] is None
    assert set(out["position"].values()) == {"—"}
    assert out["alert"]["is_open"] is True and out["alert"]["color"] == "danger"


def test_the_speed_menu_takes_the_nearest_speed_and_says_it_in_bars_per_second() -> None:
    assert [SPEEDS[speed_index(s)] for s in (1, 60, 70, 600, 5000)] == [6, 60, 60, 600, 1200]
    assert speed_label(600) == "10 bars/s" and speed_label(6) == "0.1 bars/s"
    # 10 bars a second: two bars every 200 ms; 1 bar a second: one a second
    assert (bars_per_tick(600), tick_interval_ms(600)) == (2, 200)
    assert (bars_per_tick(60), tick_interval_ms(60)) == (1, 1000)
    assert max(SPEEDS) / 60 >= 10


def test_the_market_phase_follows_the_exchange_clock_not_the_sessions_range() -> None:
    from ntree.ui.cockpit_view import exchange_phase

    # 11:45 New York is midday even if the chosen range ends at noon
    assert exchange_phase("2024-08-06T15:45:00Z") == "midday"
    assert exchange_phase("2024-08-06T13:35:00Z") == "opening"
    assert exchange_phase("2024-08-06T19:45:00Z") == "closing"
    # a half day (2024-11-29 closes at 13:00): 12:40 is its closing half hour
    assert exchange_phase("2024-11-29T17:40:00Z") == "closing"
    assert exchange_phase("2024-08-06T12:00:00Z") == "pre-market"
    assert exchange_phase("2024-08-10T15:00:00Z") == "closed"  # a Saturday
    assert exchange_phase("2024-08-06T15:45:00Z", ended=True) == "closed"


def test_time_left_reads_in_days_and_hours() -> None:
    from ntree.ui import format as fmt

    assert [fmt.time_left(m) for m in (45, 390, 3300)] == ["45m", "6:30", "2d 07:00"]


def test_errors_reaching_the_page_say_new_york_times() -> None:
    from ntree.ui import format as fmt

    api = "SPY has data from 2024-07-01T13:30:00+00:00 to 2024-12-31T20:59:00Z"
    assert fmt.et_times(api) == "SPY has data from 2024-07-01 09:30 ET to 2024-12-31 15:59 ET"
    runner = "2024-07-01 12:00 .. 2024-07-01 13:00 UTC is outside them"
    assert fmt.et_times(runner) == "2024-07-01 08:00 ET .. 2024-07-01 09:00 ET is outside them"
