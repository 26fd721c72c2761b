"""The OpenAPI 3.1 description of the /replay REST API (served at ``GET /replay/openapi.json``).

Derived from the definitions, never restated: each command route's request body from its
command dataclass (:mod:`ntree.engine.commands`), the routes from :mod:`ntree.rest`, the
event payloads from :mod:`ntree.engine.log_schema`, the error codes a value can draw from
the service's engine-code table. Only the answer shapes the views build (state, candles,
sessions) are written here. ``tests/test_openapi.py`` checks the paths against the Flask
url_map and the response schemas against real answers.
"""

from __future__ import annotations

import copy
from dataclasses import fields

from ntree.engine import FILL_MODEL_DEFAULTS, FILL_MODEL_KNOBS, MAX_SPEED, SessionConfig
from ntree.engine.commands import COMMANDS, MAX_NOTE, MAX_ORDERS, MAX_STEPS, BracketSpec
from ntree.engine.config import DEFAULT_LEVERAGE, MAX_LEVERAGE
from ntree.engine.events import EventType
from ntree.engine.log_schema import EVENT_PAYLOADS, Summary
from ntree.engine.orders import ORDER_TYPES, SIDES
from ntree.engine.ticks import DISP_TFS
from ntree.journal import MAX_ITEMS, MAX_SHORT, MAX_TEXT
from ntree.rest import COMMAND_ROUTES, status_of
from ntree.service.contract import RESULT_KEYS
from ntree.service.errors import ENGINE_FIELD
from ntree.service.requests import MAX_CANDLES
from ntree.service.shapes import hints, json_schema, object_schema

_JSON = "application/json"
_ROLES = ["entry", "tp", "sl", "flatten"]
_PHASES = ["opening", "morning", "midday", "afternoon", "closing", "closed"]
_OVERLAYS = ("ema9", "ema21", "vwap", "ch_upper", "ch_mid", "ch_lower")
_INDICATORS = (*_OVERLAYS, "atr14", "ch_slope", "ch_width_atr")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, required: list[str] | tuple[str, ...] | None = None, **extra) -> dict:
    """Return an object schema; every property is required unless ``required`` says which."""
    out = {"type": "object", "properties": properties, **extra}
    out["required"] = list(properties if required is None else required)
    return out


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


