"""Blind replay in the cockpit: the service as a blind session's trader sees it.

:class:`CockpitService` stands between the cockpit and the :class:`ReplayService`. For a
blind session (its state carries ``blind_rebase``) every answer is masked before the cockpit
sees it: prices, money, volumes, times and the symbol go through :class:`SessionMask` (the
arithmetic is :mod:`ntree.blind`), error texts lose every real figure, and the prices the
trader types (ticket, drag, bracket) go back to real ticks before they reach the engine. Any
other session passes through untouched. The log, the engine and the REST API keep the real
values; the reveal (:func:`reveal_card`) shows both once the session has ended.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from ntree.blind import BlindClock, Rebase
from ntree.engine.ticks import EXCHANGE_TZ
from ntree.market import calendar
from ntree.service import ReplayService, ServiceError
from ntree.ui import format as fmt
from ntree.ui import ids

#: What a blind session's symbol reads.
HIDDEN_SYMBOL = "BLIND"
#: Keys whose values are prices, price distances, money, volumes or times (any depth).
PRICE_KEYS = frozenset(
    {
        "open",
        "high",
        "low",
        "close",
        "price",
        "avg_price",
        "last_price",
        "entry_px",
        "exit_px",
        "initial_stop",
        "tp",
        "sl",
        "ema9",
        "ema21",
        "vwap",
        "ch_upper",
        "ch_mid",
        "ch_lower",
        "stop_price",
        "limit_price",
    }
)
POINT_KEYS = frozenset(
    {"atr14", "mae", "mfe", "open_mae", "open_mfe", "tp_offset", "sl_offset", "ch_slope"}
)
MONEY_KEYS = frozenset(
    {
        "pnl",
        "unrealized_pnl",
        "realized_pnl",
        "max_drawdown",
        "max_dd",
        "commission",
        "risk",
        "buying_power",  # the state's buying power (a dict) holds these three
        "used",
        "available",
    }
)
EQUITY_KEYS = frozenset({"equity"})
VOLUME_KEYS = frozenset({"volume"})
TIME_KEYS = frozenset(
    {"ts", "ts_exec", "ts_market", "entry_ts", "exit_ts", "t_start", "t_end", "forked_at"}
)
#: Keys dropped from a masked answer: the anchors are real prices.
DROPPED_KEYS = frozenset(
    {"blind_rebase", "blind_price_anchor", "blind_volume_anchor", "data_fingerprint"}
)

_MISSING = object()
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_DECIMAL = re.compile(r"(?<![\w.])\d[\d,]*\.\d+")


class SessionMask:
    """The mask of one blind session: its rebase and its fictional calendar."""

    #: Mapped values remembered (a tick re-sends the same candles): at most this many.
    _MEMO = 50_000

    def __init__(self, rebase: Rebase, clock: BlindClock, symbol: str) -> None:
        self.rebase = rebase
        self.clock = clock
        self.symbol = symbol
        self._memo: dict[tuple[str, Any], Any] = {}
        self._kinds = {
            **dict.fromkeys(PRICE_KEYS, rebase.price),
            **dict.fromkeys(POINT_KEYS, rebase.points),
            **dict.fromkeys(MONEY_KEYS, rebase.money),
            **dict.fromkeys(EQUITY_KEYS, rebase.equity),
            **dict.fromkeys(VOLUME_KEYS, rebase.volume),
        }

    def _mapped(self, kind: str, value: Any, fn) -> Any:
        key = (kind, value)
        hit = self._memo.get(key, _MISSING)
        return self._remember(key, fn(value)) if hit is _MISSING else hit

    def _remember(self, key: tuple, value: Any) -> Any:
        if len(self._memo) >= self._MEMO:
            self._memo.clear()
        self._memo[key] = value
        return value

    def _times(self, values: list) -> list:
        """The fictional times of ISO times (one pandas pass for those not seen yet)."""
        out = [self._memo.get(("t", v), _MISSING) for v in values]
        new = [v for v, o in zip(values, out, strict=True) if o is _MISSING]
        if not new:
            return out
        mapped = dict(zip(new, self.clock.fake(new), strict=True))
        for v, f in mapped.items():
            self._remember(("t", v), f)
        return [mapped[v] if o is _MISSING else o for v, o in zip(values, out, strict=True)]

    @classmethod
    def of(cls, state: dict) -> SessionMask | None:
        """The mask of a session from its (real) state; None for a session that is not blind."""
        info = state.get("blind_rebase")
        if not info:
            return None
        rebase = Rebase(
            price_anchor=info["price_anchor"],
            volume_anchor=info["volume_anchor"],
            tick=info["tick"],
            initial_cash=info["initial_cash"],
        )
        tz = state.get("exchange_tz") or EXCHANGE_TZ  # a Hong Kong day stays 09:30-16:00
        day1 = pd.Timestamp(state["t_start"]).tz_convert(tz).tz_localize(None)
        days = calendar().sessions.values
        return cls(rebase, BlindClock(days, day1.normalize(), tz), state["symbol"])

    # real -> shown ---------------------------------------------------------------------

    def mask(self, value: Any) -> Any:
        """Return ``value`` (a JSON-ready answer) as the trader sees it."""
        if isinstance(value, list):
            if value and all(isinstance(v, dict) for v in value):
                return self._mask_rows(value)
            return [self.mask(v) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for key, v in value.items():
            if key in DROPPED_KEYS:
                continue
            # the fictional calendar keeps the exchange's wall time in New York's zone: a
            # page converting to the real zone would misread it (and name the exchange)
            out[key] = EXCHANGE_TZ if key == "exchange_tz" else self._field(key, v)
        bp = value.get("buying_power")
        if isinstance(bp, dict) and bp.get("buying_power") and "equity" in value:
            out["buying_power"] = self._buying_power(bp, value["equity"])
        return out

    def _buying_power(self, bp: dict, equity: float) -> dict:
        """The buying power in shown money: the shown equity x leverage, and the share of it
        used as the engine counts it (real money x the price factor would give the factor
        away: $75,639 of buying power on $100,000 of equity reads "the price is 5x")."""
        limit = round(max(0.0, self.rebase.equity(equity)) * bp["leverage"], 2)
        used = round(limit * bp["used"] / bp["buying_power"], 2)
        return {
            **bp,
            "buying_power": limit,
            "used": used,
            "available": round(max(0.0, limit - used), 2),
        }

    def _mask_rows(self, rows: list[dict]) -> list[dict]:
        """Mask a list of dicts: a flat row seen before (a candle a tick sends again) from
        memory, the others with their times in one vectorised pass per key."""
        out: list[dict | None] = []
        todo: list[tuple[int, dict, Any]] = []
        for i, row in enumerate(rows):
            try:
                key = ("row", tuple(row.items()))
                hit = self._memo.get(key, _MISSING)
            except TypeError:  # a nested value (an order's bracket): no memory
                key, hit = None, _MISSING
            out.append(None if hit is _MISSING else dict(hit))  # a copy: callers may edit it
            if hit is _MISSING:
                todo.append((i, row, key))
        if not todo:
            return out
        present = set().union(*(r.keys() for _, r, _ in todo)) & TIME_KEYS
        times = {k: self._times([r.get(k) for _, r, _ in todo]) for k in present}
        for n, (i, row, key) in enumerate(todo):
            masked = {}
            for k, v in row.items():
                if k in DROPPED_KEYS:
                    continue
                masked[k] = times[k][n] if k in times else self._field(k, v)
            out[i] = masked
            if key is not None:
                self._remember(key, dict(masked))
        return out

    def _field(self, key: str, v: Any) -> Any:
        kind = type(v)  # bool is no int here: a switch is never a price
        if kind is float or kind is int:
            fn = self._kinds.get(key)
            if fn is None:
                return v
            hit = self._memo.get((key, v), _MISSING)
            return self._mapped(key, v, fn) if hit is _MISSING else hit
        if kind is dict or kind is list:
            return self.mask(v)
        if kind is str:
            if key == "symbol":
                return HIDDEN_SYMBOL
            if key in TIME_KEYS:
                return self._times([v])[0]
            return self.text(v) if key in ("message", "text", "reason") else v
        return v

    def text(self, message: str) -> str:
        """A message without real figures: the symbol hidden, dates and times dropped, a
        price near the session's shown as rebased, any other decimal figure dropped."""
        out = re.sub(rf"\b{re.escape(self.symbol)}\b", HIDDEN_SYMBOL, message)
        out = _ISO.sub("…", out)
        out = _CLOCK.sub("…", out)
        anchor = self.rebase.price_anchor

        def price(m: re.Match) -> str:
            text = m.group(0)
            if "," in text:
                return "…"
            x = float(text)
            return f"{self.rebase.price(x):.2f}" if anchor / 5 <= x <= anchor * 5 else "…"

        return _DECIMAL.sub(price, out)

    # shown -> real ---------------------------------------------------------------------

    def unmask(self, body: Any) -> Any:
        """Return a request body with the prices the trader typed as real ones."""
        if isinstance(body, list):
            return [self.unmask(v) for v in body]
        if not isinstance(body, dict):
            return body
        out = {}
        r = self.rebase
        for key, v in body.items():
            if isinstance(v, dict | list):
                out[key] = self.unmask(v)
            elif isinstance(v, bool) or not isinstance(v, int | float):
                out[key] = v
            elif key in PRICE_KEYS:
                out[key] = r.to_real(v)
            elif key in POINT_KEYS:
                out[key] = r.to_real_points(v)
            elif key in MONEY_KEYS:
                out[key] = r.to_real_money(v)
            else:
                out[key] = v
        return out


