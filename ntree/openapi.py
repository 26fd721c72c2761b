"""The OpenAPI 3.1 description of the /replay REST API (served at ``GET /replay/openapi.json``).

Built from the constants :mod:`ntree.api` validates with, so enums and limits cannot drift;
``tests/test_openapi.py`` checks the paths against the Flask url_map and the response
schemas against real answers.
"""

from __future__ import annotations

import copy

from ntree.engine.events import EventType
from ntree.engine.orders import ORDER_TYPES as ENGINE_ORDER_TYPES
from ntree.engine.ticks import DISP_TFS, TICK
from ntree.service.core import (
    MAX_CANDLES,
    MAX_NOTE,
    MAX_ORDERS,
    MAX_SPEED,
    MAX_STEPS,
    ORDER_TYPES,
    SIDES,
)

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
_PRICE = {
    "type": "number",
    "exclusiveMinimum": 0,
    "description": f"on the {TICK} tick (422 off_tick otherwise)",
}
_TIME_IN = {
    "type": "string",
    "description": "ISO 8601. A bare date (2024-08-06) is that day's session open for t_start "
    "and close for t_end; a time without an offset is New York time.",
}

# --- response shapes --------------------------------------------------------------------------

_SCHEMAS: dict[str, dict] = {
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
    "Bracket": {
        **_obj({"tp": _PRICE, "sl": _PRICE}, required=[]),
        "anyOf": [{"required": ["tp"]}, {"required": ["sl"]}],
        "description": "take-profit and/or stop-loss, an OCO pair of exits once the order fills",
    },
    "Order": _obj(
        {
            "order_id": _INT,
            "side": {"type": "string", "enum": list(SIDES)},
            "type": {"type": "string", "enum": list(ENGINE_ORDER_TYPES)},
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
    "Event": _obj(
        {
            "id": {**_INT, "description": "the session's sequence number, from 1"},
            "ts_exec": _nullable("string", format="date-time"),
            "ts_market": _nullable("string", format="date-time"),
            "type": {"type": "string", "enum": [t.value for t in EventType]},
            "payload": {
                "type": "object",
                "description": "type-specific; an event a command produced carries it as cmd",
            },
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
    "Summary": _obj(
        {
            "pnl": _NUM,
            "max_dd": _NUM,
            "num_trades": _INT,
            "win_rate": _nullable("number", description="null before the first trade"),
            "avg_r": _nullable("number", description="null when no trade had a stop"),
        }
    ),
    "FillModel": _obj(
        {
            "limit_fill_ticks_worse": {
                **_INT,
                "minimum": 0,
                "default": 0,
                "description": "a limit fills only once a bar trades n ticks through it (at "
                "its price); 0 fills on a touch",
            },
            "market_slippage_ticks": {
                **_INT,
                "minimum": 0,
                "default": 0,
                "description": "market and stop fills n ticks worse",
            },
            "latency_bars": {
                **_INT,
                "minimum": 0,
                "default": 0,
                "description": "orders and changes are live n 1m bars later",
            },
            "direction_lock": {
                **_BOOL,
                "default": True,
                "description": "a 1m bar that reaches both sides fills only the side nearest "
                "its open",
            },
            "commission_per_share": {**_NUM, "minimum": 0, "default": 0},
        },
        required=[],
        additionalProperties=False,
        description="the paper broker's fill model, recorded in SESSION_START",
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
            "orders": {**_array(_ref("Order")), "description": "the working orders"},
            "equity": _NUM,
            "max_drawdown": _NUM,
            "last_price": _NUM,
            "last_event_id": _INT,
            "market_phase": {"type": "string", "enum": _PHASES},
            "time_remaining_min": _INT,
            "parent_session_id": _nullable("string", description="set on a rewind's fork"),
            "summary": _ref("Summary"),
            "events": {**_array(_ref("Event")), "description": "those this request produced"},
            "bars": {
                **_array(_ref("Candle")),
                "description": "the display bar(s) this request completed or changed",
            },
            "overlays": _ref("Overlays"),
            "fills": {**_array(_ref("Fill")), "description": "every fill of the session"},
        }
    ),
    "PlaceResult": {"allOf": [_ref("State"), _obj({"order_id": _INT})]},
    "ReplaceOrdersResult": {
        "allOf": [_ref("State"), _obj({"order_ids": {**_array(_INT), "description": "in order"}})]
    },
    "CancelAllResult": {
        "allOf": [_ref("State"), _obj({"canceled": {**_INT, "description": "how many"}})]
    },
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
            "status": {"type": "string", "enum": ["active", "ended"]},
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
}

# --- request bodies ---------------------------------------------------------------------------


def _body(properties: dict, required: list[str], **extra) -> dict:
    return _obj({"session_id": _SESSION_ID, **properties}, ["session_id", *required], **extra)


_STEPS = {"type": "integer", "minimum": 1, "maximum": MAX_STEPS}

_ORDER = {
    "side": {"type": "string", "enum": list(SIDES)},
    "type": {
        "type": "string",
        "enum": list(ORDER_TYPES),
        "description": "STOP_MARKET is another name for STOP (the order shows as STOP)",
    },
    "qty": {"type": "integer", "minimum": 1},
    "price": {**_PRICE, "description": f"LIMIT/STOP, on the {TICK} tick; MARKET takes none"},
    "tag": {"type": "string", "minLength": 1},
    "oco_group": {"type": "string", "minLength": 1},
    "bracket": _ref("Bracket"),
}
_PRICED = {  # every type but MARKET (LIMIT, STOP and its other name) needs a price
    "if": {"properties": {"type": {"enum": [t for t in ORDER_TYPES if t != "MARKET"]}}},
    "then": {"required": ["price"]},
}

_SCHEMAS |= {
    "StartRequest": _obj(
        {
            "symbol": _STR,
            "t_start": _TIME_IN,
            "t_end": _TIME_IN,
            "disp_tf": _DISP_TF,
            "speed": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
            "seed": {"type": "integer", "minimum": 0, "default": 0},
            "constraints": _obj({"edit_on_disp_boundary": {**_BOOL, "default": True}}, required=[]),
            "fill_model": _ref("FillModel"),
        },
        required=["symbol", "t_start", "t_end", "disp_tf"],
    ),
    "SessionRequest": _body({}, []),
    "StepRequest": _body(
        {"disp_steps": _STEPS, "exec_steps": _STEPS},
        [],
        oneOf=[{"required": ["disp_steps"]}, {"required": ["exec_steps"]}],
        description="exactly one of disp_steps (display bars) or exec_steps (1m bars)",
    ),
    "PlaceRequest": _body(_ORDER, ["side", "type", "qty"], **_PRICED),
    "OrderSpec": _obj(_ORDER, ["side", "type", "qty"], **_PRICED),
    "ReplaceOrdersRequest": _body(
        {
            "orders": {
                **_array(_ref("OrderSpec")),
                "maxItems": MAX_ORDERS,
                "description": "the new working orders (an empty list cancels all)",
            }
        },
        ["orders"],
    ),
    "CancelRequest": _body({"order_id": _INT}, ["order_id"]),
    "ModifyRequest": _body(
        {"order_id": _INT, "price": _PRICE, "qty": {"type": "integer", "minimum": 1}},
        ["order_id"],
        anyOf=[{"required": ["price"]}, {"required": ["qty"]}],
    ),
    "BracketRequest": _body(
        {"tp": _PRICE, "sl": _PRICE},
        [],
        anyOf=[{"required": ["tp"]}, {"required": ["sl"]}],
        description="put a bracket on the open position (replaces its previous exits)",
    ),
    "SetSpeedRequest": _body(
        {"speed": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SPEED}}, ["speed"]
    ),
    "SetDispTfRequest": _body({"disp_tf": _DISP_TF}, ["disp_tf"]),
    "NoteRequest": _body(
        {"text": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE}}, ["text"]
    ),
    "RewindRequest": _body({"disp_bars": {"type": "integer", "minimum": 1}}, ["disp_bars"]),
}

# --- operations -------------------------------------------------------------------------------

_BAD_BODY = "bad_json, missing_field, bad_type"
_NO_SESSION = "unknown_session"
_ENDED = "session_ended"
_EDIT = "session_ended, not_at_boundary (edit_on_disp_boundary is on and the cursor is mid-bar)"


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


def _command(summary: str, request: str = "SessionRequest", result: str = "State", **errors):
    """Return a session command: 400/404/409 like every command, plus its own ``errors``."""
    codes = {"e400": _BAD_BODY, "e404": _NO_SESSION, "e409": _ENDED, **errors}
    return _post(summary, request, result, **dict(sorted(codes.items())))


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


_PATHS: dict[str, dict] = {
    "/replay/start": _post(
        "Open a replay session",
        "StartRequest",
        "StartResult",
        e400=f"{_BAD_BODY}, bad_time",
        e422="unknown_symbol, no_session (no trading on that date), bad_range, outside_data, "
        "bad_value (disp_tf), out_of_range (speed <= 0, seed < 0), unknown_field / bad_param "
        "(fill_model.*: an unknown knob, or one out of its range)",
    ),
    "/replay/step": _command(
        "Advance the replay",
        "StepRequest",
        e400=f"{_BAD_BODY} (also: neither or both of disp_steps/exec_steps)",
        e422=f"out_of_range (steps outside 1..{MAX_STEPS})",
    ),
    "/replay/order/place": _command(
        "Place an order, live from the next 1m bar",
        "PlaceRequest",
        "PlaceResult",
        e409=_EDIT,
        e422="bad_value (side, type), out_of_range (qty), bad_price, off_tick, bad_bracket",
    ),
    "/replay/order/cancel": _command(
        "Cancel a working order",
        "CancelRequest",
        e404="unknown_session, unknown_order",
        e409=_EDIT,
    ),
    "/replay/order/modify": _command(
        "Change a working order's price and/or qty",
        "ModifyRequest",
        e400=f"{_BAD_BODY} (also: neither price nor qty)",
        e404="unknown_session, unknown_order",
        e409=_EDIT,
        e422="out_of_range (qty), bad_price (also: a price for a MARKET order), off_tick",
    ),
    "/replay/order/replace": _command(
        "Cancel every working order and place a list instead, all or nothing",
        "ReplaceOrdersRequest",
        "ReplaceOrdersResult",
        e409=_EDIT,
        e422="bad_value, out_of_range, bad_price, off_tick, bad_bracket (the field names the "
        f"order: orders[n].price); out_of_range (more than {MAX_ORDERS} orders)",
    ),
    "/replay/cancel_all": _command(
        "Cancel every working order", result="CancelAllResult", e409=_EDIT
    ),
    "/replay/flatten": _command(
        "Cancel every working order and close the position at the next 1m open", e409=_EDIT
    ),
    "/replay/bracket": _command(
        "Put a bracket on the open position",
        "BracketRequest",
        e400=f"{_BAD_BODY} (also: neither tp nor sl)",
        e409=_EDIT,
        e422="bad_price, off_tick, no_position, bad_bracket (tp/sl on the wrong side)",
    ),
    "/replay/set_speed": _command(
        "Set the pacing (never changes results)",
        "SetSpeedRequest",
        e422="out_of_range (speed <= 0), bad_speed (speed > 10000)",
    ),
    "/replay/set_disp_tf": _command(
        "Switch the display timeframe",
        "SetDispTfRequest",
        e409=f"{_ENDED}; not_at_boundary (the cursor is not at a boundary both timeframes share)",
        e422="bad_value",
    ),
    "/replay/pause": _command("Pause the replay"),
    "/replay/play": _command("Resume the replay"),
    "/replay/note": _command(
        "Write a note in the session's log",
        "NoteRequest",
        e400=f"{_BAD_BODY} (an empty text is bad_type)",
        e422=f"too_long (over {MAX_NOTE} characters)",
    ),
    "/replay/end": _command(
        "End the session: flatten at the last 1m close; state.summary is final"
    ),
    "/replay/rewind": _post(
        "Fork the session disp_bars display bars back (an ended session too)",
        "RewindRequest",
        "RewindResult",
        e400=_BAD_BODY,
        e404=_NO_SESSION,
        e422="out_of_range (disp_bars < 1)",
    ),
    "/replay/state": _get(
        "The session's state",
        "State",
        [_SID_QUERY],
        e400="missing_field, bad_type (session_id)",
        e404=_NO_SESSION,
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
        e422=f"out_of_range (n outside 1..{MAX_CANDLES})",
    ),
    "/replay/sessions": _get("The sessions played", "SessionsResult", []),
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

_DESCRIPTION = """\
JSON in, JSON out; the cockpit calls the same service. Every rejected request answers
`{"error": {code, message, field}}` (schema Error) and leaves the session's state unchanged;
an order command the engine itself refuses keeps an ORDER_REJECTED record in the event log.
An unknown path answers 404 (`unknown_route`), a wrong method 405 (`method_not_allowed`),
an unexpected failure 500 (`server_error`), all in the same envelope."""


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
