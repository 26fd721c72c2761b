"""Cockpit: replay a market bar by bar and trade it by hand.

Thin page: the layout comes from :mod:`ntree.ui.cockpit_layout`; the callbacks turn inputs into
:mod:`ntree.ui.cockpit` actions (through :mod:`ntree.ui.cockpit_inputs`) and the result into
widget values (:mod:`ntree.ui.cockpit_view`).
"""

from __future__ import annotations

import dash
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate

from ntree.engine.ticks import TICK, round_to_tick
from ntree.service import ServiceError
from ntree.ui import cockpit_layout, faults, ids, start_form, ticket
from ntree.ui import format as fmt
from ntree.ui.cockpit import handle
from ntree.ui.cockpit_inputs import ORDER_ENTRY_BUTTONS, fresh_ticket, to_action
from ntree.ui.cockpit_view import folded_text, render
from ntree.ui.service import cockpit_service as service  # blind sessions masked

dash.register_page(__name__, path="/", name="Cockpit", title="ntree · Cockpit", order=0)


def layout(session: str | None = None, **_kwargs) -> html.Div:
    """The cockpit; ``/?session=ID`` resumes a session (e.g. after its tab was closed)."""
    return cockpit_layout.page(session, service().symbols())


# --- the start panel ------------------------------------------------------------------------


@callback(
    output=dict(
        bounds=(
            Output(ids.START_FROM, "min"),
            Output(ids.START_FROM, "max"),
            Output(ids.START_TO, "min"),
            Output(ids.START_TO, "max"),
        ),
        t_from=Output(ids.START_FROM, "value"),
        t_to=Output(ids.START_TO, "value"),
        note=Output(ids.START_RANGE_NOTE, "children"),
    ),
    inputs=dict(symbol=Input(ids.START_SYMBOL, "value"), preset=Input(ids.START_PRESET, "value")),
    state=dict(
        seed=State(ids.START_SEED, "value"),
        current_from=State(ids.START_FROM, "value"),
        current_to=State(ids.START_TO, "value"),
    ),
)
def _date_range(symbol, preset, seed, current_from, current_to):
    """Limit the date inputs to the symbol's data; apply a preset."""
    if not symbol:
        raise PreventUpdate
    rng = service().data_range(symbol)
    if rng is None:
        return dict(bounds=(None,) * 4, t_from=None, t_to=None, note=f"no data for {symbol}")
    if preset == "none" and ctx.triggered_id == ids.START_PRESET:
        raise PreventUpdate  # back to "Preset…": the dates stay as they are
    exchange = service().exchange(symbol)
    days = start_form.trading_days(rng, exchange)
    lo, hi = days[0].strftime("%Y-%m-%d"), days[-1].strftime("%Y-%m-%d")
    start, end = start_form.preset_range(days, preset, seed, current_from)
    t_from, t_to = start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")
    if (
        ctx.triggered_id == ids.START_SYMBOL
        and lo <= (current_from or "") <= (current_to or "") <= hi
    ):
        t_from, t_to = current_from, current_to  # another symbol: the dates still fit
    hours = start_form.session_hours(days[-1], exchange)
    return dict(
        bounds=(lo, hi, lo, hi),
        t_from=t_from,
        t_to=t_to,
        note=f"{symbol}: data {lo} → {hi} · regular session {hours}",
    )


@callback(
    output=dict(
        symbol=Output(ids.START_SYMBOL, "value"),
        t_from=Output(ids.START_FROM, "value", allow_duplicate=True),
        t_to=Output(ids.START_TO, "value", allow_duplicate=True),
        disp_tf=Output(ids.START_DISP_TF, "value"),
        boundary=Output(ids.START_BOUNDARY, "value"),
        leverage=Output(ids.START_LEVERAGE, "value"),
        knobs={knob: Output(id_, "value") for knob, id_ in cockpit_layout.FILL_KNOB_IDS.items()},
    ),
    inputs=dict(sid=Input(ids.SESSION_ID, "data"), _tf=Input(ids.DISP_TF, "value")),
    prevent_initial_call=True,
)
def _form_in_play(sid, _tf):
    """The start form shows the session in play (a resume, a rewind, a start, a switch of
    its display frame)."""
    try:
        st = service().state({"session_id": sid}) if sid else None
    except ServiceError:
        st = None
    if st is None:
        raise PreventUpdate
    form = start_form.session_form(st)
    form["knobs"] = {k: form["knobs"][k] for k in cockpit_layout.FILL_KNOB_IDS}
    return form


