"""ReplaySession's two clocks: display steps, timeframe switches, observe() and candles()."""

from __future__ import annotations

import pytest
from engine_helpers import iso, make_bars, make_session, of_type

from ntree.engine import EngineError, ReplaySession
from ntree.engine.session import SessionConfig

# Minute k opens at 100 + k/10 and trades 0.05 either side: every candle is checkable by eye.
RAMP = [
    (
        round(100 + k / 10, 2),
        round(100.05 + k / 10, 2),
        round(99.95 + k / 10, 2),
        round(100 + k / 10, 2),
    )
    for k in range(60)
]

OBSERVE_KEYS = {
    "bar",
    "channel",
    "indicators",
    "distances",
    "last_price",
    "position",
    "orders",
    "equity",
    "time_remaining_min",
    "market_phase",
    "at_boundary",
    "done",
    "regime",
    "stand_down",
}


def cursor(s: ReplaySession) -> tuple[str, int, bool]:
    st = s.state()
    return st["cursor"]["ts_exec"], st["cursor"]["exec_index"], st["at_boundary"]


def test_session_starts_at_t_start_with_history_before_it() -> None:
    s = make_session(RAMP)
    assert cursor(s) == (iso(0), 0, True)
    (start,) = s.drain_events()
    assert start.type == "SESSION_START"
    assert (start.payload["history_bars"], start.payload["session_bars"]) == (60, 60)


def test_step_disp_steps_lands_on_display_boundaries() -> None:
    s = make_session(RAMP)
    s.step(disp_steps=3)
    assert cursor(s) == (iso(15), 15, True)
    s.step()
    assert cursor(s) == (iso(20), 20, True)
    assert s.last_price == RAMP[19][3]


def test_step_after_exec_steps_goes_to_the_next_boundary() -> None:
    s = make_session(RAMP)
    s.step(exec_steps=2)
    assert cursor(s) == (iso(2), 2, False)
    s.step(disp_steps=1)
    assert cursor(s) == (iso(5), 5, True)


def test_step_on_15m_frame_moves_15_minutes() -> None:
    s = make_session(RAMP, disp_tf="15m")
    s.step(disp_steps=2)
    assert cursor(s) == (iso(30), 30, True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"disp_steps": 0},
        {"exec_steps": -1},
        {"disp_steps": 1, "exec_steps": 1},
        {"exec_steps": 2**70},  # more than the log's 64-bit integers hold
    ],
)
def test_bad_step_is_refused(kwargs: dict) -> None:
    s = make_session(RAMP)
    with pytest.raises(EngineError) as exc:
        s.step(**kwargs)
    assert exc.value.code == "bad_step"
    assert cursor(s) == (iso(0), 0, True)


def test_set_disp_tf_at_a_shared_boundary_keeps_the_cursor() -> None:
    s = make_session(RAMP)
    s.step(disp_steps=3)  # 13:45 is a 5m and a 15m boundary
    s.set_disp_tf("15m")
    assert s.state()["disp_tf"] == "15m"
    assert cursor(s) == (iso(15), 15, True)
    assert [e.payload["cmd"]["args"] for e in of_type(s.drain_events(), "DISP_TF_CHANGE")] == [
        {"disp_tf": "15m"}
    ]
    s.step()
    assert cursor(s) == (iso(30), 30, True)
    s.set_disp_tf("5m")
    s.step()
    assert cursor(s) == (iso(35), 35, True)


def test_set_disp_tf_refused_where_the_boundary_is_not_shared() -> None:
    s = make_session(RAMP)
    s.step()  # 13:35: a 5m boundary, not a 15m one
    with pytest.raises(EngineError) as exc:
        s.set_disp_tf("15m")
    assert exc.value.code == "not_at_boundary"
    assert "the next one is at" in exc.value.message
    assert f"09:45 New York ({iso(15)})" in exc.value.message  # 13:45 UTC, in summer
    assert s.state()["disp_tf"] == "5m"
    s.step()
    assert cursor(s) == (iso(10), 10, True)


