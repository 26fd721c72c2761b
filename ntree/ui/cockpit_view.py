"""The cockpit's widgets after an action: a controller :class:`Result` becomes the values of the
page's outputs, grouped as the action callback declares them (``pages/cockpit.py``).

Only what changed is sent: ``no_update`` leaves a widget as the browser has it.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import dash
import pandas as pd
from dash import no_update

from ntree.blind import is_blind_time
from ntree.engine.ticks import EXCHANGE_TZ
from ntree.market import sessions
from ntree.ui import format as fmt
from ntree.ui.blind import reveal_card
from ntree.ui.cockpit import SPEEDS, Action, Result, tick_interval_ms
from ntree.ui.cockpit_panels import summary_card
from ntree.ui.tables import orders_table, trades_table

#: Actions after which every widget is drawn again (a new chart, frame or session).
_FULL_KINDS = frozenset({"init", "start", "rewind", "set_disp_tf", "server_back"})
_NO_STAT = "—"
ALERT_MS = 8000  # how long a toast stays (plus up to 0.1 s: see _alert)


def render(res: Result, action: Action, meta: dict | None) -> dict[str, Any]:
    """Return the output values for ``res``, the result of ``action`` on a page whose chart
    carried ``meta``."""
    alert = _alert(res)
    if res.state is None:
        return _no_session(res, alert)
    st = res.state
    full = action.kind in _FULL_KINDS or not isinstance(res.figure, dash.Patch)
    ended = st["status"] == "ended"
    following = _following(res.meta)
    return {
        # Written only when it changes: a new session id is what resets the order ticket.
        "session": res.session_id if (meta or {}).get("sid") != res.session_id else no_update,
        "chart": {
            "figure": res.figure,
            "meta": res.meta,
            "live": live_class(following) if full or following != _following(meta) else no_update,
        },
        "playback": _playback(st, full),
        "clock": _clock(st, res.session_id, full),
        "position": _position(st),
        "tables": _tables(res, full),
        "alert": alert,
        "summary": (
            reveal_card(res.session_id, st["reveal"])
            if st.get("reveal")  # a blind session (ntree/ui/blind.py)
            else summary_card(res.session_id, st["summary"])
        )
        if ended
        else (None if full else no_update),
        "confirm": _confirm(res, action),
    }


def _confirm(res: Result, action: Action) -> dict[str, Any]:
    """Open the question a marketable limit asks; close it once answered (the action it
    asked about ran confirmed, or Cancel); leave it alone otherwise (a tick while it asks)."""
    if res.confirm:
        return {"is_open": True, "text": res.confirm["text"], "pending": res.confirm["action"]}
    if action.kind == "confirm_no" or action.args.get("confirmed"):
        return {"is_open": False, "text": no_update, "pending": None}
    return {"is_open": no_update, "text": no_update, "pending": no_update}


def _alert(res: Result) -> dict[str, Any]:
    if not res.message:
        return {"text": no_update, "is_open": no_update, "color": no_update, "duration": no_update}
    # A new duration restarts the toast's timer (dbc.Alert restarts it only when is_open or
    # duration changes): a message that follows another gets its full time on screen.
    duration = ALERT_MS + time.monotonic_ns() // 1_000_000 % 100
    return {"text": res.message, "is_open": True, "color": res.message_color, "duration": duration}


def _no_session(res: Result, alert: dict[str, Any]) -> dict[str, Any]:
    """No session (none started, or a stale id): an empty chart and blank widgets."""
    return {
        "session": None,
        "chart": {"figure": res.figure, "meta": None, "live": live_class(True)},
        "playback": {
            "ticker_off": True,
            "interval": no_update,
            "play": "▶ Play",
            "disp_tf": no_update,
            "speed_idx": no_update,
        },
        "clock": {"bar_time": "", "phase": "", "time_left": "", "label": ""},
        "position": dict.fromkeys(
            ("qty", "avg", "unreal", "real", "equity", "maxdd", "bp"), _NO_STAT
        ),
        "tables": {"orders": orders_table([]), "trades": trades_table([]), "excursion": ""},
        "alert": alert,
        "summary": None,
        "confirm": {"is_open": False, "text": no_update, "pending": None},
    }


def _playback(st: dict, full: bool) -> dict[str, Any]:
    playing = not st["paused"] and st["status"] != "ended"
    speed = float(st["speed"] or 1)
    return {
        "ticker_off": not playing,
        "interval": tick_interval_ms(speed),
        "play": "❚❚ Pause" if playing else "▶ Play",
        "disp_tf": st["disp_tf"] if full else no_update,
        "speed_idx": str(SPEEDS[speed_index(speed)]) if full else no_update,
    }


def _clock(st: dict, sid: str, full: bool) -> dict[str, Any]:
    # the 1m bar about to play: a display bar's open at a boundary, its minute inside one
    ts = st["cursor"]["ts_exec"]
    tz = st.get("exchange_tz", EXCHANGE_TZ)
    if is_blind_time(pd.Timestamp(ts)):  # a blind session's fictional calendar
        bar_time, phase = fmt.et_time(ts, year=False), st["market_phase"]
    elif tz != EXCHANGE_TZ:  # another exchange: its own time and its sessions' phases
        bar_time = pd.Timestamp(ts).tz_convert(tz).strftime("%a %m-%d %H:%M %Z")  # "HKT"
        phase = st["market_phase"]
    else:  # the year is in the session line; the phase from the exchange's calendar
        bar_time = fmt.et_time(ts, year=False)
        phase = exchange_phase(ts, ended=st["status"] == "ended")
    return {
        "bar_time": bar_time,
        "phase": phase,
        "time_left": _time_left(st),
        "label": session_label(st, sid) if full else no_update,
    }


def exchange_phase(ts: str, *, ended: bool = False) -> str:
    """Return where ``ts`` (ISO UTC, the 1m bar about to play) stands in the exchange's
    trading day, by its calendar (a range that stops at noon is still "midday" at 11:45):
    ``opening`` (first 30 minutes), ``morning``, ``midday``, ``afternoon``, ``closing``
    (last 30), ``pre-market`` or ``closed``."""
    if ended:
        return "closed"
    t = pd.Timestamp(ts)
    hours = _exchange_hours(t.tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d"))
    if hours is None:
        return "closed"
    open_, close = hours
    if t < open_:
        return "pre-market"
    if t >= close:
        return "closed"
    into, left = (t - open_).total_seconds() / 60, (close - t).total_seconds() / 60
    if into < 30:
        return "opening"
    if left <= 30:
        return "closing"
    if into < 120:
        return "morning"
    return "afternoon" if left <= 120 else "midday"


@lru_cache(maxsize=512)
def _exchange_hours(day: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Return the exchange's (open, close) on ``day`` (New York date), None when closed (a
    calendar slice costs milliseconds: every tick asks, a day's answer never changes)."""
    sched = sessions(day, day)
    if sched.empty:
        return None
    return pd.Timestamp(sched["open"].iloc[0]), pd.Timestamp(sched["close"].iloc[0])


