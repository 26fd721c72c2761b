"""A session's life: start one, rewind it or fork it at a bar (the mixin
:class:`LifecycleMethods` of :class:`~ntree.service.ReplayService`; ``end`` is a command,
a restore is the cache's, see :meth:`ReplayService.create`)."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd

from ntree.engine import FILL_MODEL_KNOBS, MAX_SPEED, EngineError
from ntree.engine.config import DEFAULT_LEVERAGE
from ntree.runner import CONTEXT_SESSIONS, fork_session, open_session
from ntree.service.base import ServiceBase
from ntree.service.contract import check_fields
from ntree.service.errors import ServiceError, from_engine
from ntree.service.requests import parse_time, req_bool, req_dict, req_int, req_number, req_str

START_FIELDS = (
    "symbol",
    "t_start",
    "t_end",
    "disp_tf",
    "speed",
    "seed",
    "constraints",
    "fill_model",
    "blind",
    "leverage",
)


class LifecycleMethods(ServiceBase):
    """Start, rewind and fork sessions."""

    def start(self, body: dict) -> dict:
        """Validate a start request, open the session, persist it and return its state."""
        if not isinstance(body, dict):
            raise ServiceError("bad_json", "request body must be a JSON object")
        check_fields(body, START_FIELDS)
        # The symbol, the range and disp_tf are the runner's rules (open_session): the
        # times are parsed here too only to check that the data covers them.
        symbol = req_str(body, "symbol")
        exchange = self.exchange(symbol)
        t_start = parse_time(body.get("t_start"), "t_start", edge="open", exchange=exchange)
        t_end = parse_time(body.get("t_end"), "t_end", edge="close", exchange=exchange)
        self._check_covered(symbol, t_start, t_end)
        disp_tf = req_str(body, "disp_tf")
        speed = req_number(body, "speed", required=False)
        speed = 1.0 if speed is None else speed
        if not 0 < speed <= MAX_SPEED:
            # SessionConfig checks it too, as bad_param like every setting; a start answers
            # bad_speed, as set_speed does (the code the API documents for both).
            raise ServiceError(
                "bad_speed", f"speed must be a number in (0, {MAX_SPEED}], got {speed}", "speed"
            )
        seed = req_int(body, "seed", required=False) or 0  # the engine checks its range
        leverage = req_number(body, "leverage", required=False)  # the engine checks its range
        constraints = req_dict(body, "constraints") or {}
        check_fields(constraints, ("edit_on_disp_boundary",))
        boundary = req_bool(constraints, "edit_on_disp_boundary", True)
        fill_model = req_dict(body, "fill_model") or {}
        for key in fill_model:
            if key not in FILL_MODEL_KNOBS:
                raise ServiceError(
                    "unknown_field",
                    f"fill_model has no {key!r}; its knobs are {list(FILL_MODEL_KNOBS)}",
                    f"fill_model.{key}",
                )
        blind = req_bool(body, "blind", False)
        sid = uuid.uuid4().hex[:12]
        try:
            s = open_session(
                self.db_engine,
                symbol,
                t_start,
                t_end,
                disp_tf,
                seed=seed,
                session_id=sid,
                speed=speed,
                edit_on_disp_boundary=boundary,
                blind=blind,
                context_sessions=CONTEXT_SESSIONS,  # 200 bars of context on every frame
                leverage=DEFAULT_LEVERAGE if leverage is None else leverage,
                **fill_model,
            )
        except EngineError as exc:
            err = from_engine(exc)
            if exc.field in fill_model:
                err.field = f"fill_model.{exc.field}"
            raise err from exc
        sid = s.config.session_id
        events = self.store.save(s)
        self.cache.put(s, sid)
        return {"session_id": sid, "initial_state": self._view(s, events=events, bars=1)}

    def _check_covered(self, symbol: str, t_start: pd.Timestamp, t_end: pd.Timestamp) -> None:
        """Refuse a range the stored bars do not cover whole (``outside_data``, naming the end
        at fault). The runner asks only that range and bars overlap, so a script or the CLI
        plays what there is; a trader who picks a range in the cockpit or the API gets that
        range or a refusal, never a silently shorter session. An unknown symbol or a range
        that ends before it starts is left to the runner."""
        covered = self.data_range(symbol)
        if covered is None or t_end <= t_start:
            return
        lo, hi = covered
        start_out = t_start < lo or t_start > hi
        if start_out or t_end > hi + pd.Timedelta(minutes=1):  # hi: the last bar's open
            raise ServiceError(
                "outside_data",
                f"{symbol} has data from {lo.isoformat()} to {hi.isoformat()}; "
                f"asked {t_start.isoformat()} .. {t_end.isoformat()}",
                "t_start" if start_out else "t_end",
            )

    def rewind(self, body: dict) -> dict:
        """Fork the session ``disp_bars`` display bars back; the parent log stays as it is."""
        check_fields(body, ("session_id", "disp_bars"))
        sid = req_str(body, "session_id")
        n = req_int(body, "disp_bars")  # the engine checks it (bad_rewind)
        with self._open(sid, write=False) as s:  # an ended session can be rewound too
            try:
                fork = fork_session(self.db_engine, s, n)  # saves the parent's log first
            except EngineError as exc:
                raise from_engine(exc) from exc
            back = s.disp_bars_since(fork.i)
        new_id = fork.config.session_id
        events = self.store.save(fork)
        self.cache.put(fork, new_id)
        self.store.mark_forked(sid)  # the trader left it for the fork
        return {
            "session_id": new_id,
            "parent_session_id": sid,
            "disp_bars": back,
            "initial_state": self._view(fork, events=events, bars=1),
        }

    def fork_at(self, session_id: str, ts: Any) -> dict:
        """Fork the session so that the display bar opening at (or holding) ``ts`` is the
        last one the fork has seen: its cursor stands at that bar's close. Answers as
        :meth:`rewind`; a bar at or after the cursor, or in the history before the bar before
        the session's start, is a ``bad_rewind``."""
        at = parse_time(ts, "ts", edge="open")
        with self._open(session_id, write=False) as s:
            picked = int(s.clock.disp_ts.searchsorted(at.value, side="right")) - 1
            back = bars_back(picked, s.disp_index)
            first = int(s.codes[s.clock.i_start])  # the session's first display bar
        if back < 1:
            raise ServiceError(
                "bad_rewind", "pick a bar before the session's last one to fork from", "ts"
            )
        if picked + 1 < first:  # the history before the start: no fork has seen it last
            raise ServiceError(
                "bad_rewind", "pick a bar of the session (from the bar before its start)", "ts"
            )
        return self.rewind({"session_id": session_id, "disp_bars": back})


def bars_back(picked: int, cursor: int) -> int:
    """Return how many display bars to rewind from display bar ``cursor`` (the one the
    cursor is in) so that display bar ``picked`` is the last the fork has seen."""
    return cursor - picked - 1