class CockpitService:
    """The service the cockpit talks to: blind sessions masked, the others as they are.

    What is not wrapped here (symbols, data ranges) passes through: it shows no session.
    """

    _MAX_MASKS = 256

    def __init__(self, svc: ReplayService) -> None:
        self._svc = svc
        self._masks: OrderedDict[str, SessionMask | None] = OrderedDict()
        self._lock = threading.Lock()  # the app's request threads share this one

    def __getattr__(self, name: str) -> Any:
        return getattr(self._svc, name)

    def mask_of(self, session_id: str | None) -> SessionMask | None:
        """The session's mask (None when it is not blind); read once per session."""
        if not session_id:
            return None
        known = self._masks.get(session_id, _MISSING)
        if known is _MISSING:
            return self._remember(session_id, self._svc.state({"session_id": session_id}))
        return known

    def _remember(self, session_id: str, state: dict) -> SessionMask | None:
        with self._lock:
            if session_id in self._masks:
                return self._masks[session_id]
            self._masks[session_id] = mask = SessionMask.of(state)
            while len(self._masks) > self._MAX_MASKS:
                self._masks.popitem(last=False)
            return mask

    def _answer(self, session_id: str, view: dict) -> dict:
        mask = self._remember(session_id, view)
        if mask is None:
            return view
        out = mask.mask(view)
        if view.get("status") == "ended":
            out["reveal"] = reveal_facts(view, mask)
        return out

    def _call(self, session_id: str | None, fn, *args) -> Any:
        """Call the service; a refusal about a blind session loses its real figures."""
        try:
            return fn(*args)
        except ServiceError as exc:
            mask = self.mask_of(session_id) if session_id in self._masks else None
            if mask is None:
                raise
            raise ServiceError(exc.code, mask.text(exc.message), exc.field) from exc

    def start(self, body: dict) -> dict:
        res = self._svc.start(body)
        sid = res["session_id"]
        return {**res, "initial_state": self._answer(sid, res["initial_state"])}

    def state(self, body: dict) -> dict:
        sid = body.get("session_id")
        return self._answer(sid, self._call(sid, self._svc.state, body))

    def snapshot(self, session_id: str, n: int) -> dict:
        return self._answer(session_id, self._call(session_id, self._svc.snapshot, session_id, n))

    def candles(self, body: dict) -> dict:
        sid = body.get("session_id")
        mask = self.mask_of(sid)
        res = self._call(sid, self._svc.candles, body)
        return res if mask is None else mask.mask(res)

    def trades(self, session_id: str) -> list[dict]:
        mask = self.mask_of(session_id)
        rows = self._call(session_id, self._svc.trades, session_id)
        return rows if mask is None else mask.mask(rows)

    def command(self, op: str, body: dict) -> dict:
        return self._view_call(lambda b: self._svc.command(op, b), body)

    def step_to_fill(self, body: dict) -> dict:
        return self._view_call(self._svc.step_to_fill, body)

    def jump(self, body: dict) -> dict:
        return self._view_call(self._svc.jump, body)

    def ladder_preview(self, body: dict) -> dict:
        sid = body.get("session_id") if isinstance(body, dict) else None
        mask = self.mask_of(sid)
        res = self._call(sid, self._svc.ladder_preview, mask.unmask(body) if mask else body)
        return res if mask is None else mask.mask(res)

    def _view_call(self, fn: Callable[[dict], dict], body: dict) -> dict:
        """Call a service method that takes a body and answers the session's view: the
        prices the trader typed made real, the answer masked."""
        sid = body.get("session_id") if isinstance(body, dict) else None
        mask = self.mask_of(sid)
        if mask is not None:
            body = mask.unmask(body)
        view = self._call(sid, fn, body)
        return self._answer(view.get("session_id") or sid, view)

    def rewind(self, body: dict) -> dict:
        sid = body.get("session_id")
        self.mask_of(sid)  # a refusal is then masked too
        res = self._call(sid, self._svc.rewind, body)
        fork = res["session_id"]
        return {**res, "initial_state": self._answer(fork, res["initial_state"])}


