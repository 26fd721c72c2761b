"""Commands on a live session: the registry's commands, playback (step to a fill, jump), the
ladder preview, and the state and candles reads (the mixin :class:`CommandMethods` of
:class:`~ntree.service.ReplayService`)."""

from __future__ import annotations

from collections.abc import Callable

from ntree.engine import EngineError
from ntree.engine.commands import PlaceLadder
from ntree.service import playback
from ntree.service.base import ServiceBase, jsonable
from ntree.service.contract import RESULT_KEYS, check_fields, parse_command
from ntree.service.errors import ServiceError, from_engine
from ntree.service.requests import MAX_CANDLES, req_bool, req_int, req_str


class CommandMethods(ServiceBase):
    """Commands, playback and reads on a cached session, saved after each."""

    def state(self, body: dict) -> dict:
        sid = req_str(body, "session_id")
        with self._open(sid, write=False) as s:
            return self._view(s, bars=1)

    def candles(self, body: dict) -> dict:
        sid = req_str(body, "session_id")
        n = req_int(body, "n", required=False, minimum=1, maximum=MAX_CANDLES) or 300
        with self._open(sid, write=False) as s:
            return {"session_id": sid, "disp_tf": s.state()["disp_tf"], "candles": s.candles(n=n)}

    def snapshot(self, session_id: str, n: int) -> dict:
        """Return what the cockpit shows: state, the last ``n`` candles, every fill, the closed
        trades and the open position's excursions so far (``open_mae``/``open_mfe``, points)."""
        with self._open(session_id, write=False) as s:
            view = self._view(s, bars=0)
            view["candles"] = s.candles(n=n)
            view["trades"] = jsonable(s.trades)
            mae, mfe = s.portfolio.open_excursions()
            view["position"] = {
                **view["position"],
                "open_mae": round(mae, 6),
                "open_mfe": round(mfe, 6),
            }
            return view

    def command(self, op: str, body: dict) -> dict:
        """Run one command of the registry (``step``, ``place``, ...) on the session the
        body names, and return the new state (plus the command's result, see RESULT_KEYS).

        The body's shape and types are checked here; the engine judges the values, and an
        order command it refuses stays in the log as ORDER_REJECTED (as in a headless run).
        """
        if not isinstance(body, dict):
            raise ServiceError("bad_json", "request body must be a JSON object")
        if op == "rewind":
            return self.rewind(body)
        if op == "ladder_preview":
            return self.ladder_preview(body)
        sid = req_str(body, "session_id")
        command = parse_command(op, body)
        with self._open(sid) as s:
            disp_before = s.disp_index
            rejected: EngineError | None = None
            try:
                result = s.execute(command)
            except EngineError as exc:
                rejected, result = exc, None
            events = self.store.save(s)
            if self.after_commit is not None:
                self.after_commit(command.op)
            if command.op == "step":  # exactly the bars it made: those completed, the forming
                bars = max(s.disp_index - disp_before, 0) + (not s.at_boundary)
            else:  # the latest bar
                bars = 1
            view = self._view(s, events=events, bars=bars)
        if rejected is not None:
            raise from_engine(rejected) from rejected
        key = RESULT_KEYS.get(command.op)
        if key is not None:
            view[key] = result
        return view

    def step_to_fill(self, body: dict) -> dict:
        """Step ``disp_steps`` display bars (default 1) as playback with auto-pause does:
        stop after the 1m bar of the first fill, not at the display bar's end."""
        check_fields(body, ("session_id", "disp_steps"))
        n = req_int(body, "disp_steps", required=False, minimum=1) or 1
        return self._play(body, lambda s: s.clock.disp_target(n), stop_on_fill=True)

    def jump(self, body: dict) -> dict:
        """Play up to ``to`` (a time, New York unless it says, or ``next_open``); with
        ``stop_on_fill``, stop after the 1m bar of a fill on the way."""
        check_fields(body, ("session_id", "to", "stop_on_fill"))
        stop = req_bool(body, "stop_on_fill", False)
        return self._play(body, lambda s: playback.jump_target(s, body.get("to")), stop)

    def _play(self, body: dict, target_of: Callable, stop_on_fill: bool) -> dict:
        sid = req_str(body, "session_id")
        with self._open(sid) as s:
            disp_before = s.disp_index
            rejected: EngineError | None = None
            try:
                playback.run_until(s, target_of(s), stop_on_fill=stop_on_fill)
            except EngineError as exc:
                rejected = exc
            events = self.store.save(s)
            bars = max(s.disp_index - disp_before, 0) + (not s.at_boundary)
            view = self._view(s, events=events, bars=bars)
        if rejected is not None:
            raise from_engine(rejected) from rejected
        return view

    def ladder_preview(self, body: dict) -> dict:
        """Return the orders ``place_ladder`` would lay now, with the same request (nothing
        is placed or logged: the chart draws them before the trader places them)."""
        sid = req_str(body, "session_id")
        command = parse_command("place_ladder", body)
        assert isinstance(command, PlaceLadder)
        with self._open(sid, write=False) as s:
            try:
                orders = s.ladder_plan(command)
            except EngineError as exc:
                raise from_engine(exc) from exc
            return {"session_id": sid, "last_price": s.last_price, "orders": orders}
