"""Reference policies for :class:`~ntree.gym.env.ReplayEnv`, and the protocol they share.

A policy returns what ``ReplayEnv.step`` takes: a structured action, an engine command, or a
list of commands (empty: hold). ``name`` is what the stored session records as its player.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol, runtime_checkable

import numpy as np
import sqlalchemy as sa

from ntree.engine import EngineError, Event
from ntree.engine.commands import Command, Flatten, Place, ReplaceOrders, command_from_log
from ntree.gym.env import CHANNEL_FIELDS, AdvanceTo, snap


@runtime_checkable
class AgentPolicy(Protocol):
    """What plays an episode: ``act(obs) -> action``; ``reset(seed)`` is optional."""

    name: str

    def act(self, obs: dict[str, np.ndarray]) -> Any: ...


_UPPER, _MID, _LOWER = (CHANNEL_FIELDS.index(k) for k in ("ch_upper", "ch_mid", "ch_lower"))


class BandFadePolicy:
    """Fade the channel: flat, rest a buy at the lower band and a sell at the upper one;
    in a position, rest the exit at the mid. One ``replace_orders`` per bar re-lays them."""

    name = "band-fade"

    def __init__(self, qty: int = 100, tick: float = 0.01) -> None:
        self.qty, self.tick = int(qty), float(tick)

    def act(self, obs: dict[str, np.ndarray]) -> list[Command]:
        """Return this bar's orders (none while the channel warms up)."""
        channel = obs["channel"].tolist()  # Python floats: one call, not three numpy reads
        upper, mid, lower = channel[_UPPER], channel[_MID], channel[_LOWER]
        if not (lower > 0 and upper > lower):
            return []
        qty = int(obs["position"][0])
        tick = self.tick
        if qty == 0:
            orders = [
                {
                    "side": "BUY",
                    "type": "LIMIT",
                    "qty": self.qty,
                    "price": snap(lower, tick, "BUY"),
                },
                {
                    "side": "SELL",
                    "type": "LIMIT",
                    "qty": self.qty,
                    "price": snap(upper, tick, "SELL"),
                },
            ]
        else:
            side = "SELL" if qty > 0 else "BUY"
            orders = [
                {"side": side, "type": "LIMIT", "qty": abs(qty), "price": snap(mid, tick, side)}
            ]
        return [ReplaceOrders(orders=orders)]


class RandomPolicy:
    """Seeded random trading: mostly hold, now and then a market buy or sell or a flatten."""

    name = "random"
    CHOICES = ("hold", "buy", "sell", "flatten")

    def __init__(self, seed: int = 0, qty: int = 10, p: tuple = (0.85, 0.05, 0.05, 0.05)) -> None:
        self.qty, self.p = int(qty), np.asarray(p, dtype=float)
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        """Start a new stream of choices (the same seed gives the same choices)."""
        self.rng = np.random.default_rng(seed)

    def act(self, obs: dict[str, np.ndarray]) -> list[Command]:
        choice = self.CHOICES[int(self.rng.choice(len(self.CHOICES), p=self.p))]
        if choice == "hold":
            return []
        if choice == "flatten":
            return [Flatten()] if obs["position"][0] else []
        return [Place(side="BUY" if choice == "buy" else "SELL", type="MARKET", qty=self.qty)]


class LogReplayPolicy:
    """Re-issue a stored session's commands at the 1m bars they were given.

    Played on that session's window and settings (``reset(options=policy.options())`` on an
    env with the session's database) it reproduces the human's fills and PnL exactly: both
    go through the same commands. ``step`` commands are the env's; everything else (orders,
    brackets, notes, pacing, a frame switch, an early end) is re-issued as logged. A command
    the human gave mid-bar (after an ``exec_steps`` step) is re-issued at its minute: the
    env step that starts its display bar carries ``AdvanceTo(minute)`` (an ``exec_steps``
    step of the registry, as the human took) before it, then the env plays on to the next
    boundary. The display bar is each command's ``ts_market``, so a frame switch is
    followed too.
    """

    name = "log-replay"

    def __init__(self, events: list[Event]) -> None:
        if not events or events[0].type != "SESSION_START":
            raise ValueError("a session log must begin with SESSION_START")
        self.session_id = events[0].payload["params"]["session_id"]
        # Per display bar (its open, ts_market): the commands given in it, with their minute.
        self.by_bar: dict[int, list[tuple[int, Command]]] = defaultdict(list)
        for ev in events[1:]:
            cmd = ev.payload.get("cmd")
            if cmd is None or cmd.get("op") == "step":
                continue  # a consequence (the commands make it again) or the env's own step
            self.by_bar[ev.ts_market].append((ev.ts_exec, command_from_log(cmd, ev.seq)))
        self.pending = sorted(self.by_bar)
        self._next = 0

    @classmethod
    def from_store(cls, engine: sa.Engine, session_id: str) -> LogReplayPolicy:
        """Return the policy of a session stored in ``engine``."""
        from ntree.store import SessionStore

        events = SessionStore(engine).load_events(session_id)
        if not events:
            raise EngineError("unknown_session", f"no session with id {session_id!r}")
        return cls(events)

    def options(self) -> dict[str, str]:
        """Return the ``reset`` options that play the stored session's window."""
        return {"session_id": self.session_id}

    def reset(self, seed: int | None = None) -> None:
        self._next = 0

    def act(self, obs: dict[str, np.ndarray]) -> list[Command | AdvanceTo]:
        """Return the commands of the display bar that begins at the cursor, each preceded
        by an ``AdvanceTo`` its minute when it was given later in the bar."""
        now = int(obs["cursor_ts"][0])
        out: list[Command | AdvanceTo] = []
        cursor = now
        # A bar whose first minutes are missing opens before its first 1m bar: <= now.
        while self._next < len(self.pending) and self.pending[self._next] <= now:
            for ts_exec, command in self.by_bar[self.pending[self._next]]:
                if ts_exec < now:
                    raise ValueError(
                        f"session {self.session_id}: {command.op!r} at ns {ts_exec} lies before "
                        f"the cursor (ns {now}): this is not the session's window or frame"
                    )
                if ts_exec > cursor:
                    out.append(AdvanceTo(ts_exec))
                    cursor = ts_exec
                out.append(command)
            self._next += 1
        return out
