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
    assert fmt.et_span("2024-08-06T13:30:00Z", "2024-08-06T20:00:00Z") == (
        "Tue 2024-08-06 09:30–16:00"
    )
    assert fmt.et_span("2024-07-01T13:30:00Z", "2024-12-31T21:00:00Z") == (
        "Mon 2024-07-01 09:30 → 12-31 16:00"
    )
    assert fmt.et_span("2024-12-30T14:30:00Z", "2025-01-02T21:00:00Z") == (
        "Mon 2024-12-30 09:30 → 2025-01-02 16:00"
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


def test_orders_replaced_lists_the_new_orders_with_their_ids() -> None:
    rungs = [
        {"side": "BUY", "type": "LIMIT", "qty": 10, "price": 99.9},
        {"side": "SELL", "type": "LIMIT", "qty": 10, "price": 100.1},
    ]
    payload = {
        "cmd": {"op": "replace_orders", "args": {"orders": rungs}},
        "canceled": [3, 4, 5],
        "order_ids": [6, 7],
    }
    assert fmt.event_summary(ev("ORDERS_REPLACED", payload)) == (
        "orders replaced: 3 canceled · 2 placed: BUY LMT 10 @ 99.90 (#6), SELL LMT 10 @ 100.10 (#7)"
    )
    empty = {"cmd": {"op": "replace_orders", "args": {"orders": []}}, "canceled": [3]}
    assert fmt.event_summary(ev("ORDERS_REPLACED", empty)) == (
        "orders replaced: 1 canceled · 0 placed"
    )


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
    one = {"reason": "data_end", "summary": {"pnl": 170.0, "num_trades": 1, "win_rate": 1.0}}
    assert fmt.event_summary(ev("SESSION_END", one)) == (
        "ended (data end): PnL +170.00 · 1 trade · win 100%"
    )
    params = {"symbol": "AAPL", "disp_tf": "5m", "seed": 0}
    params.update(parent_session_id="abc", forked_at="2024-12-30T17:30:00Z")
    assert fmt.event_summary(ev("SESSION_START", {"params": params, "history_bars": 990})) == (
        "AAPL 5m · seed 0 · 990 history bars · fork of abc at Mon 2024-12-30 12:30 ET"
    )


def test_unknown_event_types_get_no_summary_and_a_neutral_badge() -> None:
    assert fmt.event_summary(ev("SOMETHING_NEW", {"x": 1})) == ""
    assert fmt.event_color("SOMETHING_NEW") == "secondary"


def trade(**kw) -> dict:
    base = {"trade_id": 2, "side": "LONG", "qty": 100, "entry_px": 199.48, "exit_px": 200.1}
    base.update(pnl=62.0, r_multiple=1.24, reason_code="target", mae=0.2, mfe=0.8)
    return {**base, **kw}


def test_a_closed_trade_reads_as_one_row() -> None:
    assert fmt.trade_cells(trade()) == {
        "n": "#2",
        "side": "LONG",
        "qty": "100",
        "prices": "199.48→200.10",
        "pnl": "+62.00",
        "pnl_class": "pnl-pos",
        "r": "+1.24R",
        "reason": "target",
    }


def test_a_trade_without_a_stop_has_no_r_and_a_loss_reads_red() -> None:
    c = fmt.trade_cells(trade(side="SHORT", pnl=-35.5, r_multiple=None, reason_code="session_end"))
    assert (c["pnl"], c["pnl_class"], c["r"], c["reason"]) == (
        "-35.50",
        "pnl-neg",
        "",
        "session end",
    )


def test_the_tally_counts_wins_and_averages_r_over_trades_that_have_one() -> None:
    trades = [trade(pnl=62.0, r_multiple=1.5), trade(pnl=-20.0, r_multiple=-0.5)]
    trades.append(trade(pnl=-2.0, r_multiple=None))
    assert fmt.trades_tally(trades) == "3 trades · win 33% · net +40.00 · avg +0.50R"
    assert fmt.trades_tally([trade(r_multiple=None)]) == "1 trade · win 100% · net +62.00"
    assert fmt.trades_tally([]) == "no closed trades yet"


def test_open_excursion_shows_only_while_a_position_is_open() -> None:
    assert fmt.open_excursion({"qty": -50, "open_mae": 0.42, "open_mfe": 1.1}) == (
        "MAE 0.42 · MFE 1.10"
    )
    assert fmt.open_excursion({"qty": 0, "open_mae": 0.0, "open_mfe": 0.0}) == ""


def test_risk_preview_of_a_buy_with_both_legs() -> None:
    assert fmt.risk_preview("BUY", 199.5, 100, 200.7, 199.0) == (
        "risk 0.50 × 100 = $50 · reward $120 · 2.4R",
        True,
    )


def test_risk_preview_of_a_sell_mirrors_the_buy() -> None:
    assert fmt.risk_preview("SELL", 199.5, 30, 198.3, 199.75) == (
        "risk 0.25 × 30 = $7.50 · reward $36 · 4.8R",
        True,
    )


def test_risk_preview_with_one_leg_only() -> None:
    assert fmt.risk_preview("BUY", 199.5, 100, None, 199.0) == ("risk 0.50 × 100 = $50", True)
    assert fmt.risk_preview("BUY", 199.5, 100, 200.0, None) == ("reward 0.50 × 100 = $50", True)
    assert fmt.risk_preview("BUY", 199.5, None, 200.0, 199.0) == (
        "risk 0.50 · reward 0.50 · 1.0R",
        True,
    )


def test_risk_preview_flags_legs_on_the_wrong_side_as_the_engine_would() -> None:
    text, ok = fmt.risk_preview("BUY", 199.5, 100, 199.0, 199.5)  # tp below, sl at the entry
    assert not ok
    assert (
        text
        == "TP 199.00 must be above 199.50 for a BUY · SL 199.50 must be below 199.50 for a BUY"
    )
    text, ok = fmt.risk_preview("SELL", 199.5, 100, None, 199.0)
    assert (text, ok) == ("SL 199.00 must be above 199.50 for a SELL", False)


def test_risk_preview_is_empty_without_a_price_or_a_leg() -> None:
    assert fmt.risk_preview("BUY", None, 100, 200.0, 199.0) == ("", True)
    assert fmt.risk_preview("BUY", 199.5, 100, None, None) == ("", True)


def test_fill_model_text_names_what_differs_from_the_perfect_fill() -> None:
    assert fmt.fill_model_text(None) == "perfect"
    assert fmt.fill_model_text({"direction_lock": True, "latency_bars": 0}) == "perfect"
    model = {
        "limit_fill_ticks_worse": 1,
        "market_slippage_ticks": 2,
        "latency_bars": 1,
        "direction_lock": False,
        "commission_per_share": 0.005,
    }
    assert fmt.fill_model_text(model) == (
        "limits 1t through · slip 2t · latency 1m · no direction lock · $0.005/sh"
    )
