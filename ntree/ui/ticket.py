"""The order ticket's arithmetic, pure of Dash: the bracket template, size from risk, the
marketable-limit check, the ladder's fields and prices shown with the tick's decimals.

The bracket template is how the ticket's TP and SL boxes are read (its *mode*):

- ``price``: absolute prices (``tp``, ``sl``), checked by the engine against the fill;
- ``points``: offsets from the fill in price points (``tp_offset``, ``sl_offset``);
- ``ticks``: offsets in ticks (``tp_ticks``, ``sl_ticks``);
- ``r``: the stop from a dollar risk (``sl_offset = risk / qty``, rounded down to the tick so
  the loss at the stop is at most the risk) and the target in R (``tp_offset = TP x sl``).

The same template serves the Place button, the B/S hotkeys and "Bracket position" (then
offsets are from the position's average price).
"""

from __future__ import annotations

import math
import re
from typing import Any

from ntree.engine.errors import EngineError
from ntree.engine.sizing import qty_from_risk
from ntree.engine.ticks import TICK
from ntree.service import ServiceError

#: The template's modes, as the ticket's menu shows them.
BRACKET_MODES = {"price": "Price", "points": "Pts", "ticks": "Ticks", "r": "R ($ risk)"}
#: Each mode's request keys for (TP, SL).
_KEYS = {
    "price": ("tp", "sl"),
    "points": ("tp_offset", "sl_offset"),
    "ticks": ("tp_ticks", "sl_ticks"),
}


def decimals(tick: float = TICK) -> int:
    """Return how many decimals a price on the ``tick`` grid has (0.01 -> 2, 0.25 -> 2)."""
    text = f"{tick:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def price_text(price: float | None, tick: float = TICK) -> str | None:
    """Return ``price`` with the tick's decimals ("542.60", not "542.6"); None stays None."""
    return None if price is None else f"{float(price):.{decimals(tick)}f}"


def number(value: Any, name: str) -> float | None:
    """Return a box's value as a number (the boxes hold text like "542.60"), None when
    empty; raise ``bad_type`` naming the box for text that is no number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ServiceError("bad_type", f"{name} must be a number, got {value!r}", name) from None
    if not math.isfinite(out):
        raise ServiceError("bad_type", f"{name} must be a number, got {value!r}", name)
    return out


def _ticks(value: float, name: str) -> int:
    if value != int(value) or value < 1:
        raise ServiceError("bad_bracket", f"{name} in ticks must be a whole number, 1 or more")
    return int(value)


def bracket(
    mode: str | None, tp: Any, sl: Any, *, qty: Any = None, risk: Any = None, tick: float = TICK
) -> dict | None:
    """Return the bracket request of the template (None: no TP and no SL), or raise a
    ServiceError naming the box at fault."""
    mode = mode or "price"
    tp_v, sl_v = number(tp, "tp"), number(sl, "sl")
    if mode == "r":
        risk_v = number(risk, "risk")
        if risk_v is None:
            return None if tp_v is None else _need_risk()
        shares = number(qty, "qty")
        if not shares or shares < 1:
            raise ServiceError("missing_field", "enter a quantity for a stop in R", "qty")
        steps = math.floor(risk_v / shares / tick + 1e-9)
        if steps < 1:
            raise ServiceError(
                "bad_risk",
                f"a ${risk_v:g} risk on {shares:g} shares is under one tick a share",
                "risk",
            )
        sl_offset = round(steps * tick, 10)
        out = {"sl_offset": sl_offset}
        if tp_v is not None:
            tp_steps = math.floor(tp_v * steps + 1e-9)
            out["tp_offset"] = round(tp_steps * tick, 10)
        return out
    if mode not in _KEYS:
        raise ServiceError("bad_bracket", f"unknown bracket mode {mode!r}", "bracket")
    tp_key, sl_key = _KEYS[mode]
    out: dict[str, float | int] = {}
    for key, value, name in ((tp_key, tp_v, "tp"), (sl_key, sl_v, "sl")):
        if value is not None:
            out[key] = _ticks(value, name) if mode == "ticks" else value
    return out or None


def _need_risk() -> dict:
    raise ServiceError("missing_field", "enter the $ risk: the stop in R comes from it", "risk")


def legs_at(
    mode: str | None,
    side: str,
    entry: float,
    tp: Any,
    sl: Any,
    *,
    qty: Any = None,
    risk: Any = None,
    tick: float = TICK,
) -> tuple[float | None, float | None]:
    """Return the template's (TP, SL) as prices for an entry at ``entry`` (the risk line)."""
    spec = bracket(mode, tp, sl, qty=qty, risk=risk, tick=tick) or {}
    sign = 1 if side == "BUY" else -1
    out = []
    for leg, toward in (("tp", sign), ("sl", -sign)):
        if leg in spec:
            out.append(float(spec[leg]))
        elif f"{leg}_offset" in spec:
            out.append(round(entry + toward * spec[f"{leg}_offset"], 10))
        elif f"{leg}_ticks" in spec:
            out.append(round(entry + toward * spec[f"{leg}_ticks"] * tick, 10))
        else:
            out.append(None)
    return out[0], out[1]


