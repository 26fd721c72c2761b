"""The Coach: what a trader's sessions say about their habits, as one JSON-ready report.

:func:`coach_report` takes one :class:`SessionBundle` per session (its trades, display
candles and events, as the service loads them) and returns every figure of the Coach page
and of ``GET /replay/coach``. Pure and deterministic: trades are read in exit order (then
session id, then trade id), floats are rounded to 6 decimals, and a figure that cannot be
computed is None (never NaN). Each rule the page states is a constant here or in
:mod:`ntree.engine.regime` (``RULES`` collects them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ntree.engine.coach_trades import (
    AFTER_EXIT_BARS,
    after_exit_favour,
    band_distance_atr,
    entry_decision_times,
    excursions,
    in_dollars,
    in_r,
    left_on_table,
    mfe_captured,
    signal_bar,
    to_ns,
)
from ntree.engine.events import iso_utc
from ntree.engine.metrics import average_r, expectancy, longest_streaks, profit_factor, win_rate
from ntree.engine.regime import (
    REGIME_RULE,
    STAND_DOWN_RULE,
    UNKNOWN,
    candle_times,
    exposure_at_close,
    regimes,
    stand_down,
    stand_down_counts,
)

NY_TZ = "America/New_York"
TIME_BUCKET_MIN = 30
R_BIN = 0.5  # width of an R-distribution bin
R_CLIP = 5.0  # an R beyond +-5 counts in the outermost bin
UNTAGGED = "untagged"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RULES = {
    "regime": REGIME_RULE,
    "stand_down": STAND_DOWN_RULE,
    "entry_band_distance_atr": (
        "(entry - lower band) / ATR(14) for a long, (upper band - entry) / ATR(14) for a short, "
        "on the display bar whose close the order was placed on"
    ),
    "mfe_captured": "sum of PnL / sum of MFE x qty, over trades that moved in their favour",
    "after_exit": f"best move in the trade's favour past its exit within {AFTER_EXIT_BARS} "
    "display bars",
    "stood_down_rate": "share of stand-down bars closed with no position and no working order",
    "tilt": "mean R of the trades that follow a loss in the same session, beside all trades",
}
_CANDLE_COLUMNS = ("high", "low", "atr14", "ch_lower", "ch_upper")


@dataclass(frozen=True)
class SessionBundle:
    """One session as the Coach reads it: trades (dict form), display candles, events.

    ``setups`` maps a trade id to its journal setup label (else the trade's ``setup`` key);
    ``disp_tf`` is the candles' minutes (inferred from their spacing when None); ``tz`` the
    time zone of the session's exchange (its trades' time of day and weekday are read in it).
    """

    session_id: str
    trades: Sequence[Mapping[str, Any]]
    candles: pd.DataFrame | None = None
    events: Sequence[Any] = ()
    setups: Mapping[int, str] = field(default_factory=dict)
    disp_tf: int | None = None
    tz: str = NY_TZ


def _num(x: object) -> float | None:
    """Return a JSON-ready float (rounded to 6 decimals), None for None, NaN and infinity."""
    if x is None:
        return None
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


def _mean(values: Sequence[float | None]) -> float | None:
    given = [v for v in values if v is not None]
    return sum(given) / len(given) if given else None


def time_bucket(ts_ns: int, minutes: int = TIME_BUCKET_MIN, tz: str = NY_TZ) -> str:
    """Return the wall-clock bucket of a UTC time in the exchange's zone ``tz`` (New York's
    unless given), as its start ``HH:MM``."""
    local = pd.Timestamp(ts_ns, tz="UTC").tz_convert(tz)
    start = (local.hour * 60 + local.minute) // minutes * minutes
    return f"{start // 60:02d}:{start % 60:02d}"


def weekday(ts_ns: int, tz: str = NY_TZ) -> str:
    """Return the weekday of a UTC time in the exchange's zone ``tz`` (``Mon`` .. ``Sun``)."""
    return WEEKDAYS[pd.Timestamp(ts_ns, tz="UTC").tz_convert(tz).weekday()]


def _disp_minutes(times: np.ndarray, given: int | None) -> float:
    if given is not None:
        return float(given)
    steps = np.diff(times)
    steps = steps[steps > 0]
    return float(steps.min()) / 60e9 if len(steps) else 0.0


