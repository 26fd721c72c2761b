"""The film room's tables render what the service gives, an open trade included."""

from __future__ import annotations

from ntree.ui import ids, tables


def _texts(component) -> list[str]:
    out: list[str] = []
    children = getattr(component, "children", None)
    if isinstance(children, str | int | float):
        out.append(str(children))
    elif isinstance(children, list):
        for child in children:
            out.extend(_texts(child))
    elif children is not None:
        out.extend(_texts(children))
    return out


def test_log_trades_table_shows_an_open_trade_as_open(replay_service) -> None:
    svc = replay_service
    start = {"symbol": "SPY", "t_start": "2024-08-06", "t_end": "2024-08-06", "disp_tf": "5m"}
    sid = svc.start(start)["session_id"]
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    svc.command("step", {"session_id": sid, "disp_steps": 2})
    trades = svc.trades(sid)
    assert [t["status"] for t in trades] == ["open"]
    texts = _texts(tables.log_trades_table(trades))
    assert "open" in texts and "10" in texts


def test_a_pending_bracket_is_listed_under_its_parent() -> None:
    parent = {
        "order_id": 4,
        "side": "BUY",
        "type": "MARKET",
        "qty": 10,
        "price": None,
        "role": "entry",
        "bracket": {"tp_offset": 1.0, "sl": 99.5},
    }

    rows = tables.orders_table([parent]).children.children
    texts = [[td.children for td in row.children] for row in rows]

    assert texts[1] == ["", "↳", "SELL", "LMT TP", "10", "+1.00 from fill", "pending"]
    assert texts[2] == ["", "↳", "SELL", "STP SL", "10", "99.50", "pending"]


def test_each_order_has_a_tick_box_and_an_oco_member_is_marked() -> None:
    orders = [
        {"order_id": 7, "side": "SELL", "type": "LIMIT", "qty": 5, "price": 101.0},
        {
            "order_id": 8,
            "side": "SELL",
            "type": "STOP",
            "qty": 5,
            "price": 99.0,
            "oco_group": "oco-1",
        },
    ]

    rows = tables.orders_table(orders).children.children

    picks = [row.children[0].children for row in rows]
    assert [p.id for p in picks] == [{"type": ids.ORDER_PICK, "oid": n} for n in (7, 8)]
    assert "OCO" not in " ".join(_texts(rows[0])) and " OCO" in _texts(rows[1])