@callback(
    output=dict(is_open=Output(ids.START_FILL_PANEL, "is_open")),
    inputs=dict(_clicks=Input(ids.START_FILL_TOGGLE, "n_clicks")),
    state=dict(was_open=State(ids.START_FILL_PANEL, "is_open")),
    prevent_initial_call=True,
)
def _toggle_fill_model(_clicks, was_open):
    """Show or hide the fill model's knobs."""
    return dict(is_open=not was_open)


@callback(
    output=dict(
        model=Output(ids.START_FILL_MODEL, "data"),
        button=dict(
            text=Output(ids.START_FILL_TOGGLE, "children"),
            color=Output(ids.START_FILL_TOGGLE, "color"),
            summary=Output(ids.START_FILL_SUMMARY, "children"),
        ),
    ),
    inputs=dict(
        knobs={knob: Input(id_, "value") for knob, id_ in cockpit_layout.FILL_KNOB_IDS.items()}
    ),
)
def _fill_model(knobs):
    """Keep the knobs set away from their defaults (the session's start sends them; the
    engine checks them) and sum them up on the button."""
    model = start_form.fill_model(knobs)
    return dict(model=model, button=start_form.fill_button(model))


@callback(
    output=dict(
        cls=Output(ids.START_PANEL, "className"),
        text=Output(ids.START_FOLDED, "children"),
        label=Output(ids.START_UNFOLD, "children"),
    ),
    inputs=dict(sid=Input(ids.SESSION_ID, "data"), _unfold=Input(ids.START_UNFOLD, "n_clicks")),
    state=dict(cls=State(ids.START_PANEL, "className")),
)
def _fold_start_panel(sid, cls, _unfold):
    """Fold the start panel to one line (the session in play) when a session starts or
    resumes, so the chart fits the screen; its button opens the form again (and folds it)."""
    st = None
    if sid:
        try:
            st = service().state({"session_id": sid})
        except ServiceError:
            st = None
    if st is None:
        return dict(cls="mb-1 start-panel", text="", label="New session ▾")
    folded = ctx.triggered_id != ids.START_UNFOLD or "folded" not in (cls or "")
    return dict(
        cls="mb-1 start-panel has-session" + (" folded" if folded else ""),
        text=folded_text(st),
        label="New session ▾" if folded else "Fold ▴",
    )


# --- the order ticket -----------------------------------------------------------------------

_TICKET_KEEP = dict(
    price=no_update, qty=no_update, side=no_update, type=no_update, tp=no_update, sl=no_update
)


@callback(
    output=dict(
        price=Output(ids.ORDER_PRICE, "value"),
        qty=Output(ids.ORDER_QTY, "value"),
        side=Output(ids.ORDER_SIDE, "value"),
        type=Output(ids.ORDER_TYPE, "value"),
        tp=Output(ids.ORDER_TP, "value"),
        sl=Output(ids.ORDER_SL, "value"),
        modify_target=Output(ids.MODIFY_TARGET, "data"),
        place_label=Output(ids.PLACE, "children"),
        note=Output(ids.RISK_PREVIEW, "children", allow_duplicate=True),
    ),
    inputs=dict(
        _size=Input(ids.SIZE_FROM_RISK, "n_clicks"),
        _up=Input(ids.PRICE_UP, "n_clicks"),
        _down=Input(ids.PRICE_DOWN, "n_clicks"),
        _edit=Input({"type": ids.ORDER_EDIT, "oid": ALL}, "n_clicks"),
        _stop=Input(ids.MODIFY_CANCEL, "n_clicks"),
        _place=Input(ids.PLACE, "n_clicks"),
        sid=Input(ids.SESSION_ID, "data"),
    ),
    state=dict(
        price=State(ids.ORDER_PRICE, "value"),
        sizing=dict(
            side=State(ids.ORDER_SIDE, "value"),
            otype=State(ids.ORDER_TYPE, "value"),
            mode=State(ids.BRACKET_MODE, "value"),
            sl=State(ids.ORDER_SL, "value"),
            risk=State(ids.ORDER_RISK, "value"),
        ),
    ),
    prevent_initial_call=True,
)
def _ticket(sid, price, sizing, **_clicks):
    """Tick the price up/down, load an order to modify, start a new session's ticket afresh
    (its last price, BUY LIMIT: nothing left from the previous session), or reset the
    ticket (placed, or modify cancelled)."""
    trig = ctx.triggered_id
    keep = {**_TICKET_KEEP, "modify_target": no_update, "place_label": no_update}
    if trig == ids.SIZE_FROM_RISK:
        return {**keep, **_size(sid, price, sizing)}
    if trig in (ids.PRICE_UP, ids.PRICE_DOWN):
        if price in (None, ""):
            raise PreventUpdate
        step = TICK if trig == ids.PRICE_UP else -TICK
        new = round_to_tick(float(price) + step)
        return {**keep, "price": ticket.price_text(new), "note": no_update}
    if isinstance(trig, dict) and trig.get("type") == ids.ORDER_EDIT:
        return _load_order(sid, trig["oid"], ctx.triggered[0]["value"])
    if trig == ids.SESSION_ID:  # written only when the session changes (cockpit_view.render)
        last = _last_price(sid) if sid else None
        if last is None:
            raise PreventUpdate
        return {"qty": no_update, "note": no_update, **fresh_ticket(last)}
    return {**_TICKET_KEEP, "modify_target": None, "place_label": "Place order", "note": no_update}


