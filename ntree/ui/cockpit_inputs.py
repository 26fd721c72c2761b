"""What the trader did on the cockpit page, as a controller :class:`Action`.

:func:`to_action` looks the input that fired up in a table ``{component id: builder}``; each
builder reads the form (the page's current values) and returns the action, or ``None`` when
there is nothing to do.

The form: ``init`` (the ``?session=`` to resume), ``meta`` (the chart's), the input values
``disp_tf``, ``speed_idx``, ``hotkey``, ``drag``, the fields ``n``, ``rewind_n``, ``auto_pause``,
``note`` (the note box), and the groups ``start`` (the start panel) and ``ticket`` (the
order ticket).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ntree.ui import ids
from ntree.ui.cockpit import SPEEDS, Action, bars_per_tick
from ntree.ui.ticket import price_text

#: Hotkeys (the key as assets/cockpit.js forwards it) and their action; N steps the form's N.
HOTKEY_ACTIONS = {
    " ": ("toggle_play", {}),
    "ArrowRight": ("step", {"n": 1}),
    ".": ("step", {"n": 1}),
    "b": ("band_order", {"side": "BUY", "band": "ch_lower"}),
    "s": ("band_order", {"side": "SELL", "band": "ch_upper"}),
    "B": ("band_order", {"side": "BUY", "band": "ch_mid"}),
    "S": ("band_order", {"side": "SELL", "band": "ch_mid"}),
    "f": ("flatten", {}),
    "x": ("cancel_all", {}),
    "u": ("market_order", {"side": "BUY"}),
    "d": ("market_order", {"side": "SELL"}),
}
#: The order-entry buttons the action callback listens to (name: component id).
ORDER_ENTRY_BUTTONS = {
    "link_oco": ids.LINK_OCO,
    "bracket_position": ids.BRACKET_POSITION,
    "ladder_preview": ids.LADDER_PREVIEW,
    "ladder_place": ids.LADDER_PLACE,
    "ladder_cancel": ids.LADDER_CANCEL,
    "confirm_yes": ids.CONFIRM_YES,
    "confirm_no": ids.CONFIRM_NO,
}
#: The ticket's fields that make the bracket template (see ntree.ui.ticket).
TEMPLATE_FIELDS = ("mode", "tp", "sl", "risk")

Form = dict[str, Any]
Builder = Callable[[Form], Action | None]


def _init(form: Form) -> Action:
    resume = form["init"]
    return Action("init", {"resume": resume} if isinstance(resume, str) and resume else {})


def _start(form: Form) -> Action:
    s = form["start"]
    body = {
        "symbol": s["symbol"],
        "t_start": s["t_from"],
        "t_end": s["t_to"],
        "disp_tf": s["disp_tf"],
        "speed": float(s["speed"] or 10),
        "seed": int(s["seed"] or 0),
        "constraints": {"edit_on_disp_boundary": bool(s["boundary"])},
        "fill_model": s["fill_model"] or {},
    }
    if s.get("leverage") not in (None, ""):  # cleared (or not a number): the service's 4x
        body["leverage"] = float(s["leverage"])
    if s.get("blind"):
        body["blind"] = True
    return Action("start", {"body": body})


def _step_n(form: Form) -> Action:
    return Action("step", {"n": int(form["n"] or 1)})


def _tick(form: Form) -> Action:
    n = bars_per_tick(float(form["speed_idx"] or SPEEDS[0]))  # the speed menu's value
    return Action("tick", {"n": n, "auto_pause": bool(form["auto_pause"])})


def _place(form: Form) -> Action:
    t = form["ticket"]
    args = {k: t.get(k) for k in ("side", "price", "qty", "modify_target", *TEMPLATE_FIELDS)}
    return Action("place", {**args, "type": t["type"]})


def _template(form: Form, *, hotkey: bool = False) -> dict:
    """The bracket template's fields; a hotkey takes only offsets (points, ticks, R): the
    TP/SL prices typed for the ticket's own order mean nothing for another price."""
    t = form["ticket"]
    if hotkey and (t.get("mode") or "price") == "price":
        return {}
    return {k: t.get(k) for k in TEMPLATE_FIELDS}


def _ladder(kind: str) -> Builder:
    return lambda form: Action(kind, dict(form.get("ladder") or {}))


def _link_oco(form: Form) -> Action:
    return Action("link_oco", {"picks": form.get("picks") or []})


def _bracket_position(form: Form) -> Action:
    return Action("bracket_position", _template(form))


def _confirm_yes(form: Form) -> Action | None:
    pending = form.get("pending")
    if not form["value"] or not pending:
        return None
    return Action(pending["kind"], pending["args"])


def _cancel(form: Form) -> Action | None:
    if not form["value"]:
        return None  # the button just appeared (a new table row)
    return Action("cancel", {"order_id": form["trigger"]["oid"]})


def _disp_tf(form: Form) -> Action | None:
    meta = form["meta"]
    if meta and meta.get("tf") == form["disp_tf"]:
        return None  # the menu was set to the session's frame by a render
    return Action("set_disp_tf", {"disp_tf": form["disp_tf"]})


def _rewind(form: Form) -> Action:
    return Action("rewind", {"n": int(form["rewind_n"] or 1)})


