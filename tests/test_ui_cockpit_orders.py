"""The cockpit's order-entry actions through the real service, without a browser: the
confirmation before a marketable limit, the bracket template, OCO from ticked orders, a
bracket on the position and the ladder's preview on the chart."""

from __future__ import annotations

from ntree.ui.cockpit import Action, handle

START = {"symbol": "SPY", "t_start": "2024-08-05", "t_end": "2024-08-05", "disp_tf": "5m"}


def _session(svc) -> tuple[str, dict, float]:
    sid = svc.start(START)["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 24})  # bands and ATR formed
    meta = handle(svc, sid, None, Action("init")).meta
    return sid, meta, svc.state({"session_id": sid})["last_price"]


def _ticket(**over) -> dict:
    base = {"side": "BUY", "type": "LIMIT", "qty": 10, "tp": None, "sl": None}
    return {**base, "mode": "price", "risk": None, "modify_target": None, **over}


def test_a_buy_limit_above_the_market_asks_first_and_places_once_confirmed(replay_service):
    svc = replay_service
    sid, meta, last = _session(svc)
    price = f"{last + 0.5:.2f}"

    asked = handle(svc, sid, meta, Action("place", _ticket(price=price)))

    assert asked.confirm is not None and svc.state({"session_id": sid})["orders"] == []
    assert f"BUY LMT 10 @ {price} is above the market {last:.2f}" in asked.confirm["text"]
    pending = asked.confirm["action"]
    done = handle(svc, sid, asked.meta, Action(pending["kind"], pending["args"]))
    assert done.confirm is None and "placed" in done.message
    assert [o["price"] for o in done.state["orders"]] == [float(price)]


def test_a_limit_on_the_passive_side_is_placed_without_a_question(replay_service):
    svc = replay_service
    sid, meta, last = _session(svc)
    res = handle(svc, sid, meta, Action("place", _ticket(side="SELL", price=f"{last + 1:.2f}")))
    assert res.confirm is None and len(res.state["orders"]) == 1


def test_shift_s_below_the_market_asks_before_its_sell_limit(replay_service):
    svc = replay_service
    sid, meta, last = _session(svc)
    mid = svc.candles({"session_id": sid, "n": 1})["candles"][-1]["ch_mid"]
    assert mid < last  # SPY at 10:30 on the bundled day: above its channel's mid

    sell = handle(
        svc, sid, meta, Action("band_order", {"side": "SELL", "band": "ch_mid", "qty": 10})
    )
    buy = handle(svc, sid, meta, Action("band_order", {"side": "BUY", "band": "ch_mid", "qty": 10}))

    assert sell.confirm is not None and "is below the market" in sell.confirm["text"]
    assert buy.confirm is None and [o["side"] for o in buy.state["orders"]] == ["BUY"]


def test_the_template_by_points_brackets_the_hotkeys_market_order(replay_service):
    svc = replay_service
    sid, meta, _ = _session(svc)
    args = {"side": "BUY", "qty": 10, "mode": "points", "tp": 1.0, "sl": 0.5, "risk": None}

    res = handle(svc, sid, meta, Action("market_order", args))

    (order,) = res.state["orders"]
    assert order["bracket"] == {"tp_offset": 1.0, "sl_offset": 0.5}
    res = handle(svc, sid, res.meta, Action("step", {"n": 1}))
    fill = res.state["fills"][-1]["price"]
    legs = {o["role"]: o["price"] for o in res.state["orders"]}
    assert legs == {"tp": round(fill + 1.0, 2), "sl": round(fill - 0.5, 2)}


def test_two_ticked_orders_link_oco_and_one_ticked_says_tick_two(replay_service):
    svc = replay_service
    sid, meta, last = _session(svc)
    for side, px in (("BUY", last - 1), ("SELL", last + 1)):
        handle(svc, sid, meta, Action("place", _ticket(side=side, price=f"{px:.2f}")))
    ids = [o["order_id"] for o in svc.state({"session_id": sid})["orders"]]

    one = handle(svc, sid, meta, Action("link_oco", {"picks": [[ids[0]], []]}))
    both = handle(svc, sid, meta, Action("link_oco", {"picks": [[ids[0]], [ids[1]]]}))

    assert one.message_color == "danger" and "tick exactly two orders" in one.message
    assert "linked OCO" in both.message
    assert len({o["oco_group"] for o in both.state["orders"]}) == 1


def test_bracket_position_puts_the_template_on_the_open_position(replay_service):
    svc = replay_service
    sid, meta, _ = _session(svc)
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 100})
    svc.command("step", {"session_id": sid, "disp_steps": 1})
    avg = svc.state({"session_id": sid})["position"]["avg_price"]

    args = {"mode": "r", "tp": 2, "sl": None, "risk": 50}  # 0.50 a share on 100, 2R: 1.00
    res = handle(svc, sid, meta, Action("bracket_position", args))

    assert res.message == "Bracket set on the position"
    legs = {o["role"]: o["price"] for o in res.state["orders"]}
    assert legs == {"tp": round(avg + 1.0, 2), "sl": round(avg - 0.5, 2)}


def _trace(res, i: int) -> dict:
    ops = res.figure.to_plotly_json()["operations"]
    (op,) = [o for o in ops if o["location"] == ["data", i]]
    return op["params"]["value"]


def test_a_ladder_is_previewed_on_the_chart_then_placed_and_the_preview_cleared(replay_service):
    svc = replay_service
    sid, meta, _ = _session(svc)
    fields = {"levels": 3, "step_atr": 0.5, "weights": "1-2-3", "qty": 60, "side": "BOTH"}
    i = meta["preview_i"]

    shown = handle(svc, sid, meta, Action("ladder_preview", fields))

    prices = [y for y in _trace(shown, i)["y"] if y is not None]
    assert len(prices) == 12 and shown.meta["preview_on"]  # 6 levels, 2 points each
    assert svc.state({"session_id": sid})["orders"] == []
    placed = handle(svc, sid, shown.meta, Action("ladder_place", fields))
    assert sorted(o["price"] for o in placed.state["orders"]) == sorted(set(prices))
    assert _trace(placed, i)["y"] == [] and not placed.meta["preview_on"]
    canceled = handle(svc, sid, placed.meta, Action("ladder_cancel", {}))
    assert canceled.state["orders"] == [] and "Ladder canceled: 6 orders" in canceled.message


def test_a_step_clears_a_ladder_preview_the_moving_bands_made_stale(replay_service):
    svc = replay_service
    sid, meta, _ = _session(svc)
    fields = {"levels": 2, "step_atr": 1.0, "weights": "1-1", "qty": 10, "side": "BUY"}
    shown = handle(svc, sid, meta, Action("ladder_preview", fields))
    assert len([y for y in _trace(shown, meta["preview_i"])["y"] if y is not None]) == 4

    stepped = handle(svc, sid, shown.meta, Action("step", {"n": 1}))

    assert _trace(stepped, meta["preview_i"])["y"] == [] and not stepped.meta["preview_on"]