_STR = {"type": "string"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_BOOL = {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time", "description": "UTC, e.g. 2024-08-06T13:30:00Z"}
_SESSION_ID = {"type": "string", "minLength": 1}
_DISP_TF = {"type": "string", "enum": list(DISP_TFS)}
_TIME_IN = {
    "type": "string",
    "description": "ISO 8601. A bare date (2024-08-06) is that day's session open for t_start "
    "and close for t_end; a time without an offset is New York time.",
}


# --- shapes from the definitions --------------------------------------------------------------

_SCHEMAS: dict[str, dict] = {}  # json_schema() files each TypedDict here by its name
json_schema(BracketSpec, _SCHEMAS)
json_schema(Summary, _SCHEMAS)


def _event_schema(etype: EventType) -> dict:
    payload = json_schema(EVENT_PAYLOADS[etype], _SCHEMAS)
    return _obj(
        {
            "id": {**_INT, "description": "the session's sequence number, from 1"},
            "ts_exec": _nullable("string", format="date-time"),
            "ts_market": _nullable("string", format="date-time"),
            "type": {"type": "string", "enum": [str(etype)]},
            "payload": payload,
        }
    )


def _fill_model() -> dict:
    """The fill-model knobs as SessionConfig types them, with their defaults."""
    types = hints(SessionConfig)
    props = {
        f.name: {**json_schema(types[f.name], _SCHEMAS), "default": FILL_MODEL_DEFAULTS[f.name]}
        for f in fields(SessionConfig)
        if f.name in FILL_MODEL_KNOBS
    }
    return _obj(
        props,
        required=[],
        additionalProperties=False,
        description="the paper broker's fill model, recorded in SESSION_START (the engine "
        "checks each knob's range: bad_param)",
    )


_SCHEMAS |= {
    "Error": _obj(
        {
            "error": _obj(
                {
                    "code": {**_STR, "description": "machine code, e.g. off_tick"},
                    "message": {**_STR, "description": "for humans"},
                    "field": _nullable("string", description="the offending request field"),
                }
            )
        }
    ),
    "Bracket": {
        "allOf": [_ref("BracketSpec")],
        "anyOf": [{"required": ["tp"]}, {"required": ["sl"]}],
        "description": "take-profit and/or stop-loss, an OCO pair of exits once the order fills",
    },
    "Event": {
        "oneOf": [_event_schema(t) for t in EventType],
        "description": "one logged event; its payload's keys depend on its type",
    },
    "FillModel": _fill_model(),
    "Cursor": _obj(
        {
            "ts_exec": {**_TIME, "description": "the next 1m bar to execute"},
            "ts_market": {**_TIME, "description": "open of the display bar the cursor is in"},
            "disp_index": _INT,
            "exec_index": {**_INT, "description": "1m bars executed since t_start"},
        }
    ),
    "Position": _obj(
        {
            "qty": {**_INT, "description": "signed: > 0 long, < 0 short"},
            "avg_price": _nullable("number", description="null when flat"),
            "unrealized_pnl": _NUM,
            "realized_pnl": _NUM,
        }
    ),
    "BuyingPower": _obj(
        {
            "leverage": _NUM,
            "buying_power": {**_NUM, "description": "equity x leverage"},
            "used": {**_NUM, "description": "the position's value at the last price"},
            "available": _NUM,
        },
        description="null when the session sets no leverage (no limit)",
    ),
    "LadderOrder": _obj(
        {
            "side": {"type": "string", "enum": list(SIDES)},
            "type": {"type": "string", "enum": ["LIMIT"]},
            "qty": _INT,
            "price": _NUM,
        }
    ),
    "Order": _obj(
        {
            "order_id": _INT,
            "side": {"type": "string", "enum": list(SIDES)},
            "type": {"type": "string", "enum": list(ORDER_TYPES)},
            "qty": _INT,
            "price": _nullable("number", description="null for MARKET"),
            "status": {"type": "string", "enum": ["WORKING", "FILLED", "CANCELED"]},
            "tag": _nullable("string"),
            "oco_group": _nullable("string"),
            "role": {"type": "string", "enum": _ROLES},
            "parent_id": _nullable("integer", description="the entry a bracket exit belongs to"),
            "bracket": {"oneOf": [_ref("Bracket"), {"type": "null"}]},
            "mods_count": _INT,
        }
    ),
    "Fill": _obj(
        {
            "order_id": _nullable("integer", description="null for the session-end flatten"),
            "side": {"type": "string", "enum": list(SIDES)},
            "qty": _INT,
            "price": _NUM,
            "ts_exec": _TIME,
            "role": {"type": "string", "enum": [*_ROLES, "session_end"]},
        }
    ),
    "Candle": _obj(
        {
            "ts": {**_TIME, "description": "the display bar's open"},
            "open": _NUM,
            "high": _NUM,
            "low": _NUM,
            "close": _NUM,
            "volume": _INT,
            **{k: _nullable("number") for k in _INDICATORS},
            "forming": {
                **_BOOL,
                "description": "present (true) on the bar still forming; its indicators are null",
            },
        },
        required=["ts", "open", "high", "low", "close", "volume", *_INDICATORS],
    ),
    "Overlays": _obj(
        {k: _nullable("number") for k in _OVERLAYS},
        required=[],
        description="the last bar's overlay values; {} when no bar is visible yet",
    ),
    "State": _obj(
        {
            "session_id": _STR,
            "symbol": _STR,
            "disp_tf": _DISP_TF,
            "exec_tf": {"type": "string", "enum": ["1m"], "description": "orders fill on 1m bars"},
            "t_start": _TIME,
            "t_end": {**_TIME, "description": "UTC; trading stops before it"},
            "status": {"type": "string", "enum": ["active", "ended"]},
            "paused": _BOOL,
            "speed": _NUM,
            "edit_on_disp_boundary": _BOOL,
            "fill_model": _ref("FillModel"),
            "at_boundary": _BOOL,
            "cursor": _ref("Cursor"),
            "position": _ref("Position"),
            "buying_power": {"oneOf": [_ref("BuyingPower"), {"type": "null"}]},
            "orders": {**_array(_ref("Order")), "description": "the working orders"},
            "equity": _NUM,
            "max_drawdown": _NUM,
            "last_price": _NUM,
            "last_event_id": _INT,
            "market_phase": {"type": "string", "enum": _PHASES},
            "time_remaining_min": _INT,
            "exchange_tz": {**_STR, "description": "the exchange's time zone (America/New_York)"},
            "parent_session_id": _nullable("string", description="set on a rewind's fork"),
            "summary": _ref("Summary"),
            "events": {**_array(_ref("Event")), "description": "those this request produced"},
            "bars": {
                **_array(_ref("Candle")),
                "description": "the display bar(s) this request completed or changed",
            },
            "overlays": _ref("Overlays"),
            "fills": {**_array(_ref("Fill")), "description": "every fill of the session"},
            "blind": {
                "type": "boolean",
                "enum": [True],
                "description": "present for a blind session only; every value here stays real "
                "(the cockpit masks them; bots see the market as it was)",
            },
            "blind_rebase": _obj(
                {"price_anchor": _NUM, "volume_anchor": _NUM, "tick": _NUM, "initial_cash": _NUM},
                description="a blind session's rebase (with blind): shown price = real x 100 / "
                "price_anchor, shown volume = real x 1000 / volume_anchor",
            ),
        },
        required=[],  # all but the blind ones: set below
    ),
    "PlaceResult": {"allOf": [_ref("State"), _obj({"order_id": _INT})]},
    "ReplaceOrdersResult": {
        "allOf": [_ref("State"), _obj({"order_ids": {**_array(_INT), "description": "in order"}})]
    },
    "CancelAllResult": {
        "allOf": [_ref("State"), _obj({"canceled": {**_INT, "description": "how many"}})]
    },
    "LadderPreviewResult": _obj(
        {
            "session_id": _STR,
            "last_price": _NUM,
            "orders": {**_array(_ref("LadderOrder")), "description": "buys, then sells"},
        }
    ),
    "StartResult": _obj({"session_id": _STR, "initial_state": _ref("State")}),
    "RewindResult": _obj(
        {
            "session_id": {**_STR, "description": "the fork (a new session)"},
            "parent_session_id": _STR,
            "disp_bars": {
                **_INT,
                "description": "how many display bars back the fork stands (fewer than asked "
                "when the session's start came first)",
            },
            "initial_state": _ref("State"),
        }
    ),
    "EventsResult": _obj({"session_id": _STR, "events": _array(_ref("Event"))}),
    "Trade": _obj(
        {
            "session_id": _STR,
            "trade_id": _INT,
            "side": {"type": "string", "enum": ["LONG", "SHORT"]},
            "entry_ts": _TIME,
            "entry_px": _NUM,
            "exit_ts": {**_nullable("string"), "description": "null while the trade is open"},
            "exit_px": _nullable("number"),
            "qty": _INT,
            "pnl": _NUM,
            "r_multiple": _nullable("number"),
            "mae": _nullable("number"),
            "mfe": _nullable("number"),
            "reason_code": _nullable("string"),
            "mods_count": _INT,
            "status": {"type": "string", "enum": ["open", "closed"]},
        }
    ),
    "TradesResult": _obj({"session_id": _STR, "trades": _array(_ref("Trade"))}),
    "CandlesResult": _obj(
        {"session_id": _STR, "disp_tf": _DISP_TF, "candles": _array(_ref("Candle"))}
    ),
    "SessionRow": _obj(
        {
            "session_id": _STR,
            "symbol": _STR,
            "exec_tf": _STR,
            "disp_tf": _DISP_TF,
            "t_start": _STR,
            "t_end": _STR,
            "created_at": _STR,
            "params": {"type": "object", "description": "seed, fill model, ... as started"},
            "data_fingerprint": _STR,
            "parent_session_id": _nullable("string"),
            "status": {
                "type": "string",
                "enum": ["active", "ended", "forked"],
                "description": "forked: left for a rewind's fork (active again if played on)",
            },
            "result_pnl": _nullable("number"),
            "max_dd": _nullable("number"),
            "num_trades": _nullable("integer"),
            "win_rate": _nullable("number"),
            "avg_r": _nullable("number"),
            "notes": _nullable("string"),
        }
    ),
    "SessionsResult": _obj(
        {"sessions": {**_array(_ref("SessionRow")), "description": "newest first"}}
    ),
    "CoachBucket": _obj(
        {
            "n": {**_INT, "description": "closed trades in the bucket"},
            "n_r": {**_INT, "description": "of them, trades with an R (a stop at entry)"},
            "win_rate": _nullable("number"),
            "expectancy_r": _nullable("number", description="mean R"),
            "expectancy": _nullable("number", description="mean PnL ($)"),
            "avg_r": _nullable("number"),
            "profit_factor": _nullable("number", description="null without a loss"),
        }
    ),
    "ComparePlayer": _obj(
        {
            "pnl": _nullable("number", description="closed-trade PnL (several sessions: mean)"),
            "max_dd": _nullable(
                "number", description="max drawdown of closed-trade PnL (several: mean)"
            ),
            "win_rate": _nullable("number"),
            "avg_mae_r": _nullable("number"),
            "avg_mfe_r": _nullable("number"),
            "avg_mae": _nullable("number", description="mean MAE x qty ($), every trade"),
            "avg_mfe": _nullable("number", description="mean MFE x qty ($), every trade"),
            "entry_band_distance_atr": _nullable("number", description="mean, in ATR(14)"),
            "n_trades": _INT,
            "n_sessions": _INT,
        }
    ),
    "CoachCompare": _obj(
        {
            "players": _array(_STR),
            "rule": _STR,
            "windows": _array(
                _obj(
                    {
                        "symbol": _STR,
                        "start": _TIME,
                        "end": _TIME,
                        "disp_tf": _DISP_TF,
                        "players": {
                            "type": "object",
                            "additionalProperties": _ref("ComparePlayer"),
                        },
                    }
                )
            ),
            "total": _obj(
                {
                    "n_windows": _INT,
                    "players": {"type": "object", "additionalProperties": _ref("ComparePlayer")},
                }
            ),
        }
    ),
    "CoachTrade": _obj(
        {
            "session_id": _STR,
            "trade_id": _INT,
            "side": {"type": "string", "enum": ["LONG", "SHORT"]},
            "entry_ts": _TIME,
            "exit_ts": _TIME,
            "entry_px": _NUM,
            "exit_px": _NUM,
            "qty": _INT,
            "pnl": _NUM,
            "r_multiple": _nullable("number"),
            "mae": {**_NUM, "description": "price points against, from the 1m bars while open"},
            "mfe": {**_NUM, "description": "price points in favour, from the 1m bars while open"},
            "entry_band_distance_atr": _nullable("number"),
            "regime": _nullable("string", enum=["trend", "range", None]),
            "setup": _STR,
        }
    ),
    "CoachResult": _obj(
        {
            "n_sessions": _INT,
            "n_trades": _INT,
            "win_rate": _nullable("number"),
            "expectancy_r": _nullable("number"),
            "avg_r": _nullable("number"),
            "profit_factor": _nullable("number"),
            "avg_mae_r": _nullable("number"),
            "avg_mfe_r": _nullable("number"),
            "mfe_captured": _nullable("number", description="sum PnL / sum MFE x qty"),
            "stood_down_rate": _nullable("number"),
            **{
                f"by_{k}": {"type": "object", "additionalProperties": _ref("CoachBucket")}
                for k in ("regime", "setup", "hour", "weekday")
            },
            "streaks": _obj({"wins": _INT, "losses": _INT}),
            "equity": _obj({"points": _array({"type": "object"}), "max_drawdown": _NUM}),
            "r_histogram": _array(_obj({"lo": _NUM, "hi": _NUM, "n": _INT})),
            "rules": {"type": "object", "description": "each rule the Coach applies, in words"},
            "trades": _array(_ref("CoachTrade")),
            "filters": {"type": "object", "description": "the filters applied, as understood"},
            "notes": {**_array(_STR), "description": "remarks on the selection"},
            "compare": {
                **_ref("CoachCompare"),
                "description": "with compare (or player twice): the players side by side on "
                "the windows (symbol, start, end, display frame) every one of them played",
            },
            "sensitivity": {
                "type": "object",
                "description": "with sensitivity=1: {n_sessions, capped, limit, note, "
                "by_session: {id: {scenario: {pnl, num_trades, lock_bars, pnl_vs_perfect}}}, "
                "total} over at most 20 sessions",
            },
        },
        required=[
            "n_sessions",
            "n_trades",
            "win_rate",
            "expectancy_r",
            "avg_r",
            "profit_factor",
            "avg_mae_r",
            "avg_mfe_r",
            "mfe_captured",
            "stood_down_rate",
            "by_regime",
            "by_setup",
            "by_hour",
            "by_weekday",
            "streaks",
            "equity",
            "r_histogram",
            "rules",
            "trades",
            "filters",
            "notes",
        ],
    ),
}
_SCHEMAS["State"]["required"] = [
    k for k in _SCHEMAS["State"]["properties"] if not k.startswith("blind")
]


# --- request bodies ---------------------------------------------------------------------------

_SESSION_BODY = _obj({"session_id": _SESSION_ID})
_LIMITS = {  # what one request may carry (more is refused before the engine sees it)
    "disp_steps": {"maximum": MAX_STEPS},
    "exec_steps": {"maximum": MAX_STEPS},
    "orders": {"maxItems": MAX_ORDERS},
    "text": {"maxLength": MAX_NOTE},
}


def _request_name(op: str) -> str:
    return COMMANDS[op].__name__ + "Request"


def _command_body(op: str) -> dict:
    """Return a command's request body: session_id plus the command's fields."""
    schema = object_schema(COMMANDS[op], _SCHEMAS)
    props = {"session_id": _SESSION_ID, **schema["properties"]}
    for name, extra in _LIMITS.items():
        if name in props:
            props[name] = {**props[name], **extra}
    return {**schema, "properties": props, "required": ["session_id", *schema["required"]]}


_SCHEMAS |= {_request_name(op): _command_body(op) for op in COMMANDS if hints(COMMANDS[op])}
_SCHEMAS |= {
    "SessionRequest": _SESSION_BODY,
    "StartRequest": _obj(
        {
            "symbol": _STR,
            "t_start": _TIME_IN,
            "t_end": _TIME_IN,
            "disp_tf": _DISP_TF,
            "speed": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SPEED, "default": 1},
            "seed": {"type": "integer", "minimum": 0, "default": 0},
            "constraints": _obj({"edit_on_disp_boundary": {**_BOOL, "default": True}}, required=[]),
            "leverage": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": MAX_LEVERAGE,
                "default": DEFAULT_LEVERAGE,
                "description": "buying power = equity x leverage; an order past it is refused "
                "(insufficient_buying_power)",
            },
            "fill_model": _ref("FillModel"),
            "blind": {
                **_BOOL,
                "default": False,
                "description": "blind replay: the cockpit hides the symbol and dates and rebases "
                "prices; the log, the engine and the API keep the real values",
            },
        },
        required=["symbol", "t_start", "t_end", "disp_tf"],
    ),
    "RewindRequest": _obj(
        {"session_id": _SESSION_ID, "disp_bars": {"type": "integer", "minimum": 1}}
    ),
}
_RESULTS = {  # a command's result, by its key in the answer (RESULT_KEYS)
    "order_id": _INT,
    "oco_group": {**_STR, "description": "the OCO group the orders now share"},
    "order_ids": {**_array(_INT), "description": "in the order given"},
    "canceled": {**_INT, "description": "how many"},
}
_SCHEMAS |= {
    COMMANDS[op].__name__ + "Result": {"allOf": [_ref("State"), _obj({key: _RESULTS[key]})]}
    for op, key in RESULT_KEYS.items()
}

