"""Command arguments as the log holds them, and the checks every command shares.

A command's arguments are logged as plain JSON values (a bot's ``np.float64`` price is
logged, and re-run, as the float it is); a count or a price that is out of range is refused
with the command's error code before anything changes.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ntree.engine.errors import EngineError

MAX_COUNT = 1_000_000_000  # the largest qty or step count (a log holds 64-bit integers)
MAX_PRICE = 10_000_000  # the highest price an order may name
_PLAIN_TYPES = frozenset((str, int, float))


def plain(value: object) -> object:
    """Return ``value`` as the log holds it: numpy scalars as Python numbers, text subclasses
    as text, tuples as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str) and value.__class__ is not str:
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def given(args: dict) -> dict:
    """Return a new dict of a command's arguments as logged: plain values, without those left
    out (None); the log must not change if the caller's dict does."""
    for value in args.values():
        if value is None or value.__class__ not in _PLAIN_TYPES:
            return {k: plain(v) for k, v in args.items() if v is not None}
    return dict(args)  # plain values need no cleaning


def loggable(value: object) -> bool:
    """True when ``value`` is plain JSON that reads back as itself (finite numbers, text keys)."""
    cls = value.__class__
    if value is None or cls is str or cls is bool:
        return True
    if cls is int:
        return -(2**63) <= value < 2**64  # what the log's JSON encoder takes
    if cls is float:
        return math.isfinite(value)
    if cls is list:
        return all(loggable(v) for v in value)
    if cls is dict:
        return all(k.__class__ is str and loggable(v) for k, v in value.items())
    return False


def positive_int(value: object, name: str, code: str) -> int:
    """Return ``value`` as a whole number in 1..MAX_COUNT, or raise ``code``."""
    if value.__class__ is int and 0 < value <= MAX_COUNT:
        return value
    if (
        isinstance(value, bool)
        or not isinstance(value, (numbers.Integral, float))
        or not 0 < value <= MAX_COUNT
        or int(value) != value
    ):
        raise EngineError(code, f"{name} must be a whole number in 1..{MAX_COUNT}, got {value!r}")
    return int(value)


def tick_price(price: object, tick: float, name: str = "price") -> float:
    """Return ``price`` as the float of its place on the ``tick`` grid, or raise
    ``bad_price`` (not a number in range) or ``off_tick``."""
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        raise EngineError("bad_price", f"{name} must be a number, got {price!r}")
    if not 0 < price <= MAX_PRICE:  # also refuses NaN
        raise EngineError(
            "bad_price", f"{name} must be a number in (0, {MAX_PRICE:,}], got {price}"
        )
    steps = price / tick
    whole = round(steps)
    if abs(steps - whole) > 1e-6:
        raise EngineError("off_tick", f"{name} {price} is not on the {tick} tick grid")
    return round(whole * tick, 10)


_PRICE_MEMO_SIZE = 4096  # price levels remembered (a day's ladder quotes a few hundred)


class PriceGrid:
    """The prices of a session's tick grid: :func:`tick_price`, remembered per price.

    The memo stays because it saves 6.9% of the instructions per bar
    (``bench/bench_instructions.py``, 11,000 bars: 25,292 without, 23,669 with): the
    ``round(x, 10)`` of :func:`tick_price` is costly and a session quotes few levels over and
    over. It is bounded, and left out of pickled snapshots (it refills as prices are checked).
    """

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self.known: dict[float, float] = {}  # a float price checked -> its tick-grid float

    def __getstate__(self) -> dict:
        return {"tick": self.tick, "known": {}}

    def __setstate__(self, state: dict) -> None:
        self.tick, self.known = state["tick"], state["known"]

    def check(self, price: object, name: str = "price") -> float:
        """Return ``price`` on the grid, or raise bad_price / off_tick."""
        if price.__class__ is float:
            on_tick = self.known.get(price)
            if on_tick is not None:
                return on_tick
        on_tick = tick_price(price, self.tick, name)
        if price.__class__ is float:
            if len(self.known) >= _PRICE_MEMO_SIZE:
                self.known.clear()
            self.known[price] = on_tick
        return on_tick
