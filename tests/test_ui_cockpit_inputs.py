"""The cockpit's inputs become actions through one table, with no browser."""

from __future__ import annotations

from ntree.ui import ids
from ntree.ui.cockpit import ACTIONS
from ntree.ui.cockpit_inputs import BUILDERS, HOTKEY_ACTIONS, to_action

TICKET = {
    "side": "BUY",
    "type": "LIMIT",
    "price": 100.5,
    "qty": 10,
    "tp": 101.0,
    "sl": None,
    "mode": "price",
    "risk": None,
}
LADDER = {"levels": 3, "step_atr": 0.5, "weights": "1-2-3", "qty": 60, "side": "BOTH"}
START = {
    "symbol": "SPY",
    "t_from": "2024-08-05",
    "t_to": "2024-08-06",
    "disp_tf": "15m",
    "speed": "20",
    "seed": None,
    "boundary": False,
    "fill_model": None,
}


def _form(**values) -> dict:
    form = {
        "init": 0,
        "meta": {"tf": "5m"},
        "disp_tf": "5m",
        "speed_idx": "60",
        "hotkey": None,
        "drag": None,
        "n": 7,
        "rewind_n": None,
        "auto_pause": True,
        "start": START,
        "ticket": {**TICKET, "modify_target": None},
        "ladder": LADDER,
        "picks": [[], [3], [5]],
        "pending": {"kind": "place", "args": {**TICKET, "confirmed": True}},
    }
    return form | values


def test_the_start_button_sends_the_start_panel_as_the_session_body() -> None:
    action = to_action(ids.START_BUTTON, 1, _form())

    assert action.kind == "start"
    assert action.args["body"] == {
        "symbol": "SPY",
        "t_start": "2024-08-05",
        "t_end": "2024-08-06",
        "disp_tf": "15m",
        "speed": 20.0,
        "seed": 0,
        "constraints": {"edit_on_disp_boundary": False},
        "fill_model": {},
    }


def test_a_page_load_resumes_the_session_in_the_address_only_when_there_is_one() -> None:
    assert to_action(ids.COCKPIT_INIT, None, _form(init="abc123")).args == {"resume": "abc123"}
    assert to_action(ids.COCKPIT_INIT, None, _form()).args == {}


def test_the_ticket_places_its_order_and_the_ticker_steps_with_auto_pause() -> None:
    place = to_action(ids.PLACE, 1, _form())
    tick = to_action(ids.TICKER, 5, _form())

    assert place.kind == "place" and place.args == {**TICKET, "modify_target": None}
    assert (tick.kind, tick.args) == ("tick", {"n": 1, "auto_pause": True})


def test_a_cancel_button_that_just_appeared_does_nothing() -> None:
    trig = {"type": ids.ORDER_CANCEL, "oid": 4}

    assert to_action(trig, None, _form()) is None
    assert to_action(trig, 1, _form()).args == {"order_id": 4}


def test_the_frame_menu_set_to_the_charts_frame_is_no_switch() -> None:
    assert to_action(ids.DISP_TF, "5m", _form()) is None
    assert to_action(ids.DISP_TF, "15m", _form(disp_tf="15m")).args == {"disp_tf": "15m"}


def test_hotkeys_step_n_and_place_band_limits_with_the_ticket_qty() -> None:
    n = to_action(ids.HOTKEY, None, _form(hotkey={"key": "N", "n": 1}))
    b = to_action(ids.HOTKEY, None, _form(hotkey={"key": "b", "n": 2}))

    assert (n.kind, n.args) == ("step", {"n": 7})
    assert (b.kind, b.args) == ("band_order", {"side": "BUY", "band": "ch_lower", "qty": 10})
    assert to_action(ids.HOTKEY, None, _form(hotkey={"key": "q", "n": 3})) is None


def test_hotkeys_take_the_bracket_template_only_when_it_is_given_by_offsets() -> None:
    points = {**TICKET, "mode": "points", "tp": 1.0, "sl": 0.5, "modify_target": None}
    u = to_action(ids.HOTKEY, None, _form(hotkey={"key": "u", "n": 1}, ticket=points))
    d = to_action(ids.HOTKEY, None, _form(hotkey={"key": "d", "n": 2}))

    assert (u.kind, u.args) == (
        "market_order",
        {"side": "BUY", "qty": 10, "mode": "points", "tp": 1.0, "sl": 0.5, "risk": None},
    )
    assert (d.kind, d.args) == ("market_order", {"side": "SELL", "qty": 10})  # prices: not


def test_the_ladder_hotkey_previews_first_and_places_what_is_shown() -> None:
    first = to_action(ids.HOTKEY, None, _form(hotkey={"key": "l", "n": 1}))
    shown = _form(hotkey={"key": "l", "n": 2}, meta={"tf": "5m", "preview_on": True})
    second = to_action(ids.HOTKEY, None, shown)

    assert (first.kind, first.args) == ("ladder_preview", LADDER)
    assert (second.kind, second.args) == ("ladder_place", LADDER)


def test_confirming_runs_the_pending_action_and_link_oco_sends_the_picks() -> None:
    yes = to_action(ids.CONFIRM_YES, 1, _form())
    none = to_action(ids.CONFIRM_YES, 1, _form(pending=None))
    link = to_action(ids.LINK_OCO, 1, _form())

    assert (yes.kind, yes.args["confirmed"], yes.args["price"]) == ("place", True, 100.5)
    assert none is None
    assert (link.kind, link.args) == ("link_oco", {"picks": [[], [3], [5]]})


def test_every_input_and_hotkey_maps_to_an_action_the_controller_handles() -> None:
    form = _form(drag={"rl": {}, "n": 1}, hotkey={"key": "n"}, disp_tf="15m")
    kinds = {to_action(trig, 1, form).kind for trig in BUILDERS if trig != ids.ORDER_CANCEL}
    kinds |= {kind for kind, _ in HOTKEY_ACTIONS.values()}

    assert kinds - {"drag_line"} <= set(ACTIONS)  # a drag becomes move_order in handle()
    assert "move_order" in ACTIONS


def test_a_fresh_ticket_is_a_buy_limit_at_the_last_price_with_nothing_kept() -> None:
    from ntree.ui.cockpit_inputs import fresh_ticket

    assert fresh_ticket(542.6)["price"] == "542.60"  # with the tick's decimals
    assert fresh_ticket(541.38) == {
        "price": "541.38",
        "side": "BUY",
        "type": "LIMIT",
        "tp": None,
        "sl": None,
        "modify_target": None,
        "place_label": "Place order",
    }
