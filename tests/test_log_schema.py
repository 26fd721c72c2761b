"""The log schema: every event of a rich session obeys its payload definition."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from engine_helpers import make_session

from ntree.engine import EngineError, EventType
from ntree.engine.commands import (
    Cancel,
    CancelAll,
    CancelLadder,
    End,
    Flatten,
    LinkOco,
    Modify,
    Note,
    Pause,
    Place,
    PlaceLadder,
    Play,
    ReplaceOrders,
    SetBracket,
    SetDispTf,
    SetSpeed,
    Step,
    command_from_log,
)
from ntree.engine.log_schema import EVENT_PAYLOADS, payload_fields
from ntree.service.shapes import problems

README = Path(__file__).resolve().parents[1] / "README.md"

ROWS = [
    None,  # 0: the market buy fills at 100
    None,
    (100, 101.5, 100, 101),  # 2: the scale-out sell limit at 101 fills; exits follow
    (101, 102.5, 101, 102),  # 3: the take-profit at 102 fills; OCO cancels the stop
    None,
    (102, 103.5, 98.5, 100),  # 5: both limits reached: the sell (nearest the open) wins
    None,
    (103, 104.5, 103, 104),  # 7: the buy stop at 104 triggers
    None,
    (104, 104, 94.5, 95),  # 9: the OCO buy limit at 95 fills, 94 is canceled
]


def rich_session():
    """Play every command, fill kind, bracket, OCO, the direction lock, rejections, a user
    flatten and the session-end flatten; return the session."""
    s = make_session(ROWS, minutes=40)

    def run(cmd):
        try:
            return s.execute(cmd)
        except EngineError:
            return None

    run(Place("BUY", "MARKET", 10, bracket={"tp": 102.0, "sl": 98.0}))
    run(Place("SELL", "LIMIT", 5, price=101.0, tag="scale"))
    run(Step(exec_steps=4))
    run(Place("BUY", "LIMIT", 1, price=99.0))
    run(Place("SELL", "LIMIT", 1, price=103.0))
    run(Step(exec_steps=2))
    run(Place("BUY", "STOP_MARKET", 1, price=104.0))
    run(Step(exec_steps=2))
    (buy_99,) = [o.order_id for o in s.orders.values() if o.price == 99.0]
    run(Cancel(buy_99))
    run(Place("BUY", "LIMIT", 1, price=95.0, oco_group="g"))
    run(Place("BUY", "LIMIT", 1, price=94.0, oco_group="g"))
    run(Step(exec_steps=2))
    run(SetBracket(tp=110.0, sl=90.0))
    (oid,) = run(ReplaceOrders([{"side": "BUY", "type": "LIMIT", "qty": 1, "price": 80.0}]))
    run(Modify(oid, price=81.0))
    run(Place("BUY", "LIMIT", 1, price=100.005))  # off the tick: ORDER_REJECTED
    run(Place("BUY", "LIMIT", 1, price=float("nan")))  # not JSON: cmd_text
    run(Cancel(999))
    run(SetSpeed(20))
    run(Play())
    run(Pause())
    run(Note("a note"))
    run(Step(exec_steps=5))  # 13:45: a boundary 5m and 15m share
    run(SetDispTf("15m"))
    run(Flatten())
    run(Step())
    run(Place("SELL", "LIMIT", 1, price=120.0))
    run(CancelAll())
    run(PlaceLadder(qty=6, levels=2))  # LADDER_PLACED, then LADDER_CANCELED
    run(CancelLadder())
    low = run(Place("BUY", "LIMIT", 1, price=80.0))
    high = run(Place("SELL", "LIMIT", 1, price=130.0))
    run(LinkOco([low, high]))  # ORDERS_LINKED
    run(CancelAll())
    # A buy limit above the market fills at the open, 95, below its absolute stop: that leg
    # is refused (BRACKET_LEG_REFUSED); the target by offset is placed from the fill.
    run(Place("BUY", "LIMIT", 2, price=96.0, bracket={"tp_offset": 1.0, "sl": 95.5}))
    run(Step())
    run(End())
    return s


@pytest.fixture(scope="module")
def events():
    s = rich_session()
    out = s.drain_events()
    to_end = make_session([], minutes=10)  # one more that plays to the end of its data
    to_end.execute(Step(disp_steps=5))
    return out + to_end.drain_events()


def test_the_rich_session_produces_every_event_type(events):
    assert {e.type for e in events} == set(EventType)


def test_every_event_obeys_its_payload_definition(events):
    for ev in events:
        assert problems(EVENT_PAYLOADS[ev.type], ev.payload, f"event {ev.seq} {ev.type}") == []


def test_every_recorded_command_is_a_registered_command(events):
    for ev in events:
        if "cmd" in ev.payload:
            command_from_log(ev.payload["cmd"], ev.seq)


def test_every_event_type_has_a_payload_definition():
    assert set(EVENT_PAYLOADS) == set(EventType)


def test_the_checker_sees_an_unknown_key_a_missing_one_and_a_wrong_type():
    fill = EVENT_PAYLOADS[EventType.TARGET_FILLED]
    assert problems(fill, {"order_id": 1, "price": 101.0}) == []
    assert problems(fill, {"order_id": 1, "price": 101.0, "extra": 1})
    assert problems(fill, {"order_id": 1})
    assert problems(fill, {"order_id": "1", "price": 101.0})
    assert problems(fill, {"order_id": True, "price": 101.0})


def event_table() -> str:
    """Return the README's event table as the definitions give it."""
    rows = [
        "| event type | payload keys (`?`: only when set) | what it records |",
        "| --- | --- | --- |",
    ]
    for etype, payload in EVENT_PAYLOADS.items():
        doc = " ".join((payload.__doc__ or "").split()).replace("``", "`")
        rows.append(f"| `{etype}` | `{payload_fields(payload)}` | {doc} |")
    return "\n".join(rows)


def test_the_readme_lists_exactly_the_defined_event_types_and_their_keys():
    text = README.read_text()
    listed = re.findall(r"^\| `([A-Z_]+)` \| `[^`]*` \|", text, re.M)
    assert sorted(listed) == sorted(EVENT_PAYLOADS), "README: one row per event type"
    assert event_table() in text, f"paste this table into the README:\n{event_table()}"