def _size(sid: str | None, price, sizing: dict) -> dict:
    """The qty the $ risk buys with the ticket's SL (its entry: the price, or the last for
    a market order), or why not (in the risk line)."""
    try:
        entry = _last_price(sid) if sizing["otype"] == "MARKET" and sid else None
        entry = entry if entry is not None else ticket.number(price, "price")
        if entry is None:
            raise ServiceError("missing_field", "enter the entry price first", "price")
        stop = ticket.stop_price(sizing["mode"], entry, sizing["side"], sizing["sl"])
        qty = ticket.size_from_risk(sizing["risk"], entry, stop)
    except ServiceError as exc:
        return {"note": f"Size: {exc.message}"}
    return {"qty": qty, "note": no_update}


@callback(
    output=dict(
        price=Output(ids.ORDER_PRICE, "disabled"),
        up=Output(ids.PRICE_UP, "disabled"),
        down=Output(ids.PRICE_DOWN, "disabled"),
    ),
    inputs=dict(otype=Input(ids.ORDER_TYPE, "value")),
)
def _price_box(otype):
    """A market order takes no price: its box and ± buttons are off."""
    off = otype == "MARKET"
    return dict(price=off, up=off, down=off)


def _load_order(sid: str | None, oid: int, clicks: int | None) -> dict:
    """The ticket filled from working order ``oid``, to modify it."""
    if not clicks or not sid:
        raise PreventUpdate  # the button just appeared
    st = service().state({"session_id": sid})
    order = next((o for o in st["orders"] if o["order_id"] == oid), None)
    if order is None:
        raise PreventUpdate
    return dict(
        price=ticket.price_text(order["price"]),
        qty=order["qty"],
        side=order["side"],
        type=order["type"],
        tp=no_update,
        sl=no_update,
        modify_target=oid,
        place_label=f"Modify #{oid}",
        note=no_update,
    )


def _last_price(sid: str) -> float | None:
    """The session's last price; None for a stale id."""
    try:
        return service().state({"session_id": sid})["last_price"]
    except ServiceError:
        return None


@callback(
    output=dict(
        text=Output(ids.RISK_PREVIEW, "children"), cls=Output(ids.RISK_PREVIEW, "className")
    ),
    inputs=dict(
        side=Input(ids.ORDER_SIDE, "value"),
        otype=Input(ids.ORDER_TYPE, "value"),
        price=Input(ids.ORDER_PRICE, "value"),
        qty=Input(ids.ORDER_QTY, "value"),
        tp=Input(ids.ORDER_TP, "value"),
        sl=Input(ids.ORDER_SL, "value"),
        mode=Input(ids.BRACKET_MODE, "value"),
        risk=Input(ids.ORDER_RISK, "value"),
    ),
    state=dict(sid=State(ids.SESSION_ID, "data")),
)
def _risk(side, otype, price, qty, tp, sl, mode, risk, sid):
    """Preview the ticket's risk, reward and R (the template's legs as prices from the
    entry); flag a TP/SL the engine would refuse."""
    if tp in (None, "") and sl in (None, "") and not (mode == "r" and risk):
        return dict(text="", cls="risk-preview")
    if otype == "MARKET":  # a market order's bracket is checked against the last price
        price = _last_price(sid) if sid else None
    try:
        entry = ticket.number(price, "price")
        if entry is None:
            return dict(text="", cls="risk-preview")
        tp_px, sl_px = ticket.legs_at(mode, side, entry, tp, sl, qty=qty, risk=risk)
    except ServiceError as exc:
        return dict(text=exc.message, cls="risk-preview bad")
    text, ok = fmt.risk_preview(side, entry, qty, tp_px, sl_px)
    return dict(text=text, cls="risk-preview" if ok else "risk-preview bad")