_BAD_BODY = "bad_json, missing_field, bad_type"
_NO_SESSION = "unknown_session"
_GONE = "data_changed (its bars were deleted or changed since: it cannot re-run)"


def _error(codes: str) -> dict:
    return {"description": codes, "content": {_JSON: {"schema": _ref("Error")}}}


def _errors(**by_status: str) -> dict:
    """Return error responses from keyword arguments like ``e409="session_ended"``."""
    return {name[1:]: _error(codes) for name, codes in by_status.items()}


def _ok(schema: str, description: str = "OK") -> dict:
    return {"200": {"description": description, "content": {_JSON: {"schema": _ref(schema)}}}}


def _post(summary: str, request: str, result: str, **errors: str) -> dict:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": {_JSON: {"schema": _ref(request)}}},
            "responses": {**_ok(result), **_errors(**errors)},
        }
    }


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


_SID_QUERY = _query("session_id", _SESSION_ID, "the session", required=True)


def _get(summary: str, result: str, params: list[dict], **errors: str) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {**_ok(result), **_errors(**errors)},
        }
    }


def _engine_codes(op: str) -> dict[int, list[str]]:
    """Return the engine codes a command's fields can draw, by HTTP status."""
    names = set(hints(COMMANDS[op]))
    out: dict[int, list[str]] = {}
    for code, field in ENGINE_FIELD.items():
        if field in names:
            out.setdefault(status_of(code), []).append(code)
    return out


