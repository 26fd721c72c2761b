"""Rebuilding a session from its log: re-issue the logged commands on the same bars."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol, TypeVar

import pandas as pd

from ntree.engine.aggregate import SessionBounds
from ntree.engine.commands import Step, command_from_log
from ntree.engine.config import SessionConfig
from ntree.engine.errors import DataChangedError, EngineError
from ntree.engine.eventlog import EventLog
from ntree.engine.events import LOG_FORMATS, Event, EventType, iso_utc
from ntree.engine.prepared import PreparedBars


class Replayable(Protocol):
    """What a rebuild needs of a session (:class:`~ntree.engine.session.ReplaySession`);
    named here so this module need not import the session that calls it."""

    fingerprint: str
    log: EventLog
    clock: Any

    @property
    def i(self) -> int: ...

    def execute(self, command: Any) -> Any: ...


S = TypeVar("S", bound=Replayable)


def rebuild(
    cls: type[S],
    events: list[Event],
    bars_1m: pd.DataFrame | PreparedBars,
    *,
    session_id: str | None = None,
    upto_exec_index: int | None = None,
    bounds: SessionBounds | None = None,
    bulk_skip: bool = True,
) -> S:
    """Return the session ``events`` record, re-run on ``bars_1m`` (see
    :meth:`ReplaySession.from_events`)."""
    if not events or events[0].type != EventType.SESSION_START:
        raise EngineError("bad_log", "a session log must begin with SESSION_START")
    start = events[0].payload
    config = _fork_config(
        SessionConfig.from_params(start["params"]), bars_1m, session_id, upto_exec_index
    )
    # The rules the log was written by (a format-1 log, which had no field, by format 2's).
    log_format = max(start.get("log_format", 1), LOG_FORMATS[0])
    session = cls(config, bars_1m, bounds=bounds, bulk_skip=bulk_skip, log_format=log_format)
    if session.fingerprint != start["data_fingerprint"]:
        raise DataChangedError(
            "data_changed",
            f"the {config.symbol} bars differ from those session "
            f"{start['params']['session_id']} was played on (fingerprint "
            f"{session.fingerprint[:12]} != {start['data_fingerprint'][:12]}); "
            "it cannot be re-run exactly",
        )
    _reissue(session, events[1:], upto_exec_index)
    return session


def _fork_config(
    config: SessionConfig,
    bars_1m: pd.DataFrame | PreparedBars,
    session_id: str | None,
    upto_exec_index: int | None,
) -> SessionConfig:
    """Return the config of the rebuild: the logged one, or a fork's that links its parent."""
    if session_id is None:
        return config
    forked_at = None
    if upto_exec_index is not None:
        if isinstance(bars_1m, PreparedBars):
            bars_1m = bars_1m.bars
        in_range = bars_1m.index[bars_1m.index < config.t_end]
        forked_at = iso_utc(in_range[min(upto_exec_index, len(in_range) - 1)].value)
    return replace(
        config, session_id=session_id, parent_session_id=config.session_id, forked_at=forked_at
    )


def _reissue(session: Replayable, events: list[Event], target: int | None) -> None:
    """Re-issue the commands of ``events``, stopping when the cursor reaches ``target``."""
    for ev in events:
        cmd = ev.payload.get("cmd")
        if cmd is None and "cmd_text" not in ev.payload:
            continue  # a consequence: the re-issued commands make it again
        if target is not None and (session.i >= target or (cmd or {}).get("op") == "end"):
            break
        if cmd is None:  # a refused command the log could only describe: copy it
            session.log.emit(ev.type, ev.payload)
            continue
        command = command_from_log(cmd, ev.seq)
        if (
            target is not None
            and isinstance(command, Step)
            and session.clock.step_target(command.args()) > target
        ):
            command = Step(exec_steps=target - session.i)
        try:
            session.execute(command)
        except EngineError:
            pass  # a rejected command is rejected again, with the same event