# --- the chart: every replay action -----------------------------------------------------------

# Only a drop of a shape (an order line) reaches the server, not every pan and zoom.
clientside_callback(
    ClientsideFunction(namespace="ntree", function_name="orderDrop"),
    Output(ids.ORDER_DRAG, "data"),
    Input(ids.CHART, "relayoutData"),
    prevent_initial_call=True,
)

# A pan that reaches the figure's first candles asks for older ones (cockpit_playback.js).
clientside_callback(
    ClientsideFunction(namespace="ntree_playback", function_name="moreHistory"),
    Output(ids.CHART_MORE, "data"),
    Input(ids.CHART, "relayoutData"),
    prevent_initial_call=True,
)


@callback(
    output=dict(health=Output(ids.HEALTH, "data")),
    inputs=dict(_tick=Input(ids.HEALTH_TICK, "n_intervals")),
    state=dict(sid=State(ids.SESSION_ID, "data")),
    prevent_initial_call=True,
)
def _health(_tick, sid):
    """Answer the page's health check (cockpit_playback.js reads whether it got through)."""
    return dict(health=faults.health(sid))


@callback(
    output=dict(is_open=Output(ids.END_DIALOG, "is_open")),
    inputs=dict(
        _end=Input(ids.END, "n_clicks"),
        _keep=Input(ids.END_KEEP, "n_clicks"),
        _confirm=Input(ids.END_CONFIRM, "n_clicks"),
    ),
    prevent_initial_call=True,
)
def _end_dialog(**_clicks):
    """ "End session" asks first: the end flattens the position and cannot be undone."""
    return dict(is_open=ctx.triggered_id == ids.END)