def test_set_disp_tf_refused_mid_bar_and_for_unknown_frames() -> None:
    s = make_session(RAMP)
    s.step(exec_steps=3)
    with pytest.raises(EngineError) as exc:
        s.set_disp_tf("5m")
    assert exc.value.code == "not_at_boundary"
    assert f"({iso(5)})" in exc.value.message  # the end of the forming 5m bar
    with pytest.raises(EngineError) as exc:
        s.set_disp_tf("7m")
    assert exc.value.code == "bad_tf"
    assert s.state()["disp_tf"] == "5m"


def test_observe_has_the_documented_keys() -> None:
    s = make_session(RAMP)
    s.step(disp_steps=2)
    obs = s.observe()
    assert set(obs) == OBSERVE_KEYS
    assert set(obs["bar"]) == {"ts", "open", "high", "low", "close", "volume"}
    assert set(obs["channel"]) == {"mid", "upper", "lower", "slope", "width_atr"}
    assert set(obs["distances"]) == {
        "to_ema9",
        "to_ema21",
        "to_vwap",
        "to_upper",
        "to_lower",
        "to_mid",
    }
    assert {"qty", "avg_price", "open_mae", "open_mfe"} <= set(obs["position"])
    assert obs["done"] is False


def test_observe_bar_is_the_last_completed_display_bar() -> None:
    s = make_session(RAMP)
    s.step(exec_steps=7)  # 13:37: the 13:35 bar is forming, 13:30 is the last complete one
    bar = s.observe()["bar"]
    assert bar["ts"] == iso(0)
    assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (100.0, 100.45, 99.95, 100.4)
    assert bar["volume"] == 5000.0
    assert s.observe()["last_price"] == 100.6
    s.step(exec_steps=3)  # 13:40 boundary: the 13:35 bar has just completed
    assert s.observe()["bar"]["ts"] == iso(5)
    assert s.observe()["bar"]["close"] == 100.9


def test_observe_has_no_lookahead() -> None:
    # Two tapes identical up to 13:47 and wildly different after it.
    future = [(150.0, 155.0, 50.0, 60.0)] * 40
    a = make_session(RAMP)
    b = make_session(RAMP[:17] + future + RAMP[57:])
    for s in (a, b):
        s.step(exec_steps=17)
    assert a.observe() == b.observe()
    assert a.candles() == b.candles()


def test_candles_show_a_forming_candle_mid_bar() -> None:
    s = make_session(RAMP)
    s.step(exec_steps=7)
    *done, forming = s.candles()
    assert done[-1]["ts"] == iso(0) and "forming" not in done[-1]
    assert forming["ts"] == iso(5)
    assert forming["forming"] is True
    assert (forming["open"], forming["high"], forming["low"], forming["close"]) == (
        100.5,
        100.65,
        100.45,
        100.6,
    )
    assert forming["volume"] == 2000


def test_candles_at_a_boundary_have_no_forming_candle() -> None:
    s = make_session(RAMP)
    s.step(disp_steps=2)
    candles = s.candles()
    assert candles[-1]["ts"] == iso(5)
    assert not any(c.get("forming") for c in candles)
    # History: the last hour of 2024-07-05 in 12 five-minute candles, then today's two.
    assert len(candles) == 12 + 2
    assert len(s.candles(n=3)) == 3


def test_state_reports_cursor_position_and_summary() -> None:
    s = make_session(RAMP)
    s.place("BUY", "MARKET", 10)
    s.step()
    st = s.state()
    assert st["status"] == "active"
    assert st["position"]["qty"] == 10 and st["position"]["avg_price"] == 100.0
    assert st["equity"] == pytest.approx(100_000 + 10 * 0.4)
    assert st["time_remaining_min"] == 55
    assert st["market_phase"] == "opening"
    assert st["last_event_id"] == 4
    # The two clocks and the session's span, as the state names them.
    assert (st["exec_tf"], st["disp_tf"]) == ("1m", "5m")
    assert (st["t_start"], st["t_end"]) == ("2024-07-08T13:30:00Z", "2024-07-08T20:00:00Z")


def test_session_config_must_have_timezone_aware_ordered_times() -> None:
    bars = make_bars(RAMP)
    naive = SessionConfig("x", "TEST", 5, t_start=iso(0)[:-1], t_end=iso(30)[:-1])
    with pytest.raises(EngineError) as exc:
        ReplaySession(naive, bars)
    assert exc.value.code == "bad_time"
    backwards = SessionConfig("x", "TEST", 5, t_start=iso(30), t_end=iso(0))
    with pytest.raises(EngineError) as exc:
        ReplaySession(backwards, bars)
    assert exc.value.code == "bad_range"