#: Codes not tied to one field: a request limit, or the engine's judgment of the whole command.
_MORE_422 = {
    "step": ["bad_step"],
    "note": ["too_long"],
    "set_bracket": ["off_tick", "bad_price", "bad_bracket", "no_position", "stop_through_market"],
    "place": ["insufficient_buying_power"],
    "replace_orders": ["bad_orders", "insufficient_buying_power"],
    "modify": ["bad_modify", "insufficient_buying_power"],
    "link_oco": ["bad_oco"],
    "place_ladder": ["bad_ladder", "no_band", "insufficient_buying_power"],
}


def _command_path(op: str) -> dict:
    """Return a command route: 400/404/409/422, with the engine codes its fields can draw."""
    cls = COMMANDS[op]
    by_status = _engine_codes(op)
    codes = {
        400: ["bad_json", "missing_field", "bad_type", "unknown_field"],
        404: ["unknown_session", *(["unknown_order"] if "order_id" in hints(cls) else [])],
        409: ["session_ended", "not_at_boundary"],
        422: [],
    }
    for status, found in by_status.items():
        codes.setdefault(status, [])
        codes[status] += [c for c in found if c not in codes[status]]
    codes[422] += _MORE_422.get(op, [])
    errors = {f"e{s}": ", ".join(dict.fromkeys(c)) for s, c in codes.items() if c}
    errors["e422"] = errors.get("e422", "a value the engine refuses") + " (or another engine code)"
    body = "SessionRequest" if not hints(cls) else _request_name(op)
    result = cls.__name__ + "Result" if op in RESULT_KEYS else "State"
    summary = " ".join((cls.__doc__ or op).strip().split("\n\n")[0].split())
    return _post(summary, body, result, **dict(sorted(errors.items())))