def _time_left(st: dict) -> str:
    if st["status"] == "ended":
        return "session ended"
    return f"{fmt.time_left(st['time_remaining_min'])} left"


def _position(st: dict) -> dict[str, str]:
    pos = st["position"]
    return {
        "qty": f"{pos['qty']:+d}" if pos["qty"] else "flat",
        "avg": _NO_STAT if pos["avg_price"] is None else f"{pos['avg_price']:.2f}",
        "unreal": fmt.money(pos["unrealized_pnl"]),
        "real": fmt.money(pos["realized_pnl"]),
        "equity": fmt.money(st["equity"], signed=False),
        "maxdd": fmt.money(st["max_drawdown"], signed=False),
        "bp": fmt.buying_power(st.get("buying_power")),
    }


def _tables(res: Result, full: bool) -> dict[str, Any]:
    st = res.state
    trades_new = res.trades_changed or full
    pos = st["position"]
    return {
        "orders": orders_table(st["orders"]) if (res.orders_changed or full) else no_update,
        "trades": trades_table(st["trades"]) if trades_new else no_update,
        # MAE/MFE move every bar while a position is open; a flat book sends nothing
        "excursion": fmt.open_excursion(pos) if pos["qty"] or trades_new else no_update,
    }


def session_label(st: dict, sid: str) -> str:
    """The navbar's label: symbol · frame · id, and the fill model unless perfect."""
    fills = fmt.fill_model_text(st.get("fill_model"))
    label = f"{st['symbol']} · {st['disp_tf']} · {sid}"
    return label if fills == "perfect" else f"{label} · fills: {fills}"


def _range_text(st: dict) -> str:
    """The session's range in its exchange's time, as the clock shows it (New York: "ET")."""
    tz = st.get("exchange_tz") or EXCHANGE_TZ
    t0, t1 = st.get("t_start"), st.get("t_end")
    if tz == EXCHANGE_TZ or not t0 or not t1 or is_blind_time(pd.Timestamp(t0)):
        return fmt.et_range(t0, t1)
    a, b = (pd.Timestamp(t).tz_convert(tz) for t in (t0, t1))
    return f"{a:%a %Y-%m-%d %H:%M} → {b:%a %Y-%m-%d %H:%M} {b.tzname()}"


def folded_text(st: dict) -> str:
    """The folded start panel's line: the session in play, its range and its fill model."""
    fills = fmt.fill_model_text(st.get("fill_model"))
    span = _range_text(st)
    bp = st.get("buying_power")
    leverage = f" · {bp['leverage']:g}x" if bp else ""  # no buying-power limit: none shown
    return f"{st['symbol']} · {st['disp_tf']} · {span} · fills: {fills}{leverage}"


def _following(meta: dict | None) -> bool:
    return bool(meta is None or meta.get("follow", True))


def live_class(following: bool) -> str:
    """The Live button stands out while the view is away from the live edge."""
    return "live-btn" if following else "live-btn away"


def speed_index(speed: float) -> int:
    """The slider position nearest ``speed``."""
    return min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