# --- the reveal ------------------------------------------------------------------------------


def reveal_facts(real: dict, mask: SessionMask) -> dict:
    """What the reveal shows of an ended blind session: the real symbol and range, the
    rebase, and its results as played (rebased) and real."""
    summary = real.get("summary") or {}
    r = mask.rebase
    return {
        "symbol": real["symbol"],
        "dates": fmt.et_range(real.get("t_start"), real.get("t_end")),
        "anchor": f"{r.price_anchor:.2f} real = {r.price(r.price_anchor):.2f} shown",
        "rows": [
            ("PnL", fmt.money(r.money(summary.get("pnl"))), fmt.money(summary.get("pnl"))),
            (
                "Max DD",
                fmt.money(r.money(summary.get("max_dd")), signed=False),
                fmt.money(summary.get("max_dd"), signed=False),
            ),
            (
                "Equity",
                fmt.money(r.equity(real.get("equity")), signed=False),
                fmt.money(real.get("equity"), signed=False),
            ),
        ],
        "num_trades": summary.get("num_trades", 0),
        "win_rate": fmt.pct(summary.get("win_rate")),
        "avg_r": fmt.r_multiple(summary.get("avg_r")),
    }


def reveal_card(sid: str, facts: dict) -> dbc.Card:
    """The card shown when a blind session ends: what it was, and its results both ways."""
    head = html.Tr([html.Th(""), html.Th("as played"), html.Th("real")])
    rows = [html.Tr([html.Td(k), html.Td(a), html.Td(b)]) for k, a, b in facts["rows"]]
    return dbc.Card(
        [
            dbc.CardHeader("Session ended · revealed", className="py-1"),
            dbc.CardBody(
                [
                    html.Div(
                        [
                            html.Span(facts["symbol"], className="reveal-symbol"),
                            html.Span(facts["dates"], className="reveal-dates"),
                        ],
                        id=ids.BLIND_REVEAL,
                        className="reveal-what",
                    ),
                    html.Div(f"prices rebased: {facts['anchor']}", className="small text-muted"),
                    html.Table([html.Thead(head), html.Tbody(rows)], className="reveal-table"),
                    html.Div(
                        f"Trades {facts['num_trades']} · win rate {facts['win_rate']} · "
                        f"avg R {facts['avg_r']} (the same both ways)",
                        className="small text-muted",
                    ),
                    dcc.Link(
                        "Open in History →",
                        href=f"/history/{sid}",
                        className="small",
                        id=ids.SUMMARY_LINK,
                    ),
                ],
                className="p-2",
            ),
        ],
        className="mb-2 summary-card reveal-card",
        color="warning",
        outline=True,
    )


# --- the History and Coach markers ----------------------------------------------------------


def is_blind(row: dict) -> bool:
    """True for a session row (or SESSION_START params) of a blind session."""
    return bool((row.get("params") or row).get("blind"))


def hidden_in_play(row: dict) -> bool:
    """True while a blind session plays: the History shows neither its symbol nor its dates."""
    return is_blind(row) and row.get("status") == "active"


def blind_badge(params: dict) -> dbc.Badge | None:
    """The badge of a blind session (None for any other)."""
    if not params.get("blind"):
        return None
    return dbc.Badge("blind", color="warning", className="ms-1", title="a blind replay")


def in_play_notice(session_id: str) -> dbc.Container:
    """The History detail of a blind session still in play: nothing to see until it ends."""
    return dbc.Container(
        [
            html.H5(["Session ", session_id, blind_badge({"blind": True})]),
            html.P(
                "A blind session in play: its symbol, dates and prices show here once it ends.",
                className="text-muted",
                id=ids.LOG_HEAD,
            ),
            dcc.Link("Resume in the cockpit ▶", href=f"/?session={session_id}"),
        ],
        fluid=True,
        className="pt-2",
    )
