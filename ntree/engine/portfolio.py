"""One net position with scaling in and out, flips through zero, PnL and round-trip trades."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


def _money(x: float) -> float:
    """Round an amount to 6 decimals, as the log records it (zero, the usual realized PnL of
    an opening fill, as it is: ``round`` costs as much as the rest of a fill's bookkeeping)."""
    return x if x == 0 else round(x, 6)


@dataclass(slots=True)
class Trade:
    """A round trip from flat back to flat (a flip closes one trade and opens the next).

    ``mae``/``mfe`` are the worst and best excursions against/for the trade, in price points
    from its average entry, measured on the 1-minute bars while it was open.
    ``r_multiple`` is pnl / (|entry - initial stop| x max qty) when a stop existed at entry.
    """

    trade_id: int
    side: str
    entry_ts: int
    entry_px: float
    qty: int = 0
    exit_ts: int | None = None
    exit_px: float | None = None
    pnl: float = 0.0
    r_multiple: float | None = None
    mae: float = 0.0
    mfe: float = 0.0
    reason_code: str = ""
    mods_count: int = 0
    initial_stop: float | None = None
    exit_qty: int = 0
    exit_value: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("exit_qty", "exit_value"):
            d.pop(k)
        return d


class Portfolio:
    """Signed net position, average price, cash, realized PnL, drawdown and trades."""

    __slots__ = (
        "initial_cash",
        "commission_per_share",
        "qty",
        "avg_price",
        "cash",
        "realized",
        "commission",
        "peak_equity",
        "max_dd",
        "trades",
        "open_trade",
        "_ext_hi",
        "_ext_lo",
    )

    def __init__(self, initial_cash: float, commission_per_share: float = 0.0) -> None:
        self.initial_cash = initial_cash
        self.commission_per_share = commission_per_share
        self.qty = 0
        self.avg_price = 0.0
        self.cash = initial_cash
        self.realized = 0.0
        self.commission = 0.0
        self.peak_equity = initial_cash
        self.max_dd = 0.0
        self.trades: list[Trade] = []
        self.open_trade: Trade | None = None
        self._ext_hi = 0.0
        self._ext_lo = 0.0

    # --- valuation -------------------------------------------------------------------------
    def unrealized(self, price: float) -> float:
        return self.qty * (price - self.avg_price) if self.qty else 0.0

    def equity(self, price: float) -> float:
        return self.cash + self.qty * price

    def mark(self, high: float, low: float) -> None:
        """Mark one bar while in a position: excursions, peak equity and drawdown.

        Equity is at its best at the favourable extreme and its worst at the adverse one;
        within one bar the best can come first, so this drawdown is the conservative one.
        """
        qty = self.qty
        if not qty:
            return
        if high > self._ext_hi:
            self._ext_hi = high
        if low < self._ext_lo:
            self._ext_lo = low
        best, worst = (high, low) if qty > 0 else (low, high)
        equity = self.cash + qty * best
        if equity > self.peak_equity:
            self.peak_equity = equity
        drawdown = self.peak_equity - (self.cash + qty * worst)
        if drawdown > self.max_dd:
            self.max_dd = drawdown

    def mark_many(self, highs: list[float], lows: list[float]) -> None:
        """Mark consecutive bars while in a position, as :meth:`mark` does one by one."""
        qty = self.qty
        if not qty:
            return
        top, bottom = max(highs), min(lows)
        best, worst = (top, bottom) if qty > 0 else (bottom, top)
        peak_end = max(self.peak_equity, self.cash + qty * best)
        if peak_end - (self.cash + qty * worst) <= self.max_dd:
            # No bar of the span can deepen the drawdown (rounding is monotone, so this bound
            # holds exactly): skip the bar-by-bar pass, which the usual span never needs.
            self._ext_hi = max(self._ext_hi, top)
            self._ext_lo = min(self._ext_lo, bottom)
            self.peak_equity = peak_end
            return
        for high, low in zip(highs, lows, strict=True):
            self.mark(high, low)

    def mark_span(self, highs: np.ndarray, lows: np.ndarray) -> None:
        """Mark a long span of bars at once (numpy), as :meth:`mark` does one by one."""
        qty = self.qty
        if not qty or not len(highs):
            return
        self._ext_hi = max(self._ext_hi, float(highs.max()))
        self._ext_lo = min(self._ext_lo, float(lows.min()))
        best, worst = (highs, lows) if qty > 0 else (lows, highs)
        peaks = np.maximum.accumulate(np.maximum(self.cash + qty * best, self.peak_equity))
        self.max_dd = max(self.max_dd, float((peaks - (self.cash + qty * worst)).max()))
        self.peak_equity = float(peaks[-1])

    # --- fills -----------------------------------------------------------------------------
    def fill(self, signed_qty: int, price: float, ts: int, reason: str = "") -> float:
        """Apply a fill; return the PnL it realised (before commission)."""
        fee = abs(signed_qty) * self.commission_per_share
        self.cash -= signed_qty * price + fee
        self.commission += fee
        realized = 0.0
        if self.qty == 0 or (self.qty > 0) == (signed_qty > 0):
            self._add(signed_qty, price, ts)
            if self.open_trade is not None:
                self.open_trade.pnl -= fee
        else:
            # The exit traded at ``price``: the trade's excursion reached it, even when the
            # exit bar is not marked (the position is flat, or flipped, by its end).
            if price > self._ext_hi:
                self._ext_hi = price
            elif price < self._ext_lo:
                self._ext_lo = price
            closing = min(abs(signed_qty), abs(self.qty))
            sign = 1 if self.qty > 0 else -1
            realized = closing * (price - self.avg_price) * sign
            self.realized += realized
            trade = self.open_trade
            assert trade is not None
            trade.pnl += realized - fee * closing / abs(signed_qty)
            trade.exit_qty += closing
            trade.exit_value += closing * price
            self.qty -= sign * closing
            rest = signed_qty + sign * closing
            if self.qty == 0:
                self._close_trade(ts, reason)
                self.avg_price = 0.0
                if rest:
                    self._add(rest, price, ts)
                    assert self.open_trade is not None
                    self.open_trade.pnl -= fee * abs(rest) / abs(signed_qty)
            self.realized = _money(self.realized)
        return realized

    def _add(self, signed_qty: int, price: float, ts: int) -> None:
        new_qty = self.qty + signed_qty
        self.avg_price = (self.avg_price * abs(self.qty) + price * abs(signed_qty)) / abs(new_qty)
        if self.qty == 0:
            self.open_trade = Trade(
                trade_id=len(self.trades) + 1,
                side="LONG" if signed_qty > 0 else "SHORT",
                entry_ts=ts,
                entry_px=price,
            )
            self._ext_hi = self._ext_lo = price
        self.qty = new_qty
        trade = self.open_trade
        assert trade is not None
        trade.entry_px = self.avg_price
        trade.qty = max(trade.qty, abs(new_qty))

    def _close_trade(self, ts: int, reason: str) -> None:
        trade = self.open_trade
        assert trade is not None
        trade.exit_ts = ts
        trade.exit_px = trade.exit_value / trade.exit_qty
        if trade.side == "LONG":
            trade.mae = max(0.0, trade.entry_px - self._ext_lo)
            trade.mfe = max(0.0, self._ext_hi - trade.entry_px)
        else:
            trade.mae = max(0.0, self._ext_hi - trade.entry_px)
            trade.mfe = max(0.0, trade.entry_px - self._ext_lo)
        trade.pnl = _money(trade.pnl)
        trade.mae = _money(trade.mae)
        trade.mfe = _money(trade.mfe)
        trade.exit_px = _money(trade.exit_px)
        trade.entry_px = _money(trade.entry_px)
        if trade.initial_stop is not None:
            risk = abs(trade.entry_px - trade.initial_stop) * trade.qty
            trade.r_multiple = _money(trade.pnl / risk) if risk > 0 else None
        trade.reason_code = reason
        self.trades.append(trade)
        self.open_trade = None

    def open_excursions(self) -> tuple[float, float]:
        """Return (mae, mfe) of the open trade so far, in price points."""
        if self.open_trade is None:
            return 0.0, 0.0
        if self.qty > 0:
            return self.avg_price - self._ext_lo, self._ext_hi - self.avg_price
        return self._ext_hi - self.avg_price, self.avg_price - self._ext_lo
