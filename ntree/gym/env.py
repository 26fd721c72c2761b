"""``ReplayEnv``: a gymnasium environment that plays a replay session as a human does.

One :meth:`ReplayEnv.step` is one display bar: the action's commands go through
``ReplaySession.execute`` (the same registry, checks and log as the human's cockpit), then
the session advances one display bar (``Step(disp_steps=1)``). A refused action never
raises: it is an ``info["rejected"]`` entry and the engine's ORDER_REJECTED event.

The observation is :meth:`ReplaySession.observe`'s content as fixed-shape numpy arrays, read
from the session's public read side (``clock.disp_cols``, ``portfolio``, ``broker.orders``)
rather than from ``observe()``'s dicts, which cost ~200 µs a call (pandas row reads).
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import gymnasium
import numpy as np
import pandas as pd
import sqlalchemy as sa
from gymnasium import spaces

from ntree.engine import EngineError, Event, PreparedBars, ReplaySession, SessionConfig
from ntree.engine.commands import Cancel as CancelCmd
from ntree.engine.commands import (
    CancelAll,
    Command,
    Flatten,
    Modify,
    Place,
    SetBracket,
    Step,
)
from ntree.engine.regime import RANGE, TREND, UNKNOWN, classify_regime
from ntree.engine.sources import BarSource
from ntree.engine.ticks import parse_disp_tf

ENV_ID = "ntree/Replay-v0"

#: The structured action's ``kind``, by index.
ACTION_KINDS = (
    "HOLD",
    "PLACE_LIMIT",
    "PLACE_MARKET",
    "CANCEL",
    "REPLACE",
    "FLATTEN",
    "SET_BRACKET",
)
HOLD, PLACE_LIMIT, PLACE_MARKET, CANCEL, REPLACE, FLATTEN, SET_BRACKET = range(len(ACTION_KINDS))
SIDES = ("BUY", "SELL")
#: ``market_phase`` as a Discrete index (``ReplaySession.market_phase()``'s names).
MARKET_PHASES = ("opening", "morning", "midday", "afternoon", "closing", "closed")
#: ``regime`` as a Discrete index: the film room's rule on the last completed display bar
#: (``unknown`` while its slope or ATR warms up); ``trend`` is a stand-down bar.
REGIMES = (UNKNOWN, RANGE, TREND)
ORDER_TYPES = ("LIMIT", "STOP", "MARKET")
_CHURN = (Place, CancelCmd, Modify)  # the commands info["churn"] counts
_ONE_BAR = Step(disp_steps=1)  # an env step's own command (immutable: one for every step)
ORDER_FIELDS = ("order_id", "side", "type", "price", "qty")  # columns of obs["orders"]
BAR_FIELDS = ("open", "high", "low", "close", "volume")
CHANNEL_FIELDS = ("ch_upper", "ch_mid", "ch_lower", "ch_slope", "ch_width_atr")
INDICATOR_FIELDS = ("vwap", "ema9", "ema21", "atr14")
DISTANCE_FIELDS = ("ema9", "ema21", "vwap", "ch_upper", "ch_lower", "ch_mid")  # last - each
POSITION_FIELDS = ("qty", "avg_price", "unrealized_pnl", "realized_pnl", "equity")
PRICE_MAX = 1e7
QTY_MAX = 1_000_000
_BARS_CACHE = 64  # prepared windows kept per env (one symbol-day is ~100 KB)


@dataclass(frozen=True, slots=True)
class AdvanceTo:
    """An action that plays 1m bars until the cursor stands at the 1m bar opening at
    ``ts_exec`` (epoch ns), inside the display bar being played: the registry's
    ``Step(exec_steps=n)``, logged as a human's exec step. Commands after it in the same
    action list are given at that minute (where the session allows mid-bar edits)."""

    ts_exec: int


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~0.7 us of a ~28 us step
class RewardContext:
    """What a reward function sees after one step (made afresh each step: changing it
    changes nothing)."""

    prev_equity: float
    equity: float
    prev_drawdown: float
    drawdown: float
    closed_trades: list  # the portfolio's Trade records closed during this step
    events: list[Event]
    session: ReplaySession


RewardFn = Callable[[RewardContext], float]


def _reward_equity(ctx: RewardContext) -> float:
    return ctx.equity - ctx.prev_equity


def _reward_equity_minus_drawdown(ctx: RewardContext) -> float:
    # Penalise only a deeper drawdown (a recovery is already paid by the equity change).
    return ctx.equity - ctx.prev_equity - max(0.0, ctx.drawdown - ctx.prev_drawdown)


def _reward_r_multiple(ctx: RewardContext) -> float:
    # A trade without an initial stop has no R: it earns nothing here.
    return float(sum(t.r_multiple or 0.0 for t in ctx.closed_trades))


REWARDS: dict[str, RewardFn] = {
    "equity": _reward_equity,
    "r_multiple": _reward_r_multiple,
    "equity_minus_drawdown": _reward_equity_minus_drawdown,
}

_DAYS = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?::\s*(\d{4}-\d{2}-\d{2}))?\s*$")


def parse_days(days: str | Sequence[str] | None) -> tuple[str, str] | None:
    """Return ``(first, last)`` dates of ``"YYYY-MM-DD"``, ``"A:B"`` or a pair; None: all."""
    if days is None:
        return None
    if isinstance(days, str):
        m = _DAYS.match(days)
        if not m:
            raise ValueError(f"days must be YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD, got {days!r}")
        return m.group(1), m.group(2) or m.group(1)
    first, last = days
    return str(first), str(last)


class ReplayEnv(gymnasium.Env):
    """Trade one symbol on display bars of ``disp_tf``, one display bar per step.

    - ``source``: a :class:`~ntree.engine.sources.BarSource`; default the bars in ``db``
      (a URL or an Engine) when given, else the bundled sample bars (no database needed).
    - ``days``: the trading days :meth:`reset` draws from (``"2024-08-01:2024-08-30"``,
      a pair, or None for every day the source holds).
    - ``reward``: ``"equity"`` (Δequity, the default), ``"r_multiple"``,
      ``"equity_minus_drawdown"``, or a callable taking a :class:`RewardContext`.
    - ``max_orders``: rows of ``obs["orders"]`` (working orders beyond it are not shown).
    - ``session_params``: SessionConfig settings (fill model knobs, ``initial_cash``...).

    ``reset(options=...)``: ``{"day": "2024-08-05"}``, ``{"t_start": ..., "t_end": ...}``,
    ``{"session_id": ID}`` (that stored session's window and settings; needs ``db``), and
    ``{"new_session_id": ID}`` for the id of the session played (default: one drawn from
    ``np_random``, so the same seed gives the same log). ``step`` also takes a command of
    :mod:`ntree.engine.commands`, an :class:`AdvanceTo` (exec steps to a minute inside the
    bar) or a list of these (applied in order, then on to the next display boundary): what
    :class:`~ntree.gym.policies.LogReplayPolicy` re-issues.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        symbol: str = "SPY",
        disp_tf: str | int = "5m",
        *,
        days: str | Sequence[str] | None = None,
        source: BarSource | None = None,
        db: str | sa.Engine | None = None,
        reward: str | RewardFn = "equity",
        max_orders: int = 8,
        session_params: Mapping[str, Any] | None = None,
    ) -> None:
        self.symbol = symbol
        self.disp_tf = parse_disp_tf(disp_tf)
        self.days = parse_days(days)
        self._db = db
        self._engine: sa.Engine | None = None
        self._source = source
        if isinstance(reward, str):
            if reward not in REWARDS:
                raise ValueError(f"unknown reward {reward!r}; known: {sorted(REWARDS)}")
            self.reward_fn: RewardFn = REWARDS[reward]
        elif callable(reward):
            self.reward_fn = reward
        else:
            raise TypeError(f"reward must be a name or a callable, got {reward!r}")
        self.max_orders = int(max_orders)
        self.session_params = dict(session_params or {})
        self._windows: list[tuple[pd.Timestamp, pd.Timestamp]] | None = None
        self._bars: OrderedDict[tuple, PreparedBars] = OrderedDict()
        self._days: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
        self.session: ReplaySession | None = None
        self._table = _FeatureTable(None)
        self.observation_space = observation_space(self.max_orders)
        self.action_space = action_space()

    # --- where bars and windows come from ------------------------------------------------
    @property
    def engine(self) -> sa.Engine | None:
        """Return the database Engine of ``db`` (connected on first use), or None."""
        if self._engine is None and self._db is not None:
            from ntree import db as ntree_db

            self._engine = (
                self._db if isinstance(self._db, sa.Engine) else ntree_db.connect(self._db)
            )
        return self._engine

    @property
    def source(self) -> BarSource:
        """Return the bar source (default: the database's bars, else the sample bars)."""
        if self._source is None:
            from ntree.sources import SampleBarSource, SqlBarSource

            engine = self.engine
            self._source = SqlBarSource(engine) if engine is not None else SampleBarSource()
        return self._source

    @property
    def exchange(self) -> str:
        """Return the calendar code of the exchange the env's symbol trades on."""
        from ntree.runner import symbol_exchange

        return symbol_exchange(self.source, self.symbol)

    def trading_days(self) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """Return the (open, close) UTC times of the trading days episodes draw from."""
        if self._windows is None:
            from ntree.market import sessions

            available = self.source.bar_range(self.symbol)
            if available is None:
                raise EngineError("unknown_symbol", f"no bars for symbol {self.symbol!r}")
            first, last = available
            lo, hi = self.days or (f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}")
            sched = sessions(lo, hi, self.exchange)
            self._windows = [
                (pd.Timestamp(o).tz_convert("UTC"), pd.Timestamp(c).tz_convert("UTC"))
                for o, c in zip(sched["open"], sched["close"], strict=True)
                if pd.Timestamp(c) > first and pd.Timestamp(o) <= last
            ]
            if not self._windows:
                raise EngineError("no_data", f"no {self.symbol} trading day in {lo} .. {hi}")
        return self._windows

    def prepared_bars(self, config: SessionConfig) -> PreparedBars:
        """Return the prepared window of ``config`` (warm-up history + window: the 1m bars,
        the display bars and indicators of its ``disp_tf``), built once per symbol-window
        and shared by later episodes on it."""
        from ntree.runner import load_session_bars, session_bounds

        key = (config.symbol, config.t_start.value, config.t_end.value)
        prepared = self._bars.get(key)
        if prepared is None:
            bars = load_session_bars(None, config, self.source)  # type: ignore[arg-type]
            bounds = session_bounds(config, bars)  # the exchange's hours (None on XNYS)
            prepared = PreparedBars(bars, config.t_end, bounds).prepare(config.disp_tf)
            self._bars[key] = prepared
            if len(self._bars) > _BARS_CACHE:
                self._bars.popitem(last=False)
        else:
            self._bars.move_to_end(key)
        return prepared

    def _day_window(self, day: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Return the (open, close) UTC times of trading day ``day`` (looked up once)."""
        window = self._days.get(day)
        if window is None:
            from ntree.runner import parse_time

            window = (
                parse_time(day, end=False, name="day", exchange=self.exchange),
                parse_time(day, end=True, name="day", exchange=self.exchange),
            )
            self._days[day] = window
        return window

    def _episode_config(self, seed: int | None, options: Mapping[str, Any]) -> SessionConfig:
        new_id = options.get("new_session_id")
        drawn = f"bot-{int(self.np_random.integers(2**48)):012x}"  # drawn always: same stream
        session_id = str(new_id) if new_id else drawn
        if options.get("session_id") is not None:
            return self._config_of_session(str(options["session_id"]), session_id)
        if options.get("t_start") is not None or options.get("t_end") is not None:
            from ntree.runner import parse_time

            ex = self.exchange
            t_start = parse_time(str(options["t_start"]), end=False, name="t_start", exchange=ex)
            t_end = parse_time(str(options["t_end"]), end=True, name="t_end", exchange=ex)
        elif options.get("day") is not None:
            t_start, t_end = self._day_window(str(options["day"]))
        else:
            days = self.trading_days()
            t_start, t_end = days[int(self.np_random.integers(len(days)))]
        params = {"seed": seed if isinstance(seed, int) else 0, **self.session_params}
        from ntree.market import recorded

        return SessionConfig(
            session_id=session_id,
            symbol=self.symbol,
            disp_tf=self.disp_tf,
            t_start=t_start,
            t_end=t_end,
            exchange=recorded(self.exchange),
            **params,
        )

    def _config_of_session(self, stored_id: str, session_id: str) -> SessionConfig:
        """Return the window and settings of a stored session, under a new id."""
        if self.engine is None:
            raise EngineError("no_db", "options.session_id needs the env's db")
        from ntree.store import SessionStore

        events = SessionStore(self.engine).load_events(stored_id, since=0)[:1]
        if not events:
            raise EngineError("unknown_session", f"no session with id {stored_id!r}")
        config = SessionConfig.from_params(events[0].payload["params"])
        return replace(config, session_id=session_id, parent_session_id=None, forked_at=None)

    # --- the gymnasium API -------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on the window ``options`` name (else a day drawn from
        ``np_random``); return the first observation and info."""
        super().reset(seed=seed)
        config = self._episode_config(seed, options or {})
        from ntree.runner import start_session  # with the exchange's hours, as the app's

        self.session = session = start_session(config, self.prepared_bars(config))
        session.log.take_since_step()  # SESSION_START is in the log, not in a step's events
        self._peak = self._equity = session.equity
        self._drawdown = 0.0
        self._trades_seen = 0
        self._steps_in_trade = 0
        self._churn = 0
        return self._observation(), self._info([], [])

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Apply ``action`` at this display-bar boundary, then play one display bar."""
        session = self.session
        if session is None:
            raise RuntimeError("call reset() before step()")
        rejected: list[dict] = []
        actions = action if isinstance(action, (list, tuple)) else [action]
        for item in actions:
            if isinstance(item, AdvanceTo):
                command = self._exec_steps_to(item.ts_exec, rejected)
            else:
                command = item if isinstance(item, Command) else to_command(item)
            if command is None:
                continue
            if not isinstance(command, Step):
                self._churn += isinstance(command, _CHURN)
            try:
                session.execute(command)
            except EngineError as err:
                rejected.append({"code": err.code, "message": err.message, "op": command.op})
        if not session.ended:
            events = session.execute(_ONE_BAR)
        else:
            events = session.log.take_since_step()
        pf = session.portfolio
        equity = session.equity
        self._peak = max(self._peak, equity)
        drawdown = self._peak - equity
        closed = pf.trades[self._trades_seen :]
        self._trades_seen = len(pf.trades)
        self._steps_in_trade += pf.qty != 0
        reward = float(
            self.reward_fn(
                RewardContext(
                    self._equity, equity, self._drawdown, drawdown, closed, events, session
                )
            )
        )
        self._equity, self._drawdown = equity, drawdown
        return self._observation(), reward, session.ended, False, self._info(events, rejected)

    def _exec_steps_to(self, ts_exec: int, rejected: list[dict]) -> Step | None:
        """Return the exec step that puts the cursor at ``ts_exec`` (None: it is there);
        a minute behind the cursor, past the display bar or not in the bars is rejected."""
        session = self.session
        assert session is not None
        clock = session.clock
        target = int(np.searchsorted(clock.ts, ts_exec))
        if target == clock.i:
            return None
        nxt = clock.disp_target(1)
        if target < clock.i or target > nxt or (target < clock.n and clock.t[target] != ts_exec):
            rejected.append(
                {
                    "code": "bad_step",
                    "message": f"no 1m bar at ns {ts_exec} between the cursor and the next "
                    "display boundary",
                    "op": "step",
                }
            )
            return None
        return Step(exec_steps=target - clock.i)

    # --- observation and info ------------------------------------------------------------------
    def _observation(self) -> dict[str, np.ndarray]:
        session = self.session
        assert session is not None
        clock = session.clock
        cur = clock.disp_index
        table = self._table if self._table.cols is clock.disp_cols else self._new_table(clock)
        px = session.last_price
        pf = session.portfolio
        orders = np.zeros((self.max_orders, len(ORDER_FIELDS)), dtype=np.float64)
        mask = np.zeros(self.max_orders, dtype=np.int8)
        for k, order in enumerate(list(session.broker.orders.values())[: self.max_orders]):
            kind = "STOP" if order.type == "STOP_MARKET" else order.type
            orders[k] = (
                order.order_id,
                order.side,
                ORDER_TYPES.index(kind) if kind in ORDER_TYPES else 0,
                order.price or 0.0,
                order.qty,
            )
            mask[k] = 1
        obs = {
            "bar": table.bar[cur].copy(),
            "channel": table.channel[cur].copy(),
            "indicators": table.indicators[cur].copy(),
            "distances": (px - table.levels[cur]) * table.known[cur],
            "last_price": np.array([px], dtype=np.float64),
            "position": np.array(
                [
                    pf.qty,
                    pf.avg_price if pf.qty else 0.0,
                    pf.unrealized(px),
                    pf.realized - pf.commission,
                    pf.equity(px),
                ],
                dtype=np.float64,
            ),
            "orders": orders,
            "orders_mask": mask,
            "time_remaining": np.array([max(0, clock.n - clock.i)], dtype=np.float64),
            "market_phase": np.int64(MARKET_PHASES.index(session.market_phase())),
            "regime": np.int64(table.regime[cur]),
            "cursor_ts": np.array([clock.ts_exec(clock.i)], dtype=np.int64),
        }
        return obs

    def _new_table(self, clock: Any) -> _FeatureTable:
        # One table per display frame, kept while episodes play on it (the frame itself is
        # shared through the prepared window).
        self._table = _FeatureTable(clock.disp_cols)
        return self._table

    def _info(self, events: list[Event], rejected: list[dict]) -> dict[str, Any]:
        session = self.session
        assert session is not None
        return {
            "session_id": session.config.session_id,
            "equity": session.equity,
            "drawdown": self._drawdown,
            "max_drawdown": session.portfolio.max_dd,
            "trade_count": len(session.portfolio.trades),
            "churn": self._churn,
            "time_in_trade": self._steps_in_trade,
            "events": events,
            "rejected": rejected,
        }

    def close(self) -> None:
        """Dispose of the database connection the env opened itself."""
        if self._engine is not None and not isinstance(self._db, sa.Engine):
            self._engine.dispose()
        self._engine = None


class _FeatureTable:
    """The display bars' observation columns as one row per display index ``cur`` (row 0:
    before the first bar; row ``k``: bar ``k - 1``, the last one complete), so a step reads
    rows instead of building arrays value by value (4 ``nan_to_num`` calls cost ~80 µs a
    step). Each observation gets copies of the rows: arrays of its own."""

    def __init__(self, cols: Mapping[str, np.ndarray] | None) -> None:
        self.cols = cols

        def rows(names: Sequence[str]) -> np.ndarray:
            n = len(next(iter(cols.values()))) if cols else 0
            out = np.full((n + 1, len(names)), np.nan)
            for j, name in enumerate(names):
                if cols:
                    out[1:, j] = cols[name]
            return out

        # An indicator still warming up is NaN in the engine; a Box cannot hold NaN, so 0
        # (and 0 for a distance to it).
        self.bar = np.nan_to_num(rows(BAR_FIELDS))
        self.channel = np.nan_to_num(rows(CHANNEL_FIELDS))
        self.indicators = np.nan_to_num(rows(INDICATOR_FIELDS))
        levels = rows(DISTANCE_FIELDS)
        self.known = (~np.isnan(levels)).astype(np.float64)
        self.levels = np.nan_to_num(levels)
        # the film room's regime rule on the last complete bar (unknown while warming up)
        slope, atr = rows(("ch_slope", "atr14")).T
        self.regime = np.array(
            [
                REGIMES.index(classify_regime(s, a) or UNKNOWN)
                for s, a in zip(slope, atr, strict=True)
            ],
            dtype=np.int64,
        )


def observation_space(max_orders: int) -> spaces.Dict:
    """Return the observation space (see :data:`BAR_FIELDS` ... for each array's columns)."""

    def box(n: int) -> spaces.Box:
        return spaces.Box(-np.inf, np.inf, shape=(n,), dtype=np.float64)

    return spaces.Dict(
        {
            "bar": box(len(BAR_FIELDS)),
            "channel": box(len(CHANNEL_FIELDS)),
            "indicators": box(len(INDICATOR_FIELDS)),
            "distances": box(len(DISTANCE_FIELDS)),
            "last_price": box(1),
            "position": box(len(POSITION_FIELDS)),
            "orders": spaces.Box(
                -np.inf, np.inf, shape=(max_orders, len(ORDER_FIELDS)), dtype=np.float64
            ),
            "orders_mask": spaces.MultiBinary(max_orders),
            "time_remaining": spaces.Box(0, np.inf, shape=(1,), dtype=np.float64),
            "market_phase": spaces.Discrete(len(MARKET_PHASES)),
            "regime": spaces.Discrete(len(REGIMES)),
            "cursor_ts": spaces.Box(0, np.iinfo(np.int64).max, shape=(1,), dtype=np.int64),
        }
    )


def action_space() -> spaces.Dict:
    """Return the structured action space (a price/tp/sl of 0 means "not given")."""
    price = spaces.Box(0.0, PRICE_MAX, shape=(1,), dtype=np.float64)
    return spaces.Dict(
        {
            "kind": spaces.Discrete(len(ACTION_KINDS)),
            "side": spaces.Discrete(len(SIDES)),
            "price": price,
            "qty": spaces.Box(1, QTY_MAX, shape=(1,), dtype=np.int64),
            "order_id": spaces.Box(0, 2**31 - 1, shape=(1,), dtype=np.int64),
            "tp": price,
            "sl": price,
        }
    )


def _scalar(value: Any) -> Any:
    return np.asarray(value).reshape(-1)[0].item()


def to_command(action: Mapping[str, Any]) -> Command | None:
    """Return the command a structured action stands for (None for HOLD).

    Values are passed as given (no snapping): the engine checks them, so an off-tick price
    is refused exactly as a human's would be.
    """
    kind = int(_scalar(action["kind"]))
    if kind == HOLD:
        return None
    if kind in (PLACE_LIMIT, PLACE_MARKET):
        side = SIDES[int(_scalar(action.get("side", 0)))]
        qty = int(_scalar(action.get("qty", 1)))
        if kind == PLACE_MARKET:
            return Place(side=side, type="MARKET", qty=qty)
        return Place(side=side, type="LIMIT", qty=qty, price=float(_scalar(action["price"])))
    if kind == CANCEL:
        return CancelCmd(order_id=int(_scalar(action["order_id"])))
    if kind == REPLACE:
        return Modify(
            order_id=int(_scalar(action["order_id"])), price=float(_scalar(action["price"]))
        )
    if kind == FLATTEN:
        return Flatten()
    if kind == SET_BRACKET:
        tp, sl = float(_scalar(action.get("tp", 0.0))), float(_scalar(action.get("sl", 0.0)))
        return SetBracket(tp=tp or None, sl=sl or None)
    raise ValueError(f"unknown action kind {kind!r}")


def structured(kind: str, **fields: Any) -> dict[str, Any]:
    """Return a structured action of ``kind`` (a name of :data:`ACTION_KINDS`) and fields."""
    action: dict[str, Any] = {
        "kind": ACTION_KINDS.index(kind),
        "side": SIDES.index(fields.pop("side", "BUY")),
        "price": np.array([fields.pop("price", 0.0)], dtype=np.float64),
        "qty": np.array([fields.pop("qty", 1)], dtype=np.int64),
        "order_id": np.array([fields.pop("order_id", 0)], dtype=np.int64),
        "tp": np.array([fields.pop("tp", 0.0)], dtype=np.float64),
        "sl": np.array([fields.pop("sl", 0.0)], dtype=np.float64),
    }
    if fields:
        raise TypeError(f"unknown action fields {sorted(fields)}")
    return action


#: The discrete wrapper's actions, by index.
DISCRETE_ACTIONS = (
    "hold",
    "buy_limit_lower",
    "sell_limit_upper",
    "buy_limit_mid",
    "sell_limit_mid",
    "flatten",
    "cancel_all",
)


class DiscreteActions(gymnasium.ActionWrapper):
    """A small discrete action set for RL over :class:`ReplayEnv` (see
    :data:`DISCRETE_ACTIONS`): limits at the channel's bands or mid, snapped to the tick
    (a buy down, a sell up, so neither crosses the band), ``qty`` shares each."""

    def __init__(self, env: gymnasium.Env, qty: int = 100) -> None:
        super().__init__(env)
        self.qty = int(qty)
        self.action_space = spaces.Discrete(len(DISCRETE_ACTIONS))

    def action(self, action: Any) -> Any:
        """Return the command(s) discrete ``action`` stands for (empty: hold)."""
        name = DISCRETE_ACTIONS[int(action)]
        if name == "hold":
            return []
        if name == "flatten":
            return [Flatten()]
        if name == "cancel_all":
            return [CancelAll()]
        env: ReplayEnv = self.env.unwrapped  # type: ignore[assignment]
        session = env.session
        assert session is not None
        clock = session.clock
        cur = clock.disp_index
        if cur == 0:
            return []
        band = (
            "ch_lower"
            if name.endswith("lower")
            else "ch_upper"
            if name.endswith("upper")
            else "ch_mid"
        )
        level = float(clock.disp_cols[band][cur - 1])
        if level != level:  # the channel is still warming up
            return []
        side = "BUY" if name.startswith("buy") else "SELL"
        return [
            Place(
                side=side, type="LIMIT", qty=self.qty, price=snap(level, session.config.tick, side)
            )
        ]


def snap(price: float, tick: float, side: str) -> float:
    """Return ``price`` on the ``tick`` grid: down for a buy, up for a sell."""
    steps = float(price) / tick  # math on floats: numpy's scalar floor costs ~1 µs a call
    k = math.floor(steps + 1e-9) if side == "BUY" else math.ceil(steps - 1e-9)
    return round(float(k) * tick, 10)