@pytest.mark.parametrize(
    ("knob", "value", "says"),
    [
        ("limit_fill_ticks_worse", -1, "whole number in 0..10000"),
        ("market_slippage_ticks", 0.5, "whole number in 0..10000"),
        ("latency_bars", True, "whole number in 0..10000"),
        ("latency_bars", 2**70, "whole number in 0..10000"),  # the log couldn't hold it
        ("seed", -3, "whole number in 0.."),
        ("direction_lock", "no", "true or false"),  # a truthy text must not mean "on"
        ("edit_on_disp_boundary", 1, "true or false"),
        ("commission_per_share", -0.01, "number in [0, 1,000]"),
        ("commission_per_share", float("nan"), "number in [0, 1,000]"),
        ("commission_per_share", 2**64, "number in [0, 1,000]"),  # the log couldn't hold it
        ("tick", 0, "number in (0, 1,000]"),
        ("initial_cash", "lots", "number in (0, 1,000,000,000,000,000]"),
        ("speed", 0, "(0, 10000]"),
    ],
)
def test_fill_model_knobs_out_of_range_are_refused_clearly(knob, value, says) -> None:
    with pytest.raises(EngineError) as exc:
        make_session(RAMP, **{knob: value})
    assert exc.value.code == "bad_param"
    assert exc.value.message.startswith(f"{knob} must be ") and says in exc.value.message


def test_fill_model_knobs_from_numpy_are_logged_as_plain_values() -> None:
    import numpy as np

    s = make_session(
        RAMP, latency_bars=np.int64(1), commission_per_share=np.float64(0.005), speed=30
    )
    params = s.drain_events()[0].payload["params"]
    assert params["latency_bars"] == 1 and type(params["latency_bars"]) is int
    assert type(params["commission_per_share"]) is float
    assert params["speed"] == 30 and type(params["speed"]) is int  # as given


def test_t_start_mid_bar_starts_at_the_next_display_boundary() -> None:
    s = make_session(RAMP, t_start=iso(2))
    assert cursor(s)[0] == iso(5)


def test_bars_out_of_order_or_duplicated_are_refused_clearly() -> None:
    import pandas as pd
    import pytest

    from ntree.engine import EngineError, ReplaySession, SessionConfig

    ts = pd.DatetimeIndex(
        ["2024-07-08 13:30", "2024-07-08 13:32", "2024-07-08 13:31"], tz="UTC", name="ts"
    )
    bars = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1}, index=ts)
    cfg = SessionConfig("s", "X", 5, ts[0], pd.Timestamp("2024-07-08 20:00", tz="UTC"))
    with pytest.raises(EngineError, match="increasing time order") as err:
        ReplaySession(cfg, bars)
    assert err.value.code == "bad_bars"


def test_step_returns_the_new_candle_orders_position_and_events_since_the_last_step() -> None:
    s = make_session(RAMP)
    s.step()
    oid = s.place("BUY", "LIMIT", 10, 100.6)  # minute 6 trades 100.55..100.65

    result = s.step()

    assert [c["ts"] for c in result.candles] == [iso(5)]
    c = result.candles[0]
    assert (c["open"], c["high"], c["low"], c["close"]) == (100.5, 100.95, 100.45, 100.9)
    assert c["ema9"] is not None and c["ch_upper"] > c["ch_lower"]
    types = [e.type for e in result.events]
    assert types[:3] == ["ORDER_PLACED", "STEP", "FILL"]  # the place came before this step
    assert result.position["qty"] == 10 and result.orders == [] and not result.done
    assert result.equity == s.state()["equity"]
    assert s.step().events[0].type == "STEP"  # only what happened since
    assert oid == 1


def test_step_of_several_bars_returns_each_new_candle_and_a_forming_one_mid_bar() -> None:
    s = make_session(RAMP)
    three = s.step(disp_steps=3)
    assert [c["ts"] for c in three.candles] == [iso(0), iso(5), iso(10)]
    partial = s.step(exec_steps=2)
    assert [c["ts"] for c in partial.candles][-1] == iso(15)
    assert partial.candles[-1]["forming"] is True and partial.candles[-1]["close"] == 101.6
