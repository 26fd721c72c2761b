"""Request fields that are not commands (start, candles, events, pages, journal): each
helper reads one field of a JSON body, or refuses it naming the field.

The type rule of a field is :func:`ntree.service.shapes.parse`'s, the one that reads the
commands' dataclasses, so a field's ``bad_type`` code and message exist once; these helpers
add what a request asks beyond its JSON type (presence, a range, a non-blank string).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ntree import market
from ntree.engine import EngineError
from ntree.runner import parse_time as runner_parse_time
from ntree.service.errors import ServiceError
from ntree.service.shapes import parse, wrong_type

#: The most candles one answer holds (the candles request and the review chart).
MAX_CANDLES = 5_000
#: The database stores 64-bit integers.
MAX_INT = 2**63 - 1


def missing_field(name: str) -> ServiceError:
    return ServiceError("missing_field", f"missing required field {name!r}", name)


def _present(body: dict, name: str, tp: type, required: bool) -> Any:
    """Return the field read as ``tp`` by :func:`~ntree.service.shapes.parse`, None when it
    is absent and optional; an absent required field is ``missing_field``."""
    value = body.get(name)
    if value is None:
        if required:
            raise missing_field(name)
        return None
    return parse(tp, value, name)


def req_str(body: dict, name: str, *, required: bool = True) -> str | None:
    value = _present(body, name, str, required)
    if value is not None and not value.strip():
        raise wrong_type(name, "a non-empty string", value)
    return value


def req_int(
    body: dict,
    name: str,
    *,
    required: bool = True,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    value = _present(body, name, int, required)
    if value is None:
        return None
    if abs(value) > MAX_INT:
        raise ServiceError("out_of_range", f"field {name!r} is too large, got {value}", name)
    if minimum is not None and value < minimum:
        raise ServiceError(
            "out_of_range", f"field {name!r} must be >= {minimum}, got {value}", name
        )
    if maximum is not None and value > maximum:
        raise ServiceError(
            "out_of_range", f"field {name!r} must be <= {maximum}, got {value}", name
        )
    return value


def req_number(body: dict, name: str, *, required: bool = True) -> float | None:
    return _present(body, name, float, required)


def req_bool(body: dict, name: str, default: bool) -> bool:
    value = _present(body, name, bool, required=False)
    return default if value is None else value


def req_dict(body: dict, name: str) -> dict | None:
    return _present(body, name, dict[str, Any], required=False)


def parse_time(
    value: Any, name: str, *, edge: str, exchange: str = market.EXCHANGE
) -> pd.Timestamp:
    """Parse an ISO 8601 time as :func:`ntree.runner.parse_time` does (a bare date is that
    day's session open or close; no offset means ``exchange`` time), as an API error."""
    if value is None:
        raise missing_field(name)
    if not isinstance(value, str):
        raise wrong_type(name, "an ISO 8601 date or time string", value)
    try:
        return runner_parse_time(value, end=edge == "close", name=name, exchange=exchange)
    except EngineError as exc:
        raise ServiceError(exc.code, str(exc), name) from None
    except (KeyError, ValueError, OverflowError) as exc:
        text = str(exc)
        if "dst" in text.lower() or "nonexistent" in text.lower():
            # A wall time the DST change repeats (Nov) or skips (Mar): ask for an offset.
            kind = "does not exist" if "nonexistent" in text.lower() else "is ambiguous"
            where = market.place(exchange)
            message = f"{name} {value!r} {kind} in {where} time (a DST change); give an offset"
            raise ServiceError("bad_time", message, name) from None
        # A date the exchange calendar does not cover (0001-01-01, 9999-12-31).
        raise ServiceError(
            "no_session", f"{name}: {value!r} is outside the exchange calendar", name
        ) from None
