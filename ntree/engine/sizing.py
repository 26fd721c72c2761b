"""Order sizing: shares from a dollar risk, the weighted ladder, and the buying-power rule.

Each rule is a short pure function with hand-checkable answers (``tests/engine/test_sizing.py``):

- :func:`qty_from_risk`: ``floor(risk / |entry - stop|)`` shares, so the loss at the stop
  never exceeds the risk.
- :func:`split_qty`: whole shares in proportion to weights, summing exactly to the total
  (largest remainder; ties go to the later, farther level).
- :func:`ladder_orders`: the liquidity-bracketing ladder: ``levels`` limits per side, buys at
  ``lower - i * step_atr * atr`` and sells at ``upper + i * step_atr * atr`` (i = 1..levels),
  each rounded to the tick *away* from the market, sized by :func:`split_qty`.
- :func:`check_buying_power`: buying power is ``equity * leverage``; an order is refused
  (``insufficient_buying_power``) when the position it could lead to (the position, plus every
  working entry order on its side, plus the new ones) is worth more than that.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ntree.engine.args import positive_int
from ntree.engine.errors import EngineError

SIDE_SIGNS = {"BUY": 1, "SELL": -1}
MAX_LEVELS = 20
MAX_WEIGHT = 1_000_000
MAX_STEP_ATR = 100
LADDER_SIDES = ("BUY", "SELL", "BOTH")


def qty_from_risk(risk: float, entry: float, stop: float) -> int:
    """Return the most whole shares whose loss from ``entry`` to ``stop`` is at most ``risk``
    (dollars), or raise ``bad_risk`` (no risk, or the stop at the entry)."""
    if not (isinstance(risk, int | float) and math.isfinite(risk) and risk > 0):
        raise EngineError("bad_risk", f"risk must be a positive amount, got {risk!r}", "risk")
    per_share = abs(entry - stop)
    if not per_share > 0:
        raise EngineError("bad_risk", f"the stop {stop} must differ from the entry {entry}", "sl")
    # 1e-9: 100 / 0.5 is 200 shares, not 199 because 0.5 came out as 0.50000000001
    return math.floor(risk / per_share + 1e-9)


def split_qty(total: int, weights: Sequence[float]) -> list[int]:
    """Return ``total`` whole shares split in proportion to ``weights`` (largest remainder:
    each level gets the floor of its share, the shares left go to the largest remainders,
    the farther level first on a tie); the parts sum exactly to ``total``."""
    if (
        not isinstance(weights, list | tuple)
        or not weights
        or any(_not_amount(w, MAX_WEIGHT) for w in weights)
    ):
        raise EngineError(
            "bad_ladder", f"weights must be numbers in (0, {MAX_WEIGHT:,}], got {weights!r}"
        )
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x + 1e-9) for x in exact]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda n: (-(exact[n] - parts[n]), -n))
    for n in order[:left]:
        parts[n] += 1
    return parts


def ladder_orders(
    *,
    upper: float | None,
    lower: float | None,
    atr: float | None,
    levels: int,
    step_atr: float,
    weights: Sequence[float],
    qty: int,
    tick: float,
    side: str = "BOTH",
) -> list[dict]:
    """Return the ladder's limit orders (``{side, type, qty, price}``), nearest level first,
    buys then sells; ``qty`` is each side's total. Levels whose share rounds to 0 are left
    out. Raise ``no_band`` before the channel and ATR exist, ``bad_ladder`` for bad sizes."""
    if side not in LADDER_SIDES:
        raise EngineError("bad_side", f"side must be one of {LADDER_SIDES}, got {side!r}", "side")
    if levels.__class__ is not int or not 1 <= levels <= MAX_LEVELS:
        raise EngineError(
            "bad_ladder",
            f"levels must be a whole number in 1..{MAX_LEVELS}, got {levels!r}",
            "levels",
        )
    if not isinstance(weights, list | tuple) or len(weights) != levels:
        raise EngineError(
            "bad_ladder", f"give {levels} weights (one a level), got {list(weights)}", "weights"
        )
    if _not_amount(step_atr, MAX_STEP_ATR):
        raise EngineError(
            "bad_ladder",
            f"step_atr must be a number in (0, {MAX_STEP_ATR}], got {step_atr!r}",
            "step_atr",
        )
    qty = positive_int(qty, "qty", "bad_qty")
    if upper is None or lower is None or atr is None or not atr > 0:
        raise EngineError("no_band", "the channel and its ATR are not formed yet: step on")
    parts = split_qty(qty, weights)
    out = []
    for name, band in (("BUY", lower), ("SELL", upper)):
        if side not in (name, "BOTH"):
            continue
        sign = SIDE_SIGNS[name]
        for i, part in enumerate(parts, start=1):
            steps = (band - sign * i * step_atr * atr) / tick
            # away from the market: down for a buy, up for a sell (1e-9: float noise)
            whole = math.floor(steps + 1e-9) if sign > 0 else math.ceil(steps - 1e-9)
            price = round(whole * tick, 10)
            if price <= 0:
                raise EngineError("bad_ladder", f"level {i} of the BUY side is at {price} <= 0")
            if part:
                out.append({"side": name, "type": "LIMIT", "qty": part, "price": price})
    return out


def _not_amount(value: object, top: float) -> bool:
    """True unless ``value`` is a number in (0, top] (bools and NaN are not)."""
    return (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= top  # also refuses NaN
    )


def potential_qty(
    position: int, working: Iterable[tuple[int, int]], new: Iterable[tuple[int, int]], side: int
) -> int:
    """Return the shares the position could reach on ``side`` (+1 long, -1 short) if every
    working entry order and every new order of that side filled (``(side, qty)`` pairs)."""
    total = side * position
    for s, q in working:
        if s == side:
            total += q
    for s, q in new:
        if s == side:
            total += q
    return max(0, total)


def check_buying_power(
    *,
    position: int,
    working: Iterable[tuple[int, int]],
    new: Sequence[tuple[int, int, float]],
    equity: float,
    leverage: float,
    last: float,
) -> None:
    """Refuse (``insufficient_buying_power``) ``new`` orders (``(side, qty, price)``; a
    market's price is the last) when, on either side they trade, the position they could lead
    to, valued at the larger of their prices and the last price, is over ``equity *
    leverage``. Orders that only reduce the position never count against it."""
    limit = max(0.0, equity) * leverage
    working = list(working)
    for side in (1, -1):
        mine = [(s, q) for s, q, _ in new if s == side]
        if not mine:
            continue
        shares = potential_qty(position, working, mine, side)
        if shares <= side * position:  # it reduces (or keeps) the position: never refused
            continue
        price = max([last, *(p for s, _, p in new if s == side)])
        value = shares * price
        if value > limit + 1e-6:
            raise EngineError(
                "insufficient_buying_power",
                f"this order could take the position to {shares:,} shares "
                f"(${value:,.2f} at {price:.2f}), over the buying power ${limit:,.2f} "
                f"(equity ${equity:,.2f} x leverage {leverage:g}); at most "
                f"{max(0, math.floor(limit / price + 1e-9) - (shares - sum(q for _, q in mine))):,}"
                " more shares",
                "qty",
            )
