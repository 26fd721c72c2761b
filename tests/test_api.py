"""The REST API through the Flask test client: the full trading cycle and every bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

DAY = "2024-08-06"


def post(client, path, body):
    return client.post(f"/replay/{path}", data=json.dumps(body), content_type="application/json")


def start(client, **over):
    body = {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m", "seed": 1, **over}
    r = post(client, "start", body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def state(client, sid):
    return client.get(f"/replay/state?session_id={sid}").get_json()


def test_start_place_step_fill_end_cycle(api_client):
    res = start(api_client)
    sid = res["session_id"]
    st0 = res["initial_state"]
    assert st0["cursor"]["ts_market"].startswith(DAY)
    assert st0["position"] == {
        "qty": 0,
        "avg_price": None,
        "unrealized_pnl": 0.0,
        "realized_pnl": 0.0,
    }
    assert st0["bars"] and {"ema9", "vwap", "ch_upper"} <= set(st0["bars"][-1])
    price = round(st0["last_price"] + 0.50, 2)  # a marketable buy limit: fills on the next bar
    r = post(
        api_client,
        "order/place",
        {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 10, "price": price},
    )
    assert r.status_code == 200, r.get_json()
    placed = r.get_json()
    oid = placed["order_id"]
    assert [o["order_id"] for o in placed["orders"]] == [oid]
    assert {"order_id", "side", "type", "qty", "price", "status"} <= set(placed["orders"][0])
    r = post(api_client, "step", {"session_id": sid, "disp_steps": 1})
    stepped = r.get_json()
    assert r.status_code == 200
    assert "FILL" in [e["type"] for e in stepped["events"]]
    assert {"id", "ts_exec", "ts_market", "type", "payload"} <= set(stepped["events"][0])
    assert stepped["position"]["qty"] == 10 and stepped["orders"] == []
    assert stepped["bars"] and stepped["cursor"]["disp_index"] == st0["cursor"]["disp_index"] + 1
    r = post(api_client, "end", {"session_id": sid})
    ended = r.get_json()
    assert r.status_code == 200 and ended["status"] == "ended"
    assert ended["summary"]["num_trades"] == 1
    sessions = api_client.get("/replay/sessions").get_json()["sessions"]
    row = next(s for s in sessions if s["session_id"] == sid)
    assert row["status"] == "ended" and row["num_trades"] == 1
    events = api_client.get(f"/replay/events?session_id={sid}&since=1").get_json()["events"]
    assert events[0]["id"] == 2 and events[-1]["type"] == "SESSION_END"


def _round_trip(client, **start_over) -> dict:
    """Buy 100 at market, step, flatten, step, end: return the ended state."""
    sid = start(client, **start_over)["session_id"]
    order = {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 100}
    assert post(client, "order/place", order).status_code == 200
    post(client, "step", {"session_id": sid, "disp_steps": 2})
    post(client, "flatten", {"session_id": sid})
    post(client, "step", {"session_id": sid, "disp_steps": 2})
    return post(client, "end", {"session_id": sid}).get_json()


def test_start_takes_a_fill_model_that_the_fills_follow(api_client):
    model = {"commission_per_share": 0.01, "latency_bars": 1, "direction_lock": False}
    res = start(api_client, fill_model=model)
    assert res["initial_state"]["fill_model"] == {
        "limit_fill_ticks_worse": 0,
        "market_slippage_ticks": 0,
        **model,
    }
    plain, costly = _round_trip(api_client), _round_trip(api_client, fill_model=model)
    fill_times = [[f["ts_exec"] for f in s["fills"]] for s in (plain, costly)]
    minute = pd.Timedelta(minutes=1)
    # one 1m bar of latency: each fill a minute later (the same bars, so other prices)
    assert [pd.Timestamp(t) + minute for t in fill_times[0]] == list(
        map(pd.Timestamp, fill_times[1])
    )
    assert len(costly["fills"]) == 2
    events = api_client.get(f"/replay/events?session_id={costly['session_id']}").get_json()
    assert events["events"][0]["payload"]["params"]["commission_per_share"] == 0.01
    buy, sell = costly["fills"]
    gross = (sell["price"] - buy["price"]) * 100
    assert costly["summary"]["pnl"] == pytest.approx(gross - 2 * 100 * 0.01)  # commission paid


@pytest.mark.parametrize(
    ("fill_model", "field", "code"),
    [
        ({"latency_bars": -1}, "fill_model.latency_bars", "bad_param"),
        ({"direction_lock": "off"}, "fill_model.direction_lock", "bad_param"),
        ({"commission_per_share": "0.01"}, "fill_model.commission_per_share", "bad_param"),
        ({"slippage": 1}, "fill_model.slippage", "unknown_field"),
        ({"tick": 0.05}, "fill_model.tick", "unknown_field"),  # not a fill-model knob
        ("pessimistic", "fill_model", "bad_type"),
    ],
)
def test_start_refuses_a_bad_fill_model_clearly(api_client, fill_model, field, code):
    before = api_client.get("/replay/sessions").get_json()["sessions"]
    r = post(
        api_client,
        "start",
        {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m", "fill_model": fill_model},
    )
    assert r.status_code in (400, 422), r.get_json()
    err = r.get_json()["error"]
    assert (err["code"], err["field"]) == (code, field)
    assert api_client.get("/replay/sessions").get_json()["sessions"] == before  # nothing kept


def test_bracket_modify_cancel_all_flatten_note_speed(api_client):
    sid = start(api_client)["session_id"]
    px = state(api_client, sid)["last_price"]
    r = post(
        api_client,
        "order/place",
        {
            "session_id": sid,
            "side": "BUY",
            "type": "LIMIT",
            "qty": 5,
            "price": round(px - 1, 2),
            "bracket": {"tp": round(px + 1, 2), "sl": round(px - 2, 2)},
        },
    )
    oid = r.get_json()["order_id"]
    r = post(api_client, "order/modify", {"session_id": sid, "order_id": oid, "qty": 7})
    assert r.status_code == 200 and r.get_json()["orders"][0]["qty"] == 7
    assert post(api_client, "cancel_all", {"session_id": sid}).get_json()["orders"] == []
    post(api_client, "order/place", {"session_id": sid, "side": "SELL", "type": "MARKET", "qty": 3})
    st1 = post(api_client, "step", {"session_id": sid, "exec_steps": 1}).get_json()
    assert st1["position"]["qty"] == -3
    assert post(api_client, "set_speed", {"session_id": sid, "speed": 20}).get_json()["speed"] == 20
    assert post(api_client, "play", {"session_id": sid}).get_json()["paused"] is False
    assert post(api_client, "pause", {"session_id": sid}).get_json()["paused"] is True
    assert (
        post(api_client, "note", {"session_id": sid, "text": "faded the open"}).status_code == 200
    )
    post(api_client, "step", {"session_id": sid, "exec_steps": 4})  # back on a 5m boundary
    flat = post(api_client, "flatten", {"session_id": sid}).get_json()
    assert flat["orders"] or flat["position"]["qty"] == 0


def test_set_disp_tf_keeps_the_replay_position(api_client):
    sid = start(api_client)["session_id"]
    r = post(api_client, "step", {"session_id": sid, "disp_steps": 6})  # 10:00, shared by 15m
    before = r.get_json()["cursor"]["ts_exec"]
    r = post(api_client, "set_disp_tf", {"session_id": sid, "disp_tf": "15m"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["disp_tf"] == "15m" and r.get_json()["cursor"]["ts_exec"] == before
    candles = api_client.get(f"/replay/candles?session_id={sid}&n=5").get_json()["candles"]
    assert len(candles) == 5 and candles[-1]["ts"] == "2024-08-06T13:45:00Z"  # 09:45 ET


def test_rewind_forks_a_linked_session_and_keeps_the_parent_log(api_client):
    sid = start(api_client)["session_id"]
    post(api_client, "step", {"session_id": sid, "disp_steps": 10})
    parent_log = api_client.get(f"/replay/events?session_id={sid}").get_json()["events"]
    r = post(api_client, "rewind", {"session_id": sid, "disp_bars": 4})
    assert r.status_code == 200, r.get_json()
    fork = r.get_json()
    assert fork["parent_session_id"] == sid and fork["session_id"] != sid
    assert fork["initial_state"]["parent_session_id"] == sid
    parent = state(api_client, sid)
    assert fork["initial_state"]["cursor"]["disp_index"] == parent["cursor"]["disp_index"] - 4
    assert fork["disp_bars"] == 4
    assert api_client.get(f"/replay/events?session_id={sid}").get_json()["events"] == parent_log


def test_rewind_past_the_start_stops_there_and_says_how_far_it_went(api_client):
    res = start(api_client)
    sid, first = res["session_id"], res["initial_state"]["cursor"]["ts_exec"]
    post(api_client, "play", {"session_id": sid})
    post(api_client, "step", {"session_id": sid, "disp_steps": 3})
    r = post(api_client, "rewind", {"session_id": sid, "disp_bars": 50})
    assert r.status_code == 200, r.get_json()
    fork = r.get_json()
    assert fork["disp_bars"] == 3
    assert fork["initial_state"]["cursor"]["ts_exec"] == first
    assert fork["initial_state"]["paused"] is True  # a rewind lands paused


def test_expired_session_is_restored_from_its_log(api_client, replay_service):
    sid = start(api_client)["session_id"]
    px = state(api_client, sid)["last_price"]
    post(
        api_client,
        "order/place",
        {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 2, "price": round(px - 5, 2)},
    )
    post(api_client, "step", {"session_id": sid, "disp_steps": 3})
    before = state(api_client, sid)
    replay_service.cache.evict(sid)  # what the TTL does
    after = state(api_client, sid)
    for key in ("cursor", "position", "orders", "equity", "last_event_id"):
        assert after[key] == before[key]


# --- bad input: a 4xx with a JSON error, and nothing changes ----------------------------


@pytest.fixture
def live(api_client):
    sid = start(api_client)["session_id"]
    return sid, state(api_client, sid)


def _place(sid, **over):
    return {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 1, "price": 500.0, **over}


BAD_COMMANDS = [
    ("malformed json", "order/place", None, 400, "bad_json"),
    ("json array", "order/place", [], 400, "bad_json"),
    ("missing field", "order/place", {"side": "BUY"}, 400, "missing_field"),
    ("wrong-typed qty", "order/place", "qty=ten", 400, "bad_type"),
    ("bool qty", "order/place", "qty=true", 400, "bad_type"),
    ("unknown side", "order/place", "side=LONG", 422, "bad_side"),
    ("off-tick price", "order/place", "price=500.001", 422, "off_tick"),
    ("negative price", "order/place", "price=-1", 422, "bad_price"),
    ("zero qty", "order/place", "qty=0", 422, "bad_qty"),
    ("string price", "order/place", "price=abc", 400, "bad_type"),
    ("bracket not an object", "order/place", "bracket=1", 400, "bad_type"),
    ("unknown order", "order/cancel", {"order_id": 999}, 404, "unknown_order"),
    ("market with a price", "order/place", "type=MARKET", 422, "bad_price"),
    (
        "bracket with other keys",
        "order/place",
        {
            "side": "BUY",
            "type": "LIMIT",
            "qty": 1,
            "price": 500.0,
            "bracket": {"tp": 510.0, "stop": 490.0},
        },
        422,
        "bad_bracket",
    ),
    ("unknown session", "step", {"session_id": "nope", "disp_steps": 1}, 404, "unknown_session"),
    ("both step kinds", "step", {"disp_steps": 1, "exec_steps": 1}, 422, "bad_step"),
    ("negative steps", "step", {"disp_steps": -2}, 422, "bad_step"),
    ("bad disp_tf", "set_disp_tf", {"disp_tf": "7m"}, 422, "bad_tf"),
    ("zero speed", "set_speed", {"speed": 0}, 422, "bad_speed"),
    ("empty note", "note", {"text": ""}, 422, "bad_note"),
    ("unknown endpoint", "teleport", {}, 404, "unknown_route"),
]


@pytest.mark.parametrize("case", BAD_COMMANDS, ids=[c[0] for c in BAD_COMMANDS])
def test_bad_command_answers_4xx_json_and_changes_nothing(api_client, live, case):
    _name, path, body, status, code = case
    sid, before = live
    if body is None:
        r = api_client.post(f"/replay/{path}", data="{not json", content_type="application/json")
    else:
        if isinstance(body, str):  # "field=value" overrides of a good order
            key, value = body.split("=")
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = value
            body = _place(sid, **{key: parsed})
        elif isinstance(body, dict):
            body = {"session_id": sid, **body}
        r = post(api_client, path, body)
    assert r.status_code == status, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] == code and err["message"]
    after = state(api_client, sid)
    if after["last_event_id"] != before["last_event_id"]:
        # The engine refused it: its log keeps the rejection, as a headless run's would.
        new = api_client.get(
            f"/replay/events?session_id={sid}&since={before['last_event_id']}"
        ).get_json()["events"]
        assert [e["type"] for e in new] == ["ORDER_REJECTED"]
        assert new[0]["payload"]["code"] == code
        after["last_event_id"] = before["last_event_id"]
    assert after == before


def test_edit_between_boundaries_is_409(api_client, live):
    sid, _ = live
    post(api_client, "step", {"session_id": sid, "exec_steps": 2})
    before = state(api_client, sid)
    r = post(api_client, "order/place", _place(sid))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_at_boundary"
    after = state(api_client, sid)
    assert after["last_event_id"] == before["last_event_id"] + 1  # the ORDER_REJECTED record
    assert {**after, "last_event_id": 0} == {**before, "last_event_id": 0}
    events = api_client.get(f"/replay/events?session_id={sid}").get_json()["events"]
    assert events[-1]["type"] == "ORDER_REJECTED"
    assert "display-bar boundary" in events[-1]["payload"]["reason"]


def test_ended_session_is_409(api_client, live):
    sid, _ = live
    post(api_client, "end", {"session_id": sid})
    before = state(api_client, sid)
    for path, body in (
        ("step", {"disp_steps": 1}),
        ("order/place", _place(sid)),
        ("flatten", {}),
        ("end", {}),
    ):
        r = post(api_client, path, {"session_id": sid, **body})
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "session_ended"
    assert state(api_client, sid) == before


BAD_STARTS = [
    ({"symbol": "ZZZZ"}, 422, "unknown_symbol"),
    ({"symbol": 5}, 400, "bad_type"),
    ({"disp_tf": "2m"}, 422, "bad_tf"),
    ({"disp_tf": 5}, 400, "bad_type"),
    ({"t_start": "2024-07-04", "t_end": "2024-07-04"}, 422, "no_session"),
    ({"t_start": "2023-01-03", "t_end": "2023-01-03"}, 422, "outside_data"),
    ({"t_start": "yesterday"}, 400, "bad_time"),
    ({"t_start": "2024-08-07", "t_end": "2024-08-06"}, 422, "bad_range"),
    ({"speed": "fast"}, 400, "bad_type"),
    ({"seed": 1.5}, 400, "bad_type"),
    ({"constraints": {"edit_on_disp_boundary": "yes"}}, 400, "bad_type"),
]


@pytest.mark.parametrize(
    "over,status,code", BAD_STARTS, ids=[c[2] + str(i) for i, c in enumerate(BAD_STARTS)]
)
def test_bad_start_answers_4xx(api_client, over, status, code):
    body = {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m", **over}
    n_before = len(api_client.get("/replay/sessions").get_json()["sessions"])
    r = post(api_client, "start", body)
    assert r.status_code == status, r.get_json()
    assert r.get_json()["error"]["code"] == code
    assert len(api_client.get("/replay/sessions").get_json()["sessions"]) == n_before


def test_get_routes_reject_bad_queries(api_client, live):
    sid, _ = live
    assert api_client.get("/replay/state").status_code == 400
    assert api_client.get("/replay/state?session_id=nope").status_code == 404
    assert api_client.get(f"/replay/events?session_id={sid}&since=x").status_code == 400
    assert api_client.get("/replay/events?session_id=nope").status_code == 404
    assert api_client.get(f"/replay/candles?session_id={sid}&n=0").status_code == 422
    r = api_client.get("/replay/nothing")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "unknown_route"
    r = api_client.get("/replay/step")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"
    r = post(api_client, "state", {"session_id": sid})
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        [
            "order/place",
            "order/modify",
            "order/cancel",
            "order/replace",
            "step",
            "bracket",
            "set_disp_tf",
            "set_speed",
            "rewind",
            "note",
        ]
    ),
    fields=st.dictionaries(
        st.sampled_from(
            [
                "side",
                "type",
                "qty",
                "price",
                "order_id",
                "disp_steps",
                "exec_steps",
                "tp",
                "sl",
                "bracket",
                "disp_tf",
                "speed",
                "disp_bars",
                "text",
                "tag",
                "orders",
            ]
        ),
        json_values,
        max_size=5,
    ),
)
def test_random_bodies_never_answer_500(api_client, live, path, fields):
    sid, _ = live
    body = {"session_id": sid, **fields}
    if path == "order/replace" and isinstance(fields.get("orders"), dict):
        body["orders"] = [fields["orders"], {**fields, "side": "BUY"}]  # order-shaped items
    r = api_client.post(
        f"/replay/{path}", data=json.dumps(body, allow_nan=True), content_type="application/json"
    )
    assert r.status_code < 500, (body, r.get_json())
    assert r.is_json


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fill_model=st.dictionaries(
        st.sampled_from(
            [
                "limit_fill_ticks_worse",
                "market_slippage_ticks",
                "latency_bars",
                "direction_lock",
                "commission_per_share",
                "tick",
            ]
        ),
        json_values | st.integers(min_value=-(2**70), max_value=2**70),
        max_size=4,
    )
)
@example(fill_model={"latency_bars": 2**70})
@example(fill_model={"commission_per_share": 2**64})
def test_random_fill_models_never_answer_500(api_client, fill_model):
    body = {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"}
    r = api_client.post(
        "/replay/start",
        data=json.dumps({**body, "fill_model": fill_model}, allow_nan=True),
        content_type="application/json",
    )
    assert r.status_code < 500, (fill_model, r.get_json())
    if r.status_code == 200:  # a model the engine took is the one the session shows
        shown = r.get_json()["initial_state"]["fill_model"]
        assert {k: shown[k] for k in fill_model} == fill_model


def test_a_session_with_rejections_still_re_runs_exactly(api_client, replay_service, live):
    from ntree.runner import replay_check

    sid, st = live
    px = st["last_price"]
    post(api_client, "order/place", _place(sid, price=round(px - 0.5, 2)))
    for bad in (_place(sid, price=500.001), _place(sid, side="LONG"), _place(sid, qty=0)):
        assert post(api_client, "order/place", bad).status_code == 422  # logged rejections
    post(api_client, "step", {"session_id": sid, "exec_steps": 2})
    assert post(api_client, "order/place", _place(sid)).status_code == 409  # between bars
    post(api_client, "step", {"session_id": sid, "disp_steps": 5})
    assert post(api_client, "order/cancel", {"session_id": sid, "order_id": 99}).status_code == 404
    post(api_client, "step", {"session_id": sid, "disp_steps": 5})
    post(api_client, "end", {"session_id": sid})

    result = replay_check(replay_service.db_engine, sid)

    assert result.ok, result.message


def test_engine_rejections_name_the_offending_field(api_client, live):
    sid, _ = live
    r = post(api_client, "order/cancel", {"session_id": sid, "order_id": 999})
    assert r.get_json()["error"]["field"] == "order_id"
    r = post(api_client, "order/place", _place(sid, type="MARKET"))
    assert r.get_json()["error"]["field"] == "price"


def test_start_refuses_a_speed_set_speed_would_refuse(api_client):
    r = post(
        api_client,
        "start",
        {
            "symbol": "SPY",
            "t_start": "2024-08-05",
            "t_end": "2024-08-05",
            "disp_tf": "5m",
            "speed": 50_000,
        },
    )
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "speed"


def test_overlays_mid_bar_are_the_last_completed_candles(api_client, live):
    sid, _ = live
    post(api_client, "step", {"session_id": sid, "disp_steps": 3})
    view = post(api_client, "step", {"session_id": sid, "exec_steps": 2}).get_json()
    assert view["bars"][-1].get("forming") is True
    assert all(view["overlays"][k] is not None for k in ("ema9", "ema21", "vwap", "ch_mid"))


def test_a_stop_market_order_is_placed_as_a_stop(api_client):
    sid = start(api_client)["session_id"]
    px = state(api_client, sid)["last_price"]
    order = {"session_id": sid, "side": "BUY", "type": "STOP_MARKET", "qty": 2}
    r = post(api_client, "order/place", {**order, "price": round(px + 0.5, 2)})
    assert r.status_code == 200, r.get_json()
    (working,) = state(api_client, sid)["orders"]
    assert (working["type"], working["qty"]) == ("STOP", 2)
    r = post(api_client, "order/place", order)  # like a STOP, it needs its price
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "price"
    assert r.get_json()["error"]["code"] == "bad_price"


def test_a_body_too_large_is_refused_unread_and_the_session_kept(api_client, live):
    sid, _ = live
    before = api_client.get(f"/replay/events?session_id={sid}").get_json()["events"]
    huge = json.dumps({"session_id": sid, "text": "x" * 2_000_000})
    r = api_client.post("/replay/note", data=huge, content_type="application/json")
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "body_too_large"
    assert api_client.get(f"/replay/events?session_id={sid}").get_json()["events"] == before
    r = post(api_client, "note", {"session_id": sid, "text": "still here"})
    assert r.status_code == 200


def test_a_stop_through_the_market_is_422_naming_the_price(api_client):
    # The issue's case: a SELL STOP at 600 with SPY near 541 used to fill at once.
    sid = start(api_client)["session_id"]
    px = state(api_client, sid)["last_price"]
    assert px < 600
    order = {"session_id": sid, "side": "SELL", "type": "STOP", "qty": 100, "price": 600.0}

    r = post(api_client, "order/place", order)

    assert r.status_code == 422
    error = r.get_json()["error"]
    assert (error["code"], error["field"]) == ("stop_through_market", "price")
    assert f"below the last price {px}" in error["message"]
    assert state(api_client, sid)["orders"] == []
    events = api_client.get(f"/replay/events?session_id={sid}").get_json()["events"]
    assert events[-1]["type"] == "ORDER_REJECTED"
    assert events[-1]["payload"]["code"] == "stop_through_market"


def test_a_bracket_by_offsets_follows_the_market_fill(api_client):
    sid = start(api_client)["session_id"]
    order = {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10}
    bracket = {"tp_offset": 1.0, "sl_offset": 0.5}
    r = post(api_client, "order/place", {**order, "bracket": bracket})
    assert r.status_code == 200, r.get_json()
    stepped = post(api_client, "step", {"session_id": sid, "disp_steps": 1}).get_json()

    (fill,) = [e["payload"] for e in stepped["events"] if e["type"] == "FILL"]
    legs = {o["role"]: o["price"] for o in stepped["orders"]}
    assert legs == {"tp": round(fill["price"] + 1.0, 2), "sl": round(fill["price"] - 0.5, 2)}


def test_an_off_tick_bracket_offset_names_the_bracket(api_client):
    sid = start(api_client)["session_id"]
    order = {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10}
    r = post(api_client, "order/place", {**order, "bracket": {"sl_offset": 0.005}})
    assert r.status_code == 422
    assert (r.get_json()["error"]["code"], r.get_json()["error"]["field"]) == (
        "off_tick",
        "bracket",
    )


def test_trades_lists_the_closed_trades_and_the_open_one(api_client):
    sid = start(api_client)["session_id"]
    buy = {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10}
    assert api_client.get(f"/replay/trades?session_id={sid}").get_json() == {
        "session_id": sid,
        "trades": [],
    }
    post(api_client, "order/place", buy)
    post(api_client, "step", {"session_id": sid, "disp_steps": 1})
    post(api_client, "flatten", {"session_id": sid})
    post(api_client, "step", {"session_id": sid, "disp_steps": 1})
    post(api_client, "order/place", {**buy, "side": "SELL"})
    post(api_client, "step", {"session_id": sid, "disp_steps": 1})

    r = api_client.get(f"/replay/trades?session_id={sid}")

    assert r.status_code == 200
    trades = r.get_json()["trades"]
    assert [(t["trade_id"], t["side"], t["status"]) for t in trades] == [
        (1, "LONG", "closed"),
        (2, "SHORT", "open"),
    ]
    assert trades[0]["exit_px"] is not None and trades[1]["exit_ts"] is None


def test_trades_of_an_unknown_or_missing_session_names_the_field(api_client):
    r = api_client.get("/replay/trades?session_id=nope")
    assert r.status_code == 404 and r.get_json()["error"]["field"] == "session_id"
    r = api_client.get("/replay/trades")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "session_id"
    r = api_client.post("/replay/trades", json={"session_id": "x"})
    assert r.status_code == 405


@pytest.mark.parametrize("n", [1, 3, 7])
def test_a_step_of_n_display_bars_returns_exactly_n_bars(api_client, n):
    # The issue: a 3-bar step from the open returned 4, the first one of the day before.
    sid = start(api_client)["session_id"]

    view = post(api_client, "step", {"session_id": sid, "disp_steps": n}).get_json()

    assert len(view["bars"]) == n
    assert all(b["ts"].startswith(DAY) for b in view["bars"])
    again = post(api_client, "step", {"session_id": sid, "disp_steps": n}).get_json()
    assert len(again["bars"]) == n and again["bars"][0]["ts"] > view["bars"][-1]["ts"]


def test_a_step_inside_a_bar_returns_the_forming_one(api_client):
    sid = start(api_client)["session_id"]
    view = post(api_client, "step", {"session_id": sid, "exec_steps": 2}).get_json()
    assert [b.get("forming") for b in view["bars"]] == [True]
    view = post(api_client, "step", {"session_id": sid, "disp_steps": 1}).get_json()
    assert [b.get("forming") for b in view["bars"]] == [None]  # that bar, completed


@pytest.mark.parametrize(
    ("t_start", "t_end", "field"),
    [("2023-01-03", "2023-01-03", "t_start"), (DAY, "2025-06-02", "t_end")],
)
def test_outside_data_names_the_end_that_is_out_of_range(api_client, t_start, t_end, field):
    body = {"symbol": "SPY", "t_start": t_start, "t_end": t_end, "disp_tf": "5m"}
    error = post(api_client, "start", body).get_json()["error"]
    assert (error["code"], error["field"]) == ("outside_data", field)