def session_rows(bundle: SessionBundle, after_bars: int = AFTER_EXIT_BARS) -> list[dict]:
    """Return one enriched row per closed trade of the session (see :func:`coach_report`)."""
    candles = bundle.candles
    have_candles = candles is not None and len(candles) > 0
    if have_candles:
        times = candle_times(candles)
        cols = {c: candles[c].to_numpy(np.float64) for c in _CANDLE_COLUMNS}
        bar_regimes = regimes(candles)
    decided = entry_decision_times(bundle.events)
    rows = []
    for t in bundle.trades:
        if t.get("exit_ts") is None:
            continue  # an open trade has no result yet
        mae, mfe = excursions(t)
        t = {**t, "mae": mae, "mfe": mfe}
        tid = int(t["trade_id"])
        entry_ns, exit_ns = to_ns(t["entry_ts"]), to_ns(t["exit_ts"])
        risk_known = in_r(1.0, t) is not None
        row = {
            "session_id": bundle.session_id,
            "trade_id": tid,
            "side": t["side"],
            "entry_ts": iso_utc(entry_ns),
            "exit_ts": iso_utc(exit_ns),
            "entry_px": t["entry_px"],
            "exit_px": t["exit_px"],
            "qty": t["qty"],
            "pnl": t["pnl"],
            "r_multiple": t.get("r_multiple"),
            "mae": t["mae"],
            "mfe": t["mfe"],
            "mae_r": in_r(t["mae"], t) if risk_known else None,
            "mfe_r": in_r(t["mfe"], t) if risk_known else None,
            "mae_usd": in_dollars(t["mae"], t),
            "mfe_usd": in_dollars(t["mfe"], t),
            "mfe_captured": mfe_captured(t),
            "left_on_table": left_on_table(t),
            "after_exit": None,
            "signal_bar_ts": None,
            "entry_band_distance_atr": None,
            "regime": None,
            "stand_down": None,
            "setup": bundle.setups.get(tid) or t.get("setup") or UNTAGGED,
            "hold_minutes": (exit_ns - entry_ns) / 60e9,
            "time_bucket": time_bucket(entry_ns, tz=bundle.tz),
            "weekday": weekday(entry_ns, bundle.tz),
            "_exit_ns": exit_ns,
        }
        if have_candles:
            row["after_exit"] = after_exit_favour(t, times, cols["high"], cols["low"], after_bars)
            j = signal_bar(times, decided.get(tid, entry_ns))
            if j is not None:
                candle = {c: float(cols[c][j]) for c in ("atr14", "ch_lower", "ch_upper")}
                row["signal_bar_ts"] = iso_utc(int(times[j]))
                row["entry_band_distance_atr"] = band_distance_atr(t["side"], t["entry_px"], candle)
                row["regime"] = bar_regimes[j]
                row["stand_down"] = stand_down(bar_regimes[j])
        rows.append(row)
    return rows


def bucket_stats(rows: Sequence[Mapping[str, Any]]) -> dict:
    """Return n, win_rate, expectancy_r (mean R), expectancy (mean $), avg_r, profit_factor
    and n_r (trades with an R) of some trade rows."""
    mean_r = average_r(rows)
    return {
        "n": len(rows),
        "n_r": sum(r.get("r_multiple") is not None for r in rows),
        "win_rate": _num(win_rate(rows)),
        "expectancy_r": _num(mean_r),
        "expectancy": _num(expectancy(rows)),
        "avg_r": _num(mean_r),
        "profit_factor": _num(profit_factor(rows)),
    }


def group_stats(
    rows: Sequence[Mapping[str, Any]],
    key: Callable[[Mapping], str],
    order: Sequence[str] = (),
) -> dict:
    """Return ``{key: bucket_stats}`` of the rows grouped by ``key``: keys named in ``order``
    first, in that order, then the others sorted."""
    groups: dict[str, list] = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    rank = {k: n for n, k in enumerate(order)}
    keys = sorted(groups, key=lambda k: (rank.get(k, len(rank)), k))
    return {k: bucket_stats(groups[k]) for k in keys}


def equity_curve(rows: Sequence[Mapping[str, Any]]) -> dict:
    """Return the cumulative PnL after each trade (rows in exit order) with its drawdown from
    the running peak (the peak starts at 0), and the largest drawdown."""
    points, equity, peak, worst = [], 0.0, 0.0, 0.0
    for r in rows:
        equity += r["pnl"]
        peak = max(peak, equity)
        worst = max(worst, peak - equity)
        points.append(
            {
                "ts": r["exit_ts"],
                "session_id": r["session_id"],
                "trade_id": r["trade_id"],
                "equity": _num(equity),
                "drawdown": _num(peak - equity),
            }
        )
    return {"points": points, "max_drawdown": _num(worst)}


