"""The service core: one contract for every client, and the methods the pages use."""

from __future__ import annotations

import json
import uuid

import pytest

from ntree.runner import run_script
from ntree.service import ServiceError
from ntree.store import SessionStore
from ntree.ui.cockpit import Action, run

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

DAY = "2024-08-06"
START = {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"}

#: One bad order each (the rest of a good buy limit at 500), and the code every client gets.
BAD_ORDERS = [
    ({"price": 500.001}, "off_tick"),
    ({"side": "LONG"}, "bad_side"),
    ({"qty": 0}, "bad_qty"),
    ({"type": "MARKET"}, "bad_price"),  # a price on a MARKET order
    ({"price": -1.0}, "bad_price"),
    ({"bracket": {"tp": 490.0}}, "bad_bracket"),  # a buy's take-profit below its price
]


def _order(**over) -> dict:
    return {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 500.0, **over}


def _logged_code(events: list[dict]) -> str:
    (rejected,) = [e for e in events if e["type"] == "ORDER_REJECTED"]
    return rejected["payload"]["code"]


@pytest.mark.parametrize(("over", "code"), BAD_ORDERS, ids=[c for _, c in BAD_ORDERS])
def test_the_same_bad_order_gets_the_same_code_through_api_script_and_cockpit(
    api_client, replay_service, over, code
):
    r = api_client.post("/replay/start", json=START)
    sid = r.get_json()["session_id"]
    r = api_client.post("/replay/order/place", json={"session_id": sid, **_order(**over)})
    assert r.get_json()["error"]["code"] == code
    assert _logged_code(replay_service.event_log(sid)) == code

    script = {**START, "actions": [{"at": 0, "op": "place", **_order(**over)}]}
    script_id = f"script-{uuid.uuid4().hex[:8]}"
    run_script(script, replay_service.db_engine, session_id=script_id)
    events = [e.to_dict() for e in SessionStore(replay_service.db_engine).load_events(script_id)]
    assert _logged_code(events) == code

    if over.get("type") == "MARKET":
        return  # the cockpit's ticket sends no price with a MARKET order
    sid = replay_service.start(START)["session_id"]
    order = _order(**over)
    act = Action("place", {**order, "tp": (order.get("bracket") or {}).get("tp")})
    with pytest.raises(ServiceError) as err:
        run(replay_service, sid, act)
    assert err.value.code == code


def test_a_session_with_api_rejections_passes_replay_check(api_client, replay_service):
    sid = api_client.post("/replay/start", json=START).get_json()["session_id"]
    for over, _ in BAD_ORDERS:
        api_client.post("/replay/order/place", json={"session_id": sid, **_order(**over)})
    api_client.post("/replay/order/cancel", json={"session_id": sid, "order_id": 42})
    api_client.post("/replay/step", json={"session_id": sid, "disp_steps": 3})
    api_client.post("/replay/end", json={"session_id": sid})

    result = replay_service.replay_check(sid)

    assert result.ok, result.message
    assert len([e for e in replay_service.event_log(sid) if e["type"] == "ORDER_REJECTED"]) == 7


def test_the_pages_methods_answer_without_the_store_or_the_db_engine(replay_service):
    sid = replay_service.start(START)["session_id"]
    replay_service.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 1})
    replay_service.command("step", {"session_id": sid, "disp_steps": 2})
    replay_service.command("end", {"session_id": sid})

    assert replay_service.get_session(sid)["status"] == "ended"
    assert [e["id"] for e in replay_service.event_log(sid, since=3)][0] == 4
    assert len(replay_service.trades(sid)) == 1
    assert replay_service.replay_check(sid).ok
    for method in (replay_service.event_log, replay_service.trades, replay_service.replay_check):
        with pytest.raises(ServiceError) as err:
            method("nope")
        assert err.value.code == "unknown_session"


def test_a_command_body_is_read_by_its_dataclass_fields_and_types(replay_service):
    sid = replay_service.start(START)["session_id"]
    with pytest.raises(ServiceError) as err:
        replay_service.command("place", {"session_id": sid, "side": "BUY", "type": "LIMIT"})
    assert (err.value.code, err.value.field) == ("missing_field", "qty")
    bad_tp = {"session_id": sid, **_order(bracket={"tp": "high"})}
    with pytest.raises(ServiceError) as err:
        replay_service.command("place", bad_tp)
    assert (err.value.code, err.value.field) == ("bad_type", "bracket.tp")
    orders = {"session_id": sid, "orders": [_order(), _order(qty="1")]}
    with pytest.raises(ServiceError) as err:
        replay_service.command("replace_orders", orders)
    assert (err.value.code, err.value.field) == ("bad_type", "orders[1].qty")
    with pytest.raises(ServiceError) as err:
        replay_service.command("_finish", {"session_id": sid})
    assert err.value.code == "unknown_command"
    view = replay_service.command("place", {"session_id": sid, **_order(qty=2.0), "tag": None})
    assert view["orders"][0]["qty"] == 2 and json.dumps(view)


def test_an_item_of_replace_orders_the_engine_refuses_names_its_field(replay_service):
    sid = replay_service.start(START)["session_id"]
    with pytest.raises(ServiceError) as err:
        replay_service.command(
            "replace_orders", {"session_id": sid, "orders": [_order(), _order(qty=0)]}
        )
    assert (err.value.code, err.value.field) == ("bad_qty", "orders[1].qty")
