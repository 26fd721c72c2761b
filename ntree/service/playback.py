"""Playback between display boundaries: step until the 1m bar of a fill, jump to a time or
the next session open. Each is a run of ordinary logged 1m steps (``exec_steps``), so a
re-run of the log is the same; where to stop is read from the session, never guessed.
"""

from __future__ import annotations

import pandas as pd

from ntree.engine import EngineError, ReplaySession
from ntree.engine.commands import Step
from ntree.engine.events import Event

#: Event types that mean an order filled (auto-pause stops after their 1m bar).
FILLS = frozenset({"FILL", "TARGET_FILLED", "STOP_TRIGGERED"})
NEXT_OPEN = "next_open"


def run_until(s: ReplaySession, target: int, *, stop_on_fill: bool) -> list[Event]:
    """Play the 1m bars up to ``target`` (a 1m index); with ``stop_on_fill``, stop after the
    first bar with a fill. The bars no working order can reach go in one step; each bar one
    may fill on is a step of its own, so the stop is that very minute."""
    if s.ended:
        raise EngineError("session_ended", f"session {s.config.session_id} has ended")
    events: list[Event] = []
    while s.i < target and not s.ended:
        stop = target
        if stop_on_fill:
            stop = min(s.broker.next_trigger(s.i, target) + 1, target)
        new = s.execute(Step(exec_steps=stop - s.i))
        events += new
        if stop_on_fill and any(e.type in FILLS for e in new):
            break
    return events


def jump_target(s: ReplaySession, to: object) -> int:
    """Return the 1m index of ``to``: ``"next_open"`` (the first bar of the next trading
    day), or a time (ISO; without an offset, the exchange's time; a bare ``HH:MM`` on the
    cursor's day); raise EngineError ``bad_jump`` for one not after the cursor or not text."""
    clock = s.clock
    if to == NEXT_OPEN:
        day = clock.day_codes[min(s.i, s.n - 1)]
        j = int(clock.day_codes.searchsorted(day, side="right")) if s.i < s.n else s.n
        if j >= s.n:
            raise EngineError("bad_jump", "no later session in the range", "to")
        return j
    if not isinstance(to, str) or not to.strip():
        raise EngineError("bad_jump", f"to must be a time or {NEXT_OPEN!r}, got {to!r}", "to")
    tz = s.exchange_tz  # a time typed is the exchange's, as the cockpit's clock shows it
    cursor = pd.Timestamp(clock.ts_exec(s.i), unit="ns", tz="UTC").tz_convert(tz)
    text = to.strip()
    try:
        if len(text) <= 5 and ":" in text:  # HH:MM on the cursor's day
            ts = pd.Timestamp(f"{cursor:%Y-%m-%d} {text}")
        else:
            ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise EngineError("bad_jump", f"to is not a time: {to!r}", "to") from None
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    j = int(clock.ts.searchsorted(ts.tz_convert("UTC").value))
    if j <= s.i:
        raise EngineError(
            "bad_jump", f"{text} is not after the cursor ({cursor:%Y-%m-%d %H:%M %Z})", "to"
        )
    return min(j, s.n)