def r_histogram(rs: Sequence[float | None], width: float = R_BIN) -> list[dict]:
    """Return bins ``{lo, hi, n}`` of the R multiples given (None skipped), every bin from the
    lowest to the highest filled one; an R beyond +-R_CLIP counts in the outermost bin."""
    given = [min(max(r, -R_CLIP), R_CLIP) for r in rs if r is not None]
    if not given:
        return []
    codes = [math.floor(r / width) for r in given]
    return [
        {"lo": _num(c * width), "hi": _num((c + 1) * width), "n": codes.count(c)}
        for c in range(min(codes), max(codes) + 1)
    ]


def tilt(rows: Sequence[Mapping[str, Any]]) -> dict:
    """Return the mean R and $ of the trades that follow a loss in the same session, beside
    those of all trades (rows in exit order)."""
    last_pnl: dict[str, float] = {}
    after = []
    for r in rows:
        if last_pnl.get(r["session_id"], 0.0) < 0:
            after.append(r)
        last_pnl[r["session_id"]] = r["pnl"]
    return {
        "n_after_loss": len(after),
        "mean_r_after_loss": _num(average_r(after)),
        "mean_r": _num(average_r(rows)),
        "mean_pnl_after_loss": _num(expectancy(after)),
        "mean_pnl": _num(expectancy(rows)),
    }


def _clean(row: dict) -> dict:
    return {
        k: (_num(v) if isinstance(v, float) else v) for k, v in row.items() if not k.startswith("_")
    }


def coach_report(bundles: Sequence[SessionBundle], *, after_bars: int = AFTER_EXIT_BARS) -> dict:
    """Return every Coach figure over the closed trades of ``bundles`` (JSON-ready)."""
    rows = [r for b in bundles for r in session_rows(b, after_bars)]
    rows.sort(key=lambda r: (r["_exit_ns"], r["session_id"], r["trade_id"]))
    flagged = stood = played_bars = 0
    played_minutes = 0.0
    for b in bundles:
        if b.candles is None or not len(b.candles) or not b.events:
            continue
        times = candle_times(b.candles)
        flags = [stand_down(r) for r in regimes(b.candles)]
        exposure = exposure_at_close(b.events, times.tolist())
        n_flagged, n_stood = stand_down_counts(flags, exposure)
        flagged, stood = flagged + n_flagged, stood + n_stood
        n_played = sum(e is not None for e in exposure)
        played_bars += n_played
        played_minutes += n_played * _disp_minutes(times, b.disp_tf)
    captured = [r for r in rows if r["mfe_usd"] > 0]
    best = sum(r["mfe_usd"] for r in captured)
    held = sum(r["hold_minutes"] for r in rows)
    in_stand_down = [r for r in rows if r["stand_down"]]
    streaks = longest_streaks(rows)
    overall = bucket_stats(rows)
    return {
        **{k: overall[k] for k in ("win_rate", "expectancy_r", "expectancy", "avg_r")},
        "n_trades": len(rows),
        "n_r": overall["n_r"],
        "profit_factor": overall["profit_factor"],
        "net_pnl": _num(sum(r["pnl"] for r in rows)),
        "avg_mae_r": _num(_mean([r["mae_r"] for r in rows])),
        "avg_mfe_r": _num(_mean([r["mfe_r"] for r in rows])),
        "avg_mae": _num(_mean([r["mae_usd"] for r in rows])),
        "avg_mfe": _num(_mean([r["mfe_usd"] for r in rows])),
        "mfe_captured": _num(sum(r["pnl"] for r in captured) / best) if best > 0 else None,
        "left_on_table": _num(sum(r["left_on_table"] for r in rows)),
        "stood_down_rate": _num(stood / flagged) if flagged else None,
        "stand_down_bars": flagged,
        "stand_down_trades": {
            **bucket_stats(in_stand_down),
            "trades": [[r["session_id"], r["trade_id"]] for r in in_stand_down],
        },
        "by_regime": group_stats(rows, lambda r: r["regime"] or UNKNOWN),
        "by_setup": group_stats(rows, lambda r: r["setup"]),
        "by_hour": group_stats(rows, lambda r: r["time_bucket"]),
        "by_weekday": group_stats(rows, lambda r: r["weekday"], WEEKDAYS),
        "streaks": {"wins": streaks.wins, "losses": streaks.losses},
        "tilt": tilt(rows),
        "r_histogram": r_histogram([r["r_multiple"] for r in rows]),
        "equity": equity_curve(rows),
        "played_bars": played_bars,
        "played_minutes": _num(played_minutes),
        "trades_per_hour": _num(len(rows) / (played_minutes / 60)) if played_minutes else None,
        "avg_hold_minutes": _num(held / len(rows)) if rows else None,
        "time_in_trade": _num(held / played_minutes) if played_minutes else None,
        "rules": RULES,
        "trades": [_clean(r) for r in rows],
    }
