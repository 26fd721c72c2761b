"""Headless runner (an edge): open sessions on stored bars, run scripts, re-check logs.

- :func:`open_session` loads the bars of a session (with warm-up history) and starts it.
- :func:`restore_session` rebuilds a session from its stored event log (after a restart).
- :func:`run_script` plays a JSON/YAML list of actions keyed by display-bar index or time.
- :func:`replay_check` re-runs a stored session from its log and compares every event.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import yaml

from ntree import market
from ntree.blind import anchors as blind_anchors
from ntree.codec import event_line, log_hash
from ntree.engine import (
    COMMANDS,
    Command,
    DataChangedError,
    EngineError,
    Event,
    PreparedBars,
    ReplaySession,
    SessionConfig,
)
from ntree.engine.aggregate import SessionBounds
from ntree.engine.commands import command_from
from ntree.engine.events import LOG_FORMATS
from ntree.engine.sources import BarSource
from ntree.engine.ticks import parse_disp_tf
from ntree.market import EXCHANGE, calendar, sessions
from ntree.sources import SqlBarSource
from ntree.store import SessionStore

#: Trading sessions of history loaded before t_start to warm up indicators, for a session
#: whose log sets no ``context_sessions`` (every log written before that setting).
WARMUP_SESSIONS = 3
#: What the service gives a new session: 200 display bars of context on every frame (a
#: full session has 7 one-hour bars; 30 sessions give 210), or all the data that exists.
CONTEXT_SESSIONS = 30
_FILL_MODEL_KEYS = (
    "tick",
    "initial_cash",
    "commission_per_share",
    "limit_fill_ticks_worse",
    "market_slippage_ticks",
    "latency_bars",
    "direction_lock",
    "edit_on_disp_boundary",
    "speed",
    "context_sessions",
    "leverage",
)


def new_session_id() -> str:
    """Return a fresh session id (an edge concern: ids are inputs, not engine decisions)."""
    return uuid.uuid4().hex[:12]


_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(value: object, *, end: bool, name: str, exchange: str = EXCHANGE) -> pd.Timestamp:
    """Parse an ISO 8601 time; a bare date means that day's open (start) or close (end).

    A time without an offset is ``exchange`` time (New York's by default); ``Z`` or an
    offset is respected. Raise EngineError ``bad_time`` for text that is not a time,
    ``no_session`` for a bare date with no session of ``exchange`` (a weekend, a holiday, a
    date the calendar does not cover).
    """
    if isinstance(value, pd.Timestamp):
        ts = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            ts = pd.Timestamp(text)
        except (ValueError, TypeError):
            msg = f"{name} is not an ISO 8601 date or time: {value!r}"
            raise EngineError("bad_time", msg) from None
        if _BARE_DATE.match(text) and ts is not pd.NaT:  # a bare date: that day's session
            sched = sessions(ts, ts, exchange)
            if sched.empty:
                where = "NYSE" if exchange == EXCHANGE else exchange
                raise EngineError("no_session", f"{name}: no {where} trading session on {text}")
            return pd.Timestamp(sched["close" if end else "open"].iloc[0]).tz_convert("UTC")
    else:
        raise EngineError("bad_time", f"{name} must be an ISO 8601 date or time, got {value!r}")
    if ts is pd.NaT:
        raise EngineError("bad_time", f"{name} is not a valid time: {value!r}")
    if ts.tzinfo is None:
        ts = ts.tz_localize(market.timezone(exchange))
    return ts.tz_convert("UTC")


def history_start(
    t_start: pd.Timestamp, context_sessions: int | None = None, exchange: str = EXCHANGE
) -> pd.Timestamp:
    """Return where the warm-up history of a session on ``exchange`` starting at ``t_start``
    begins: ``context_sessions`` trading sessions before it (as many as the calendar has,
    when fewer), or, for None, the :data:`WARMUP_SESSIONS` of the logs that predate the
    setting (none at all when fewer exist: those logs re-run on exactly the bars they had)."""
    cal = calendar(exchange)
    day = t_start.tz_convert(market.timezone(exchange)).tz_localize(None).normalize()
    first = cal.first_session
    if context_sessions is not None:
        if context_sessions == 0:
            return cal.session_open(day) if cal.is_session(day) else t_start
        span = pd.Timedelta(days=14 + context_sessions * 3 // 2)  # weekends and holidays
        prior = cal.sessions_in_range(max(first, day - span), day)
        prior = prior[prior < day]
        return cal.session_open(prior[-context_sessions:][0]) if len(prior) else t_start
    prior = cal.sessions_in_range(max(first, day - pd.Timedelta(days=14)), day)
    prior = prior[prior < day]
    start = prior[-WARMUP_SESSIONS] if len(prior) >= WARMUP_SESSIONS else day
    return cal.session_open(start)


def load_session_bars(
    engine: sa.Engine, config: SessionConfig, source: BarSource | None = None
) -> pd.DataFrame:
    """Load the bars a session plays on: warm-up history + [t_start, t_end), from ``source``
    (default: the bars stored in ``engine``)."""
    source = source or SqlBarSource(engine)
    t_start = pd.Timestamp(config.t_start)
    start = history_start(t_start, config.context_sessions, market.code(config.exchange))
    return source.load(config.symbol, start, pd.Timestamp(config.t_end))


def session_bounds(config: SessionConfig, bars: pd.DataFrame) -> SessionBounds | None:
    """Return the trading hours a session of ``config`` takes over ``bars`` (None on XNYS)."""
    return market.bounds_over(config.exchange, bars.index)


def start_session(config: SessionConfig, bars: pd.DataFrame | PreparedBars) -> ReplaySession:
    """Start a session of ``config`` on ``bars``, with its exchange's trading hours (a
    prepared window carries its own)."""
    if isinstance(bars, PreparedBars):
        return ReplaySession(config, bars)
    return ReplaySession(config, bars, bounds=session_bounds(config, bars))


def symbol_exchange(source: BarSource, symbol: str) -> str:
    """Return the exchange ``symbol`` trades on, as ``source`` knows it (XNYS by default)."""
    exchange = getattr(source, "exchange", None)  # a hand-made source may not say
    return market.code(exchange(symbol) if exchange is not None else None)


def symbol_tick(source: BarSource, symbol: str) -> float | None:
    """Return ``symbol``'s price increment as ``source`` knows it (None: the default tick)."""
    tick = getattr(source, "tick", None)  # a hand-made or the sample source may not say
    return tick(symbol) if tick is not None else None


