"""The OpenAPI description: served, in step with the Flask routes, true to real answers."""

from __future__ import annotations

import json

import pytest

from ntree.openapi import openapi_spec
from ntree.rest import POST_ROUTES

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

DAY = "2024-08-06"
VERBS = {"get", "post", "put", "patch", "delete"}
JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def problems(value, schema: dict, spec: dict, where: str = "$") -> list[str]:
    """Return where ``value`` breaks the type/required/enum rules of ``schema`` (recursive)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return problems(value, spec["components"]["schemas"][name], spec, where)
    out = [p for sub in schema.get("allOf", []) for p in problems(value, sub, spec, where)]
    for key in ("anyOf", "oneOf"):
        branches = [problems(value, sub, spec, where) for sub in schema.get(key, [])]
        if branches and all(branches):
            out.append(f"{where}: matches no branch of {key}: {branches}")
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(JSON_TYPES[k](value) for k in kinds):
            return [*out, f"{where}: {value!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        out += [f"{where}: missing {k!r}" for k in schema.get("required", []) if k not in value]
        for k, sub in schema.get("properties", {}).items():
            if k in value:
                out += problems(value[k], sub, spec, f"{where}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += problems(item, schema["items"], spec, f"{where}[{i}]")
    return out


@pytest.fixture(scope="module")
def spec() -> dict:
    return openapi_spec()


def post(client, path, body):
    return client.post(f"/replay/{path}", data=json.dumps(body), content_type="application/json")


def assert_matches_spec(spec: dict, response, path: str, method: str = "post") -> dict:
    """Assert the status is declared for the route and the JSON fits its schema; return it."""
    answers = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in answers, (path, status, response.get_json())
    body = response.get_json()
    schema = answers[status]["content"]["application/json"]["schema"]
    assert problems(body, schema, spec) == [], (path, status)
    return body


def served_routes(app) -> set[tuple[str, str]]:
    """Return every (path, method) the app serves under /replay/."""
    pairs = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/replay/") or rule.endpoint.endswith("_unknown_get_route"):
            continue  # (that catch-all answers every unknown GET path with an error)
        if rule.arguments:
            # The catch-all POST /replay/<path:action> serves exactly the POST_ROUTES actions.
            assert rule.arguments == {"action"}, rule.rule
            paths = [f"/replay/{action}" for action in POST_ROUTES]
        else:
            paths = [rule.rule]
        methods = {m.lower() for m in rule.methods} & VERBS
        pairs |= {(p, m) for p in paths for m in methods}
    return pairs


def test_spec_is_served_as_json_at_replay_openapi_json(api_client, spec):
    r = api_client.get("/replay/openapi.json")
    assert r.status_code == 200 and r.is_json
    assert r.get_json() == spec
    assert spec["openapi"].startswith("3.1")


def test_every_replay_route_is_in_the_spec_and_every_spec_path_is_served(api_client, spec):
    app = api_client.application
    documented = {(p, m) for p, item in spec["paths"].items() for m in item if m in VERBS}
    served = served_routes(app)
    assert served - documented == set(), "served but not in the spec"
    assert documented - served == set(), "in the spec but not served"
    adapter = app.url_map.bind("localhost")
    for path, method in documented:
        _endpoint, args = adapter.match(path, method=method.upper())
        assert args.get("action", "start") in {"start", *POST_ROUTES}, path


def test_every_ref_in_the_spec_resolves(spec):
    def refs(node):
        if isinstance(node, dict):
            yield from ([node["$ref"]] if "$ref" in node else [])
            for v in node.values():
                yield from refs(v)
        elif isinstance(node, list):
            for v in node:
                yield from refs(v)

    names = set(spec["components"]["schemas"])
    found = set(refs(spec))
    assert found and {r.removeprefix("#/components/schemas/") for r in found} <= names


def test_checker_sees_a_missing_field_a_wrong_type_and_a_bad_enum(spec):
    order = {
        "order_id": 1,
        "side": "BUY",
        "type": "LIMIT",
        "qty": 1,
        "price": 500.0,
        "status": "WORKING",
        "tag": None,
        "oco_group": None,
        "role": "entry",
        "parent_id": None,
        "bracket": {"tp": 501.0},
        "mods_count": 0,
    }
    ref = {"$ref": "#/components/schemas/Order"}
    assert problems(order, ref, spec) == []
    assert problems({**order, "bracket": {}}, ref, spec)  # a bracket needs tp or sl
    assert problems({k: v for k, v in order.items() if k != "qty"}, ref, spec)
    assert problems({**order, "qty": "1"}, ref, spec)
    assert problems({**order, "side": "LONG"}, ref, spec)
    assert problems([order, {**order, "qty": True}], {"type": "array", "items": ref}, spec)


def test_start_place_step_cycle_answers_match_the_spec(api_client, spec):
    body = {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m", "seed": 1}
    started = assert_matches_spec(spec, post(api_client, "start", body), "/replay/start")
    sid = started["session_id"]
    px = round(started["initial_state"]["last_price"] + 0.50, 2)  # marketable: fills next bar
    order = {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 10, "price": px}
    order["bracket"] = {"tp": round(px + 2, 2), "sl": round(px - 2, 2)}
    placed = assert_matches_spec(
        spec, post(api_client, "order/place", order), "/replay/order/place"
    )
    assert placed["orders"][0]["bracket"] == order["bracket"]
    r = post(api_client, "step", {"session_id": sid, "exec_steps": 7})  # mid-bar: a forming bar
    stepped = assert_matches_spec(spec, r, "/replay/step")
    assert stepped["fills"] and stepped["events"] and stepped["bars"][-1].get("forming")
    r = post(api_client, "step", {"session_id": sid, "exec_steps": 3})
    assert_matches_spec(spec, r, "/replay/step")
    lp = stepped["last_price"]
    ladder = [
        {"side": "BUY", "type": "LIMIT", "qty": 5, "price": round(lp - 1, 2)},
        {"side": "SELL", "type": "STOP", "qty": 5, "price": round(lp - 2, 2), "tag": "stop"},
    ]
    r = post(api_client, "order/replace", {"session_id": sid, "orders": ladder})
    replaced = assert_matches_spec(spec, r, "/replay/order/replace")
    assert [o["order_id"] for o in replaced["orders"]] == replaced["order_ids"]
    r = post(api_client, "cancel_all", {"session_id": sid})
    assert assert_matches_spec(spec, r, "/replay/cancel_all")["canceled"] == 2
    for query, path in (
        (f"state?session_id={sid}", "/replay/state"),
        (f"events?session_id={sid}&since=0", "/replay/events"),
        (f"candles?session_id={sid}&n=3", "/replay/candles"),
    ):
        assert_matches_spec(spec, api_client.get(f"/replay/{query}"), path, "get")
    r = post(api_client, "rewind", {"session_id": sid, "disp_bars": 1})
    assert_matches_spec(spec, r, "/replay/rewind")
    ended = assert_matches_spec(spec, post(api_client, "end", {"session_id": sid}), "/replay/end")
    assert ended["status"] == "ended" and ended["summary"]["num_trades"] == 1
    assert_matches_spec(spec, api_client.get("/replay/sessions"), "/replay/sessions", "get")


ERRORS = [
    ("order/place", "{not json", 400, "bad_json"),
    ("order/place", {"side": "BUY"}, 400, "missing_field"),
    ("step", {"session_id": "nope", "disp_steps": 1}, 404, "unknown_session"),
    ("order/cancel", {"order_id": 99}, 404, "unknown_order"),
    ("order/place", {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 500.001}, 422, "off_tick"),
    ("set_disp_tf", {"disp_tf": "7m"}, 422, "bad_tf"),
    (
        "order/replace",
        {"orders": [{"side": "BUY", "type": "LIMIT", "qty": 0}]},
        422,
        "bad_qty",
    ),
    ("order/replace", {"orders": {"side": "BUY"}}, 400, "bad_type"),
    (
        "start",
        {"symbol": "ZZZZ", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"},
        422,
        "unknown_symbol",
    ),
]


@pytest.mark.parametrize("case", ERRORS, ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in ERRORS])
def test_error_answer_matches_the_error_schema_and_a_declared_status(api_client, spec, case):
    path, body, status, code = case
    r = post(api_client, "start", {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"})
    sid = r.get_json()["session_id"]
    if isinstance(body, str):
        r = api_client.post(f"/replay/{path}", data=body, content_type="application/json")
    else:
        r = post(api_client, path, body if path == "start" else {"session_id": sid, **body})
    assert r.status_code == status, r.get_json()
    assert assert_matches_spec(spec, r, f"/replay/{path}")["error"]["code"] == code


def test_ended_session_answers_a_declared_409(api_client, spec):
    r = post(api_client, "start", {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"})
    sid = r.get_json()["session_id"]
    post(api_client, "end", {"session_id": sid})
    for path in ("step", "flatten", "end"):
        steps = {"disp_steps": 1} if path == "step" else {}  # unknown fields are refused
        r = post(api_client, path, {"session_id": sid, **steps})
        assert r.status_code == 409
        assert assert_matches_spec(spec, r, f"/replay/{path}")["error"]["field"] == "session_id"


def test_get_route_errors_are_declared(api_client, spec):
    for query, path, status in (
        ("state", "/replay/state", 400),
        ("events?session_id=nope", "/replay/events", 404),
        ("candles?session_id=x&n=0", "/replay/candles", 422),
    ):
        r = api_client.get(f"/replay/{query}")
        assert r.status_code == status
        assert_matches_spec(spec, r, path, "get")