# One callback writes every widget an action changes: one service call gives the one state they
# all show, in one round trip (split, they would need a second request per tick, or several
# writers of the same output racing each other).
_ACTION_OUTPUTS = dict(
    session=Output(ids.SESSION_ID, "data"),
    chart=dict(
        figure=Output(ids.CHART, "figure"),
        meta=Output(ids.CHART_META, "data"),
        live=Output(ids.CHART_LIVE, "className"),
    ),
    playback=dict(
        ticker_off=Output(ids.TICKER, "disabled"),
        interval=Output(ids.TICKER, "interval"),
        play=Output(ids.PLAY, "children"),
        disp_tf=Output(ids.DISP_TF, "value"),
        speed_idx=Output(ids.SPEED_SLIDER, "value"),
    ),
    clock=dict(
        bar_time=Output(ids.BAR_TIME, "children"),
        phase=Output(ids.MARKET_PHASE, "children"),
        time_left=Output(ids.TIME_LEFT, "children"),
        label=Output(ids.SESSION_LABEL, "children"),
    ),
    position=dict(
        qty=Output(ids.POS_QTY, "children"),
        avg=Output(ids.POS_AVG, "children"),
        unreal=Output(ids.POS_UNREAL, "children"),
        real=Output(ids.POS_REAL, "children"),
        equity=Output(ids.POS_EQUITY, "children"),
        maxdd=Output(ids.POS_MAXDD, "children"),
        bp=Output(ids.POS_BP, "children"),
    ),
    tables=dict(
        orders=Output(ids.ORDERS_TABLE, "children"),
        trades=Output(ids.TRADES_TABLE, "children"),
        excursion=Output(ids.TRADES_OPEN, "children"),
    ),
    alert=dict(
        text=Output(ids.ALERT, "children"),
        is_open=Output(ids.ALERT, "is_open"),
        color=Output(ids.ALERT, "color"),
        duration=Output(ids.ALERT, "duration"),
    ),
    summary=Output(ids.SUMMARY, "children"),
    confirm=dict(
        is_open=Output(ids.CONFIRM_MODAL, "is_open"),
        text=Output(ids.CONFIRM_TEXT, "children"),
        pending=Output(ids.CONFIRM_PENDING, "data"),
    ),
)
# Inputs whose value the action needs; the others only say which button fired.
_ACTION_INPUTS = dict(
    init=Input(ids.COCKPIT_INIT, "data"),
    disp_tf=Input(ids.DISP_TF, "value"),
    hotkey=Input(ids.HOTKEY, "data"),
    speed_idx=Input(ids.SPEED_SLIDER, "value"),
    drag=Input(ids.ORDER_DRAG, "data"),
    more=Input(ids.CHART_MORE, "data"),
    back=Input(ids.SERVER_BACK, "data"),
    clicks=dict(
        start=Input(ids.START_BUTTON, "n_clicks"),
        play=Input(ids.PLAY, "n_clicks"),
        step_1=Input(ids.STEP_1, "n_clicks"),
        step_n=Input(ids.STEP_N, "n_clicks"),
        step_1m=Input(ids.STEP_1M, "n_clicks"),
        jump=Input(ids.JUMP, "n_clicks"),
        next_open=Input(ids.JUMP_NEXT_OPEN, "n_clicks"),
        tick=Input(ids.TICKER, "n_intervals"),
        place=Input(ids.PLACE, "n_clicks"),
        cancel_all=Input(ids.CANCEL_ALL, "n_clicks"),
        flatten=Input(ids.FLATTEN, "n_clicks"),
        cancel=Input({"type": ids.ORDER_CANCEL, "oid": ALL}, "n_clicks"),
        rewind=Input(ids.REWIND, "n_clicks"),
        end=Input(ids.END_CONFIRM, "n_clicks"),
        live=Input(ids.CHART_LIVE, "n_clicks"),
        note=Input(ids.NOTE_BUTTON, "n_clicks"),
        **{name: Input(id_, "n_clicks") for name, id_ in ORDER_ENTRY_BUTTONS.items()},
    ),
)
_ACTION_STATE = dict(
    sid=State(ids.SESSION_ID, "data"),
    meta=State(ids.CHART_META, "data"),
    relayout=State(ids.CHART, "relayoutData"),
    n=State(ids.STEP_N_COUNT, "value"),
    jump_to=State(ids.JUMP_TO, "value"),
    rewind_n=State(ids.REWIND_COUNT, "value"),
    auto_pause=State(ids.AUTO_PAUSE, "value"),
    note=State(ids.NOTE_TEXT, "value"),
    start=dict(
        symbol=State(ids.START_SYMBOL, "value"),
        t_from=State(ids.START_FROM, "value"),
        t_to=State(ids.START_TO, "value"),
        disp_tf=State(ids.START_DISP_TF, "value"),
        speed=State(ids.SPEED_SLIDER, "value"),  # the one speed control, the toolbar's
        seed=State(ids.START_SEED, "value"),
        boundary=State(ids.START_BOUNDARY, "value"),
        fill_model=State(ids.START_FILL_MODEL, "data"),
        blind=State(ids.START_BLIND, "value"),
        leverage=State(ids.START_LEVERAGE, "value"),
    ),
    ticket=dict(
        side=State(ids.ORDER_SIDE, "value"),
        type=State(ids.ORDER_TYPE, "value"),
        price=State(ids.ORDER_PRICE, "value"),
        qty=State(ids.ORDER_QTY, "value"),
        tp=State(ids.ORDER_TP, "value"),
        sl=State(ids.ORDER_SL, "value"),
        modify_target=State(ids.MODIFY_TARGET, "data"),
        mode=State(ids.BRACKET_MODE, "value"),
        risk=State(ids.ORDER_RISK, "value"),
    ),
    ladder=dict(
        levels=State(ids.LADDER_LEVELS, "value"),
        step_atr=State(ids.LADDER_STEP, "value"),
        weights=State(ids.LADDER_WEIGHTS, "value"),
        qty=State(ids.LADDER_QTY, "value"),
        side=State(ids.LADDER_SIDE, "value"),
    ),
    picks=State({"type": ids.ORDER_PICK, "oid": ALL}, "value"),
    pending=State(ids.CONFIRM_PENDING, "data"),
)


@callback(output=_ACTION_OUTPUTS, inputs=_ACTION_INPUTS, state=_ACTION_STATE)
def _on_action(clicks, sid, meta, relayout, **form):
    """Run the action the trader took (the page load included) and show its result."""
    del clicks  # which one fired is all that counts (ctx.triggered_id)
    # The initial call lists every input as triggered: treat it as a page load.
    trig = ids.COCKPIT_INIT if len(ctx.triggered) > 1 else ctx.triggered_id
    action = to_action(trig, ctx.triggered[0]["value"], {**form, "meta": meta})
    if action is None:
        raise PreventUpdate
    res = handle(service(), sid, meta, action, relayout=relayout)
    return render(res, action, meta)


# A note written into the log leaves the box empty for the next one.
clientside_callback(
    """function(msg) {
        const saved = typeof msg === "string" && msg.startsWith("Note saved");
        return saved ? "" : window.dash_clientside.no_update;
    }""",
    Output(ids.NOTE_TEXT, "value"),
    Input(ids.ALERT, "children"),
    prevent_initial_call=True,
)