_PATHS: dict[str, dict] = {
    "/replay/start": _post(
        "Open a replay session",
        "StartRequest",
        "StartResult",
        e400=f"{_BAD_BODY}, bad_time",
        e422="unknown_symbol, no_session (no trading on that date), bad_range, outside_data, "
        "bad_tf, bad_speed, unknown_field / bad_param (fill_model.*: an unknown knob, or one "
        "out of its range; also seed < 0)",
    ),
    **{f"/replay/{route}": _command_path(op) for route, op in COMMAND_ROUTES.items()},
    "/replay/rewind": _post(
        "Fork the session disp_bars display bars back (an ended session too)",
        "RewindRequest",
        "RewindResult",
        e400=_BAD_BODY,
        e404=_NO_SESSION,
        e422=f"bad_rewind (disp_bars < 1), {_GONE}",
    ),
    "/replay/ladder/preview": _post(
        "The orders place_ladder would lay now, with the same request (none placed or logged)",
        "PlaceLadderRequest",
        "LadderPreviewResult",
        e400=_BAD_BODY,
        e404=_NO_SESSION,
        e422="bad_ladder, bad_qty, bad_side, no_band (the channel not formed yet)",
    ),
    "/replay/state": _get(
        "The session's state",
        "State",
        [_SID_QUERY],
        e400="missing_field, bad_type (session_id)",
        e404=_NO_SESSION,
        e422=_GONE,
    ),
    "/replay/events": _get(
        "The session's event log",
        "EventsResult",
        [
            _SID_QUERY,
            _query("since", {"type": "integer", "minimum": 0}, "only events with id > since"),
        ],
        e400="missing_field, bad_type (session_id, since)",
        e404=_NO_SESSION,
        e422="out_of_range (since < 0)",
    ),
    "/replay/candles": _get(
        "The last n display candles (completed + the forming one)",
        "CandlesResult",
        [
            _SID_QUERY,
            _query(
                "n",
                {"type": "integer", "minimum": 1, "maximum": MAX_CANDLES, "default": 300},
                "how many candles",
            ),
        ],
        e400="missing_field, bad_type (session_id, n)",
        e404=_NO_SESSION,
        e422=f"out_of_range (n outside 1..{MAX_CANDLES}), {_GONE}",
    ),
    "/replay/trades": _get(
        "The session's trades: the closed ones and the open one (status open, no exit)",
        "TradesResult",
        [_SID_QUERY],
        e400="missing_field, bad_type (session_id)",
        e404=_NO_SESSION,
    ),
    "/replay/sessions": _get("The sessions played", "SessionsResult", []),
    "/replay/coach": _get(
        "The Coach: habits over the closed trades of the sessions selected",
        "CoachResult",
        [
            {
                **_query("session_id", _array(_SESSION_ID), "only these sessions (repeatable)"),
                "style": "form",
                "explode": True,
            },
            _query("symbol", _STR, "only this symbol's sessions"),
            {
                **_query(
                    "player",
                    _array(_STR),
                    "human, or a bot's name (repeatable or comma separated; two or more: "
                    "compared as with compare)",
                ),
                "style": "form",
                "explode": True,
            },
            _query(
                "compare",
                _STR,
                "players to compare, comma separated (e.g. human,band-fade): adds compare",
            ),
            _query("setup", _STR, "only the trades of this setup (journal setup)"),
            _query(
                "tag",
                _STR,
                "only sessions tagged so (History or session note: all their trades) and "
                "trades whose note has the tag; case-insensitive",
            ),
            _query("from", _TIME_IN, "sessions starting on or after (a date: that NY day)"),
            _query("to", _TIME_IN, "sessions starting before the end of (a date: that NY day)"),
            _query("disp_tf", _DISP_TF, "only sessions shown at this display timeframe"),
            _query("sensitivity", {"type": "string", "enum": ["0", "1"]}, "1: fill sensitivity"),
        ],
        e400="bad_time (from, to), bad_type",
        e404=f"{_NO_SESSION} (session_id)",
        e422="bad_tf (disp_tf), bad_compare (compare: fewer than two players)",
    ),
    "/replay/openapi.json": {
        "get": {
            "summary": "This description",
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {_JSON: {"schema": {"type": "object"}}},
                }
            },
        }
    },
}

