"""The session's event log as it is written: sequence numbers, bar times, and the events
not yet drained to the store or reported by a step."""

from __future__ import annotations

from ntree.engine.clock import Clock
from ntree.engine.events import Event


class EventLog:
    """Append events stamped with the times of a 1m bar (by default the cursor's)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.seq = 0
        self._pending: list[Event] = []  # what the store has not drained yet
        self._since_step: list[Event] = []  # what the next step reports

    def emit(self, etype: str, payload: dict, i: int | None = None) -> Event:
        """Append one event at 1m bar ``i`` (None: the cursor) and return it."""
        clock = self.clock
        if i is None:
            i = clock.i
        self.seq = seq = self.seq + 1
        if i < clock.n:
            ev = Event(seq, clock.t[i], clock.tm[i], etype, payload)
        else:
            ev = Event(seq, clock.ts_exec(i), clock.ts_market(i), etype, payload)
        self._pending.append(ev)
        self._since_step.append(ev)
        return ev

    def drain(self) -> list[Event]:
        """Return the events since the last drain, and forget them."""
        out, self._pending = self._pending, []
        return out

    def pending(self) -> list[Event]:
        """Return the events not yet drained, leaving them pending."""
        return list(self._pending)

    def take_since_step(self) -> list[Event]:
        """Return the events since the previous step, and start the next step's list."""
        out, self._since_step = self._since_step, []
        return out
