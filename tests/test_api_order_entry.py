"""Order entry through the REST API: buying power, OCO, the ladder and a bracket on the
open position by offsets (Flask test client, a real SQLite file)."""

from __future__ import annotations

from test_api import post, start, state


def _events(client, sid: str) -> list[dict]:
    return client.get(f"/replay/events?session_id={sid}").get_json()["events"]


def test_an_order_past_buying_power_is_a_422_naming_qty(api_client):
    res = start(api_client)  # leverage 4 by default: $400,000 on $100,000
    sid, last = res["session_id"], res["initial_state"]["last_price"]
    assert res["initial_state"]["buying_power"] == {
        "leverage": 4,
        "buying_power": 400_000.0,
        "used": 0.0,
        "available": 400_000.0,
    }
    too_many = int(400_000 // last) + 1
    order = {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": too_many}

    r = post(api_client, "order/place", order)

    assert r.status_code == 422
    error = r.get_json()["error"]
    assert (error["code"], error["field"]) == ("insufficient_buying_power", "qty")
    assert "over the buying power $400,000.00" in error["message"]
    assert state(api_client, sid)["orders"] == []
    assert _events(api_client, sid)[-1]["payload"]["code"] == "insufficient_buying_power"
    assert post(api_client, "order/place", {**order, "qty": too_many - 1}).status_code == 200


def test_a_session_started_with_its_own_leverage_has_that_buying_power(api_client):
    res = start(api_client, leverage=1)
    assert res["initial_state"]["buying_power"]["buying_power"] == 100_000.0
    bad = post(api_client, "start", {**_START, "leverage": 0})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "leverage"


_START = {"symbol": "SPY", "t_start": "2024-08-06", "t_end": "2024-08-06", "disp_tf": "5m"}


def test_link_oco_then_the_stop_fills_and_the_target_is_canceled(api_client):
    sid = start(api_client)["session_id"]
    post(api_client, "order/place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    post(api_client, "step", {"session_id": sid, "disp_steps": 1})
    target = {"session_id": sid, "side": "SELL", "type": "LIMIT", "qty": 10, "price": 999.0}
    tp = post(api_client, "order/place", target).get_json()["order_id"]
    px = state(api_client, sid)["last_price"]
    stop = {**target, "type": "STOP", "price": round(px - 0.01, 2)}  # a cent below
    sl = post(api_client, "order/place", stop).get_json()["order_id"]

    r = post(api_client, "link_oco", {"session_id": sid, "order_ids": [tp, sl]})

    assert r.status_code == 200, r.get_json()
    group = r.get_json()["oco_group"]
    assert {o["oco_group"] for o in r.get_json()["orders"]} == {group}
    for _ in range(20):  # the stop 1 cent under the market fills within a few bars
        st = post(api_client, "step", {"session_id": sid, "disp_steps": 1}).get_json()
        if st["position"]["qty"] == 0:
            break
    assert st["position"]["qty"] == 0 and st["orders"] == []
    canceled = [e for e in _events(api_client, sid) if e["type"] == "ORDER_CANCELED"]
    assert canceled[-1]["payload"] == {"order_id": tp, "reason": "oco"}


def test_link_oco_of_an_unknown_order_is_a_404_naming_order_ids(api_client):
    sid = start(api_client)["session_id"]
    r = post(api_client, "link_oco", {"session_id": sid, "order_ids": [1, 2]})
    assert r.status_code == 404
    assert (r.get_json()["error"]["code"], r.get_json()["error"]["field"]) == (
        "unknown_order",
        "order_ids",
    )


def test_a_ladder_is_previewed_placed_and_canceled(api_client):
    sid = start(api_client)["session_id"]
    body = {"session_id": sid, "qty": 60, "levels": 3, "step_atr": 0.5, "weights": [1, 2, 3]}

    preview = post(api_client, "ladder/preview", body)

    assert preview.status_code == 200, preview.get_json()
    plan = preview.get_json()["orders"]
    assert [(o["side"], o["qty"]) for o in plan] == [("BUY", q) for q in (10, 20, 30)] + [
        ("SELL", q) for q in (10, 20, 30)
    ]
    assert state(api_client, sid)["orders"] == []  # a preview places nothing
    placed = post(api_client, "place_ladder", body)
    assert placed.status_code == 200, placed.get_json()
    assert [(o["side"], o["qty"], o["price"], o["tag"]) for o in placed.get_json()["orders"]] == [
        (o["side"], o["qty"], o["price"], "ladder") for o in plan
    ]
    (event,) = [e for e in placed.get_json()["events"] if e["type"] == "LADDER_PLACED"]
    assert event["payload"]["order_ids"] == placed.get_json()["order_ids"]

    canceled = post(api_client, "cancel_ladder", {"session_id": sid})
    assert canceled.status_code == 200 and canceled.get_json()["canceled"] == 6
    assert canceled.get_json()["orders"] == []
    again = post(api_client, "cancel_ladder", {"session_id": sid})
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "unknown_ladder"


def test_a_ladder_with_bad_weights_is_a_422_naming_weights(api_client):
    sid = start(api_client)["session_id"]
    r = post(api_client, "place_ladder", {"session_id": sid, "qty": 6, "weights": [1, -2]})
    assert r.status_code == 422
    assert (r.get_json()["error"]["code"], r.get_json()["error"]["field"]) == (
        "bad_ladder",
        "weights",
    )


def test_set_bracket_by_offsets_from_the_average_price(api_client):
    sid = start(api_client)["session_id"]
    post(api_client, "order/place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    st = post(api_client, "step", {"session_id": sid, "disp_steps": 1}).get_json()
    avg = st["position"]["avg_price"]

    r = post(api_client, "bracket", {"session_id": sid, "tp_offset": 2.0, "sl_offset": 2.0})

    assert r.status_code == 200, r.get_json()
    legs = {o["role"]: o["price"] for o in r.get_json()["orders"]}
    assert legs == {"tp": round(avg + 2.0, 2), "sl": round(avg - 2.0, 2)}


def test_set_bracket_whose_stop_is_above_the_market_is_refused(api_client):
    sid = start(api_client)["session_id"]
    post(api_client, "order/place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    st = post(api_client, "step", {"session_id": sid, "disp_steps": 1}).get_json()
    above = round(st["last_price"] + 0.5, 2)

    r = post(api_client, "bracket", {"session_id": sid, "sl": above})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "bad_bracket"
    assert state(api_client, sid)["orders"] == []


def test_a_stored_session_of_every_order_entry_command_re_runs_identically(
    api_client, replay_service
):
    sid = start(api_client, leverage=2)["session_id"]
    body = {"session_id": sid}
    post(api_client, "place_ladder", {**body, "qty": 30, "weights": [1, 2]})
    post(api_client, "place_ladder", {**body, "qty": 12, "side": "SELL"})  # re-laid
    post(api_client, "order/place", {**body, "side": "BUY", "type": "MARKET", "qty": 10})
    refused = post(
        api_client, "order/place", {**body, "side": "BUY", "type": "MARKET", "qty": 10**5}
    )
    assert refused.get_json()["error"]["code"] == "insufficient_buying_power"
    post(api_client, "step", {**body, "disp_steps": 2})
    post(api_client, "bracket", {**body, "tp_ticks": 300, "sl_offset": 3.0})
    ids = [o["order_id"] for o in state(api_client, sid)["orders"] if o["role"] == "entry"]
    post(api_client, "link_oco", {**body, "order_ids": ids[:2]})
    post(api_client, "step", {**body, "disp_steps": 30})
    post(api_client, "cancel_ladder", body)
    post(api_client, "end", body)
    types = {e["type"] for e in _events(api_client, sid)}
    assert {"LADDER_PLACED", "LADDER_CANCELED", "ORDERS_LINKED", "BRACKET_SET"} <= types

    result = replay_service.replay_check(sid)

    assert result.ok, result.message
