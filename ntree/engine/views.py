"""The read side of a replay session: summary, position, candles, state and the observation.

:class:`SessionViews` is a mixin of :class:`~ntree.engine.session.ReplaySession`: these
methods only read the session's state (what the API, the cockpit and bots look at), while
``session.py`` holds the state machine that changes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ntree.engine.clock import CANDLE_COLUMNS
from ntree.engine.events import iso_utc
from ntree.engine.fills import FILL_MODEL_KNOBS
from ntree.engine.indicators import INDICATOR_COLUMNS
from ntree.engine.metrics import average_r, win_rate
from ntree.engine.orders import WORKING
from ntree.engine.portfolio import _money
from ntree.engine.regime import classify_regime, stand_down
from ntree.engine.ticks import EXCHANGE_TZ, disp_tf_label

if TYPE_CHECKING:
    from ntree.engine.broker import PaperBroker
    from ntree.engine.clock import Clock
    from ntree.engine.config import SessionConfig
    from ntree.engine.eventlog import EventLog
    from ntree.engine.events import Event
    from ntree.engine.fills import FillModel
    from ntree.engine.orders import Fill, Order
    from ntree.engine.portfolio import Portfolio


class SessionViews:
    """What a screen or a bot reads from a :class:`ReplaySession` (never changes it).

    The session's parts: ``clock`` (:class:`~ntree.engine.clock.Clock`), ``broker``
    (:class:`~ntree.engine.broker.PaperBroker`), ``portfolio``, ``log`` and ``config``.
    """

    clock: Clock
    broker: PaperBroker
    portfolio: Portfolio
    log: EventLog
    config: SessionConfig
    fill_model: FillModel
    ended: bool
    paused: bool
    speed: float

    # --- the parts, as other modules read them ------------------------------------------
    @property
    def i(self) -> int:
        """The cursor: the index of the next 1m bar to play."""
        return self.clock.i

    @property
    def n(self) -> int:
        return self.clock.n

    @property
    def i_start(self) -> int:
        return self.clock.i_start

    @property
    def bars(self) -> pd.DataFrame:
        return self.clock.bars

    @property
    def ts(self) -> np.ndarray:
        return self.clock.ts

    @property
    def codes(self) -> np.ndarray:
        return self.clock.codes

    @property
    def disp_tf(self) -> int:
        return self.clock.disp_tf

    @property
    def disp(self) -> pd.DataFrame:
        """The display candles with their indicators, history included (read-only)."""
        return self.clock.disp

    @property
    def at_boundary(self) -> bool:
        """True when the cursor stands between two display bars (orders may change)."""
        return self.clock.at_boundary

    def _boundary(self, i: int) -> bool:
        return self.clock.boundary(i)

    @property
    def orders(self) -> dict[int, Order]:
        return self.broker.orders

    @property
    def fills(self) -> list[Fill]:
        return self.broker.fills

    @property
    def bulk_skip(self) -> bool:
        return self.broker.bulk_skip

    @property
    def last_price(self) -> float:
        clock = self.clock  # as clock.last_close(), one call less for a bot's every step
        return clock.c[clock.i - 1] if clock.i > 0 else clock.o[0]

    @property
    def last_event_id(self) -> int:
        return self.log.seq

    def pending_events(self) -> list[Event]:
        """Return the events not yet drained, leaving them pending."""
        return self.log.pending()

    def rewind_target(self, disp_bars: int) -> int:
        """Return the 1m index that lies ``disp_bars`` display bars before the cursor."""
        return self.clock.rewind_target(disp_bars)

    @property
    def equity(self) -> float:
        return self.portfolio.equity(self.last_price)

    def summary(self) -> dict:
        """Return the session's metrics: pnl, max_dd, num_trades, win_rate, avg_r."""
        trades = self.portfolio.trades
        wins, avg_r = win_rate(trades), average_r(trades)
        return {
            "pnl": _money(self.equity - self.config.initial_cash),
            "max_dd": _money(self.portfolio.max_dd),
            "num_trades": len(trades),
            "win_rate": None if wins is None else _money(wins),
            "avg_r": None if avg_r is None else _money(avg_r),
        }

    @property
    def trades(self) -> list[dict]:
        out = []
        for t in self.portfolio.trades:
            d = t.to_dict()
            d["entry_ts"], d["exit_ts"] = iso_utc(t.entry_ts), iso_utc(t.exit_ts)
            out.append(d)
        return out

    def position(self) -> dict:
        pf = self.portfolio
        return {
            "qty": pf.qty,
            "avg_price": _money(pf.avg_price) if pf.qty else None,
            "unrealized_pnl": _money(pf.unrealized(self.last_price)),
            "realized_pnl": _money(pf.realized - pf.commission),
        }

    def buying_power(self) -> dict | None:
        """Return the buying power (equity x leverage) and how much of it the position uses
        (its value at the last price); None when the session sets no leverage."""
        leverage = self.config.leverage
        if leverage is None:
            return None
        limit = max(0.0, self.equity) * leverage
        used = abs(self.portfolio.qty) * self.last_price
        return {
            "leverage": leverage,
            "buying_power": _money(limit),
            "used": _money(used),
            "available": _money(max(0.0, limit - used)),
        }

    def working_orders(self) -> list[dict]:
        return [o.to_dict() for o in self.broker.orders.values() if o.status == WORKING]

    @property
    def exchange_tz(self) -> str:
        """Return the time zone of the session's exchange (New York's by default)."""
        bounds = self.clock.bounds
        return EXCHANGE_TZ if bounds is None else bounds.tz

    def market_phase(self) -> str:
        """Return where the cursor stands in the trading day."""
        clock = self.clock
        i = clock.i
        if self.ended or i >= clock.n:
            return "closed"
        first, end = clock.prepared.day_bounds
        into, left = i - int(first[i]), int(end[i]) - i
        if into < 30:
            return "opening"
        if left <= 30:
            return "closing"
        if into < 120:
            return "morning"
        if left <= 120:
            return "afternoon"
        return "midday"

    @property
    def disp_index(self) -> int:
        """Index of the display bar the cursor is in (the next one to form)."""
        return self.clock.disp_index

    def disp_bars_since(self, i: int) -> int:
        """Return how many display bars lie between 1m bar ``i`` and the cursor."""
        return self.disp_index - int(self.codes[min(i, self.n - 1)])

    def candles(self, n: int = 300) -> list[dict]:
        """Return the last ``n`` display candles visible now (completed + the forming one)."""
        cur = self.disp_index
        out = self._candle_range(max(0, cur - n), cur)
        first = int(self.clock.disp_first[cur]) if cur < len(self.clock.disp_ts) else self.n
        if first < self.i:  # mid-bar: the forming candle from the minutes seen so far
            sl = slice(first, self.i)
            forming = {
                "ts": iso_utc(int(self.clock.disp_ts[cur])),
                "open": float(self.clock.open[first]),
                "high": float(self.clock.high[sl].max()),
                "low": float(self.clock.low[sl].min()),
                "close": float(self.clock.close[self.i - 1]),
                "volume": int(self.clock.bars["volume"].iloc[sl].sum()),
                "forming": True,
            }
            out.append({**forming, **dict.fromkeys(INDICATOR_COLUMNS)})
            out = out[-n:]
        return out

    def _candle_range(self, lo: int, hi: int) -> list[dict]:
        """Return completed display candles [lo, hi) with their indicators (NaN -> None)."""
        cols = {c: self.clock.disp_cols[c][lo:hi].tolist() for c in CANDLE_COLUMNS}
        out = []
        for j, t in enumerate(self.clock.disp_ts[lo:hi].tolist()):
            c = {"ts": iso_utc(t)}
            c.update({k: (None if v[j] != v[j] else v[j]) for k, v in cols.items()})
            c["volume"] = int(c["volume"])
            out.append(c)
        return out

    def state(self) -> dict:
        """Return the JSON-ready state the API and the cockpit show."""
        return {
            "session_id": self.config.session_id,
            "symbol": self.config.symbol,
            "disp_tf": disp_tf_label(self.disp_tf),
            "exec_tf": "1m",  # the clock orders fill on
            "t_start": iso_utc(self.config.t_start.value),
            "t_end": iso_utc(self.config.t_end.value),
            "status": "ended" if self.ended else "active",
            "paused": self.paused,
            "speed": self.speed,
            "edit_on_disp_boundary": self.config.edit_on_disp_boundary,
            "fill_model": {k: getattr(self.fill_model, k) for k in FILL_MODEL_KNOBS},
            "tick": self.config.tick,  # the price grid every order price must sit on
            "at_boundary": bool(self.at_boundary),
            "cursor": {
                "ts_exec": iso_utc(self.clock.ts_exec(self.i)),
                "ts_market": iso_utc(self.clock.ts_market(self.i)),
                "disp_index": self.disp_index,
                "exec_index": self.i - self.i_start,
            },
            "position": self.position(),
            "buying_power": self.buying_power(),
            "orders": self.working_orders(),
            "equity": _money(self.equity),
            "max_drawdown": _money(self.portfolio.max_dd),
            "last_price": self.last_price,
            "last_event_id": self.log.seq,
            "market_phase": self.market_phase(),
            "time_remaining_min": max(0, self.n - self.i),
            "exchange_tz": self.exchange_tz,
            "parent_session_id": self.config.parent_session_id,
            "summary": self.summary(),
        }

    def observe(self) -> dict:
        """Return the observation a human or a bot decides on (the gym contract)."""
        cur = self.disp_index
        row = self.clock.disp.iloc[cur - 1] if cur > 0 else None
        bar = ind = None
        if row is not None:
            bar = {
                "ts": iso_utc(int(self.clock.disp_ts[cur - 1])),
                **{k: float(row[k]) for k in ("open", "high", "low", "close", "volume")},
            }
            ind = {k: (None if pd.isna(row[k]) else float(row[k])) for k in INDICATOR_COLUMNS}
        px = self.last_price

        def dist(v: float | None) -> float | None:
            return None if v is None else _money(px - v)

        mae, mfe = self.portfolio.open_excursions()
        regime = None if ind is None else classify_regime(ind["ch_slope"], ind["atr14"])
        return {
            "bar": bar,
            # the film room's range/trend rule on the last completed bar (None: warming up)
            "regime": regime,
            "stand_down": stand_down(regime),
            "channel": None
            if ind is None
            else {
                "mid": ind["ch_mid"],
                "upper": ind["ch_upper"],
                "lower": ind["ch_lower"],
                "slope": ind["ch_slope"],
                "width_atr": ind["ch_width_atr"],
            },
            "indicators": ind,
            "distances": None
            if ind is None
            else {
                "to_ema9": dist(ind["ema9"]),
                "to_ema21": dist(ind["ema21"]),
                "to_vwap": dist(ind["vwap"]),
                "to_upper": dist(ind["ch_upper"]),
                "to_lower": dist(ind["ch_lower"]),
                "to_mid": dist(ind["ch_mid"]),
            },
            "last_price": px,
            "position": {**self.position(), "open_mae": _money(mae), "open_mfe": _money(mfe)},
            "orders": self.working_orders(),
            "equity": _money(self.equity),
            "time_remaining_min": max(0, self.n - self.i),
            "market_phase": self.market_phase(),
            "at_boundary": bool(self.at_boundary),
            "done": self.ended,
        }
