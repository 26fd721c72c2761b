"""The cockpit's blind mask (ntree/ui/blind.py): what the trader sees of a blind session
holds no real price, date or symbol; what they type lands on a real tick; the reveal shows
both."""

from __future__ import annotations

import json
import re

import pytest

from ntree.blind import Rebase
from ntree.ui import format as fmt
from ntree.ui.blind import CockpitService, SessionMask
from ntree.ui.cockpit import Action, handle
from ntree.ui.cockpit_view import render

DAY = "2024-08-06"
BODY = {
    "symbol": "SPY",
    "t_start": DAY,
    "t_end": DAY,
    "disp_tf": "5m",
    "speed": 10.0,
    "seed": 0,
    "constraints": {"edit_on_disp_boundary": True},
    "fill_model": {},
    "blind": True,
}


@pytest.fixture
def blind(replay_service):
    """A blind SPY session (its symbol and day given here, as a bot would), the cockpit's view
    of the service, and the real service."""
    sid = replay_service.start(dict(BODY))["session_id"]
    return sid, CockpitService(replay_service), replay_service


def _numbers(value) -> list[float]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    return [float(value)]


def _assert_nothing_real(masked, real_low: float, real_high: float) -> None:
    text = json.dumps(masked)
    assert "SPY" not in text, text[max(text.find("SPY") - 200, 0) : text.find("SPY") + 50]
    assert not re.search(r"\b20\d\d-\d\d-\d\d", text)  # no real date
    prices = [x for x in _numbers(masked) if real_low * 0.9 <= x <= real_high * 1.1]
    assert prices == []


def test_the_masked_snapshot_holds_no_real_price_date_or_symbol(blind):
    sid, cockpit, svc = blind
    px = svc.state({"session_id": sid})["last_price"]
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    svc.command(
        "place",
        {
            "session_id": sid,
            "side": "BUY",
            "type": "LIMIT",
            "qty": 5,
            "price": round(px - 2, 2),
            "bracket": {"tp": round(px + 3, 2), "sl_offset": 0.5},
        },
    )
    svc.command("step", {"session_id": sid, "disp_steps": 4})
    real = svc.snapshot(sid, 300)
    lows = [c["low"] for c in real["candles"]]
    masked = cockpit.snapshot(sid, 300)
    _assert_nothing_real(masked, min(lows), max(c["high"] for c in real["candles"]))
    assert masked["symbol"] == "BLIND" and masked["blind"] is True
    mask = SessionMask.of(real)
    assert masked["position"]["realized_pnl"] == mask.rebase.money(real["position"]["realized_pnl"])
    assert masked["equity"] == mask.rebase.equity(real["equity"])


def test_an_order_typed_at_a_shown_price_lands_on_a_real_tick_shown_as_typed(blind):
    sid, cockpit, svc = blind
    res = handle(cockpit, sid, None, Action("init"))
    last = res.state["last_price"]
    shown = round(last - 0.37, 2)
    res = handle(
        cockpit,
        sid,
        res.meta,
        Action("place", {"side": "BUY", "type": "LIMIT", "qty": 100, "price": shown}),
    )
    assert res.message.startswith("Order #1 placed"), res.message
    [order] = svc.state({"session_id": sid})["orders"]
    anchor = svc.state({"session_id": sid})["blind_rebase"]["price_anchor"]
    assert order["price"] == round(order["price"], 2)  # a real tick
    assert order["price"] == Rebase(anchor, 1).to_real(shown)
    assert [o["price"] for o in res.state["orders"]] == [shown]  # where it landed, as shown


def test_a_refusal_names_no_real_price(blind):
    sid, cockpit, svc = blind
    real_last = svc.state({"session_id": sid})["last_price"]
    res = handle(cockpit, sid, None, Action("init"))
    above = round(res.state["last_price"] + 5, 2)
    res = handle(
        cockpit,
        sid,
        res.meta,
        Action("place", {"side": "SELL", "type": "STOP", "qty": 10, "price": above}),
    )
    assert res.message_color == "danger"
    assert f"{real_last:.2f}" not in res.message
    assert f"{above:.2f}" in res.message  # the shown price the trader typed, as typed
    assert not re.search(r"\b5\d\d\.\d\d\b", res.message)  # no SPY-like price at all


