"""Every bad request answers 4xx and changes nothing: named cases (the audit's 5xx) and a
sweep generated from the OpenAPI description (every POST route x every field x a bad value).
"""

from __future__ import annotations

import io
import json

import pytest

from ntree.openapi import openapi_spec

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

DAY = "2024-08-06"
START = {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"}
ORDER = {"side": "BUY", "type": "LIMIT", "qty": 1, "price": 500.0}

#: A valid value of every request field (by name), from which each case spoils one.
VALID = {
    **START,
    "speed": 2.0,
    "seed": 1,
    "constraints": {"edit_on_disp_boundary": True},
    "fill_model": {"latency_bars": 0, "market_slippage_ticks": 0},
    "edit_on_disp_boundary": True,
    "latency_bars": 0,
    "limit_fill_ticks_worse": 0,
    "market_slippage_ticks": 0,
    "direction_lock": True,
    "commission_per_share": 0.0,
    "blind": False,
    **ORDER,
    "tag": "t",
    "oco_group": "g",
    "bracket": {"tp": 510.0},
    "tp": 510.0,
    "sl": 490.0,
    "orders": [{**ORDER, "bracket": {"tp": 510.0}}],
    "order_id": 1,
    "disp_steps": 1,
    "exec_steps": 1,
    "text": "a note",
    "disp_bars": 1,
    "leverage": 4,
    "tp_offset": 1.0,
    "sl_offset": 0.5,
    "tp_ticks": 100,
    "sl_ticks": 50,
    "order_ids": [1, 2],
    "levels": 3,
    "step_atr": 0.5,
    "weights": [1, 2, 3],
    "ladder_id": "ladder",
    # the journal (a note after the fact: never the session's state or log)
    "trade_id": 1,
    "setup": "band fade",
    "tags": ["open"],
    "mistakes": ["chased"],
    "rating": 3,
}


def _deep(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _bad_values(schema: dict) -> dict[str, object]:
    """Return the spoiled values of a field of this schema, by kind."""
    types = schema.get("type", "object")
    kind = (types if isinstance(types, str) else types[0]) if "$ref" not in schema else "object"
    if "oneOf" in schema:
        kind = "object"
    wrong = {"string": 12345, "integer": "abc", "number": "abc", "boolean": "yes"}
    huge = {
        "string": "x" * 200_000,
        "integer": 10**400,
        "number": 1e308,
        "boolean": 10**400,
        "array": [VALID["orders"][0]] * 2_000,
        "object": {f"k{i}": i for i in range(5_000)},
    }
    return {
        "missing": ...,
        "wrong_type": wrong.get(kind, "x"),
        "null": None,
        "huge": huge.get(kind, 10**400),
        "nan": "NaN",
        "digits": 10**400,  # a valid JSON number no float holds
        "negative": -1 if kind != "number" else -1e308,
        "nested": {"a": _deep(40)},
        "oversized": "x" * 1_100_000,
    }


def _resolve(spec: dict, schema: dict) -> dict:
    if "$ref" in schema:
        return _resolve(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if "oneOf" in schema:  # X | null: X
        return _resolve(spec, next(s for s in schema["oneOf"] if s.get("type") != "null"))
    if "allOf" in schema:
        return _resolve(spec, schema["allOf"][0])
    return schema


def _fields(spec: dict, schema: dict, prefix: tuple = ()) -> list[tuple[tuple, dict]]:
    """Return every field path of a request schema (one level into objects and lists)."""
    out = []
    for name, prop in _resolve(spec, schema).get("properties", {}).items():
        path = (*prefix, name)
        out.append((path, prop))
        inner = _resolve(spec, prop)
        if prefix:
            continue
        if inner.get("type") == "object" and inner.get("properties"):
            out += _fields(spec, inner, path)
        elif inner.get("type") == "array":
            out += _fields(spec, inner["items"], (*path, 0))
    return out


def _base(spec: dict, schema: dict, sid: str) -> dict:
    body = {}
    for name in _resolve(spec, schema).get("properties", {}):
        body[name] = sid if name == "session_id" else json.loads(json.dumps(VALID[name]))
    return body


def _spoil(body: dict, path: tuple, value: object) -> dict:
    body = json.loads(json.dumps(body))
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return body


def _post(client, path: str, body: dict):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def _snapshot(client, sid: str) -> tuple[dict, list, int]:
    state = client.get(f"/replay/state?session_id={sid}").get_json()
    state.pop("last_event_id")
    events = client.get(f"/replay/events?session_id={sid}").get_json()["events"]
    sessions = len(client.get("/replay/sessions").get_json()["sessions"])
    return state, events, sessions


def _assert_unchanged(before: tuple, after: tuple, label: str) -> None:
    assert after[0] == before[0], label
    assert after[1][: len(before[1])] == before[1], label
    # An order the engine refuses is logged as ORDER_REJECTED (the log keeps what was tried).
    assert {e["type"] for e in after[1][len(before[1]) :]} <= {"ORDER_REJECTED"}, label
    assert after[2] == before[2], label


# SQLite only: the sweep tests the checks in front of the store (30 s a backend: CI budget).
@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_sweep_of_bad_values_over_every_post_route_answers_4xx_and_changes_nothing(
    api_client,
):
    spec = openapi_spec()
    sid = _post(api_client, "/replay/start", START).get_json()["session_id"]
    _post(api_client, "/replay/step", {"session_id": sid, "disp_steps": 3})
    _post(api_client, "/replay/order/place", {"session_id": sid, **ORDER})  # order 1 works
    cases, before = 0, _snapshot(api_client, sid)
    for route, item in spec["paths"].items():
        if "post" not in item:
            continue
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        base = _base(spec, schema, sid)
        spoiled = [
            (f"{route} {'.'.join(map(str, path))}={kind}", _spoil(base, path, value))
            for path, prop in _fields(spec, schema)
            for kind, value in _bad_values(_resolve(spec, prop)).items()
        ]
        spoiled.append((f"{route} +unknown field", {**base, "brakcet": {"tp": 1}}))
        for label, body in spoiled:
            r = _post(api_client, route, body)
            cases += 1
            assert r.status_code < 500, (label, r.get_json())
            after = _snapshot(api_client, sid)
            if r.status_code >= 400:
                err = r.get_json()["error"]
                assert err["code"] and err["message"], label
                _assert_unchanged(before, after, label)
            before = after
    assert cases > 400


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("since=9223372036854775808", "out_of_range"),
        ("since=-1", "out_of_range"),
        ("since=NaN", "bad_type"),
        ("since=" + "9" * 5000, "bad_type"),
    ],
)
def test_a_bad_events_query_is_a_4xx_naming_since(api_client, query, code):
    sid = _post(api_client, "/replay/start", START).get_json()["session_id"]
    r = api_client.get(f"/replay/events?session_id={sid}&{query}")
    assert 400 <= r.status_code < 500
    assert r.get_json()["error"] == {**r.get_json()["error"], "code": code, "field": "since"}


@pytest.mark.parametrize(
    ("t_start", "code"),
    [
        ("2024-11-03T01:30", "bad_time"),  # New York repeats 01:00-02:00 that night
        ("2024-03-10T02:30", "bad_time"),  # ... and skips 02:00-03:00 in March
        ("0001-01-01", "no_session"),
        ("9999-12-31", "no_session"),
        ("0001-01-01T10:00", "outside_data"),
    ],
)
def test_a_time_new_york_never_had_or_the_calendar_lacks_is_a_4xx(api_client, t_start, code):
    r = _post(api_client, "/replay/start", {**START, "t_start": t_start})
    assert 400 <= r.status_code < 500, r.get_json()
    assert r.get_json()["error"]["code"] == code
    assert r.get_json()["error"]["field"] == "t_start"


def test_numbers_too_large_for_a_float_are_refused_by_field(api_client):
    sid = _post(api_client, "/replay/start", START).get_json()["session_id"]
    for over, field in [
        ({"price": 1e308}, "price"),
        ({"bracket": {"tp": 1e308}}, "bracket"),
        ({"bracket": {"sl": 1e308}}, "bracket"),
    ]:
        r = _post(api_client, "/replay/order/place", {"session_id": sid, **ORDER, **over})
        assert r.status_code == 422 and r.get_json()["error"]["field"] == field
    raw = '{"session_id": "%s", "side": "BUY", "type": "LIMIT", "qty": 1, "price": %s}'
    r = api_client.post(
        "/replay/order/place", data=raw % (sid, "9" * 400), content_type="application/json"
    )
    assert r.status_code == 422
    assert r.get_json()["error"] == {**r.get_json()["error"], "field": "price"}
    for literal in ("NaN", "Infinity", "1e400"):
        r = api_client.post(
            "/replay/order/place", data=raw % (sid, literal), content_type="application/json"
        )
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_json"


def test_deeply_nested_json_is_a_400_on_every_post_route(api_client):
    deep = "[" * 100_000 + "]" * 100_000
    for route in ("start", "step", "order/place", "rewind"):
        for body in (deep, '{"session_id": ' + deep + "}"):
            r = api_client.post(f"/replay/{route}", data=body, content_type="application/json")
            assert r.status_code == 400, route
            assert r.get_json()["error"]["code"] == "bad_json"


def test_a_misspelt_field_is_refused_by_name_instead_of_ignored(api_client):
    sid = _post(api_client, "/replay/start", START).get_json()["session_id"]
    body = {"session_id": sid, **ORDER, "brakcet": {"tp": 510.0}}
    r = _post(api_client, "/replay/order/place", body)
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "unknown_field"
    assert r.get_json()["error"]["field"] == "brakcet"
    assert "brakcet" in r.get_json()["error"]["message"]
    r = _post(api_client, "/replay/start", {**START, "sead": 3})
    assert (r.status_code, r.get_json()["error"]["field"]) == (400, "sead")


def test_a_nul_character_anywhere_in_a_request_is_a_400_naming_the_field(api_client):
    # PostgreSQL cannot store a NUL in text: refused at the edge on every backend alike.
    sid = _post(api_client, "/replay/start", START).get_json()["session_id"]
    before = api_client.get(f"/replay/state?session_id={sid}").get_json()
    cases = (
        ("/replay/note", {"session_id": sid, "text": "a\u0000b"}, "text"),
        ("/replay/step", {"session_id": sid + "\u0000", "disp_steps": 1}, "session_id"),
        ("/replay/journal", {"session_id": sid, "tags": ["ok", "b\u0000"]}, "tags[1]"),
        ("/replay/order/replace", {"session_id": sid, "orders": [{**ORDER, "tag": "\u0000"}]},
         "orders[0].tag"),
    )  # fmt: skip
    for path, body, field in cases:
        r = api_client.post(path, data=json.dumps(body), content_type="application/json")
        assert (r.status_code, r.get_json()["error"]["field"]) == (400, field), path
    r = api_client.get(f"/replay/events?session_id={sid}%00")
    assert (r.status_code, r.get_json()["error"]["field"]) == (400, "session_id")
    assert api_client.get(f"/replay/state?session_id={sid}").get_json() == before


def test_a_tag_or_oco_group_over_64_characters_is_refused_at_the_edge(api_client):
    sid = _post(api_client, "/replay/start", START).get_json()["session_id"]
    for name in ("tag", "oco_group"):
        r = _post(api_client, "/replay/order/place", {"session_id": sid, **ORDER, name: "x" * 65})
        assert (r.status_code, r.get_json()["error"]["field"]) == (422, name)
        orders = [{**ORDER, name: "y" * 999}]
        r = _post(api_client, "/replay/order/replace", {"session_id": sid, "orders": orders})
        assert r.get_json()["error"]["field"] == f"orders[0].{name}"
    ok = _post(api_client, "/replay/order/place", {"session_id": sid, **ORDER, "tag": "x" * 64})
    assert ok.status_code == 200


def test_a_chunked_body_over_1_mb_is_a_413(api_client):
    sid = _post(api_client, "/replay/start", START).get_json()["session_id"]
    body = json.dumps({"session_id": sid, "text": "x" * 1_100_000}).encode()
    r = api_client.post(
        "/replay/note",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "body_too_large"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_post_body_that_is_not_application_json_is_a_415(api_client, content_type):
    kwargs = {} if content_type is None else {"content_type": content_type}
    before = len(api_client.get("/replay/sessions").get_json()["sessions"])
    r = api_client.post("/replay/start", data=json.dumps(START), **kwargs)
    assert r.status_code == 415
    assert r.get_json()["error"]["code"] == "bad_content_type"
    assert len(api_client.get("/replay/sessions").get_json()["sessions"]) == before


def _server(replay_service):
    from flask import Flask

    from ntree.api import install

    server = Flask("ntree-hosts")
    install(server, replay_service)
    server.add_url_rule("/page", "page", lambda: "<html></html>")  # stands for a Dash page
    return server.test_client()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8050", "10.0.0.5"])
def test_a_foreign_host_header_is_a_400_on_api_and_pages(replay_service, host):
    client = _server(replay_service)
    for path in ("/replay/sessions", "/page"):
        r = client.get(path, headers={"Host": host})
        assert r.status_code == 400
        assert r.get_json()["error"]["code"] == "bad_host"


@pytest.mark.parametrize("host", ["localhost", "localhost:8050", "127.0.0.1:80", "[::1]:8050"])
def test_the_local_host_names_are_served(replay_service, host):
    assert _server(replay_service).get("/page", headers={"Host": host}).status_code == 200


def test_ntree_allowed_hosts_adds_host_names(replay_service, monkeypatch):
    monkeypatch.setenv("NTREE_ALLOWED_HOSTS", "replay.team.lan, Other.Lan")
    client = _server(replay_service)
    for host in ("replay.team.lan:8050", "other.lan", "localhost"):
        assert client.get("/page", headers={"Host": host}).status_code == 200
    assert client.get("/page", headers={"Host": "evil.example"}).status_code == 400


def test_every_response_carries_the_security_headers(replay_service):
    client = _server(replay_service)
    for r in (
        client.get("/page"),
        client.get("/replay/sessions"),
        client.post("/replay/step", data="{", content_type="application/json"),
        client.get("/page", headers={"Host": "evil.example"}),
    ):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"
