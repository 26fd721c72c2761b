"""The cockpit chart's context: a pan that reaches the figure's first candles loads older
ones, keeping the trader's place; at the start of the data there is nothing more."""

from __future__ import annotations

from ntree.ui import figures
from ntree.ui.cockpit import MORE_STEP, Action, handle


def _start(svc, day: str) -> str:
    body = {"symbol": "SPY", "t_start": day, "t_end": day, "disp_tf": "5m"}
    return svc.start(body)["session_id"]


def _pan(x0: float, x1: float) -> dict:
    return {"xaxis.range[0]": x0, "xaxis.range[1]": x1}


def test_a_pan_to_the_first_candles_loads_older_ones_and_keeps_the_view(replay_service):
    svc = replay_service
    sid = _start(svc, "2024-12-31")
    meta = handle(svc, sid, None, Action("init")).meta
    assert meta["n"] == figures.DEFAULT_WINDOW  # 30 sessions of 5m bars: more than it holds
    first = meta["last_ts"]

    res = handle(svc, sid, meta, Action("more_history"), relayout=_pan(2.0, 60.0))

    assert isinstance(res.figure, dict)  # rebuilt, with older candles in front
    assert res.meta["n"] == figures.DEFAULT_WINDOW + MORE_STEP
    assert res.meta["xr"] == [2.0 + MORE_STEP, 60.0 + MORE_STEP]  # the same candles in view
    assert res.meta["last_ts"] == first
    # the view may come with the request itself (the graph's last relayout may lag behind)
    alone = handle(svc, sid, meta, Action("more_history", {"xr": [2.0, 60.0]}))
    assert alone.meta["xr"] == res.meta["xr"] and alone.meta["n"] == res.meta["n"]
    again = handle(svc, sid, res.meta, Action("step", {"n": 1}))  # later ticks patch it
    assert again.meta["window"] == figures.DEFAULT_WINDOW + MORE_STEP
    assert not isinstance(again.figure, dict)


def test_at_the_start_of_the_data_a_pan_left_loads_nothing_more(replay_service):
    svc = replay_service
    sid = _start(svc, "2024-07-02")  # the data begins on 07-01: 78 + a few candles in all
    meta = handle(svc, sid, None, Action("init")).meta
    assert meta["n"] < figures.DEFAULT_WINDOW

    res = handle(svc, sid, meta, Action("more_history"), relayout=_pan(-0.5, 40.0))

    assert not isinstance(res.figure, dict)  # a patch: nothing to load
    assert res.meta["n"] == meta["n"]
