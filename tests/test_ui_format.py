"""The History and Session log texts: exchange times, money and event summaries."""

from __future__ import annotations

from ntree.ui import format as fmt


def ev(kind: str, payload: dict) -> dict:
    return {
        "id": 1,
        "ts_exec": "2024-12-31T15:45:00Z",
        "ts_market": "2024-12-31T15:45:00Z",
        "type": kind,
        "payload": payload,
    }


def order(**kw) -> dict:
    base = {"order_id": 2, "side": "BUY", "type": "LIMIT", "qty": 100, "price": 199.48}
    base.update(role="entry", parent_id=None, bracket=None)
    return {**base, **kw}


def test_utc_time_reads_as_new_york_exchange_time() -> None:
    assert fmt.et_time("2024-12-31T15:45:00Z") == "Tue 2024-12-31 10:45 ET"
    assert fmt.et_time("2024-07-01T13:30:00Z") == "Mon 2024-07-01 09:30 ET"  # summer: EDT
    assert fmt.et_time("2024-12-31T15:45:00Z", year=False, zone=False) == "Tue 12-31 10:45"
    assert fmt.et_time(None) == ""


def test_session_range_and_trade_duration() -> None:
    assert (
        fmt.et_range("2024-12-30T14:30:00Z", "2024-12-31T21:00:00Z")
        == "Mon 2024-12-30 09:30 → Tue 2024-12-31 16:00 ET"
    )
    assert fmt.duration("2024-12-30T14:45:00Z", "2024-12-30T15:25:00Z") == "40m"
    assert fmt.duration("2024-12-30T14:45:00Z", "2024-12-30T16:50:00Z") == "2h05m"
    assert fmt.duration("2024-12-30T14:45:00Z", "2025-01-02T17:45:00Z") == "3d 3h"


def test_money_r_and_pnl_colour() -> None:
    assert fmt.money(-1234.5) == "-1,234.50"
    assert fmt.money(78.5) == "+78.50"
    assert fmt.money(357.5, signed=False) == "357.50"
    assert fmt.money(None) == "—"
    assert fmt.r_multiple(-0.401961) == "-0.40R"
    assert [fmt.pnl_class(x) for x in (12.0, -3.0, 0.0, None)] == ["pnl-pos", "pnl-neg", "", ""]


def test_order_placed_reads_like_a_ticket() -> None:
    assert fmt.event_summary(ev("ORDER_PLACED", {"order": order()})) == (
        "BUY LMT 100 @ 199.48 placed (#2)"
    )
    bracketed = order(order_id=1, bracket={"tp": 209.47, "sl": 206.47})
    assert fmt.event_summary(ev("ORDER_PLACED", {"order": bracketed})) == (
        "BUY LMT 100 @ 199.48 placed (#1) · TP 209.47 SL 206.47"
    )
    leg = order(order_id=5, side="SELL", type="STOP", qty=200, price=206.47, role="sl", parent_id=1)
    assert fmt.event_summary(ev("ORDER_PLACED", {"order": leg})) == (
        "SELL STP SL 200 @ 206.47 placed (#5, bracket of #1)"
    )
    mkt = order(order_id=7, side="SELL", type="MARKET", price=None)
    assert fmt.event_summary(ev("ORDER_PLACED", {"order": mkt})) == "SELL MKT 100 placed (#7)"


def test_fill_shows_side_size_price_and_resulting_position() -> None:
    fill = {"order_id": 2, "side": "BUY", "qty": 100, "price": 199.48, "position_qty": 100}
    assert fmt.event_summary(ev("FILL", fill)) == "FILL BUY 100 @ 199.48 (#2) → +100"
    close = {**fill, "side": "SELL", "order_id": None, "role": "session_end"}
    close.update(position_qty=0, realized_pnl=-260.0)
    assert fmt.event_summary(ev("FILL", close)) == (
        "FILL SELL 100 @ 199.48 (session end) → flat · realized -260.00"
    )


def test_direction_lock_names_the_skipped_and_the_winning_order() -> None:
    lock = {"order_id": 3, "side": "SELL", "winner_order_id": 2, "reason": "bar reached both"}
    assert fmt.event_summary(ev("DIRECTION_LOCK", lock)) == (
        "DIRECTION_LOCK: order #3 skipped, #2 was nearest the open"
    )
    assert fmt.event_color("DIRECTION_LOCK") == "warning"


def test_rejections_cancels_and_controls_are_one_line_each() -> None:
    cmd = {"op": "place", "args": {"side": "BUY", "type": "LIMIT", "qty": 100, "price": 100.005}}
    rejected = {"cmd": cmd, "code": "off_tick", "reason": "price 100.005 is not on the tick"}
    assert fmt.event_summary(ev("ORDER_REJECTED", rejected)) == (
        "BUY LMT 100 @ 100.005 rejected: price 100.005 is not on the tick"
    )
    assert fmt.event_color("ORDER_REJECTED") == "danger"
    assert fmt.event_summary(ev("ORDER_CANCELED", {"order_id": 4, "reason": "oco"})) == (
        "#4 canceled (oco)"
    )
    speed = {"cmd": {"op": "set_speed", "args": {"speed": 20.0}}}
    assert fmt.event_summary(ev("SPEED_CHANGE", speed)) == "speed 20 bars/min"
    note = {"cmd": {"op": "note", "args": {"text": "wait for VWAP"}}}
    assert fmt.event_summary(ev("NOTE", note)) == "“wait for VWAP”"
    assert fmt.event_color("PAUSE") == "secondary"


def test_session_end_and_fork_start_summaries() -> None:
    summary = {"pnl": -161.5, "num_trades": 3, "win_rate": 0.666667, "max_dd": 357.5}
    end = {"reason": "user", "summary": summary}
    assert fmt.event_summary(ev("SESSION_END", end)) == (
        "ended (user): PnL -161.50 · 3 trades · win 67% · max DD 357.50"
    )
    params = {"symbol": "AAPL", "disp_tf": "5m", "seed": 0}
    params.update(parent_session_id="abc", forked_at="2024-12-30T17:30:00Z")
    assert fmt.event_summary(ev("SESSION_START", {"params": params, "history_bars": 990})) == (
        "AAPL 5m · seed 0 · 990 history bars · fork of abc at Mon 2024-12-30 12:30 ET"
    )


def test_unknown_event_types_get_no_summary_and_a_neutral_badge() -> None:
    assert fmt.event_summary(ev("SOMETHING_NEW", {"x": 1})) == ""
    assert fmt.event_color("SOMETHING_NEW") == "secondary"
