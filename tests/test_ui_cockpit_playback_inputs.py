"""The playback controls as actions: 1-minute steps, jumps, rewind and speed hotkeys, ticks
that step several bars at high speeds."""

from __future__ import annotations

from ntree.ui import ids
from ntree.ui.cockpit import ACTIONS, SPEEDS
from ntree.ui.cockpit_inputs import PLAYBACK_KEYS, to_action
from tests.test_ui_cockpit_inputs import _form


def test_the_1m_button_and_the_m_key_step_one_minute() -> None:
    assert to_action(ids.STEP_1M, 1, _form()).kind == "step_1m"
    assert to_action(ids.HOTKEY, None, _form(hotkey={"key": "m", "n": 1})).kind == "step_1m"


def test_jump_takes_the_typed_time_or_the_next_open() -> None:
    typed = to_action(ids.JUMP, 1, _form(jump_to=" 10:30 "))
    assert (typed.kind, typed.args) == ("jump", {"to": "10:30", "auto_pause": True})
    assert to_action(ids.JUMP_NEXT_OPEN, 1, _form(jump_to="10:30")).args["to"] == "next_open"


def test_rewind_and_speed_hotkeys_move_through_the_speeds_and_stop_at_the_ends() -> None:
    rewind = to_action(ids.HOTKEY, None, _form(hotkey={"key": "r"}, rewind_n=3))
    assert (rewind.kind, rewind.args) == ("rewind", {"n": 3})
    up = to_action(ids.HOTKEY, None, _form(hotkey={"key": "+"}, speed_idx="60"))
    assert up.args == {"speed": 120.0}
    down = to_action(ids.HOTKEY, None, _form(hotkey={"key": "-"}, speed_idx=str(SPEEDS[0])))
    assert down.args == {"speed": float(SPEEDS[0])}  # the slowest stays the slowest
    top = to_action(ids.HOTKEY, None, _form(hotkey={"key": "="}, speed_idx=str(SPEEDS[-1])))
    assert top.args == {"speed": float(SPEEDS[-1])}
    assert {PLAYBACK_KEYS[k](_form(hotkey={"key": k})).kind for k in PLAYBACK_KEYS} <= set(ACTIONS)


def test_a_tick_at_10_bars_a_second_steps_two_bars() -> None:
    assert to_action(ids.TICKER, 5, _form(speed_idx="600")).args["n"] == 2
    assert to_action(ids.TICKER, 5, _form(speed_idx="60")).args["n"] == 1