def test_the_chart_and_clock_read_day_n_and_the_reveal_shows_both(blind):
    sid, cockpit, svc = blind
    res = handle(cockpit, sid, None, Action("init"))
    xs = res.figure["data"][0]["x"]
    assert xs[-1] == "Day 0 15:55" and xs[0].startswith("Day -")  # the history before Day 1
    out = render(res, Action("init"), None)
    assert out["clock"]["bar_time"] == "Day 1 09:30"
    assert out["clock"]["label"].startswith("BLIND · 5m")
    handle(cockpit, sid, res.meta, Action("place", {"side": "BUY", "type": "MARKET", "qty": 10}))
    res = handle(cockpit, sid, res.meta, Action("step", {"n": 6}))
    res = handle(cockpit, sid, res.meta, Action("end"))
    facts = res.state["reveal"]
    real = svc.state({"session_id": sid})
    assert facts["symbol"] == "SPY" and DAY in facts["dates"]
    pnl_row = facts["rows"][0]
    rebase = SessionMask.of(real).rebase
    assert pnl_row == (
        "PnL",
        fmt.money(rebase.money(real["summary"]["pnl"])),
        fmt.money(real["summary"]["pnl"]),
    )
    card = render(res, Action("end"), res.meta)["summary"]
    assert "SPY" in json.dumps(card.to_plotly_json(), default=str)


def test_a_session_that_is_not_blind_passes_through_unchanged(replay_service):
    sid = replay_service.start({**BODY, "blind": False})["session_id"]
    cockpit = CockpitService(replay_service)
    assert cockpit.snapshot(sid, 50) == replay_service.snapshot(sid, 50)


def test_the_cockpit_start_picks_a_random_symbol_and_day(replay_service):
    cockpit = CockpitService(replay_service)
    body = {**BODY, "symbol": None, "t_start": None, "t_end": None}
    res = handle(cockpit, None, None, Action("start", {"body": body, "pick_seed": 7}))
    assert res.message.startswith("Blind session"), res.message
    real = replay_service.state({"session_id": res.session_id})
    assert real["blind"] is True and real["symbol"] in replay_service.symbols()
    assert res.state["symbol"] == "BLIND"


def test_history_and_coach_mark_blind_sessions_and_hide_one_in_play(replay_service):
    from ntree.ui.coach_layout import session_label
    from ntree.ui.history_grid import grid_row

    sid = replay_service.start(dict(BODY))["session_id"]
    row = replay_service.get_session(sid)
    shown = grid_row(row)
    assert shown["symbol"] == "BLIND" and "2024" not in shown["dates"]
    assert shown["status"] == "active · blind"
    assert "SPY" not in session_label(row)
    replay_service.command("end", {"session_id": sid})
    row = replay_service.get_session(sid)
    shown = grid_row(row)
    assert shown["symbol"] == "SPY" and DAY in shown["dates"]
    assert shown["status"] == "ended · blind"
    assert session_label(row).startswith("SPY ") and session_label(row).endswith(" · blind")
    plain = replay_service.start({**BODY, "blind": False})["session_id"]
    assert grid_row(replay_service.get_session(plain))["status"] == "active"


def test_the_history_detail_of_a_blind_session_in_play_shows_nothing_of_it(dash_app):
    import importlib

    from ntree.service import SERVICE_KEY

    page = importlib.import_module("pages.session_log")
    svc = dash_app.server.extensions[SERVICE_KEY]
    sid = svc.start(dict(BODY))["session_id"]
    try:
        with dash_app.server.app_context():
            in_play = json.dumps(page.layout(session_id=sid).to_plotly_json(), default=str)
            assert "SPY" not in in_play and DAY not in in_play and "blind" in in_play
            svc.command("end", {"session_id": sid})
            ended = json.dumps(page.layout(session_id=sid).to_plotly_json(), default=str)
            assert "SPY" in ended and DAY in ended
    finally:
        svc.delete_session(sid)
