"""The cockpit's order-entry actions: the ticket with its bracket template, the B/S and
market hotkeys, a confirmation before a limit that would fill at once, OCO from the orders
table, a bracket on the open position, and the ladder (preview, place, cancel).

Each handler returns the controller's outcome, plus (4th item) what the page shows besides
the state: ``{"confirm": {"text", "action"}}`` asks before placing, ``{"preview": orders}``
draws (or, empty, clears) the ladder preview. :data:`ORDER_ACTIONS` joins the controller's
``ACTIONS`` table.
"""

from __future__ import annotations

from typing import Any

from ntree.engine.ticks import TICK
from ntree.service import ReplayService, ServiceError
from ntree.ui import ticket
from ntree.ui.format import count

Outcome = tuple  # (session id, message, colour[, extras]): see ntree.ui.cockpit


def _last(svc: ReplayService, sid: str) -> dict:
    return svc.state({"session_id": sid})


def _ask(a: dict, kind: str, side: str, qty: Any, price: float, last: float) -> dict:
    """The extras asking to confirm a marketable limit (the pending action, confirmed)."""
    action = {"kind": kind, "args": {**a, "confirmed": True}}
    return {"confirm": {"text": ticket.confirm_text(side, qty, price, last), "action": action}}


def _template(a: dict, qty: Any) -> dict | None:
    return ticket.bracket(a.get("mode"), a.get("tp"), a.get("sl"), qty=qty, risk=a.get("risk"))


def _placed(svc: ReplayService, sid: str, body: dict) -> dict:
    try:
        return svc.command("place", body)
    except ServiceError as exc:
        raise ServiceError(exc.code, f"Order not placed: {exc.message}", exc.field) from exc