def open_session(
    engine: sa.Engine,
    symbol: str,
    t_start: object,
    t_end: object,
    disp_tf: str | int = "5m",
    *,
    session_id: str | None = None,
    seed: int = 0,
    source: BarSource | None = None,
    blind: bool = False,
    **params: object,
) -> ReplaySession:
    """Start a session on the bars of ``source`` (default: those stored in ``engine``); raise
    EngineError for an unknown symbol or bad range. ``blind``: a blind replay, whose anchors
    (:func:`ntree.blind.anchors`) are read from its bars and recorded in SESSION_START."""
    source = source or SqlBarSource(engine)
    unknown = set(params) - set(_FILL_MODEL_KEYS)
    if unknown:
        raise EngineError(
            "bad_param",
            f"unknown session parameter(s): {sorted(unknown)}; known: {list(_FILL_MODEL_KEYS)}",
        )
    if not isinstance(symbol, str) or not symbol:
        raise EngineError("bad_symbol", f"symbol must be text, got {symbol!r}")
    try:
        tf = parse_disp_tf(disp_tf)
    except ValueError as exc:
        raise EngineError("bad_tf", str(exc)) from None
    exchange = symbol_exchange(source, symbol)
    start = parse_time(t_start, end=False, name="t_start", exchange=exchange)
    end = parse_time(t_end, end=True, name="t_end", exchange=exchange)
    if start >= end:
        raise EngineError("bad_range", f"t_start {start} must be before t_end {end}")
    available = source.bar_range(symbol)
    if available is None:
        known = ", ".join(source.symbols()) or "none"
        raise EngineError("unknown_symbol", f"no bars for symbol {symbol!r} (known: {known})")
    first, last = available
    if end <= first or start > last:
        raise EngineError(
            "outside_data",
            f"{symbol} has bars from {first:%Y-%m-%d} to {last:%Y-%m-%d}; "
            f"{start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} UTC is outside them",
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise EngineError("bad_seed", f"seed must be a whole number, got {seed!r}")
    params = _with_symbol_tick(params, symbol_tick(source, symbol), symbol)
    config = SessionConfig(
        session_id=session_id or new_session_id(),
        symbol=symbol,
        disp_tf=tf,
        t_start=start,
        t_end=end,
        seed=seed,
        exchange=market.recorded(exchange),
        **params,
    )
    bars = load_session_bars(engine, config, source)
    if blind is not False:  # anything but the default: the engine checks it is a bool
        config = replace(config, blind=blind, **blind_anchors(bars, start) if len(bars) else {})
    return start_session(config, bars)


def _with_symbol_tick(params: dict, tick: float | None, symbol: str) -> dict:
    """Return ``params`` with the symbol's own tick when none is given (a 0.05-tick symbol
    must not take orders at 0.01 steps); a given tick must be a whole multiple of it, so no
    order price can fall between the prices the symbol trades at."""
    if tick is None:
        return params
    given = params.get("tick")
    if given is None:
        return {**params, "tick": tick}
    if isinstance(given, int | float) and not isinstance(given, bool) and given > 0:
        steps = given / tick
        if abs(steps - round(steps)) > 1e-9 or round(steps) < 1:
            raise EngineError(
                "bad_param",
                f"tick {given!r} is not a whole multiple of {symbol}'s tick {tick:g}",
                "tick",
            )
    return params  # the engine judges any other value


def restore_session(engine: sa.Engine, session_id: str) -> ReplaySession:
    """Rebuild a session from its stored log (same commands, same bars, same state)."""
    events = SessionStore(engine).load_events(session_id)
    if not events:
        raise EngineError("unknown_session", f"no session with id {session_id!r}")
    session = rebuild(engine, events)
    session.drain_events()  # already stored
    return session


def rebuild(
    engine: sa.Engine,
    events: list[Event],
    *,
    session_id: str | None = None,
    upto_exec_index: int | None = None,
) -> ReplaySession:
    """Re-run a log on the bars it names (a fork when ``session_id`` is given)."""
    config = SessionConfig.from_params(events[0].payload["params"])
    bars = load_session_bars(engine, config)
    return ReplaySession.from_events(
        events,
        bars,
        session_id=session_id,
        upto_exec_index=upto_exec_index,
        bounds=session_bounds(config, bars),
    )


def fork_session(engine: sa.Engine, session: ReplaySession, disp_bars: int) -> ReplaySession:
    """Rewind: a new session rebuilt from ``session``'s log up to ``disp_bars`` bars back.

    The parent's log is saved first and left intact; the fork links to it. The fork shows
    the parent's display frame (a logged switch when the log changed frames after the fork
    point) and starts paused (a logged PAUSE when the parent was playing there): a trader
    who rewinds looks at the same chart before the tape moves again.
    """
    store = SessionStore(engine)
    store.save(session)
    target = session.rewind_target(disp_bars)
    events = store.load_events(session.config.session_id)
    fork = rebuild(engine, events, session_id=new_session_id(), upto_exec_index=target)
    if fork.ended:
        return fork
    if fork.disp_tf != session.disp_tf:
        with contextlib.suppress(EngineError):  # a boundary the frames don't share: keep it
            fork.set_disp_tf(session.disp_tf)
    if not fork.paused:
        fork.pause()
    return fork


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    session_id: str
    events: int
    stored_hash: str
    rerun_hash: str
    stored_pnl: float | None
    rerun_pnl: float | None
    message: str


def replay_check(engine: sa.Engine, session_id: str) -> CheckResult:
    """Re-run a stored session from its log and compare every event and the final PnL."""
    stored = SessionStore(engine).load_events(session_id)
    if not stored:
        raise EngineError("unknown_session", f"no session with id {session_id!r}")
    try:
        session = rebuild(engine, stored)
    except DataChangedError as exc:
        return CheckResult(
            False, session_id, len(stored), log_hash(stored), "", None, None, str(exc)
        )
    rerun = session.drain_events()
    stored_pnl = _final_pnl(stored)
    rerun_pnl = session.summary()["pnl"]
    stored_format = stored[0].payload.get("log_format", 1)
    pairs = zip(map(event_line, stored), map(event_line, rerun), strict=False)
    mismatch = next((i for i, (a, b) in enumerate(pairs) if a != b), None)
    if mismatch is None and len(stored) != len(rerun):
        mismatch = min(len(stored), len(rerun))
    same_pnl = stored_pnl is None or stored_pnl == rerun_pnl
    # A log of a format this engine plays by re-runs on that format's rules, byte for byte;
    # a format-1 log only re-runs its commands (its payloads had another shape).
    comparable = stored_format in LOG_FORMATS
    ok = comparable and mismatch is None and same_pnl
    if not comparable:
        message = (
            f"CANNOT COMPARE: this log was written by an older ntree (log format "
            f"{stored_format}; this one re-runs formats {', '.join(map(str, LOG_FORMATS))}), so "
            f"its events can't be compared byte for byte. Its commands re-ran: pnl stored "
            f"{stored_pnl} vs re-run {rerun_pnl} ({'equal' if same_pnl else 'DIFFERENT'})"
        )
    elif ok:
        message = f"OK: {len(stored)} events re-run identically; pnl {rerun_pnl}"
    elif mismatch is not None:
        a = event_line(stored[mismatch]) if mismatch < len(stored) else "(none)"
        b = event_line(rerun[mismatch]) if mismatch < len(rerun) else "(none)"
        message = f"MISMATCH at event {mismatch + 1}:\n  stored: {a}\n  re-run: {b}"
    else:
        message = f"MISMATCH: pnl stored {stored_pnl} vs re-run {rerun_pnl}"
    return CheckResult(
        ok,
        session_id,
        len(stored),
        log_hash(stored),
        log_hash(rerun),
        stored_pnl,
        rerun_pnl,
        message,
    )


def _final_pnl(events: list[Event]) -> float | None:
    for ev in reversed(events):
        if ev.type == "SESSION_END":
            return ev.payload["summary"]["pnl"]
    return None


# --- scripts ---------------------------------------------------------------------------------
#: What a script action may do: every command but ``step`` (the runner steps to each ``at``).
SCRIPT_OPS = frozenset(COMMANDS) - {"step"}


def script_command(action: object, n: int) -> Command:
    """Return the command a script action names, through the registry, or raise
    ``bad_script`` in one line naming the action (an unknown op or argument)."""
    where = f"action {n}"
    if not isinstance(action, dict):
        raise EngineError("bad_script", f"{where}: must be a mapping with an 'op'")
    op = action.get("op")
    if op == "step":
        raise EngineError("bad_script", f"{where}: 'step' is not a script action (use 'at')")
    args = {k: v for k, v in action.items() if k not in ("op", "at")}
    return command_from(op, args, code="bad_script", where=where)


def load_script(path: str | Path) -> dict:
    """Read a JSON or YAML script file."""
    text = Path(path).read_text()
    try:
        script = yaml.safe_load(text)  # YAML is a superset of JSON
    except yaml.YAMLError as exc:
        raise EngineError("bad_script", f"{path}: not valid JSON/YAML: {exc}") from None
    if not isinstance(script, dict):
        raise EngineError("bad_script", f"{path}: a script is a mapping with 'actions'")
    return script


def _action_target(session: ReplaySession, at: object, n: int) -> int:
    """Return the 1m bar before which an action applies: ``at`` display bars after the start
    (in the starting frame) or the first starting-frame boundary at or after a time.

    A 1m index, not a display-bar count, so a later ``set_disp_tf`` can't move the action."""
    if isinstance(at, bool):
        raise EngineError("bad_script", f"action {n}: 'at' must be a bar index or a time")
    clock = session.clock
    first = int(clock.codes[clock.i_start])
    if isinstance(at, int):
        if at < 0:
            raise EngineError("bad_script", f"action {n}: 'at' must be >= 0, got {at}")
        return int(clock.disp_first[min(first + at, len(clock.disp_first) - 1)])
    ts = parse_time(at, end=False, name=f"action {n} 'at'")
    i = int(clock.ts.searchsorted(ts.value))
    if i >= clock.n:
        return clock.n + 1  # after the data: never reached
    code = int(clock.codes[i]) + (0 if clock.boundary(i) else 1)
    return int(clock.disp_first[min(code, len(clock.disp_first) - 1)])


def _play_to(session: ReplaySession, target: int, store: SessionStore) -> None:
    """Step display bar by display bar up to 1m bar ``target`` (the rest in 1m bars when a
    switched frame's boundaries don't fall on it), saving after each step."""
    while not session.ended and session.i < target:
        if session.clock.disp_target(1) > target:
            session.advance(exec_steps=target - session.i)
        else:
            session.advance(disp_steps=1)
        store.save(session)


def run_script(
    script: dict,
    engine: sa.Engine,
    *,
    session_id: str | None = None,
    store: SessionStore | None = None,
) -> ReplaySession:
    """Play a script: start the session, apply each action at its display bar, run to the end.

    ``script``: {symbol, t_start, t_end, disp_tf, seed?, fill_model?: {...}, actions: [
    {at: display-bar index from the start (0 = before the first bar) or an ISO time,
    op: a command of :data:`SCRIPT_OPS`, ...its arguments}]}. Every action is built through
    the command registry before the session opens: an unknown op or argument is
    ``bad_script`` naming the action.
    Events are written to the store after every step, in one transaction each.
    """
    for key in ("symbol", "t_start", "t_end"):
        if key not in script:
            raise EngineError("bad_script", f"a script needs {key!r}")
    actions = script.get("actions") or []
    if not isinstance(actions, list):
        raise EngineError("bad_script", "'actions' must be a list")
    commands = [script_command(action, n) for n, action in enumerate(actions, 1)]
    params = dict(script.get("fill_model") or {})
    session = open_session(
        engine,
        script["symbol"],
        str(script["t_start"]),
        str(script["t_end"]),
        script.get("disp_tf", "5m"),
        session_id=session_id,
        seed=script.get("seed", 0),
        **params,
    )
    store = store or SessionStore(engine)
    store.save(session)
    plan = []
    for n, (action, command) in enumerate(zip(actions, commands, strict=True), 1):
        at = action.get("at", 0)
        plan.append((_action_target(session, at, n), n, at, command))
    plan.sort(key=lambda p: (p[0], p[1]))
    for target, _, at, command in plan:
        _play_to(session, target, store)
        if session.ended:
            break
        try:
            session.execute(command)
        except EngineError as exc:
            print(f"action at {at} ({command.op}) rejected: {exc}")
        store.save(session)
    while not session.ended:
        session.advance(disp_steps=1)
        store.save(session)
    return session
