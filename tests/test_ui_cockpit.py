"""Cockpit actions without a browser: resuming a session whose tab was closed, dragging an
order line to a new price."""

from __future__ import annotations

from ntree.ui.cockpit import Action, handle


def _start(svc) -> str:
    body = {"symbol": "SPY", "t_start": "2024-08-05", "t_end": "2024-08-05", "disp_tf": "5m"}
    sid = svc.start(body)["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 4})
    return sid


def test_a_new_tab_resumes_a_session_where_it_was(replay_service) -> None:
    sid = _start(replay_service)
    before = replay_service.state({"session_id": sid})

    res = handle(replay_service, None, None, Action("init", {"resume": sid}))  # fresh tab

    assert res.session_id == sid and "Resumed session" in res.message
    assert res.state["cursor"] == before["cursor"]
    assert res.figure["data"][0]["x"]  # the chart is drawn again, candles and all


def test_resuming_an_unknown_session_says_so_and_keeps_the_page_usable(replay_service) -> None:
    res = handle(replay_service, None, None, Action("init", {"resume": "nope"}))

    assert res.session_id is None and res.message_color == "danger"
    assert "unknown session" in res.message


def _with_order(svc) -> tuple[str, dict, float]:
    """A session at a display boundary with a buy limit below the market; the page's meta."""
    sid = _start(svc)
    price = round(svc.state({"session_id": sid})["last_price"] - 1.0, 2)
    svc.command(
        "place", {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 10, "price": price}
    )
    meta = handle(svc, sid, None, Action("init")).meta
    return sid, meta, price


def _drop(index: int, y: float) -> Action:
    rl = {f"shapes[{index}].x0": 0.02, f"shapes[{index}].x1": 1.02}
    return Action(
        "drag_line", {"relayout": rl | {f"shapes[{index}].y0": y, f"shapes[{index}].y1": y}}
    )


def _line_prices(patch) -> list[float]:
    ops = patch.to_plotly_json()["operations"]
    return [
        s["y0"] for o in ops if o["location"] == ["layout", "shapes"] for s in o["params"]["value"]
    ]


def test_dropping_an_order_line_moves_the_order_to_that_price(replay_service) -> None:
    svc = replay_service
    sid, meta, price = _with_order(svc)

    drop = _drop(0, price - 0.4567)  # the graph's relayoutData is the drop itself

    res = handle(svc, sid, meta, drop, relayout=drop.args["relayout"])

    new = round(price - 0.46, 2)
    assert res.message == f"Order #1 moved to {new:.2f}" and res.message_color == "info"
    assert [o["price"] for o in svc.state({"session_id": sid})["orders"]] == [new]
    assert _line_prices(res.figure) == [new]  # line and label redrawn at the new price
    assert res.orders_changed
    events = svc.events({"session_id": sid})["events"]
    assert events[-1]["type"] == "ORDER_MODIFIED"


def test_dropping_a_line_between_display_boundaries_is_refused_and_snaps_back(
    replay_service,
) -> None:
    svc = replay_service
    sid, meta, price = _with_order(svc)
    svc.command("step", {"session_id": sid, "exec_steps": 1})  # one 1m bar into a 5m bar

    res = handle(svc, sid, meta, _drop(0, price + 0.5))

    assert res.message_color == "danger"
    assert res.message.startswith("Order #1 not moved:") and "boundary" in res.message
    assert [o["price"] for o in svc.state({"session_id": sid})["orders"]] == [price]
    assert _line_prices(res.figure) == [price]  # the browser's moved line goes back


def test_the_snapshot_carries_a_round_trip_and_the_trades_render_only_when_they_change(
    replay_service,
) -> None:
    svc = replay_service
    sid = _start(svc)
    meta = handle(svc, sid, None, Action("init")).meta
    buy = {"side": "BUY", "type": "MARKET", "qty": 10, "price": None, "tp": None, "sl": None}
    res = handle(svc, sid, meta, Action("place", {**buy, "modify_target": None}))
    res = handle(svc, sid, res.meta, Action("tick", {"n": 1}))
    assert res.state["position"]["qty"] == 10 and res.state["trades"] == []
    assert res.state["position"]["open_mae"] >= 0 and res.state["position"]["open_mfe"] >= 0
    assert not res.trades_changed

    res = handle(svc, sid, res.meta, Action("flatten"))
    res = handle(svc, sid, res.meta, Action("tick", {"n": 1}))

    (t,) = res.state["trades"]
    assert (t["trade_id"], t["side"], t["qty"], t["reason_code"]) == (1, "LONG", 10, "flatten")
    assert t["exit_px"] is not None and res.state["position"]["qty"] == 0
    assert res.trades_changed and res.meta["ntrades"] == 1
    res = handle(svc, sid, res.meta, Action("tick", {"n": 1}))
    assert not res.trades_changed  # the page keeps its table
    assert "trades" not in svc.state({"session_id": sid})  # REST state stays as it was


def test_a_ticket_without_a_valid_qty_or_price_says_what_to_enter(replay_service) -> None:
    # The number inputs hand the callback None for "-5", "abc" or an off-tick price.
    svc = replay_service
    sid = _start(svc)
    meta = handle(svc, sid, None, Action("init")).meta
    before = svc.events({"session_id": sid})["events"]
    ticket = {"side": "BUY", "type": "LIMIT", "price": 550.0, "modify_target": None}

    res = handle(svc, sid, meta, Action("place", {**ticket, "qty": None}))
    assert res.message_color == "danger"
    assert "enter a quantity: a whole number, 1 or more" in res.message
    res = handle(svc, sid, meta, Action("place", {**ticket, "qty": 10, "price": None}))
    assert "enter a limit price on the 0.01 tick" in res.message
    assert svc.events({"session_id": sid})["events"] == before  # nothing reached the session
