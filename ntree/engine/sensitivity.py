"""Fill sensitivity: a session's own commands re-run under pessimistic fill knobs.

The trader's decisions stay what they were (each logged command is issued again, in order);
only the fill model changes. A command the new fills make impossible (a bracket on a
position that never opened, a modify of an order that already filled) is refused and the
re-run goes on. Every variant starts from the session's own parameters with the knobs of
:data:`SCENARIOS` replaced; ``perfect`` sets all three knobs to zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from ntree.engine import DataChangedError, EngineError, ReplaySession, SessionConfig
from ntree.engine.aggregate import SessionBounds
from ntree.engine.commands import command_from_log
from ntree.engine.events import Event, EventType

_PERFECT = {"limit_fill_ticks_worse": 0, "market_slippage_ticks": 0, "latency_bars": 0}
#: Each variant's fill knobs: the perfect fill, each pessimism alone, then all three.
SCENARIOS: dict[str, dict[str, int]] = {
    "perfect": _PERFECT,
    "limit_1_tick_through": {**_PERFECT, "limit_fill_ticks_worse": 1},
    "slippage_1_tick": {**_PERFECT, "market_slippage_ticks": 1},
    "latency_1_bar": {**_PERFECT, "latency_bars": 1},
    "all_three": {"limit_fill_ticks_worse": 1, "market_slippage_ticks": 1, "latency_bars": 1},
}


def rerun(
    events: Sequence[Event],
    bars_1m: pd.DataFrame,
    knobs: Mapping[str, Any],
    bounds: SessionBounds | None = None,
) -> list[Event]:
    """Re-issue the commands of ``events`` on ``bars_1m`` with the fill ``knobs`` replaced;
    return the new log (ended: an unfinished session is ended after its last command).
    ``bounds``: the trading hours a session on another exchange than XNYS needs."""
    if not events or events[0].type != EventType.SESSION_START:
        raise EngineError("bad_log", "a session log must begin with SESSION_START")
    start = events[0].payload
    config = replace(SessionConfig.from_params(start["params"]), **knobs)
    session = ReplaySession(config, bars_1m, bounds=bounds)
    if session.fingerprint != start["data_fingerprint"]:
        raise DataChangedError(
            "data_changed",
            f"the {config.symbol} bars differ from those session {config.session_id} was "
            "played on; its fills cannot be re-run",
        )
    for ev in events[1:]:
        cmd = ev.payload.get("cmd")
        if cmd is None:
            continue  # a consequence (or a refusal the log could only describe)
        try:
            session.execute(command_from_log(cmd, ev.seq))
        except EngineError:
            pass  # refused now: the new fills left it nothing to act on
    if not session.ended:
        session.end()
    return session.drain_events()


def lock_bars(events: Sequence[Event]) -> int:
    """Return how many 1m bars had an order kept from filling by the direction lock."""
    return len({ev.ts_exec for ev in events if ev.type == EventType.DIRECTION_LOCK})


def outcome(events: Sequence[Event]) -> dict:
    """Return an ended log's pnl, trade count and direction-lock bars."""
    summary = events[-1].payload["summary"]
    return {
        "pnl": summary["pnl"],
        "num_trades": summary["num_trades"],
        "lock_bars": lock_bars(events),
    }


def fill_sensitivity(
    events: Sequence[Event], bars_1m: pd.DataFrame, bounds: SessionBounds | None = None
) -> dict:
    """Return ``{scenario: {pnl, num_trades, lock_bars, pnl_vs_perfect}}`` for every one of
    :data:`SCENARIOS` (``perfect`` first), re-running the session's commands on its bars."""
    out = {
        name: outcome(rerun(events, bars_1m, knobs, bounds)) for name, knobs in SCENARIOS.items()
    }
    perfect = out["perfect"]["pnl"]
    for result in out.values():
        result["pnl_vs_perfect"] = round(result["pnl"] - perfect, 6)
    return out


def total_sensitivity(results: Sequence[Mapping[str, Mapping[str, Any]]]) -> dict:
    """Return the sum over sessions of each scenario's pnl, pnl_vs_perfect and lock_bars."""
    keys = ("pnl", "pnl_vs_perfect", "num_trades", "lock_bars")
    return {
        name: {k: round(sum(r[name][k] for r in results), 6) for k in keys} for name in SCENARIOS
    }
