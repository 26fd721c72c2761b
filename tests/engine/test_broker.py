"""The paper broker through a session: OCO, brackets, flatten, session end, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_helpers import fills, iso, make_session, of_type, snapshot

from ntree.codec import event_from_record, event_line, log_hash
from ntree.engine import EngineError, ReplaySession, SessionConfig
from ntree.seed import generate_bars

FLAT = (100, 100, 100, 100)


def long_10_at_100(rows=(), **cfg):
    """Return a session that bought 10 at 100 in minute 0 (cursor before minute 1)."""
    s = make_session([FLAT, *rows], **cfg)
    s.place("BUY", "MARKET", 10)
    s.step(exec_steps=1)
    assert s.position()["qty"] == 10
    s.drain_events()
    return s


# --- OCO --------------------------------------------------------------------------------


def test_oco_fill_cancels_the_rest_of_the_group() -> None:
    s = make_session([FLAT, (100, 100.2, 98.5, 99)])
    a = s.place("BUY", "LIMIT", 1, 99.0, oco_group="g")
    b = s.place("BUY", "LIMIT", 1, 98.0, oco_group="g")
    c = s.place("BUY", "STOP", 1, 102.0, oco_group="g")
    other = s.place("BUY", "LIMIT", 1, 90.0)
    s.step(exec_steps=3)
    events = s.drain_events()
    assert [f["order_id"] for f in fills(events)] == [a]
    canceled = {
        e.payload["order_id"]: e.payload["reason"] for e in of_type(events, "ORDER_CANCELED")
    }
    assert canceled == {b: "oco", c: "oco"}
    assert [o["order_id"] for o in s.working_orders()] == [other]


def test_oco_orders_touched_in_one_bar_fill_only_once() -> None:
    s = make_session([(100, 100.2, 97.5, 99)])
    a = s.place("BUY", "LIMIT", 1, 99.0, oco_group="g")
    s.place("BUY", "LIMIT", 1, 98.0, oco_group="g")
    s.step(exec_steps=2)
    assert [f["order_id"] for f in fills(s.drain_events())] == [a]
    assert s.position()["qty"] == 1


# --- brackets ---------------------------------------------------------------------------


def test_bracket_activates_when_parent_fills_and_is_live_from_next_bar() -> None:
    # Minute 1 fills the entry at 99 and also trades up to 101.5 (the tp): the tp must wait.
    rows = [FLAT, (100, 101.5, 98.5, 100), (100, 101.2, 99.8, 101)]
    s = make_session(rows)
    parent = s.place("BUY", "LIMIT", 10, 99.0, bracket={"tp": 101.0, "sl": 98.0})
    s.step(exec_steps=2)
    events = s.drain_events()
    placed = [e.payload["order"] for e in of_type(events, "ORDER_PLACED")][1:]
    assert [
        (o["role"], o["side"], o["type"], o["qty"], o["price"], o["parent_id"]) for o in placed
    ] == [
        ("tp", "SELL", "LIMIT", 10, 101.0, parent),
        ("sl", "SELL", "STOP", 10, 98.0, parent),
    ]
    assert [f["order_id"] for f in fills(events)] == [parent]
    s.step(exec_steps=1)
    events = s.drain_events()
    assert [(f["role"], f["price"], f["ts_exec"]) for f in fills(events)] == [("tp", 101.0, iso(2))]


def test_bracket_tp_fill_cancels_sl_and_logs_target_filled() -> None:
    s = make_session([FLAT, (100, 101.5, 99.8, 101)])
    s.place("BUY", "MARKET", 10, bracket={"tp": 101.0, "sl": 98.0})
    s.step(exec_steps=3)
    events = s.drain_events()
    tp, sl = (e.payload["order"]["order_id"] for e in of_type(events, "ORDER_PLACED")[1:])
    assert [e.payload["order_id"] for e in of_type(events, "TARGET_FILLED")] == [tp]
    assert [
        (e.payload["order_id"], e.payload["reason"]) for e in of_type(events, "ORDER_CANCELED")
    ] == [(sl, "oco")]
    assert s.position()["qty"] == 0
    assert s.trades[0]["reason_code"] == "target"
    assert s.trades[0]["pnl"] == 10.0


def test_bracket_sl_fill_logs_stop_triggered_and_cancels_tp() -> None:
    s = make_session([FLAT, (100, 100.1, 97.5, 97.8)])
    s.place("BUY", "MARKET", 10, bracket={"tp": 101.0, "sl": 98.0})
    s.step(exec_steps=3)
    events = s.drain_events()
    tp, sl = (e.payload["order"]["order_id"] for e in of_type(events, "ORDER_PLACED")[1:])
    assert [
        (e.payload["order_id"], e.payload["role"]) for e in of_type(events, "STOP_TRIGGERED")
    ] == [(sl, "sl")]
    assert of_type(events, "TARGET_FILLED") == []
    assert [
        (e.payload["order_id"], e.payload["reason"]) for e in of_type(events, "ORDER_CANCELED")
    ] == [(tp, "oco")]
    assert s.trades[0]["reason_code"] == "stop"
    assert s.trades[0]["exit_px"] == 98.0


def test_bracket_exits_follow_position_when_scaling_out_with_another_order() -> None:
    s = make_session([FLAT, None, (100, 100.6, 99.9, 100.5), None, (100.5, 100.8, 100.4, 100.7)])
    s.place("BUY", "MARKET", 10, bracket={"tp": 105.0, "sl": 95.0})
    s.step(exec_steps=1)
    s.place("SELL", "LIMIT", 4, 100.5)
    s.step(exec_steps=2)
    events = s.drain_events()
    resized = [e.payload for e in of_type(events, "ORDER_MODIFIED")]
    assert [(p["order"]["role"], p["order"]["qty"], p["reason"]) for p in resized] == [
        ("tp", 6, "follow_position"),
        ("sl", 6, "follow_position"),
    ]
    assert sorted(o["qty"] for o in s.working_orders()) == [6, 6]

    s.place("SELL", "LIMIT", 6, 100.7)
    s.step(exec_steps=2)
    events = s.drain_events()
    assert s.position()["qty"] == 0
    assert {e.payload["reason"] for e in of_type(events, "ORDER_CANCELED")} == {"position_flat"}
    assert s.working_orders() == []


def test_bracket_exits_follow_position_when_scaling_in() -> None:
    s = make_session([FLAT, FLAT])
    s.place("BUY", "MARKET", 10, bracket={"tp": 105.0, "sl": 95.0})
    s.step(exec_steps=1)
    s.place("BUY", "MARKET", 5)
    s.step(exec_steps=1)
    assert sorted(o["qty"] for o in s.working_orders()) == [15, 15]


def test_set_bracket_on_open_position_places_oco_exits_sized_to_it() -> None:
    s = long_10_at_100([None, (100, 100.2, 96.5, 97)])
    s.set_bracket(tp=103.0, sl=97.5)
    events = s.drain_events()
    (bset,) = of_type(events, "BRACKET_SET")
    assert (bset.payload["tp"], bset.payload["sl"]) == (103.0, 97.5)
    orders = {o["role"]: o for o in s.working_orders()}
    assert (orders["tp"]["qty"], orders["tp"]["side"], orders["tp"]["type"]) == (
        10,
        "SELL",
        "LIMIT",
    )
    assert (orders["sl"]["qty"], orders["sl"]["side"], orders["sl"]["type"]) == (10, "SELL", "STOP")
    assert orders["tp"]["oco_group"] == orders["sl"]["oco_group"]
    s.step(exec_steps=3)
    (trade,) = s.trades
    assert (trade["exit_px"], trade["reason_code"], trade["r_multiple"]) == (97.5, "stop", -1.0)


def test_set_bracket_again_replaces_the_previous_exits() -> None:
    s = long_10_at_100()
    s.set_bracket(tp=103.0, sl=97.0)
    first = {o["order_id"] for o in s.working_orders()}
    s.set_bracket(sl=98.0)
    events = s.drain_events()
    assert {e.payload["order_id"] for e in of_type(events, "ORDER_CANCELED")} == first
    assert [(o["role"], o["price"]) for o in s.working_orders()] == [("sl", 98.0)]


def test_set_bracket_on_short_position_takes_profit_below() -> None:
    s = make_session([FLAT, (100, 100.1, 97.5, 98)])
    s.place("SELL", "MARKET", 5)
    s.step(exec_steps=1)
    s.set_bracket(tp=98.0, sl=102.0)
    s.step(exec_steps=1)
    (trade,) = s.trades
    assert (trade["side"], trade["exit_px"], trade["pnl"]) == ("SHORT", 98.0, 10.0)


def test_bracket_on_an_order_that_only_reduces_the_position_is_not_attached() -> None:
    # Long 10; a sell of 5 with a "short" bracket must not leave sell exits on the wrong side
    # of a long (a sell limit at 95 would fill at the next open).
    s = long_10_at_100([FLAT, FLAT, FLAT])
    s.place("SELL", "LIMIT", 5, 100.0, bracket={"tp": 95.0, "sl": 105.0})
    s.step(exec_steps=3)
    assert s.position()["qty"] == 5
    assert s.working_orders() == []


def test_bracket_on_an_order_that_flips_protects_the_new_position() -> None:
    s = make_session([FLAT, FLAT, (100, 100.1, 98.9, 99)])
    s.place("SELL", "MARKET", 5)
    s.step(exec_steps=1)
    s.place("BUY", "MARKET", 15, bracket={"tp": 105.0, "sl": 99.0})
    s.step(exec_steps=2)
    assert s.position()["qty"] == 0
    trades = s.trades
    assert [(t["side"], t["qty"], t["exit_px"]) for t in trades] == [
        ("SHORT", 5, 100.0),
        ("LONG", 10, 99.0),
    ]


# --- flatten and session end ------------------------------------------------------------


def test_flatten_cancels_working_orders_and_closes_at_next_open() -> None:
    s = long_10_at_100([(100.5, 100.9, 100.2, 100.8), (101, 101.2, 100.9, 101)])
    working = s.place("BUY", "LIMIT", 1, 90.0)
    s.flatten()
    s.step(exec_steps=2)
    events = s.drain_events()
    (flat,) = of_type(events, "FLATTEN")
    assert (flat.payload["reason"], flat.payload["qty"]) == ("user", 10)
    assert [
        (e.payload["order_id"], e.payload["reason"]) for e in of_type(events, "ORDER_CANCELED")
    ] == [(working, "flatten")]
    assert [(f["side"], f["qty"], f["price"], f["role"]) for f in fills(events)] == [
        ("SELL", 10, 100.5, "flatten")
    ]
    assert s.position()["qty"] == 0
    assert (s.trades[0]["pnl"], s.trades[0]["reason_code"]) == (5.0, "flatten")


def test_session_end_flattens_at_last_close_and_cancels_orders() -> None:
    rows = [FLAT, None, None, None, (100, 100.5, 99.5, 100.4)]
    s = make_session(rows, minutes=5)
    s.place("BUY", "MARKET", 10)
    s.step(exec_steps=1)
    order = s.place("BUY", "LIMIT", 1, 90.0)
    s.step(exec_steps=10)
    events = s.drain_events()
    assert events[-1].type == "SESSION_END"
    end = events[-1].payload
    assert end["reason"] == "data_end"
    assert end["summary"]["pnl"] == 4.0 and end["summary"]["num_trades"] == 1
    (flat,) = of_type(events, "FLATTEN")
    assert flat.payload == {"qty": 10, "price": 100.4, "reason": "session_end"}
    assert [
        (e.payload["order_id"], e.payload["reason"]) for e in of_type(events, "ORDER_CANCELED")
    ] == [(order, "session_end")]
    assert [(f["role"], f["price"]) for f in fills(events)][-1] == ("session_end", 100.4)
    assert s.state()["status"] == "ended" and s.position()["qty"] == 0
    assert s.trades[0]["reason_code"] == "session_end"


def test_session_ends_at_t_end_even_with_more_data() -> None:
    rows = [FLAT] * 9 + [(100, 100.2, 99.8, 100.2), (200, 200, 200, 200)]
    s = make_session(rows, t_end=iso(10))
    s.place("BUY", "MARKET", 1)
    s.step(disp_steps=5)
    events = s.drain_events()
    assert events[-1].type == "SESSION_END"
    assert of_type(events, "FLATTEN")[0].payload["price"] == 100.2
    assert events[-1].payload["summary"]["pnl"] == 0.2


def test_user_end_flattens_and_writes_summary() -> None:
    s = long_10_at_100([(100.5, 100.6, 100.2, 100.3)])
    s.step(exec_steps=1)
    s.end()
    events = s.drain_events()
    assert events[-1].type == "SESSION_END"
    assert events[-1].payload["reason"] == "user"
    assert events[-1].payload["cmd"] == {"op": "end", "args": {}}
    assert set(events[-1].payload["summary"]) == {
        "pnl",
        "max_dd",
        "num_trades",
        "win_rate",
        "avg_r",
    }
    assert events[-1].payload["summary"]["pnl"] == 3.0
    assert s.state()["status"] == "ended"


# --- edit only on display boundaries ----------------------------------------------------


def test_edit_on_disp_boundary_refuses_commands_mid_bar_and_leaves_state() -> None:
    s = make_session([FLAT, FLAT], edit_on_disp_boundary=True)
    s.place("BUY", "MARKET", 10)
    oid = s.place("BUY", "LIMIT", 1, 90.0)
    s.step(exec_steps=2)
    assert not s.state()["at_boundary"]
    before = snapshot(s)
    s.drain_events()
    for cmd in (
        lambda: s.place("BUY", "LIMIT", 1, 95.0),
        lambda: s.cancel(oid),
        lambda: s.modify(oid, price=91.0),
        lambda: s.set_bracket(sl=95.0),
        lambda: s.flatten(),
        lambda: s.cancel_all(),
        lambda: s.replace_orders([{"side": "BUY", "type": "LIMIT", "qty": 1, "price": 95.0}]),
    ):
        with pytest.raises(EngineError) as exc:
            cmd()
        assert exc.value.code == "not_at_boundary"
        assert "13:35:00" in exc.value.message
    assert snapshot(s) == before
    assert {e.type for e in s.drain_events()} == {"ORDER_REJECTED"}
    s.step()  # to 13:35
    s.modify(oid, price=91.0)
    s.cancel(oid)
    assert s.working_orders() == []


def test_edit_off_boundary_accepted_when_the_flag_is_off() -> None:
    s = make_session([FLAT, FLAT, FLAT])
    oid = s.place("BUY", "LIMIT", 1, 90.0)
    s.step(exec_steps=2)
    s.modify(oid, price=91.0, qty=2)
    s.place("BUY", "LIMIT", 1, 92.0)
    s.cancel(oid)
    assert [(o["price"], o["qty"]) for o in s.working_orders()] == [(92.0, 1)]


# --- validation -------------------------------------------------------------------------

BAD_PLACES = [
    ({"side": "BUY", "type": "LIMIT", "qty": 0, "price": 99.0}, "bad_qty"),
    ({"side": "BUY", "type": "LIMIT", "qty": -3, "price": 99.0}, "bad_qty"),
    ({"side": "BUY", "type": "LIMIT", "qty": 1.5, "price": 99.0}, "bad_qty"),
    ({"side": "BUY", "type": "LIMIT", "qty": True, "price": 99.0}, "bad_qty"),
    ({"side": "BUY", "type": "LIMIT", "qty": "10", "price": 99.0}, "bad_qty"),
    ({"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.005}, "off_tick"),
    ({"side": "BUY", "type": "LIMIT", "qty": 1, "price": 0.0}, "bad_price"),
    ({"side": "BUY", "type": "LIMIT", "qty": 1, "price": -1.0}, "bad_price"),
    ({"side": "BUY", "type": "LIMIT", "qty": 1, "price": None}, "bad_price"),
    ({"side": "BUY", "type": "STOP", "qty": 1, "price": None}, "bad_price"),
    ({"side": "BUY", "type": "LIMIT", "qty": 1, "price": float("nan")}, "bad_price"),
    ({"side": "BUY", "type": "MARKET", "qty": 1, "price": 99.0}, "bad_price"),
    ({"side": "LONG", "type": "LIMIT", "qty": 1, "price": 99.0}, "bad_side"),
    ({"side": "buy", "type": "LIMIT", "qty": 1, "price": 99.0}, "bad_side"),
    ({"side": "BUY", "type": "STOP_LIMIT", "qty": 1, "price": 99.0}, "bad_type"),
    (
        {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.0, "bracket": {"tp": 98.0}},
        "bad_bracket",
    ),
    (
        {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.0, "bracket": {"sl": 99.5}},
        "bad_bracket",
    ),
    (
        {"side": "SELL", "type": "LIMIT", "qty": 1, "price": 101.0, "bracket": {"tp": 102.0}},
        "bad_bracket",
    ),
    (
        {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.0, "bracket": {"stop": 98.0}},
        "bad_bracket",
    ),
    ({"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.0, "bracket": {}}, "bad_bracket"),
    ({"side": "BUY", "type": "LIMIT", "qty": 10**9 + 1, "price": 99.0}, "bad_qty"),
    ({"side": "BUY", "type": "LIMIT", "qty": 2**70, "price": 99.0}, "bad_qty"),  # > 64 bits
    ({"side": "BUY", "type": "LIMIT", "qty": 1, "price": 2**70}, "bad_price"),
    (
        {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.0, "bracket": {"tp": 2**70}},
        "bad_price",
    ),
    (
        {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.0, "bracket": {"tp": 100.001}},
        "off_tick",
    ),
]


@pytest.mark.parametrize(("args", "code"), BAD_PLACES)
def test_invalid_place_is_rejected_with_code_and_state_untouched(args: dict, code: str) -> None:
    s = long_10_at_100()
    s.place("BUY", "LIMIT", 1, 90.0)
    s.drain_events()
    before = snapshot(s)
    with pytest.raises(EngineError) as exc:
        s.place(**args)
    assert exc.value.code == code
    assert exc.value.message and str(exc.value) == exc.value.message
    assert snapshot(s) == before
    (rejected,) = s.drain_events()
    assert rejected.type == "ORDER_REJECTED"
    assert rejected.payload["code"] == code
    assert event_line(rejected)  # the log can hold it, whatever the caller sent
    if "cmd" in rejected.payload:
        assert rejected.payload["cmd"]["op"] == "place"
    else:  # NaN: JSON can't hold it, so the log describes the command
        assert rejected.payload["cmd_text"].startswith("{'op': 'place'")
    s.step(exec_steps=5)
    assert s.position()["qty"] == 10  # the refused order never trades


BAD_EDITS = [
    (lambda s, oid: s.cancel(999), "unknown_order"),
    (lambda s, oid: s.cancel(True), "unknown_order"),
    (lambda s, oid: s.cancel("1"), "unknown_order"),
    (lambda s, oid: s.cancel(2**70), "unknown_order"),  # logged as text: JSON ints are 64-bit
    (lambda s, oid: s.modify(oid, qty=2**70), "bad_qty"),
    (lambda s, oid: s.modify(oid, price=2**70), "bad_price"),
    (lambda s, oid: s.modify(999, price=95.0), "unknown_order"),
    (lambda s, oid: s.modify(oid), "bad_modify"),
    (lambda s, oid: s.modify(oid, qty=0), "bad_qty"),
    (lambda s, oid: s.modify(oid, qty=2.5), "bad_qty"),
    (lambda s, oid: s.modify(oid, price=95.001), "off_tick"),
    (lambda s, oid: s.modify(oid, price=-5.0), "bad_price"),
    (lambda s, oid: s.set_bracket(tp=99.0), "bad_bracket"),
    (lambda s, oid: s.set_bracket(sl=100.5), "bad_bracket"),
    (lambda s, oid: s.set_bracket(), "bad_bracket"),
]


@pytest.mark.parametrize(("cmd", "code"), BAD_EDITS)
def test_invalid_cancel_modify_bracket_rejected_with_state_untouched(cmd, code: str) -> None:
    s = long_10_at_100()
    oid = s.place("BUY", "LIMIT", 1, 90.0)
    s.drain_events()
    before = snapshot(s)
    with pytest.raises(EngineError) as exc:
        cmd(s, oid)
    assert exc.value.code == code
    assert exc.value.message
    assert snapshot(s) == before
    events = s.drain_events()
    assert [(e.type, e.payload["code"]) for e in events] == [("ORDER_REJECTED", code)]
    assert event_line(events[0])  # the log can hold it, whatever the caller sent


def test_canceled_order_cannot_be_canceled_again() -> None:
    s = make_session()
    oid = s.place("BUY", "LIMIT", 1, 90.0)
    s.cancel(oid)
    with pytest.raises(EngineError) as exc:
        s.cancel(oid)
    assert exc.value.code == "unknown_order"


def test_set_bracket_without_position_is_rejected() -> None:
    s = make_session()
    with pytest.raises(EngineError) as exc:
        s.set_bracket(tp=101.0)
    assert exc.value.code == "no_position"
    assert s.working_orders() == []


def test_modify_market_order_price_is_rejected() -> None:
    s = make_session()
    oid = s.place("BUY", "MARKET", 1)
    with pytest.raises(EngineError) as exc:
        s.modify(oid, price=100.0)
    assert exc.value.code == "bad_price"
    assert s.working_orders()[0]["price"] is None


@pytest.mark.parametrize(
    "cmd",
    [
        lambda s: s.place("BUY", "LIMIT", 1, 99.0),
        lambda s: s.cancel(1),
        lambda s: s.modify(1, price=98.0),
        lambda s: s.set_bracket(sl=95.0),
        lambda s: s.flatten(),
        lambda s: s.cancel_all(),
        lambda s: s.replace_orders([]),
        lambda s: s.step(),
        lambda s: s.end(),
        lambda s: s.set_disp_tf("15m"),
        lambda s: s.note("late"),
    ],
)
def test_any_command_after_session_end_is_refused(cmd) -> None:
    s = make_session()
    s.place("BUY", "LIMIT", 1, 90.0)
    s.end()
    s.drain_events()
    before = snapshot(s)
    with pytest.raises(EngineError) as exc:
        cmd(s)
    assert exc.value.code == "session_ended"
    assert snapshot(s) == before
    assert s.drain_events() == []


# --- replace_orders ----------------------------------------------------------------------


def ladder(close: float) -> list[dict]:
    return [
        {"side": side, "type": "LIMIT", "qty": 10, "price": round(close + sign * k * 0.1, 2)}
        for k in range(1, 4)
        for side, sign in (("BUY", -1), ("SELL", 1))
    ]


def play_ladder(batched: bool) -> ReplaySession:
    bars = generate_bars("SPY", "2024-07-01", "2024-07-10", seed=3)
    s = ReplaySession(
        SessionConfig("t", "SPY", 5, bars.index[0], bars.index[-1] + pd.Timedelta(minutes=1)),
        bars,
    )
    while not s.ended:
        s.step()
        if s.ended:
            break
        orders = ladder(s.last_price)
        if s.disp_index % 7 == 0:  # now and then a bracketed entry among the rungs
            orders[0]["bracket"] = {"sl": round(orders[0]["price"] - 0.5, 2)}
        if batched:
            s.replace_orders(orders)
        else:
            s.cancel_all()
            for o in orders:
                s.place(**o)
    return s


def test_replace_orders_fills_exactly_as_cancel_all_then_place() -> None:
    batched, one_by_one = play_ladder(True), play_ladder(False)
    assert len(batched.fills) > 100
    assert batched.fills == one_by_one.fills
    assert batched.trades == one_by_one.trades
    assert batched.summary() == one_by_one.summary()


def test_replace_orders_is_one_event_naming_what_it_canceled_and_placed() -> None:
    s = make_session()
    old = [s.place("BUY", "LIMIT", 1, 95.0), s.place("SELL", "STOP", 1, 90.0)]
    s.drain_events()
    new = s.replace_orders(ladder(100.0))
    (event,) = s.drain_events()
    assert event.type == "ORDERS_REPLACED"
    assert event.payload["canceled"] == old and event.payload["order_ids"] == new
    assert event.payload["cmd"]["args"]["orders"] == ladder(100.0)
    assert [(o["order_id"], o["price"]) for o in s.working_orders()] == [
        (oid, o["price"]) for oid, o in zip(new, ladder(100.0), strict=True)
    ]


def test_replace_orders_with_one_bad_item_changes_nothing() -> None:
    s = make_session()
    keep = s.place("BUY", "LIMIT", 1, 95.0)
    s.drain_events()
    before = snapshot(s)
    orders = ladder(100.0)
    orders[3]["price"] = 100.005
    with pytest.raises(EngineError) as exc:
        s.replace_orders(orders)
    assert exc.value.code == "off_tick" and exc.value.message.startswith("orders[3]: ")
    assert snapshot(s) == before
    (rejected,) = s.drain_events()
    assert rejected.type == "ORDER_REJECTED" and rejected.payload["code"] == "off_tick"
    assert s.place("BUY", "LIMIT", 1, 94.0) == keep + 1  # no order id was used up


@pytest.mark.parametrize(
    "orders",
    [
        None,
        [{"side": "BUY", "type": "LIMIT", "qty": 1, "price": 99.0, "color": "red"}],
        ["BUY 1 @ 99"],
    ],
)
def test_replace_orders_refuses_what_is_not_a_list_of_orders(orders) -> None:
    s = make_session()
    with pytest.raises(EngineError) as exc:
        s.replace_orders(orders)
    assert exc.value.code == "bad_orders"


def test_replace_orders_with_an_empty_list_cancels_everything_and_re_runs() -> None:
    s = make_session([FLAT, (100, 100.2, 98.5, 99)])
    s.place("BUY", "LIMIT", 1, 99.0, bracket={"tp": 101.0, "sl": 98.0})
    s.step(exec_steps=2)  # filled: its tp and sl are working
    assert {o["role"] for o in s.working_orders()} == {"tp", "sl"}
    assert s.replace_orders([]) == [] and s.working_orders() == []
    s.step(exec_steps=3)
    log = s.drain_events()
    rebuilt = ReplaySession.from_events(log, s.bars)
    assert log_hash(rebuilt.drain_events()) == log_hash(log)


# --- what a bot passes: numpy numbers, odd objects ----------------------------------------


def test_numpy_arguments_are_logged_as_plain_numbers_and_re_run() -> None:
    s = make_session([FLAT, (100, 100.2, 98.5, 99)])
    oid = s.place(np.str_("BUY"), "LIMIT", np.int64(10), np.float64(99.0))
    s.modify(np.int64(oid), price=np.float64(99.5))
    s.replace_orders(
        [{"side": "SELL", "type": "LIMIT", "qty": np.int64(5), "price": np.float64(101.0)}]
    )
    s.step(exec_steps=3)
    log = s.drain_events()
    (replaced,) = of_type(log, "ORDERS_REPLACED")
    assert event_line(replaced).endswith(  # plain JSON numbers, as if typed by hand
        '"cmd":{"args":{"orders":[{"price":101.0,"qty":5,"side":"SELL","type":"LIMIT"}]},'
        '"op":"replace_orders"},"order_ids":[2]}'
    )
    rebuilt = ReplaySession.from_events(log, s.bars)
    assert log_hash(rebuilt.drain_events()) == log_hash(log)


@pytest.mark.parametrize(
    "command",
    [
        lambda s: s.place("BUY", "LIMIT", 1, 99.0, tag=object()),
        lambda s: s.place("BUY", "LIMIT", 1, float("inf")),
        lambda s: s.replace_orders([{"side": "BUY", "type": "LIMIT", "qty": 1, "price": {1, 2}}]),
        lambda s: s.cancel(object()),
    ],
)
def test_a_refused_command_json_cannot_hold_is_described_and_re_runs(command) -> None:
    s = make_session()
    s.place("BUY", "LIMIT", 1, 95.0)
    with pytest.raises(EngineError):
        command(s)
    s.step(exec_steps=2)
    log = s.drain_events()
    (rejected,) = of_type(log, "ORDER_REJECTED")
    assert "cmd" not in rejected.payload and rejected.payload["cmd_text"]
    lines = [event_line(e) for e in log]  # the log encodes: nothing poisons it
    stored = [event_from_record(int(seq), *rest) for seq, *rest in (e.split("|", 4) for e in lines)]
    rebuilt = ReplaySession.from_events(stored, s.bars)
    assert [event_line(e) for e in rebuilt.drain_events()] == lines


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"qty": 0}, "bad_qty"),
        ({"qty": True}, "bad_qty"),
        ({"qty": 2_000_000_000}, "bad_qty"),
        ({"side": "buy"}, "bad_side"),
        ({"type": "limit"}, "bad_type"),
        ({"price": 100.005}, "off_tick"),
        ({"price": -99.9}, "bad_price"),
    ],
)
def test_replace_orders_checks_a_re_laid_ladder_as_strictly_as_the_first(change, code) -> None:
    # The second ladder repeats prices the session has seen (its quick path): a bad rung is
    # still refused, by the same check and message, and nothing changes.
    s = make_session()
    first = s.replace_orders(ladder(100.0))
    before = snapshot(s)
    orders = ladder(100.0)
    orders[2] = {**orders[2], **change}
    with pytest.raises(EngineError) as exc:
        s.replace_orders(orders)
    assert exc.value.code == code and exc.value.message.startswith("orders[2]: ")
    assert snapshot(s) == before
    assert [o["order_id"] for o in s.working_orders()] == first
