"""Orders of the paper broker and their status table."""

from __future__ import annotations

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


#: What a price check is: (price, argument name) -> the price on the tick grid, or raise.
PriceCheck = Callable[[object, str], float]


def checked_place(args: dict, check_price: PriceCheck, last_price: Callable[[], float]) -> tuple:
    """Return (sign, type, qty, price, tag, oco_group, bracket) from ``place``'s arguments (a
    dict without None values), or raise the code of the first one at fault. ``last_price()``
    is the reference of a market order's bracket."""
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
        price = check_price(price, "price")
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
            bracket = checked_bracket(sign, price or last_price(), bracket, check_price)
    return sign, type, qty, price, tag, oco_group, bracket


def checked_bracket(side: int, ref: float, bracket: object, check_price: PriceCheck) -> dict:
    """Return a bracket's {tp, sl} prices, checked against the side and the reference price."""
    if not isinstance(bracket, dict) or not set(bracket) <= {"tp", "sl"}:
        raise EngineError("bad_bracket", f"bracket must be {{tp, sl}}, got {bracket!r}")
    out = {}
    for key in ("tp", "sl"):
        if bracket.get(key) is not None:
            out[key] = check_price(bracket[key], f"bracket {key}")
    if not out:
        raise EngineError("bad_bracket", "a bracket needs tp, sl or both")
    # A long position takes profit above and stops out below its entry; a short, the reverse.
    if "tp" in out and (out["tp"] - ref) * side <= 0:
        raise EngineError("bad_bracket", f"tp {out['tp']} must be on the profit side of {ref}")
    if "sl" in out and (ref - out["sl"]) * side <= 0:
        raise EngineError("bad_bracket", f"sl {out['sl']} must be on the loss side of {ref}")
    return out


def checked_items(
    orders: object, prices: PriceGrid, last_price: Callable[[], float]
) -> tuple[list[dict], list[tuple]]:
    """Return ``replace_orders``' items as logged and each one's :func:`checked_place` fields,
    or raise for the first bad item (naming it)."""
    if not isinstance(orders, list):
        raise EngineError("bad_orders", f"orders must be a list, got {orders!r}")
    items, specs = [], []
    known = prices.known
    for n, item in enumerate(orders):
        if item.__class__ is dict and len(item) == 4:
            # The usual item, a limit or stop at a price already seen: checked inline (a bot
            # re-lays its ladder every bar). Kept because it saves 12.3% of the instructions
            # per bar (bench_instructions, 11,000 bars: 26,579 without, 23,669 with).
            side, type_, qty = item.get("side"), item.get("type"), item.get("qty")
            price = item.get("price")
            if (
                side.__class__ is str
                and type_.__class__ is str
                and (side == "BUY" or side == "SELL")
                and (type_ == LIMIT or type_ == STOP)
                and qty.__class__ is int
                and 0 < qty <= MAX_COUNT
                and price.__class__ is float
                and (px := known.get(price)) is not None
            ):
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
            specs.append(checked_place(args, prices.check, last_price))
        except EngineError as err:
            raise EngineError(err.code, f"orders[{n}]: {err.message}") from None
    return items, specs
