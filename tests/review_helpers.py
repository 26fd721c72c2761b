"""A session with thousands of closed trades, played straight on the engine and stored."""

from __future__ import annotations

import sqlalchemy as sa

from ntree.engine.commands import End, Place, Step
from ntree.runner import open_session
from ntree.store import SessionStore


def play_many_trades(engine: sa.Engine, n_trades: int, *, symbol: str = "SPY") -> str:
    """Buy 1 at market on one 1m bar and sell it on the next, ``n_trades`` times from
    2024-07-01 (a round trip each two minutes: ~2 trading days per 400 trades), saving every
    500 bars; end the session and return its id."""
    store = SessionStore(engine)
    s = open_session(engine, symbol, "2024-07-01", "2024-12-31", "5m", edit_on_disp_boundary=False)
    for bar in range(2 * n_trades):  # each SELL closes the BUY before it: one trade
        side = "BUY" if bar % 2 == 0 else "SELL"
        s.execute(Place(side=side, type="MARKET", qty=1))
        s.execute(Step(exec_steps=1))
        if bar % 500 == 499:
            store.save(s)
    s.execute(End())
    store.save(s)
    return s.config.session_id
