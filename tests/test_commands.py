"""The command contract: one registry, commands rebuilt from the log, never a method by name."""

from __future__ import annotations

import dataclasses

import pytest

from ntree.engine import EngineError, Event, ReplaySession
from ntree.engine.commands import (
    COMMANDS,
    Cancel,
    Place,
    ReplaceOrders,
    Step,
    command_from,
    command_from_log,
)
from tests.engine_helpers import make_session


def test_every_command_is_frozen_and_named_by_its_op() -> None:
    for op, cls in COMMANDS.items():
        assert cls.op == op
        assert dataclasses.is_dataclass(cls)
        assert cls.__dataclass_params__.frozen
    with pytest.raises(dataclasses.FrozenInstanceError):
        Cancel(3).order_id = 4  # type: ignore[misc]


def test_args_keep_only_what_was_given_in_field_order() -> None:
    cmd = Place("BUY", "LIMIT", 10, 99.5, bracket={"tp": 101.0})
    assert cmd.to_log() == {
        "op": "place",
        "args": {
            "side": "BUY",
            "type": "LIMIT",
            "qty": 10,
            "price": 99.5,
            "bracket": {"tp": 101.0},
        },
    }
    assert Step().to_log() == {"op": "step", "args": {}}


def test_command_from_builds_each_registered_command() -> None:
    assert command_from("cancel", {"order_id": 7}, code="bad_script", where="x") == Cancel(7)
    assert command_from("step", {}, code="bad_script", where="x") == Step()


@pytest.mark.parametrize(
    ("op", "args", "says"),
    [
        ("_finish", {"reason": "user", "cmd": None}, "unknown command '_finish'"),
        ("drain_events", {}, "unknown command 'drain_events'"),
        ("teleport", {}, "unknown command 'teleport'"),
        (None, {}, "unknown command None"),
        ("cancel", {"order_id": 1, "why": "x"}, "takes no ['why']"),
        ("cancel", {}, "needs ['order_id']"),
        ("place", [1, 2], "must be an object"),
    ],
)
def test_a_log_command_that_is_not_a_command_is_bad_log_naming_the_event(
    op: object, args: object, says: str
) -> None:
    with pytest.raises(EngineError) as err:
        command_from_log({"op": op, "args": args}, 5)
    assert err.value.code == "bad_log"
    assert "event 5" in err.value.message and says in err.value.message


def test_rebuilding_a_log_whose_op_is_a_private_method_refuses_instead_of_calling_it() -> None:
    s = make_session()
    log = s.drain_events()
    forged_cmd = {"cmd": {"op": "_finish", "args": {}}}
    forged = Event(2, log[0].ts_exec, log[0].ts_market, "NOTE", forged_cmd)
    with pytest.raises(EngineError) as err:
        ReplaySession.from_events([*log, forged], s.bars)
    assert err.value.code == "bad_log" and "event 2" in err.value.message


def test_execute_and_the_named_methods_write_the_same_log() -> None:
    by_name, by_command = make_session(), make_session()
    by_name.place("BUY", "LIMIT", 10, 99.5)
    by_name.replace_orders([{"side": "SELL", "type": "STOP", "qty": 5, "price": 98.0}])
    by_name.advance(disp_steps=2)
    for cmd in (
        Place("BUY", "LIMIT", 10, 99.5),
        ReplaceOrders([{"side": "SELL", "type": "STOP", "qty": 5, "price": 98.0}]),
        Step(disp_steps=2),
    ):
        by_command.execute(cmd)
    assert by_command.drain_events() == by_name.drain_events()


def test_execute_refuses_what_is_not_a_command() -> None:
    s = make_session()
    with pytest.raises(EngineError) as err:
        s.execute({"op": "step"})  # type: ignore[arg-type]
    assert err.value.code == "bad_command"
