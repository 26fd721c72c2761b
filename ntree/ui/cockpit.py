"""The cockpit's controller: a UI action becomes a service command; the new state becomes
the figure patch and the widget texts. Pure of Dash callbacks, so it can be driven (and
benchmarked) without a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ntree.engine.ticks import TICK, round_to_tick
from ntree.service import FILL_EVENTS, ReplayService, ServiceError
from ntree.ui import figures, ladder_preview, start_form, ticket
from ntree.ui.format import count, et_times

#: Playback speeds offered, in the engine's unit (display bars per minute); the page shows
#: them as bars per second (``speed_label``): 0.1 .. 20 bars/s.
SPEEDS = (6, 12, 30, 60, 120, 300, 600, 1200)
DEFAULT_SPEED = 60  # one display bar a second
TICK_MS = 200  # the playback timer's shortest period: faster speeds step more bars a tick


def speed_label(speed: float) -> str:
    """Say a speed (display bars per minute) as the page shows it: ``2 bars/s``."""
    return f"{speed / 60:g} bars/s"


def bars_per_tick(speed: float) -> int:
    """Return the display bars each playback tick steps at ``speed`` (bars per minute)."""
    return max(1, round(speed * TICK_MS / 60_000))


def tick_interval_ms(speed: float) -> int:
    """Return the playback timer's period at ``speed``: one bar a tick down to
    :data:`TICK_MS`, then several bars a tick (a browser round trip per bar is too many)."""
    return max(int(60_000 * bars_per_tick(speed) / speed), TICK_MS)


#: Hotkeys handled by the cockpit (assets/cockpit.js forwards them); shown on the page.
HOTKEYS = (
    ("Space", "play / pause"),
    ("→ or .", "step 1 bar"),
    ("N", "step N bars"),
    ("M", "step 1 minute (1m bar)"),
    ("R", "rewind N bars"),
    ("+ / −", "faster / slower"),
    ("B", "buy limit at the lower band (the ticket's bracket)"),
    ("S", "sell limit at the upper band"),
    ("Shift+B", "buy limit at the channel mid (asks if above the market)"),
    ("Shift+S", "sell limit at the channel mid (asks if below the market)"),
    ("U / D", "market buy / market sell (the ticket's qty and bracket)"),
    ("L", "ladder: preview, then L again to place it"),
    ("F", "flatten"),
    ("X", "cancel all orders"),
    ("Drag", "an order line on the chart: move the order to that price"),
)


@dataclass
class Action:
    """What the trader did: ``kind`` plus the form values it needs."""

    kind: str  # start, toggle_play, tick, step, place, drag_line, cancel, flatten, ...
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Result:
    """What the page shows after an action."""

    session_id: str | None
    figure: Any  # a full figure dict, a dash.Patch, or None (unchanged)
    meta: dict | None
    state: dict | None
    message: str | None = None
    message_color: str = "danger"
    orders_changed: bool = True
    trades_changed: bool = True  # the closed trades differ from what the page shows
    confirm: dict | None = None  # {text, action}: ask before running the action
    preview: list | None = None  # the ladder preview drawn ([]: cleared; None: unchanged)


def _band_price(candle: dict, key: str) -> float:
    value = candle.get(key)
    if value is None:
        raise ServiceError("no_band", "the channel is not formed yet")
    return round_to_tick(value, TICK)


# (session id, message, message colour), and optionally what else the page shows: see
# ntree.ui.cockpit_orders ({"confirm": ...} asks first, {"preview": orders} draws a ladder)
Outcome = tuple
Handler = Callable[[ReplayService, str | None, dict[str, Any]], Outcome]


def _start(svc: ReplayService, _sid: str | None, a: dict) -> Outcome:
    body = a["body"]
    if body.get("blind"):  # the cockpit hides the symbol and the day even from its trader
        days = {}
        for symbol in svc.symbols():
            rng = svc.data_range(symbol)
            if rng is not None:
                days[symbol] = start_form.trading_days(rng)
        body = {**body, **start_form.blind_pick(days, np.random.default_rng(a.get("pick_seed")))}
        sid = svc.start(body)["session_id"]
        return sid, "Blind session: symbol and dates hidden until it ends", "info"
    return svc.start(body)["session_id"], None, "info"


def _init(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """A page load; ``resume`` (a ``?session=`` id other than the tab's) switches to it."""
    if a.get("resume") and a["resume"] != sid:
        st = svc.state({"session_id": a["resume"]})  # unknown_session for an unknown id
        return a["resume"], f"Resumed session {a['resume']} ({st['status']})", "info"
    return sid, None, "info"


def _live(_svc: ReplayService, sid: str | None, _a: dict) -> Outcome:
    return sid, None, "info"  # only the view changes (handle() redraws at the live edge)


def _server_back(svc: ReplayService, sid: str | None, _a: dict) -> Outcome:
    """The server answers again after a failure: the page stopped playing, so the session
    pauses too (the Play button and the session agree), and the whole page is redrawn."""
    if sid is None:
        return None, None, "info"
    if not svc.state({"session_id": sid})["paused"]:
        svc.command("pause", {"session_id": sid})
    return sid, "The server answers again: playback paused (Space or ▶ Play goes on)", "info"


#: Candles one "more history" adds to the figure (a pan reached its first candles), and the
#: most a figure holds (every tick reads the window's candles).
MORE_STEP = 300
MAX_WINDOW = 1500


def _toggle_play(svc: ReplayService, sid: str | None, _a: dict) -> Outcome:
    st = svc.state({"session_id": sid})
    svc.command("play" if st["paused"] else "pause", {"session_id": sid})
    return sid, None, "info"


def _tick(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """The playback timer: a step, or nothing while no session runs. With auto-pause, it
    stops at the 1m bar of a fill (not at the display bar's end) and pauses there."""
    if sid is None:
        return None, None, "info"
    if not a.get("auto_pause"):
        return _step(svc, sid, a)
    view = svc.step_to_fill({"session_id": sid, "disp_steps": a.get("n", 1)})
    return _paused_on_fill(svc, sid, view, pause=True)


def _step_1m(svc: ReplayService, sid: str | None, _a: dict) -> Outcome:
    """One 1-minute bar: act between display boundaries (when the session lets edits in)."""
    view = svc.command("step", {"session_id": sid, "exec_steps": 1})
    return _paused_on_fill(svc, sid, view, pause=False)


def _jump(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Play up to a time or the next session open, stopping at a fill when auto-pause is on."""
    body = {"session_id": sid, "to": a.get("to"), "stop_on_fill": bool(a.get("auto_pause"))}
    view = svc.jump(body)
    return _paused_on_fill(svc, sid, view, pause=bool(a.get("auto_pause")))


def _paused_on_fill(svc: ReplayService, sid: str, view: dict, *, pause: bool) -> Outcome:
    """Say what a step filled (pausing a playing session when asked) or that it ended."""
    fills = [e for e in view["events"] if e["type"] in FILL_EVENTS]
    if fills and view["status"] == "active":
        text = _fill_text(fills)
        if pause and not view["paused"]:
            svc.command("pause", {"session_id": sid})
            return sid, f"Auto-paused: {text}", "warning"
        return sid, text, "info"
    if view["status"] == "ended":
        return sid, "Session ended: no more data in the range", "info"
    return sid, None, "info"


def _step(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Step ``n`` display bars; say what filled (pausing if asked) or that the data ran out."""
    view = svc.command("step", {"session_id": sid, "disp_steps": a.get("n", 1)})
    return _paused_on_fill(svc, sid, view, pause=bool(a.get("auto_pause")))


def _place(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Place the ticket's order (with its bracket), or modify the order being edited."""
    if a.get("qty") in (None, ""):  # the number input drops what is not a whole qty >= 1
        raise ServiceError("missing_field", "enter a quantity: a whole number, 1 or more", "qty")
    if a["type"] != "MARKET" and a.get("price") in (None, ""):  # off-tick values are dropped
        raise ServiceError(
            "missing_field",
            f"enter a {a['type'].lower()} price on "
            f"the {TICK} tick (click the chart to take a price)",
            "price",
        )
    if a.get("modify_target") is not None:
        oid = a["modify_target"]
        body = {"session_id": sid, "order_id": oid, "price": a.get("price"), "qty": a["qty"]}
        svc.command("modify", body)
        return sid, f"Order #{oid} modified", "info"
    body = {"session_id": sid, "side": a["side"], "type": a["type"], "qty": a["qty"]}
    if a["type"] != "MARKET":
        body["price"] = a["price"]
    bracket = {k: a.get(k) for k in ("tp", "sl") if a.get(k) not in (None, "")}
    if bracket:
        body["bracket"] = bracket
    try:
        view = svc.command("place", body)
    except ServiceError as exc:
        raise ServiceError(exc.code, f"Order not placed: {exc.message}", exc.field) from exc
    return sid, f"Order #{view['order_id']} placed", "info"


def _move_order(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """An order line dragged on the chart and dropped: modify its order to that price."""
    oid, price = a["order_id"], a["price"]
    if oid is None:  # not an order line: it only snaps back
        return sid, None, "info"
    if not a.get("confirmed"):  # a limit dropped across the market would fill at once: ask
        st = svc.state({"session_id": sid})
        order = next((o for o in st["orders"] if o["order_id"] == oid), None)
        if order and ticket.marketable(order["side"], order["type"], price, st["last_price"]):
            ask = f"Move order #{oid} there anyway?"
            text = ticket.confirm_text(
                order["side"], order["qty"], price, st["last_price"], ask=ask
            )
            action = {"kind": "move_order", "args": {**a, "confirmed": True}}
            return sid, None, "info", {"confirm": {"text": text, "action": action}}
    try:
        svc.command("modify", {"session_id": sid, "order_id": oid, "price": price})
    except ServiceError as exc:
        raise ServiceError(exc.code, f"Order #{oid} not moved: {exc.message}", exc.field) from exc
    return sid, f"Order #{oid} moved to {price:.2f}", "info"


def _band_order(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """A limit at one of the last bar's channel bands (the b/s/B/S hotkeys)."""
    last = svc.candles({"session_id": sid, "n": 1})["candles"]
    if not last:
        raise ServiceError("no_bar", "no bar yet")
    price = _band_price(last[-1], a["band"])
    body = {"session_id": sid, "side": a["side"], "type": "LIMIT", "qty": a["qty"], "price": price}
    view = svc.command("place", body)
    return sid, f"{a['side']} LMT {a['qty']} @ {price:.2f} placed (#{view['order_id']})", "info"


def _cancel(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    svc.command("cancel", {"session_id": sid, "order_id": a["order_id"]})
    return sid, None, "info"


def _session_command(name: str) -> Handler:
    """A command that takes only the session: cancel_all, flatten, end."""

    def handler(svc: ReplayService, sid: str | None, _a: dict) -> Outcome:
        svc.command(name, {"session_id": sid})
        return sid, None, "info"

    return handler


def _set_speed(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    svc.command("set_speed", {"session_id": sid, "speed": a["speed"]})
    return sid, None, "info"


def _set_disp_tf(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    svc.command("set_disp_tf", {"session_id": sid, "disp_tf": a["disp_tf"]})
    return sid, None, "info"


def _rewind(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Rewind ``n`` display bars: the session forks, paused, and the page follows the fork."""
    res = svc.rewind({"session_id": sid, "disp_bars": a["n"]})
    back = res["disp_bars"]
    where = "" if back == a["n"] else " to the session's start"
    return (
        res["session_id"],
        f"Rewound {count(back, 'bar')}{where}, paused: now in fork "
        f"{res['session_id']} (parent {sid})",
        "info",
    )


def _note(svc: ReplayService, sid: str | None, a: dict) -> Outcome:
    """Write a NOTE event into the log; with a trade open, its text starts "trade #N: "."""
    text = (a.get("text") or "").strip()
    if not text:
        raise ServiceError("missing_field", "write the note first", "text")
    open_trade = next((t for t in svc.trades(sid) if t.get("status") == "open"), None)
    if open_trade is not None:
        text = f"trade #{open_trade['trade_id']}: {text}"
    svc.command("note", {"session_id": sid, "text": text})
    about = f" on trade #{open_trade['trade_id']}" if open_trade else ""
    return sid, f"Note saved to the log{about}", "info"


#: One handler per action kind.
ACTIONS: dict[str, Handler] = {
    "start": _start,
    "init": _init,
    "live": _live,
    "toggle_play": _toggle_play,
    "tick": _tick,
    "step": _step,
    "place": _place,
    "move_order": _move_order,
    "band_order": _band_order,
    "cancel": _cancel,
    "cancel_all": _session_command("cancel_all"),
    "flatten": _session_command("flatten"),
    "end": _session_command("end"),
    "set_speed": _set_speed,
    "set_disp_tf": _set_disp_tf,
    "rewind": _rewind,
    "note": _note,
    "more_history": _live,  # only the figure changes: handle() widens its window
    "server_back": _server_back,
    "step_1m": _step_1m,
    "jump": _jump,
}
#: Kinds that make sense before a session exists (the others say "start a session first").
_WITHOUT_SESSION = frozenset({"start", "init", "tick", "server_back"})


def run(svc: ReplayService, sid: str | None, action: Action) -> Outcome:
    """Apply ``action`` through its handler; return (session id, message, message colour)."""
    handler = ACTIONS.get(action.kind)
    if handler is None:
        raise ServiceError("unknown_action", f"unknown cockpit action {action.kind!r}")
    if sid is None and action.kind not in _WITHOUT_SESSION:
        raise ServiceError("no_session", "start a session first")
    return handler(svc, sid, action.args)


def _fill_text(events: list[dict]) -> str:
    parts = []
    fills = [e for e in events if e["type"] == "FILL"] or events
    for e in fills:
        p = e["payload"]
        fill = p.get("fill") or p
        side, qty, px = fill.get("side"), fill.get("qty"), fill.get("price")
        if side and px is not None:
            parts.append(f"{side} {abs(qty or 0)} @ {float(px):.2f}")
        else:
            parts.append(e["type"].replace("_", " ").lower())
    return "filled " + ", ".join(parts)


def handle(
    svc: ReplayService,
    sid: str | None,
    meta: dict | None,
    action: Action,
    *,
    relayout: dict | None = None,
    window: int = figures.DEFAULT_WINDOW,
) -> Result:
    """Run ``action`` and render: a Patch when the browser's figure can be updated in place.

    ``relayout`` is the graph's last pan/zoom event: the view stops following the live edge
    when the trader moved away from it (the ``live`` action brings it back).

    ``drag_line`` (args: the graph's ``relayout`` of the drop) moves the dragged order line's
    order to the dropped price; the lines are redrawn from the engine either way, so a refused
    move (or a drag of the average-price line) snaps back.
    """
    message, color, extras = None, "info", {}
    dragged = action.kind == "drag_line"
    if dragged:
        oid, price = figures.dropped_order(action.args.get("relayout"), meta) or (None, None)
        action = Action("move_order", {"order_id": oid, "price": price})
    try:
        sid, message, color, *more = run(svc, sid, action)
        extras = more[0] if more else {}
    except ServiceError as exc:
        message, color = et_times(exc.message), "danger"  # New York times, as the page
    if sid is None:
        return Result(None, figures.empty_figure(), None, None, message, color)
    res = _render(svc, sid, meta, action, relayout, window, message, color, dragged)
    res.confirm, res.preview = extras.get("confirm"), extras.get("preview")
    if (
        res.preview is None
        and action.kind in ("step", "tick")
        and (res.meta or {}).get("preview_on")
    ):
        res.preview = []  # the bands moved: a ladder laid now would differ from the preview
    if action.kind == "link_oco":  # the chart's lines are the same; the table marks OCO
        res.orders_changed = True
    if res.preview is not None and res.state is not None and res.meta:
        res.figure = ladder_preview.show(res.figure, res.meta, res.preview, res.state)
    return res


def _render(
    svc: ReplayService,
    sid: str,
    meta: dict | None,
    action: Action,
    relayout: dict | None,
    window: int,
    message: str | None,
    color: str,
    dragged: bool,
) -> Result:
    """Return the Result of ``sid`` after ``action``: a Patch of the browser's figure when
    it can be updated in place, else a full figure (with an empty ladder preview trace)."""
    window, more = _window(meta, sid, action, window)
    try:
        snap = svc.snapshot(sid, window)
    except ServiceError as exc:  # e.g. the stored id of a session that no longer exists
        return Result(None, figures.empty_figure(), None, None, exc.message, "danger")
    candles = snap["candles"]
    live = action.kind == "live"
    # Trades are only appended within a session (a rewind is a new one): a count suffices.
    ntrades = len(snap["trades"])
    if meta:
        meta = figures.follow_view(meta, relayout, window)
        xr = action.args.get("xr") if action.kind == "more_history" else None
        if xr and len(xr) == 2:  # the pan that asked for more: the view to keep
            meta = dict(meta, follow=figures.at_live_edge(xr, meta["n"]), xr=xr)
    if not more and not figures.needs_rebuild(meta, sid, snap["disp_tf"], window):
        out = figures.patch_figure(
            meta,
            candles,
            snap["orders"],
            snap["position"],
            snap["fills"],
            window=window,
            live=live,
            reset_lines=dragged,
        )
        if out is not None:
            patch, new_meta = out
            new_meta["ntrades"] = ntrades
            return Result(
                sid,
                patch,
                new_meta,
                snap,
                message,
                color,
                orders_changed=dragged or new_meta["sig"] != meta["sig"],
                trades_changed=meta.get("ntrades") != ntrades,
            )
    tf = figures.DISP_TFS[snap["disp_tf"]]
    # A trim of the same chart keeps the trader's place; a new chart starts at the live edge.
    view = None if live else figures.carry_view(meta, candles, sid, snap["disp_tf"], window)
    fig = figures.build_figure(
        candles,
        snap["orders"],
        snap["position"],
        snap["fills"],
        tf,
        window=window,
        x_range=view["xr"] if view else None,
        tz=snap["exchange_tz"],
    )
    new_meta = figures.meta_for(
        sid,
        snap["disp_tf"],
        candles,
        snap["fills"],
        snap["orders"],
        snap["position"],
        view=view,
        window=window,
        tz=snap["exchange_tz"],
    )
    # The graph's last event describes the old figure: count it as seen.
    new_meta["rl"] = figures.relayout_sig(relayout)
    new_meta["ntrades"] = ntrades
    if window != figures.DEFAULT_WINDOW:
        new_meta["window"] = window
    ladder_preview.add_to_figure(fig, new_meta)
    return Result(sid, fig, new_meta, snap, message, color)


def _window(meta: dict | None, sid: str, action: Action, window: int) -> tuple[int, bool]:
    """Return (candles the figure holds, whether to rebuild it with older ones): the
    figure's own window for the same session, :data:`MORE_STEP` more after a pan reached
    its first candle, unless it already holds all there are (fewer than its window)."""
    if not meta or meta.get("sid") != sid or action.kind == "set_disp_tf":
        return window, False
    held = meta.get("window", window)
    if action.kind != "more_history" or meta["n"] < held or held >= MAX_WINDOW:
        return held, False
    return min(held + MORE_STEP, MAX_WINDOW), True


# The order-entry actions (cockpit_orders imports this module's names, so it comes last).
from ntree.ui.cockpit_orders import ORDER_ACTIONS  # noqa: E402

ACTIONS.update(ORDER_ACTIONS)