def stop_price(mode: str | None, entry: float, side: str, sl: Any, tick: float = TICK) -> float:
    """Return the stop price the template's SL box means for an entry at ``entry``."""
    sl_v = number(sl, "sl")
    if sl_v is None:
        raise ServiceError("missing_field", "enter the SL: the size comes from it", "sl")
    sign = 1 if side == "BUY" else -1
    if mode in (None, "price"):
        return sl_v
    if mode == "points":
        return entry - sign * sl_v
    if mode == "ticks":
        return entry - sign * _ticks(sl_v, "sl") * tick
    raise ServiceError("bad_bracket", "in R mode the stop comes from the size: enter a qty", "sl")


def size_from_risk(risk: Any, entry: float, stop: float) -> int:
    """Return the whole shares whose loss from ``entry`` to ``stop`` is at most ``risk``."""
    risk_v = number(risk, "risk")
    if risk_v is None:
        raise ServiceError("missing_field", "enter the $ risk", "risk")
    try:
        qty = qty_from_risk(risk_v, entry, stop)
    except EngineError as exc:
        raise ServiceError(exc.code, exc.message, exc.field) from exc
    if qty < 1:
        raise ServiceError(
            "bad_risk", f"${risk_v:g} does not cover one share to a stop at {stop:.2f}", "risk"
        )
    return qty


def marketable(side: str, otype: str, price: float | None, last: float | None) -> bool:
    """True for a limit that would fill at once: a buy above the market, a sell below it."""
    if otype != "LIMIT" or price is None or last is None or side not in ("BUY", "SELL"):
        return False  # (another side is the engine's to refuse, with its code)
    return price > last if side == "BUY" else price < last


def confirm_text(
    side: str,
    qty: Any,
    price: float,
    last: float,
    tick: float = TICK,
    ask: str = "Place it anyway?",
) -> str:
    """The question a marketable limit asks before it is placed (or moved there: ``ask``)."""
    where = "above" if side == "BUY" else "below"
    return (
        f"{side} LMT {qty} @ {price_text(price, tick)} is {where} the market "
        f"{price_text(last, tick)}: it would fill at once, at the market. {ask}"
    )


_WEIGHT_SPLIT = re.compile(r"[\s,;\-/]+")


def weights(text: Any) -> list[float] | None:
    """Return the ladder's weights from "1-2-3" (or "1,2,3", "1 2 3"); None when empty."""
    if text is None or not str(text).strip():
        return None
    out = []
    for part in _WEIGHT_SPLIT.split(str(text).strip()):
        if part:
            value = number(part, "weights")
            out.append(int(value) if value == int(value) else value)
    return out


def ladder_body(ladder: dict, sid: str) -> dict:
    """Return the place_ladder request of the ticket's ladder fields."""
    body: dict[str, Any] = {"session_id": sid}
    qty = number(ladder.get("qty"), "qty")
    if qty is None:
        raise ServiceError("missing_field", "enter the ladder's quantity per side", "qty")
    body["qty"] = int(qty) if qty == int(qty) else qty
    levels = number(ladder.get("levels"), "levels")
    if levels is not None:
        body["levels"] = int(levels) if levels == int(levels) else levels
    step = number(ladder.get("step_atr"), "step_atr")
    if step is not None:
        body["step_atr"] = step
    w = weights(ladder.get("weights"))
    if w is not None:
        body["weights"] = w
        body.setdefault("levels", len(w))
    if ladder.get("side"):
        body["side"] = ladder["side"]
    return body
