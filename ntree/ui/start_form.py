"""The start panel's derived values: the date inputs' bounds and presets, the fill model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ntree import market
from ntree.engine import FILL_MODEL_DEFAULTS
from ntree.engine.ticks import EXCHANGE_TZ
from ntree.market import EXCHANGE, sessions
from ntree.ui import format as fmt


def trading_days(
    rng: tuple[pd.Timestamp, pd.Timestamp], exchange: str = EXCHANGE
) -> pd.DatetimeIndex:
    """The trading days of ``exchange`` in a data range (a preset never starts on one of its
    holidays)."""
    tz = market.timezone(exchange)
    lo, hi = (t.tz_convert(tz).tz_localize(None).normalize() for t in rng)
    return pd.DatetimeIndex(sessions(lo, hi, exchange).index)


def session_hours(day: pd.Timestamp, exchange: str = EXCHANGE) -> str:
    """The regular session of ``exchange`` on trading ``day`` in words: "09:30–16:00 ET" on
    XNYS, "09:30–12:00, 13:00–16:00 Hong Kong" with a break."""
    row = market.calendar(exchange).schedule.loc[pd.Timestamp(day)]
    tz = market.timezone(exchange)
    edges = [row["open"], row["break_start"], row["break_end"], row["close"]]
    times = [
        None if pd.isna(t) else pd.Timestamp(t).tz_convert(tz).strftime("%H:%M") for t in edges
    ]
    parts = [f"{times[0]}–{times[3]}"]
    if times[1] is not None:
        parts = [f"{times[0]}–{times[1]}", f"{times[2]}–{times[3]}"]
    where = "ET" if market.code(exchange) == EXCHANGE else market.place(exchange)
    return f"{', '.join(parts)} {where}"


def preset_range(
    days: pd.DatetimeIndex, preset: str | None, seed: int | None, current_from: str | None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The (from, to) days of a preset; the last day for none or an unknown one."""
    start = end = days[-1]
    if preset == "random":
        start = end = days[int(np.random.default_rng(int(seed or 0)).integers(len(days)))]
    elif preset in ("last5", "last20"):
        start = days[-int(preset[4:])]
    elif preset == "rth" and current_from:
        start = end = pd.Timestamp(current_from)
    return start, end


def blind_pick(days_by_symbol: dict[str, pd.DatetimeIndex], rng: np.random.Generator) -> dict:
    """Pick a blind session's symbol and day at random, so the trader cannot know them: the
    start request's ``symbol``, ``t_start`` and ``t_end`` (one trading day, one with some
    warm-up history before it when the data allows)."""
    symbols = sorted(s for s, days in days_by_symbol.items() if len(days))
    if not symbols:
        return {}
    symbol = symbols[int(rng.integers(len(symbols)))]
    days = days_by_symbol[symbol]
    days = days[3:] if len(days) > 3 else days
    day = days[int(rng.integers(len(days)))].strftime("%Y-%m-%d")
    return {"symbol": symbol, "t_start": day, "t_end": day}


def session_form(st: dict) -> dict[str, Any]:
    """The start panel's values of the session in play (its state): symbol, New York dates,
    display frame, boundary editing and each fill-model knob, so the form shows that session
    (after a resume too) and a new session starts from it."""
    days = [
        pd.Timestamp(st[k]).tz_convert(st.get("exchange_tz", EXCHANGE_TZ)).strftime("%Y-%m-%d")
        for k in ("t_start", "t_end")
    ]
    return {
        "symbol": st["symbol"],
        "t_from": days[0],
        "t_to": days[1],
        "disp_tf": st["disp_tf"],
        "boundary": bool(st.get("edit_on_disp_boundary", True)),
        "leverage": (st.get("buying_power") or {}).get("leverage"),  # None: no limit (old logs)
        "knobs": {
            k: (st.get("fill_model") or {}).get(k, v) for k, v in FILL_MODEL_DEFAULTS.items()
        },
    }


def fill_model(values: dict[str, Any]) -> dict[str, Any]:
    """The knobs set away from their defaults (cleared or not yet a number: the default)."""
    return {
        knob: value
        for knob, value in values.items()
        if value is not None and value != "" and value != FILL_MODEL_DEFAULTS[knob]
    }


def fill_button(model: dict[str, Any]) -> dict[str, str]:
    """The fill-model button's text and colour, and the knobs in words beside them."""
    text = fmt.fill_model_text(model)
    if text == "perfect":
        return {
            "text": "Fills: perfect",
            "color": "info",  # outlined grey read as disabled
            "summary": "every touch fills, nothing added",
        }
    return {"text": "Fills: custom", "color": "warning", "summary": text}
