"""Orders of the paper broker and their status table."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ntree.engine.args import MAX_COUNT, PriceGrid, given, positive_int
from ntree.engine.errors import EngineError
from ntree.engine.events import iso_utc

LIMIT, STOP, MARKET = "LIMIT", "STOP", "MARKET"
ORDER_TYPES = (LIMIT, STOP, MARKET)
#: Other names an order type is placed by: a stop order is a stop-*market* order (it fills
#: at the market once triggered), which many brokers and bots spell out.
ORDER_TYPE_ALIASES = {"STOP_MARKET": STOP}
SIDES = {"BUY": 1, "SELL": -1}
SIDE_NAMES = {1: "BUY", -1: "SELL"}
PLACE_ARGS = frozenset(("side", "type", "qty", "price", "tag", "oco_group", "bracket"))

WORKING, FILLED, CANCELED = "WORKING", "FILLED", "CANCELED"

#: Every allowed status change: (status, trigger) -> new status. Anything else is a bug.
TRANSITIONS: dict[tuple[str, str], str] = {
    (WORKING, "fill"): FILLED,
    (WORKING, "cancel"): CANCELED,
    (WORKING, "modify"): WORKING,
}


@dataclass(slots=True)
class Order:
    """A working order. ``role`` is "entry", "tp" or "sl" (bracket exits) or "flatten"."""

    order_id: int
    side: int
    type: str
    qty: int
    price: float | None
    live_from: int
    tag: str | None = None
    oco_group: str | None = None
    bracket: dict | None = None
    role: str = "entry"
    parent_id: int | None = None
    status: str = WORKING
    mods_count: int = 0

    def apply(self, trigger: str) -> None:
        """Move the order to its next status through :data:`TRANSITIONS`."""
        self.status = TRANSITIONS[(self.status, trigger)]

    def to_dict(self) -> dict:
        return {
            "order_id": self.order_id,
            "side": SIDE_NAMES[self.side],
            "type": self.type,
            "qty": self.qty,
            "price": self.price,
            "status": self.status,
            "tag": self.tag,
            "oco_group": self.oco_group,
            "role": self.role,
            "parent_id": self.parent_id,
            "bracket": self.bracket,
            "mods_count": self.mods_count,
        }

    def to_event(self) -> dict:
        """Return the order as the log records it: the fields that are set (status is the
        event's type), so hundreds of thousands of events stay small."""
        d = {
            "order_id": self.order_id,
            "side": SIDE_NAMES[self.side],
            "type": self.type,
            "qty": self.qty,
            "role": self.role,
        }
        if self.price is not None:
            d["price"] = self.price
        if self.tag is not None:
            d["tag"] = self.tag
        if self.oco_group is not None:
            d["oco_group"] = self.oco_group
        if self.bracket is not None:
            d["bracket"] = self.bracket
        if self.parent_id is not None:
            d["parent_id"] = self.parent_id
        if self.mods_count:
            d["mods_count"] = self.mods_count
        return d


class Fill(NamedTuple):
    """One execution. ``order_id`` is None for the end-of-session flatten."""

    order_id: int | None
    side: str
    qty: int
    price: float
    ts_exec: int
    role: str

    def to_dict(self) -> dict:
        """Return the JSON form (``ts_exec`` in ISO 8601 UTC)."""
        return {**self._asdict(), "ts_exec": iso_utc(self.ts_exec)}


#: A bracket leg's keys (format 3): an absolute price, an offset from the fill in price
#: points, or one in ticks. Format 2 knew only the absolute ``tp`` and ``sl``.
BRACKET_LEGS = {"tp": ("tp", "tp_offset", "tp_ticks"), "sl": ("sl", "sl_offset", "sl_ticks")}
_BRACKET_KEYS = frozenset(k for keys in BRACKET_LEGS.values() for k in keys)


def checked_place(
    args: dict, prices: PriceGrid, last_price: Callable[[], float], market_checks: bool = False
) -> tuple:
    """Return (sign, type, qty, price, tag, oco_group, bracket) from ``place``'s arguments (a
    dict without None values), or raise the code of the first one at fault. ``last_price()``
    is the reference of a market order's bracket. ``market_checks`` applies format 3's rules:
    a stop on the wrong side of the last price is refused, a bracket may be given by offsets."""
    side, type, qty = args.get("side"), args.get("type"), args.get("qty")
    sign = SIDES.get(side) if side.__class__ is str else None
    if sign is None:
        raise EngineError("bad_side", f"side must be BUY or SELL, got {side!r}")
    if type.__class__ is not str or type not in ORDER_TYPES:
        if type.__class__ is not str or type not in ORDER_TYPE_ALIASES:
            raise EngineError(
                "bad_type",
                f"type must be one of {ORDER_TYPES} (STOP_MARKET is STOP), got {type!r}",
            )
        type = ORDER_TYPE_ALIASES[type]  # the log keeps the name given, the order its type
    if qty.__class__ is not int or not 0 < qty <= MAX_COUNT:
        qty = positive_int(qty, "qty", "bad_qty")
    price = args.get("price")
    if type != MARKET:
        price = prices.check(price, "price")
        if market_checks and type == STOP:
            check_stop_side(sign, price, last_price())
    elif price is not None:
        raise EngineError("bad_price", "a MARKET order takes no price")
    tag = oco_group = bracket = None
    if len(args) > 3 + ("price" in args):  # more than side, type, qty (and price)
        tag, oco_group, bracket = args.get("tag"), args.get("oco_group"), args.get("bracket")
        if tag is not None and not isinstance(tag, str):
            raise EngineError("bad_tag", f"tag must be text, got {tag!r}")
        if oco_group is not None and not isinstance(oco_group, str):
            raise EngineError("bad_oco", f"oco_group must be text, got {oco_group!r}")
        if bracket is not None:
            ref = price or last_price()
            try:
                bracket = checked_bracket(sign, ref, bracket, prices, market_checks)
            except EngineError as err:  # an off-tick leg is the bracket's fault, not price's
                raise EngineError(err.code, err.message, "bracket") from None
    return sign, type, qty, price, tag, oco_group, bracket


def check_stop_side(side: int, price: float, last: float) -> None:
    """Refuse (``stop_through_market``) a stop at or through the last price: it would fill
    at once, at the market, which is never what a stop is placed for (format 3)."""
    if (price - last) * side <= 0:
        where = "above" if side > 0 else "below"
        raise EngineError(
            "stop_through_market",
            f"a {SIDE_NAMES[side]} STOP must be {where} the last price {last}; at {price} it "
            "would fill at once (a LIMIT or MARKET order trades now)",
        )


def checked_bracket(
    side: int, ref: float, bracket: object, prices: PriceGrid, offsets: bool = False
) -> dict:
    """Return a bracket's {tp, sl} prices, checked against the side and the reference price;
    with ``offsets`` (format 3) a leg may instead be ``*_offset`` (price points from the
    fill) or ``*_ticks``, returned as ``*_offset`` on the tick grid."""
    if not offsets:
        if not isinstance(bracket, dict) or not set(bracket) <= {"tp", "sl"}:
            raise EngineError("bad_bracket", f"bracket must be {{tp, sl}}, got {bracket!r}")
    elif not isinstance(bracket, dict) or not _BRACKET_KEYS.issuperset(bracket):
        raise EngineError(
            "bad_bracket",
            f"bracket takes {sorted(_BRACKET_KEYS)} (one of each leg), got {bracket!r}",
        )
    out = {}
    for leg, (absolute, offset, ticks) in BRACKET_LEGS.items():
        named = [k for k in (absolute, offset, ticks) if bracket.get(k) is not None]
        if len(named) > 1:
            raise EngineError("bad_bracket", f"bracket {leg}: give one of {named}, not both")
        if absolute in named:
            out[absolute] = prices.check(bracket[absolute], f"bracket {absolute}")
        elif offset in named:
            out[offset] = prices.check(bracket[offset], f"bracket {offset}")
        elif ticks in named:
            n = positive_int(bracket[ticks], f"bracket {ticks}", "bad_bracket")
            out[offset] = prices.check(round(n * prices.tick, 10), f"bracket {ticks}")
    if not out:
        raise EngineError("bad_bracket", "a bracket needs tp, sl or both")
    # A long position takes profit above and stops out below its entry; a short, the reverse.
    if "tp" in out and (out["tp"] - ref) * side <= 0:
        raise EngineError("bad_bracket", f"tp {out['tp']} must be on the profit side of {ref}")
    if "sl" in out and (ref - out["sl"]) * side <= 0:
        raise EngineError("bad_bracket", f"sl {out['sl']} must be on the loss side of {ref}")
    return out


def bracket_at_fill(
    bracket: dict, side: int, fill: float, tick: float
) -> tuple[dict, list[tuple[str, float, str]]]:
    """Return the legs of ``bracket`` for a position of ``side`` opened at ``fill`` (format 3)
    and the legs refused, as (role, price, reason).

    An offset is taken from the fill and rounded to the tick grid *toward* the fill, so
    neither the target nor the risk is ever larger than asked. An absolute leg at or through
    the fill (a stop above a long's entry, a target below it) would fill at once and book a
    false winner or loser: it is refused (``bracket_through_fill``).
    """
    legs, refused = {}, []
    for leg, sign in (("tp", side), ("sl", -side)):
        if leg in bracket:
            px = bracket[leg]
            if (px - fill) * sign <= 0:
                where = "above" if sign > 0 else "below"
                reason = f"{leg} {px} must be {where} the fill price {fill}; it would fill at once"
                refused.append((leg, px, reason))
            else:
                legs[leg] = px
        elif f"{leg}_offset" in bracket:
            steps = (fill + sign * bracket[f"{leg}_offset"]) / tick
            # toward the fill: down for a leg above it, up for one below (1e-9: float noise)
            whole = math.floor(steps + 1e-9) if sign > 0 else math.ceil(steps - 1e-9)
            legs[leg] = round(whole * tick, 10)
    return legs, refused


def checked_items(
    orders: object, prices: PriceGrid, last_price: Callable[[], float], market_checks: bool = False
) -> tuple[list[dict], list[tuple]]:
    """Return ``replace_orders``' items as logged and each one's :func:`checked_place` fields,
    or raise for the first bad item (naming it)."""
    if not isinstance(orders, list):
        raise EngineError("bad_orders", f"orders must be a list, got {orders!r}")
    items, specs = [], []
    known = prices.known
    for n, item in enumerate(orders):
        if item.__class__ is dict and len(item) == 4:
            # The usual item, a limit or stop at a float price: checked inline (a bot
            # re-lays its ladder every bar). Kept because it saves 12.3% of the instructions
            # per bar (bench_instructions, 11,000 bars: 26,579 without, 23,669 with).
            side, type_, qty = item.get("side"), item.get("type"), item.get("qty")
            price = item.get("price")
            if (
                side.__class__ is str
                and type_.__class__ is str
                and (side == "BUY" or side == "SELL")
                # a stop of format 3 is checked against the market by checked_place below
                and (type_ == LIMIT or (type_ == STOP and not market_checks))
                and qty.__class__ is int
                and 0 < qty <= MAX_COUNT
                and price.__class__ is float
            ):
                px = known.get(price)
                if px is None:
                    # A price not seen yet (a band-fade bot's, most bars): the check
                    # checked_place would make, with its message. Inline, replace_orders
                    # costs ~0.9 us less (8.4 -> 7.5 us, band-fade env step: ~3%).
                    try:
                        px = prices.check(price)
                    except EngineError as err:
                        raise EngineError(err.code, f"orders[{n}]: {err.message}") from None
                items.append({"side": side, "type": type_, "qty": qty, "price": price})
                specs.append((SIDES[side], type_, qty, px, None, None, None))
                continue
        if not isinstance(item, dict) or not PLACE_ARGS.issuperset(item):
            raise EngineError(
                "bad_orders",
                f"orders[{n}] must be an object with keys from {sorted(PLACE_ARGS)}, got {item!r}",
            )
        args = given(item)
        items.append(args)
        try:
            specs.append(checked_place(args, prices, last_price, market_checks))
        except EngineError as err:
            raise EngineError(err.code, f"orders[{n}]: {err.message}") from None
    return items, specs