def place(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Place the ticket's order with the template's bracket (asking first when a limit
    would fill at once), or modify the order being edited."""
    qty = ticket.number(a.get("qty"), "qty")
    if qty is None:
        raise ServiceError("missing_field", "enter a quantity: a whole number, 1 or more", "qty")
    qty = int(qty) if qty == int(qty) else qty
    price = None if a["type"] == "MARKET" else ticket.number(a.get("price"), "price")
    if a["type"] != "MARKET" and price is None:
        raise ServiceError(
            "missing_field",
            f"enter a {a['type'].lower()} price on the {TICK} tick (click the chart to take "
            "a price)",
            "price",
        )
    if a.get("modify_target") is not None:
        oid = a["modify_target"]
        body = {"session_id": sid, "order_id": oid, "price": price, "qty": qty}
        svc.command("modify", body)
        return sid, f"Order #{oid} modified", "info"
    body = {"session_id": sid, "side": a["side"], "type": a["type"], "qty": qty}
    if price is not None:
        body["price"] = price
    bracket = _template(a, qty)
    if bracket:
        body["bracket"] = bracket
    if not a.get("confirmed"):
        last = _last(svc, sid)["last_price"]
        if ticket.marketable(a["side"], a["type"], price, last):
            return sid, None, "info", _ask(a, "place", a["side"], qty, price, last)
    view = _placed(svc, sid, body)
    return sid, f"Order #{view['order_id']} placed", "info"


def band_order(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """A limit at a band of the last bar (the b/s/B/S hotkeys), with the template's bracket;
    one on the wrong side of the market (Shift+S below it) asks first."""
    candles = svc.candles({"session_id": sid, "n": 2})["candles"]
    done = [c for c in candles if not c.get("forming")]
    value = done[-1].get(a["band"]) if done else None
    if value is None:
        raise ServiceError("no_band", "the channel is not formed yet")
    price = round(round(value / TICK) * TICK, 10)
    qty = a.get("qty")
    body = {"session_id": sid, "side": a["side"], "type": "LIMIT", "qty": qty, "price": price}
    bracket = _template(a, qty)
    if bracket:
        body["bracket"] = bracket
    if not a.get("confirmed"):
        last = _last(svc, sid)["last_price"]
        if ticket.marketable(a["side"], "LIMIT", price, last):
            return sid, None, "info", _ask(a, "band_order", a["side"], qty, price, last)
    view = _placed(svc, sid, body)
    text = f"{a['side']} LMT {qty} @ {ticket.price_text(price)} placed (#{view['order_id']})"
    return sid, text, "info"


def market_order(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """A market order of the ticket's qty with the template's bracket (the u/d hotkeys)."""
    qty = a.get("qty")
    body = {"session_id": sid, "side": a["side"], "type": "MARKET", "qty": qty}
    bracket = _template(a, qty)
    if bracket:
        body["bracket"] = bracket
    view = _placed(svc, sid, body)
    return sid, f"{a['side']} MKT {qty} placed (#{view['order_id']})", "info"


def link_oco(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Link the two orders ticked in the orders table one-cancels-other."""
    picked = sorted({oid for values in a.get("picks") or [] for oid in values or []})
    if len(picked) != 2:
        raise ServiceError(
            "bad_oco", f"tick exactly two orders to link them OCO ({len(picked)} ticked)"
        )
    view = svc.command("link_oco", {"session_id": sid, "order_ids": picked})
    return sid, f"Orders #{picked[0]} and #{picked[1]} linked OCO ({view['oco_group']})", "info"


def bracket_position(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Put the template's bracket on the open position (offsets from its average price)."""
    qty = abs(_last(svc, sid)["position"]["qty"]) or None
    legs = _template(a, qty)
    if not legs:
        raise ServiceError("missing_field", "enter a TP and/or an SL in the ticket", "tp")
    try:
        svc.command("set_bracket", {"session_id": sid, **legs})
    except ServiceError as exc:
        raise ServiceError(exc.code, f"Bracket not set: {exc.message}", exc.field) from exc
    return sid, "Bracket set on the position", "info"


def ladder_preview(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Draw the ladder the ticket's fields would lay (nothing placed)."""
    orders = svc.ladder_preview(ticket.ladder_body(a, sid))["orders"]
    sides = " · ".join(_side_text(orders, side) for side in ("BUY", "SELL"))
    text = f"Ladder preview: {sides.strip(' ·')} (L again or Place ladder to lay it)"
    return sid, text, "info", {"preview": orders}


def _side_text(orders: list[dict], side: str) -> str:
    mine = [o for o in orders if o["side"] == side]
    if not mine:
        return ""
    levels = ", ".join(f"{o['qty']} @ {ticket.price_text(o['price'])}" for o in mine)
    return f"{side} {levels}"


def ladder_place(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Lay the ladder (replacing the one laid before) and clear the preview."""
    view = svc.command("place_ladder", ticket.ladder_body(a, sid))
    n = len(view["order_ids"])
    return sid, f"Ladder placed: {count(n, 'order')}", "info", {"preview": []}


def ladder_cancel(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Cancel the ladder's working orders (or, with none, just clear the preview)."""
    try:
        view = svc.command("cancel_ladder", {"session_id": sid})
    except ServiceError as exc:
        if exc.code != "unknown_ladder":
            raise
        return sid, "No ladder working: preview cleared", "info", {"preview": []}
    return sid, f"Ladder canceled: {count(view['canceled'], 'order')}", "info", {"preview": []}


def confirm_no(_svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    if a.get("kind") == "move_order":  # a dragged line asked: it stays where it was
        return sid, "Order not moved", "info"
    return sid, "Order not placed", "info"


#: The handlers, by action kind (they join, and for place/band_order replace, ACTIONS).
ORDER_ACTIONS = {
    "place": place,
    "band_order": band_order,
    "market_order": market_order,
    "link_oco": link_oco,
    "bracket_position": bracket_position,
    "ladder_preview": ladder_preview,
    "ladder_place": ladder_place,
    "ladder_cancel": ladder_cancel,
    "confirm_no": confirm_no,
}