# --- the film room: the journal ---------------------------------------------------------------

_NAMES = {**_array({**_STR, "minLength": 1, "maxLength": MAX_SHORT}), "maxItems": MAX_ITEMS}
_JOURNAL_FIELDS = {
    "trade_id": _nullable("integer", description="the trade; null: a note on the session"),
    "setup": _nullable("string", maxLength=MAX_SHORT, description="from the setup list"),
    "text": _nullable("string", maxLength=MAX_TEXT),
    "tags": _NAMES,
    "mistakes": {**_NAMES, "description": "from the mistake list"},
    "rating": _nullable("integer", minimum=1, maximum=5, description="confidence 1-5"),
}
_JOURNAL_ENTRY = _obj(
    {
        "id": _INT,
        "session_id": _STR,
        "version": {**_INT, "description": "1, then + 1 per edit (older versions are kept)"},
        **_JOURNAL_FIELDS,
        "created_at": _TIME,
    },
    required=["session_id", "trade_id", "version", "tags", "mistakes", "created_at"],
)
_SCHEMAS |= {
    "JournalEntry": _JOURNAL_ENTRY,
    "JournalEntryVersions": {
        "allOf": [
            _ref("JournalEntry"),
            _obj({"history": _array(_ref("JournalEntry"))}, required=[]),
        ],
        "description": "the latest version; with ?history=1, its older ones, newest first",
    },
    "JournalResult": _obj(
        {
            "session_id": _STR,
            "entries": {
                **_array(_ref("JournalEntryVersions")),
                "description": "the session's own note first, then one per trade",
            },
            "setups": _array(_STR),
            "mistakes": _array(_STR),
        }
    ),
    "JournalRequest": _obj(
        {"session_id": _SESSION_ID, **{k: {**v} for k, v in _JOURNAL_FIELDS.items()}},
        required=["session_id"],
        additionalProperties=False,
        description="at least one of setup, text, tags, mistakes, rating",
    ),
}
_PATHS["/replay/journal"] = {
    **_get(
        "The session's journal: the latest note on it and on each of its trades",
        "JournalResult",
        [
            _SID_QUERY,
            _query("history", {"type": "string", "enum": ["0", "1"]}, "also the old versions"),
        ],
        e400="missing_field, bad_type (session_id)",
        e404=_NO_SESSION,
    ),
    **_post(
        "Write a journal note (an edit of an existing one is its next version)",
        "JournalRequest",
        "JournalEntry",
        e400=_BAD_BODY,
        e404="unknown_session, unknown_trade",
        e422="unknown_field, bad_rating, bad_tags, bad_mistakes, bad_text, bad_setup, empty_entry",
    ),
}


