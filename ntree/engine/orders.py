"""Orders of the paper broker and their status table."""

from __future__ import annotations

from dataclasses import dataclass

LIMIT, STOP, MARKET = "LIMIT", "STOP", "MARKET"
ORDER_TYPES = (LIMIT, STOP, MARKET)
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
