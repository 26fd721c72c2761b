"""Text for the History and Session log pages: times in New York exchange time, money, and a
one-line human summary of each logged event. Pure functions of plain dicts (no Dash).
"""

from __future__ import annotations

import re

import pandas as pd

from ntree import market
from ntree.blind import day_label, is_blind_time
from ntree.engine import FILL_MODEL_DEFAULTS
from ntree.engine.metrics import average_r, net_pnl, win_rate
from ntree.engine.ticks import EXCHANGE_TZ

ORDER_KIND = {"LIMIT": "LMT", "STOP": "STP", "MARKET": "MKT"}

#: Badge colour (bootstrap) of each event type, by what it means to the trader.
EVENT_COLORS = {
    "SESSION_START": "light",
    "SESSION_END": "light",
    "ORDER_PLACED": "primary",
    "ORDER_MODIFIED": "primary",
    "ORDERS_REPLACED": "primary",
    "BRACKET_SET": "primary",
    "ORDER_CANCELED": "secondary",
    "ORDER_REJECTED": "danger",
    "FILL": "success",
    "TARGET_FILLED": "success",
    "STOP_TRIGGERED": "warning",
    "DIRECTION_LOCK": "warning",
    "BRACKET_LEG_REFUSED": "danger",
    "FLATTEN": "warning",
    "NOTE": "info",
}


#: How a time's zone is written after it (the film room's exchanges); others: the zone name.
ZONE_ABBR = {EXCHANGE_TZ: "ET", "Asia/Hong_Kong": "HKT", "Europe/London": "UK"}


def zone_abbr(tz: str = EXCHANGE_TZ) -> str:
    """Return the short name of a time zone as labels write it: ``ET``, ``HKT``, ``UK``."""
    return ZONE_ABBR.get(tz, tz)


def session_tz(row: dict | None) -> str:
    """Return the time zone of a session's exchange, from its row or SESSION_START params
    (a session records ``exchange`` only when it is not XNYS)."""
    params = (row or {}).get("params") or row or {}
    exchange = params.get("exchange")
    return EXCHANGE_TZ if not exchange else market.timezone(exchange)


def et_time(
    ts: str | None,
    *,
    year: bool = True,
    zone: bool = True,
    weekday: bool = True,
    tz: str = EXCHANGE_TZ,
) -> str:
    """Format an ISO UTC time in exchange time (``tz``, New York's unless given):
    ``Tue 2024-12-31 10:45 ET``, ``Mon 2024-08-05 09:30 HKT`` ("" for None)."""
    if not ts:
        return ""
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t
    if is_blind_time(t):  # a blind session's fictional calendar (ntree/blind.py)
        return day_label(t.tz_convert(EXCHANGE_TZ))
    t = t.tz_convert(tz)
    text = t.strftime(("%a " if weekday else "") + ("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M"))
    return f"{text} {zone_abbr(tz)}" if zone else text


_UTC_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:\+00:00|Z|(?= UTC))( UTC)?"
)


_BARE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(?! ET)")


def et_times(text: str) -> str:
    """Return ``text`` with each UTC time in it (``2024-07-01T13:30:00+00:00``, ``...Z``,
    ``2024-07-01 13:30 UTC``) said in New York time: ``2024-07-01 09:30 ET``."""

    def ny(m: re.Match) -> str:
        t = pd.Timestamp(f"{m[1]} {m[2]}", tz="UTC").tz_convert(EXCHANGE_TZ)
        return t.strftime("%Y-%m-%d %H:%M ET")

    out = _UTC_TIME.sub(ny, text)
    if " UTC" in text:  # "a .. b UTC" (the runner's range): the bare time a is UTC too
        out = _BARE_TIME.sub(ny, out)
    return out


def time_left(minutes: int) -> str:
    """Say the market minutes left: ``45m``, ``6:30`` (hours), ``2d 07:00`` (days of 24h)."""
    if minutes < 60:
        return f"{minutes}m"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours:02d}:{mins:02d}" if days else f"{hours}:{mins:02d}"


def et_range(t_start: str | None, t_end: str | None, tz: str = EXCHANGE_TZ) -> str:
    """Format a session's range: ``Mon 2024-12-30 09:30 → Tue 2024-12-31 16:00 ET``."""
    return f"{et_time(t_start, zone=False, tz=tz)} → {et_time(t_end, tz=tz)}"