# --- the bar store: coverage per symbol, deleting a symbol's bars ----------------------------

_SYMBOL_IN = {
    "type": "string",
    "minLength": 1,
    "maxLength": 16,
    "description": "letters, digits or . - _ ^ / (any case: stored upper-case)",
}
_SCHEMAS |= {
    "SymbolCoverage": _obj(
        {
            "symbol": _STR,
            "exchange": {**_STR, "description": "exchange_calendars code, e.g. XNYS"},
            "tick": _nullable("number"),
            "source": _nullable("string", description="alpaca, file, sample; null: unrecorded"),
            "feed": _nullable("string", description="the Alpaca feed used: sip, iex, ..."),
            "adjustment": _nullable("string"),
            "first": _nullable("string", format="date-time", description="first bar's open"),
            "last": _nullable("string", format="date-time", description="last bar's open"),
            "bars": _INT,
            "trading_days": {
                **_INT,
                "description": "sessions from the first bar's day to the last's",
            },
            "days_with_data": _INT,
            "minutes_missing": {**_INT, "description": "regular-session minutes with no bar"},
            "days_without_data": {
                **_array(_STR),
                "description": "open days with no bar, YYYY-MM-DD",
            },
            "sessions": {**_INT, "description": "sessions played on this symbol's bars"},
            "days": {
                **_array(
                    _obj({"date": _STR, "expected": _INT, "present": _INT}),
                ),
                "description": "with ?days=1: each session day's regular-session minutes",
            },
        },
        required=[
            "symbol",
            "exchange",
            "first",
            "last",
            "bars",
            "trading_days",
            "days_with_data",
            "minutes_missing",
            "days_without_data",
            "sessions",
        ],
    ),
    "DataCoverageResult": _obj({"symbols": _array(_ref("SymbolCoverage"))}),
    "DataDeleteRequest": _obj({"symbol": _SYMBOL_IN}, additionalProperties=False),
    "DataDeleteResult": _obj(
        {
            "symbol": _STR,
            "bars_deleted": _INT,
            "sessions": {
                **_INT,
                "description": "sessions played on these bars: they can no longer re-run",
            },
        }
    ),
}
_PATHS["/replay/data/coverage"] = _get(
    "Per symbol: first and last bar, trading days, regular-session minutes missing, open days "
    "with no data (against its exchange calendar)",
    "DataCoverageResult",
    [
        _query("symbol", _SYMBOL_IN, "only this symbol (default: every stored symbol)"),
        _query("days", {"type": "string", "enum": ["0", "1"]}, "1: also each day's minutes"),
    ],
    e400="unknown_field, missing_field, bad_type",
    e422="bad_symbol, unknown_symbol (no bars stored for it)",
)
_PATHS["/replay/data/delete"] = _post(
    "Delete every bar of a symbol (sessions played on them can no longer re-run)",
    "DataDeleteRequest",
    "DataDeleteResult",
    e400=f"{_BAD_BODY}, unknown_field",
    e422="bad_symbol, unknown_symbol (no bars stored for it)",
)


_DESCRIPTION = """\
JSON in, JSON out; the cockpit calls the same service. Every rejected request answers
`{"error": {code, message, field}}` (schema Error) and leaves the session's state unchanged;
an order command the engine itself refuses keeps an ORDER_REJECTED record in the event log.
An unknown path answers 404 (`unknown_route`), a wrong method 405 (`method_not_allowed`), a
body that is not `application/json` 415 (`bad_content_type`), a Host not allowed 400
(`bad_host`), a field the route does not take 400 (`unknown_field`, naming it), a body over
1 MB 413 (`body_too_large`), a storage fault 503 (`read_only`, `storage_full`,
`database_corrupt`, `storage_error`, `storage_busy`, `database_unavailable`), an unexpected
failure 500 (`server_error`), all in the same envelope."""


def openapi_spec() -> dict:
    """Return the OpenAPI 3.1 description of every /replay route (a fresh copy)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {"title": "ntree replay API", "version": "1", "description": _DESCRIPTION},
            "paths": _PATHS,
            "components": {"schemas": _SCHEMAS},
        }
    )
