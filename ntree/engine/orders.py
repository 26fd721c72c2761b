"""Orders of the paper broker and their status table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ntree.engine.events import iso_utc

LIMIT, STOP, MARKET = "LIMIT", "STOP", "MARKET"
ORDER_TYPES = (LIMIT, STOP, MARKET)
#: Other names an order type is placed by: a stop order is a stop-*market* order (it fills
#: at the market once triggered), which many brokers and bots spell out.
ORDER_TYPE_ALIASES = {"STOP_MARKET": STOP}
SIDES = {"BUY": 1, "SELL": -1}
SIDE_NAMES = {1: "BUY", -1: "SELL"}

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
