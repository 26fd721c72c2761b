"""Prepared windows: a session opened on a shared PreparedBars is the session opened on the
bars themselves, event for event and state for state, however often the window is reused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_helpers import DAY_OPEN, config, make_bars

from ntree.codec import event_line
from ntree.engine import EngineError, PreparedBars, ReplaySession
from tests.engine.test_determinism import WAVE, scripted


def everything(session: ReplaySession, events: list) -> dict:
    """Return all a session shows: its log, state, summary, trades, equity and candles."""
    return {
        "log": [event_line(e) for e in events],
        "state": session.state(),
        "summary": session.summary(),
        "trades": session.trades,
        "equity_curve": session.equity_curve,
        "candles": session.candles(n=10_000),
        "observe": session.observe(),
        "fingerprint": session.fingerprint,
    }


def test_a_session_on_a_prepared_window_is_the_session_on_fresh_bars() -> None:
    bars = make_bars(WAVE)
    fresh = everything(*scripted(bars))
    prepared = PreparedBars(bars)
    # Three sessions share the window; the script switches to 10m, so later ones also meet
    # a display frame another session had the window compute.
    for _ in range(3):
        assert everything(*scripted(prepared)) == fresh
    assert set(prepared._frames) == {5, 10}
    assert len(fresh["log"]) > 30


def test_a_rebuild_on_a_prepared_window_is_the_rebuild_on_fresh_bars() -> None:
    bars = make_bars(WAVE)
    _, events = scripted(bars)
    fresh = ReplaySession.from_events(events, bars, session_id="f", upto_exec_index=75)
    shared = ReplaySession.from_events(
        events, PreparedBars(bars), session_id="f", upto_exec_index=75
    )
    assert everything(shared, shared.drain_events()) == everything(fresh, fresh.drain_events())


def test_a_window_prepared_past_the_sessions_end_is_cut_at_it() -> None:
    bars = make_bars(WAVE, minutes=120)
    t_end = DAY_OPEN + pd.Timedelta(minutes=45)
    prepared = PreparedBars(bars)  # every bar, more than the session plays

    def play(b: pd.DataFrame | PreparedBars) -> dict:
        s = ReplaySession(config(t_end=t_end), b)
        s.place("BUY", "LIMIT", 10, 99.8)
        while not s.ended:
            s.step(disp_steps=2)
        return everything(s, s.drain_events())

    assert play(prepared) == play(bars)
    assert play(PreparedBars(bars, t_end)) == play(bars)
    assert prepared.until(t_end.value) is not prepared
    cut = PreparedBars(bars, t_end)
    assert cut.until(t_end.value) is cut and cut.n == 60 + 45


def test_prepared_arrays_cannot_be_written() -> None:
    prepared = PreparedBars(make_bars(WAVE))
    frame = prepared.display(5)
    for arr in (prepared.ts, prepared.close, prepared.day_codes, frame.codes, frame.disp_first):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    with pytest.raises(ValueError, match="read-only"):
        frame.disp_cols["ch_mid"][0] = np.nan


def test_prepared_bars_refuse_bars_out_of_order() -> None:
    bars = make_bars(WAVE)
    with pytest.raises(EngineError) as err:
        PreparedBars(bars.iloc[::-1])
    assert err.value.code == "bad_bars"