def _drag(form: Form) -> Action | None:
    return Action("drag_line", {"relayout": form["drag"]["rl"]}) if form["drag"] else None


def _speed(form: Form) -> Action:
    return Action("set_speed", {"speed": float(form["speed_idx"] or SPEEDS[0])})


def _speed_step(form: Form, by: int) -> Action:
    """The next speed up (``by`` 1) or down (-1) from the speed menu's."""
    now = float(form["speed_idx"] or SPEEDS[0])
    at = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - now))
    return Action("set_speed", {"speed": float(SPEEDS[min(max(at + by, 0), len(SPEEDS) - 1)])})


def _more(form: Form) -> Action:
    """A pan reached the chart's first candles: load older ones, keeping the view it set."""
    return Action("more_history", {"xr": (form.get("more") or {}).get("xr")})


def _jump(form: Form) -> Action:
    """Jump to the time typed (New York), or to the next session's open."""
    to = "next_open" if form["trigger"] == ids.JUMP_NEXT_OPEN else (form.get("jump_to") or "")
    return Action("jump", {"to": to.strip(), "auto_pause": bool(form["auto_pause"])})


#: The playback hotkeys (lower case: cockpit.js folds Caps Lock) beyond HOTKEY_ACTIONS.
PLAYBACK_KEYS: dict[str, Builder] = {
    "m": lambda _form: Action("step_1m"),
    "r": lambda form: _rewind(form),
    "+": lambda form: _speed_step(form, 1),
    "=": lambda form: _speed_step(form, 1),
    "-": lambda form: _speed_step(form, -1),
}


def _hotkey(form: Form) -> Action | None:
    key = (form["hotkey"] or {}).get("key")
    if key in ("n", "N"):
        return _step_n(form)
    if isinstance(key, str) and key.lower() in PLAYBACK_KEYS:  # Shift or not
        return PLAYBACK_KEYS[key.lower()](form)
    if isinstance(key, str) and key.lower() == "l":  # the ladder: a preview, placed by a second L
        shown = (form.get("meta") or {}).get("preview_on")
        return _ladder("ladder_place" if shown else "ladder_preview")(form)
    kind, args = HOTKEY_ACTIONS.get(key, (None, None))
    if kind is None:
        return None
    extra = _template(form, hotkey=True) if kind in ("band_order", "market_order") else {}
    return Action(kind, {**args, **extra, "qty": form["ticket"]["qty"]})


def _note(form: Form) -> Action:
    return Action("note", {"text": form.get("note") or ""})


def _simple(kind: str, **args: Any) -> Builder:
    return lambda _form: Action(kind, dict(args))


BUILDERS: dict[str, Builder] = {
    ids.COCKPIT_INIT: _init,
    ids.START_BUTTON: _start,
    ids.PLAY: _simple("toggle_play"),
    ids.STEP_1: _simple("step", n=1),
    ids.STEP_N: _step_n,
    ids.TICKER: _tick,
    ids.PLACE: _place,
    ids.CANCEL_ALL: _simple("cancel_all"),
    ids.FLATTEN: _simple("flatten"),
    ids.END_CONFIRM: _simple("end"),  # the End button only asks (pages/cockpit.py)
    ids.ORDER_CANCEL: _cancel,
    ids.DISP_TF: _disp_tf,
    ids.REWIND: _rewind,
    ids.CHART_LIVE: _simple("live"),
    ids.ORDER_DRAG: _drag,
    ids.SPEED_SLIDER: _speed,
    ids.HOTKEY: _hotkey,
    ids.NOTE_BUTTON: _note,
    ids.CHART_MORE: _more,
    ids.SERVER_BACK: _simple("server_back"),
    ids.STEP_1M: _simple("step_1m"),
    ids.JUMP: _jump,
    ids.JUMP_NEXT_OPEN: _jump,
    ids.LINK_OCO: _link_oco,
    ids.BRACKET_POSITION: _bracket_position,
    ids.LADDER_PREVIEW: _ladder("ladder_preview"),
    ids.LADDER_PLACE: _ladder("ladder_place"),
    ids.LADDER_CANCEL: _simple("ladder_cancel"),
    ids.CONFIRM_YES: _confirm_yes,
    ids.CONFIRM_NO: lambda form: Action(
        "confirm_no", {"kind": (form.get("pending") or {}).get("kind")}
    ),
}


def fresh_ticket(last_price: float | None) -> dict[str, Any]:
    """The order ticket of a new session (or symbol): a BUY LIMIT at the last price, no
    bracket, nothing being modified; nothing kept from the previous session, whose price,
    side and type would place an unintended order here."""
    return {
        "price": price_text(last_price),
        "side": "BUY",
        "type": "LIMIT",
        "tp": None,
        "sl": None,
        "modify_target": None,
        "place_label": "Place order",
    }


def to_action(trigger: str | dict | None, value: Any, form: Form) -> Action | None:
    """Map the input that fired (a pattern-matching id by its ``type``), with the ``value`` it
    fired with, to an action; ``form`` holds the page's values (see ``pages/cockpit.py``)."""
    key = trigger.get("type") if isinstance(trigger, dict) else trigger
    builder = BUILDERS.get(key)
    return None if builder is None else builder({**form, "trigger": trigger, "value": value})