def et_span(t_start: str | None, t_end: str | None, tz: str = EXCHANGE_TZ) -> str:
    """Format a session's range in few characters (History's column): ``Tue 2024-08-06
    09:30–16:00`` within a day, else ``Mon 2024-07-01 09:30 → 12-31 16:00`` (the end's year
    only when it differs); in another zone than New York's, its name after it (``HKT``)."""
    if not t_start or not t_end:
        return et_range(t_start, t_end, tz)
    start, end = (
        (t.tz_localize("UTC") if t.tzinfo is None else t).tz_convert(tz)
        for t in (pd.Timestamp(t_start), pd.Timestamp(t_end))
    )
    first = start.strftime("%a %Y-%m-%d %H:%M")
    zone = "" if tz == EXCHANGE_TZ else f" {zone_abbr(tz)}"
    if start.date() == end.date():
        return f"{first}–{end:%H:%M}{zone}"
    last = end.strftime("%m-%d %H:%M" if start.year == end.year else "%Y-%m-%d %H:%M")
    return f"{first} → {last}{zone}"


def duration(t0: str | None, t1: str | None) -> str:
    """Format the time between two ISO times: ``40m``, ``1h05m``, ``2d 3h``."""
    if not t0 or not t1:
        return ""
    minutes = int((pd.Timestamp(t1) - pd.Timestamp(t0)).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m"
    return f"{minutes // (24 * 60)}d {minutes % (24 * 60) // 60}h"


def money(x: float | None, *, signed: bool = True) -> str:
    """Format dollars: ``+1,234.50`` (signed) or ``1,234.50``; ``—`` for None."""
    if x is None:
        return "—"
    return f"{x:+,.2f}" if signed else f"{x:,.2f}"


def r_multiple(r: float | None) -> str:
    return "—" if r is None else f"{r:+.2f}R"


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def pnl_class(x: float | None) -> str:
    """Return the CSS class colouring a result: ``pnl-pos``, ``pnl-neg`` or ``""``."""
    if not x:
        return ""
    return "pnl-pos" if x > 0 else "pnl-neg"


def _px(x) -> str:
    """``199.48``; an off-tick price keeps its digits (it may be why it was rejected)."""
    if x is None:
        return "MKT"
    x = float(x)
    return f"{x:.2f}" if round(x, 2) == x else f"{x:g}"


def _order(o: dict) -> str:
    """``BUY LMT 100 @ 199.48``; ``SELL STP SL 200 @ 206.47``; ``SELL MKT 100``."""
    kind = ORDER_KIND.get(o.get("type"), o.get("type") or "?")
    role = o.get("role")
    role = f" {role.upper()}" if role and role != "entry" else ""
    at = "" if o.get("price") is None else f" @ {_px(o['price'])}"
    return f"{o.get('side')} {kind}{role} {o.get('qty')}{at}"


def pending_legs(order: dict) -> list[tuple[str, float | None, str]]:
    """Return the exits an entry's bracket will place when it fills: (role, price, text).

    An absolute leg is at its price; a leg by offset at the order's price plus/minus the
    offset (where a limit or stop fills, at best), or at no price yet for a market order.
    """
    bracket = order.get("bracket") or {}
    side = 1 if order.get("side") == "BUY" else -1
    ref = order.get("price")
    out = []
    for role, sign in (("tp", side), ("sl", -side)):
        if bracket.get(role) is not None:
            px = float(bracket[role])
            out.append((role, px, f"{role.upper()} {px:.2f}"))
        elif bracket.get(f"{role}_offset") is not None:
            off = float(bracket[f"{role}_offset"])
            px = None if ref is None else round(float(ref) + sign * off, 2)
            where = f"{'+' if sign > 0 else '-'}{off:.2f} from fill"
            out.append((role, px, f"{role.upper()} {where}"))
    return out


def fill_model_text(model: dict | None) -> str:
    """Return a session's fill model in a few words: ``perfect`` for the defaults (every
    touch fills, no slippage, latency or commission, direction lock on), else what differs,
    e.g. ``limits 1t through · slip 1t · $0.005/sh``. ``model`` may hold other settings too."""
    changed = {
        k: v
        for k, v in (model or {}).items()
        if k in FILL_MODEL_DEFAULTS and v != FILL_MODEL_DEFAULTS[k]
    }
    parts = []
    if "limit_fill_ticks_worse" in changed:
        parts.append(f"limits {changed['limit_fill_ticks_worse']}t through")
    if "market_slippage_ticks" in changed:
        parts.append(f"slip {changed['market_slippage_ticks']}t")
    if "latency_bars" in changed:
        parts.append(f"latency {changed['latency_bars']}m")
    if "direction_lock" in changed:
        parts.append("no direction lock")
    if "commission_per_share" in changed:
        parts.append(f"${changed['commission_per_share']:g}/sh")
    return " · ".join(parts) or "perfect"


def count(n: int, noun: str) -> str:
    """Return ``1 trade``, ``0 trades``, ``3 trades``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def reason(text: str | None) -> str:
    """Return a reason code as words: ``session_end`` -> ``session end``."""
    return (text or "").replace("_", " ")


def _summary_text(s: dict) -> str:
    parts = [f"PnL {money(s.get('pnl'))}", count(s.get("num_trades", 0), "trade")]
    if s.get("win_rate") is not None:
        parts.append(f"win {pct(s['win_rate'])}")
    if s.get("max_dd") is not None:
        parts.append(f"max DD {money(s['max_dd'], signed=False)}")
    return " · ".join(parts)


def event_summary(event: dict) -> str:
    """Return one line a trader reads at a glance, e.g. ``BUY LMT 100 @ 199.48 placed (#2)``.

    ``event`` is the API form ``{id, ts_exec, ts_market, type, payload}``.
    """
    kind, p = event["type"], event.get("payload") or {}
    args = (p.get("cmd") or {}).get("args") or {}
    if kind == "SESSION_START":
        prm = p.get("params") or {}
        text = (
            f"{prm.get('symbol')} {prm.get('disp_tf')} · seed {prm.get('seed')} · "
            f"{p.get('history_bars', 0)} history bars"
        )
        if prm.get("parent_session_id"):
            text += f" · fork of {prm['parent_session_id']} at {et_time(prm.get('forked_at'))}"
        return text
    if kind == "ORDER_PLACED":
        o = p.get("order") or {}
        text = f"{_order(o)} placed (#{o.get('order_id')}"
        text += f", bracket of #{o['parent_id']})" if o.get("parent_id") else ")"
        legs = [text for _, _, text in pending_legs(o)]
        return text + (" · " + " ".join(legs) if legs else "")
    if kind == "ORDER_MODIFIED":
        o = p.get("order") or {}
        return f"#{o.get('order_id')} modified → {_order(o)}"
    if kind == "ORDER_CANCELED":
        return f"#{p.get('order_id')} canceled ({reason(p.get('reason'))})"
    if kind == "ORDERS_REPLACED":
        ids, canceled = p.get("order_ids") or [], p.get("canceled") or []
        placed = ", ".join(
            f"{_order(o)} (#{oid})" for o, oid in zip(args.get("orders") or [], ids, strict=False)
        )
        return f"orders replaced: {len(canceled)} canceled · {len(ids)} placed" + (
            f": {placed}" if placed else ""
        )
    if kind == "ORDER_REJECTED":
        what = _order(args) if args.get("side") else (p.get("cmd") or {}).get("op", "command")
        return f"{what} rejected: {p.get('reason') or p.get('code')}"
    if kind == "FILL":
        oid = p.get("order_id")
        text = f"FILL {p.get('side')} {abs(p.get('qty') or 0)} @ {_px(p.get('price'))}"
        text += f" (#{oid})" if oid is not None else f" ({reason(p.get('role'))})"
        pos = p.get("position_qty")
        text += f" → {'flat' if not pos else f'{pos:+d}'}"
        if p.get("realized_pnl"):
            text += f" · realized {money(p['realized_pnl'])}"
        return text
    if kind == "TARGET_FILLED":
        return f"target #{p.get('order_id')} filled @ {_px(p.get('price'))}"
    if kind == "STOP_TRIGGERED":
        role = p.get("role")
        role = f" ({role.upper()})" if role and role != "entry" else ""
        return f"stop #{p.get('order_id')}{role} triggered at {_px(p.get('stop'))}"
    if kind == "DIRECTION_LOCK":
        return (
            f"DIRECTION_LOCK: order #{p.get('order_id')} skipped, "
            f"#{p.get('winner_order_id')} was nearest the open"
        )
    if kind == "BRACKET_SET":
        legs = [f"{k.upper()} {float(p[k]):.2f}" for k in ("tp", "sl") if p.get(k) is not None]
        ids = ", ".join(f"#{i}" for i in p.get("order_ids") or [])
        return f"bracket {' '.join(legs)}" + (f" ({ids})" if ids else "")
    if kind == "BRACKET_LEG_REFUSED":
        return f"{str(p.get('role')).upper()} of #{p.get('order_id')} not placed: {p.get('reason')}"
    if kind == "FLATTEN":
        at = f" @ {_px(p['price'])}" if p.get("price") is not None else ""
        return f"flatten {p.get('qty', 0):+d}{at} ({reason(p.get('reason'))})"
    if kind == "STEP":
        n = args.get("disp_steps") or args.get("exec_steps") or 1
        return f"step {n} {'bars' if 'disp_steps' in args else '1m bars'}"
    if kind == "SPEED_CHANGE":
        return f"speed {args.get('speed', 0):g} bars/min"
    if kind == "DISP_TF_CHANGE":
        return f"display {args.get('disp_tf')}"
    if kind in ("PAUSE", "PLAY"):
        return "paused" if kind == "PAUSE" else "playing"
    if kind == "NOTE":
        return f"“{args.get('text', '')}”"
    if kind == "SESSION_END":
        return f"ended ({reason(p.get('reason'))}): {_summary_text(p.get('summary') or {})}"
    return ""


def event_color(kind: str) -> str:
    """Return the badge colour of an event type (``secondary`` for controls and the rest)."""
    return EVENT_COLORS.get(kind, "secondary")


# --- cockpit: this session's trades and the order ticket's risk --------------------------------


def trade_cells(t: dict) -> dict:
    """Return the texts of one closed trade's row (``trades`` as the service gives them).

    ``{"n": "#2", "side": "LONG", "qty": "100", "prices": "199.48→200.10", "pnl": "+62.00",
    "pnl_class": "pnl-pos", "r": "+1.24R" (or "" when no stop was set), "reason": "target"}``.
    """
    return {
        "n": f"#{t['trade_id']}",
        "side": t["side"],
        "qty": str(t["qty"]),
        "prices": f"{_px(t['entry_px'])}→{_px(t['exit_px'])}",
        "pnl": money(t["pnl"]),
        "pnl_class": pnl_class(t["pnl"]),
        "r": "" if t.get("r_multiple") is None else r_multiple(t["r_multiple"]),
        "reason": reason(t.get("reason_code")),
    }


def trades_tally(trades: list[dict]) -> str:
    """Return ``3 trades · win 67% · net +120.00 · avg +0.80R`` (avg R only when known)."""
    if not trades:
        return "no closed trades yet"
    parts = [
        count(len(trades), "trade"),
        f"win {pct(win_rate(trades))}",
        f"net {money(net_pnl(trades))}",
    ]
    avg_r = average_r(trades)
    if avg_r is not None:
        parts.append(f"avg {r_multiple(avg_r)}")
    return " · ".join(parts)


def open_excursion(position: dict) -> str:
    """Return ``MAE 0.42 · MFE 1.10`` of the open position (price points), "" when flat."""
    if not position.get("qty") or position.get("open_mae") is None:
        return ""
    return f"MAE {position['open_mae']:.2f} · MFE {position.get('open_mfe') or 0:.2f}"


def _dollars(x: float) -> str:
    return f"${x:,.0f}" if round(x, 2) == round(x) else f"${x:,.2f}"


def risk_preview(
    side: str | None,
    price: float | None,
    qty: int | float | None,
    tp: float | None,
    sl: float | None,
) -> tuple[str, bool]:
    """Return (text, ok) for an order ticket: ``risk 0.50 × 100 = $50 · reward $120 · 2.4R``.

    ``price`` is the entry (the last price for a market order). ``ok`` is False when the TP
    or SL lies on the wrong side of the entry for ``side`` (the engine refuses that bracket),
    and the text says why. ("", True) when there is no entry price or no TP/SL.
    """
    if price in (None, "") or (tp in (None, "") and sl in (None, "")):
        return "", True
    sign = 1 if side == "BUY" else -1
    price = float(price)
    tp = None if tp in (None, "") else float(tp)
    sl = None if sl in (None, "") else float(sl)
    above, below = ("above", "below") if sign > 0 else ("below", "above")
    wrong = []
    if tp is not None and (tp - price) * sign <= 0:
        wrong.append(f"TP {_px(tp)} must be {above} {_px(price)} for a {side}")
    if sl is not None and (price - sl) * sign <= 0:
        wrong.append(f"SL {_px(sl)} must be {below} {_px(price)} for a {side}")
    if wrong:
        return " · ".join(wrong), False
    n = int(qty) if qty and qty > 0 else 0
    parts = []
    risk = None if sl is None else abs(price - sl)
    reward = None if tp is None else abs(tp - price)
    if risk is not None:
        parts.append(f"risk {risk:.2f} × {n} = {_dollars(risk * n)}" if n else f"risk {risk:.2f}")
    if reward is not None:
        if n and risk is not None:
            parts.append(f"reward {_dollars(reward * n)}")
        elif n:
            parts.append(f"reward {reward:.2f} × {n} = {_dollars(reward * n)}")
        else:
            parts.append(f"reward {reward:.2f}")
    if risk and reward is not None:
        parts.append(f"{reward / risk:.1f}R")
    return " · ".join(parts), True


def buying_power(bp: dict | None) -> str:
    """The position card's buying-power line: ``BP used $54,210 of $400,000 (14%) · 4x``."""
    if not bp:
        return "Buying power: no limit"
    limit, used = bp["buying_power"], bp["used"]
    share = f" ({used / limit:.0%})" if limit else ""
    return f"BP used ${used:,.0f} of ${limit:,.0f}{share} · {bp['leverage']:g}x"
