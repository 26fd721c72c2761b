"""Backfill 1-minute bars from Alpaca's market data API through alpaca-py (an edge).

What alpaca-py 0.44 does, and what follows here:

- It follows ``next_page_token`` itself and keeps every page in memory, with no way to
  resume from a page. So each request is one symbol over a few trading days (a *chunk*,
  from the exchange calendar) and each chunk is committed on its own: an interrupted
  backfill resumes at the first chunk with no stored bars, and a re-run writes nothing.
- A response with ``"bars": null`` makes it raise ``AttributeError`` (it calls ``.items()``
  on the null): that one call is caught and read as an empty chunk.
- The free plan refuses SIP data for the last 15 minutes (403 "subscription does not permit
  querying recent SIP data"): the end is clamped to now - 15 min, and the report says so.
- An unset feed gets the best feed the plan allows; IEX (a thin tape) is never chosen
  silently. The feed asked for ("auto" when unset) and the adjustment are recorded in the
  ``symbols`` table.

Bars arrive with extended hours and are stored as they are; a minute with no trade has no
bar and is counted as missing, never forward-filled.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ntree import db, market
from ntree.ingest.coverage import measure
from ntree.ingest.files import on_tick

KEY_PAIRS = (("ALPACA_API_KEY", "ALPACA_SECRET_KEY"), ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY"))
FEEDS = ("sip", "iex", "delayed_sip")
ADJUSTMENTS = ("raw", "split", "dividend", "all")
CHUNK_DAYS = 5  # trading days per request: ~5 x 960 extended-hours minutes, one page
RECENT_SIP = pd.Timedelta(minutes=15)
TICK = 0.01


class AlpacaError(RuntimeError):
    """Missing keys, a refused request or a bad option: one line for the user."""


@dataclass(frozen=True)
class Chunk:
    """One request: a symbol over consecutive trading days, [start, end) in UTC."""

    symbol: str
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp


@dataclass
class SymbolReport:
    """One symbol's backfill: rows added, rows already stored, session minutes missing."""

    symbol: str
    added: int = 0
    already_present: int = 0
    minutes_missing: int = 0
    days: int = 0

    def line(self) -> str:
        """Return the one-line summary the CLI prints."""
        return (
            f"{self.symbol}: {self.added} rows added, {self.already_present} already present, "
            f"{self.minutes_missing} regular-session minutes missing over {self.days} trading days"
        )


def credentials(env: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """Return (key id, secret) from the environment or raise AlpacaError naming the variables."""
    for key, secret in KEY_PAIRS:
        if env.get(key) and env.get(secret):
            return env[key], env[secret]
    raise AlpacaError(
        "no Alpaca keys: set ALPACA_API_KEY and ALPACA_SECRET_KEY "
        "(or APCA_API_KEY_ID and APCA_API_SECRET_KEY)"
    )


def make_client(env: Mapping[str, str] = os.environ) -> object:
    """Return alpaca-py's StockHistoricalDataClient (raw JSON; ``NTREE_ALPACA_URL`` overrides
    the base URL, for tests and proxies)."""
    from alpaca.data.historical import StockHistoricalDataClient

    key, secret = credentials(env)
    return StockHistoricalDataClient(
        key, secret, raw_data=True, url_override=env.get("NTREE_ALPACA_URL") or None
    )


def plan_chunks(
    symbol: str, start: str, end: str, exchange: str = market.EXCHANGE, days: int = CHUNK_DAYS
) -> list[Chunk]:
    """Split the trading days from ``start`` to ``end`` (dates, inclusive) into chunks that
    cover each day from local midnight to the next (extended hours included)."""
    cal = market.calendar(exchange)
    sessions = cal.sessions_in_range(pd.Timestamp(start), pd.Timestamp(end))
    out = []
    for i in range(0, len(sessions), days):
        group = sessions[i : i + days]
        lo = group[0].tz_localize(cal.tz).tz_convert("UTC")
        hi = (group[-1] + pd.Timedelta(days=1)).tz_localize(cal.tz).tz_convert("UTC")
        out.append(Chunk(symbol, group[0], group[-1], lo, hi))
    return out


def fetch_chunk(
    client: object, chunk: Chunk, feed: str | None, adjustment: str, end: pd.Timestamp
) -> pd.DataFrame:
    """Request one chunk's 1m bars (up to ``end``) and return them on the tick, UTC-indexed."""
    from alpaca.data.enums import Adjustment, DataFeed
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

    request = StockBarsRequest(
        symbol_or_symbols=chunk.symbol,
        timeframe=TimeFrame(1, TimeFrameUnit.Minute),
        start=chunk.start.to_pydatetime(),
        # Alpaca's end is inclusive: stop one second before the next chunk's first minute.
        end=(end - pd.Timedelta(seconds=1)).to_pydatetime(),
        adjustment=Adjustment(adjustment),
        feed=DataFeed(feed) if feed else None,
    )
    try:
        raw = client.get_stock_bars(request)
    except AttributeError as exc:
        # alpaca-py calls .items() on a "bars": null response; that is an empty range.
        if "'NoneType' object has no attribute 'items'" not in str(exc):
            raise
        raw = {}
    return bars_frame(raw.get(chunk.symbol) or [])


def bars_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Return Alpaca bar dicts (``t o h l c v``) as a UTC-indexed OHLCV frame on the tick."""
    rows = list(rows)
    index = pd.DatetimeIndex(pd.to_datetime([r["t"] for r in rows], utc=True), name="ts")
    frame = pd.DataFrame(index=index)
    for key in ("open", "high", "low", "close"):  # Alpaca's keys are the first letters
        frame[key] = on_tick(np.array([r[key[0]] for r in rows], dtype=float), TICK)[0]
    frame["volume"] = np.array([r["v"] for r in rows], dtype=float).round().astype(np.int64)
    return frame.sort_index()


def _stored_ts(engine: sa.Engine, chunk: Chunk, end: pd.Timestamp) -> np.ndarray:
    return db.load_bars(engine, chunk.symbol, chunk.start, end).index.as_unit("s").asi8


def _is_recent_sip_refusal(exc: Exception) -> bool:
    return getattr(exc, "status_code", None) == 403 and "recent SIP" in str(exc)


def _progress(total: int) -> Callable[[str], None]:
    """Return a step function: a tqdm bar when tqdm is installed, else one line per chunk."""
    try:
        from tqdm import tqdm
    except ImportError:
        done = [0]

        def plain(label: str) -> None:
            done[0] += 1
            print(f"[{done[0]}/{total}] {label}", file=sys.stderr, flush=True)

        return plain
    bar = tqdm(total=total, unit="chunk", file=sys.stderr)

    def step(label: str) -> None:
        bar.set_description(label)
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return step


def backfill(
    engine: sa.Engine,
    client: object,
    symbols: list[str],
    start: str,
    end: str,
    *,
    feed: str | None = None,
    adjustment: str = "raw",
    now: pd.Timestamp | None = None,
    say: Callable[[str], None] = print,
    progress: bool = True,
) -> list[SymbolReport]:
    """Fetch and store 1m bars for ``symbols`` over the trading days ``start``..``end``.

    A chunk already holding stored bars is skipped (counted as already present), so an
    interrupted run resumes and a re-run writes nothing. Raises AlpacaError for a refused
    request (401, 403, a bad option), after committing every chunk before it.
    """
    from alpaca.common.exceptions import APIError

    if feed is not None and feed not in FEEDS:
        raise AlpacaError(f"--feed must be one of {', '.join(FEEDS)}, not {feed!r}")
    if adjustment not in ADJUSTMENTS:
        raise AlpacaError(f"--adjustment must be one of {', '.join(ADJUSTMENTS)}")
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    limit = now  # moved back to now - 15 min after the first recent-SIP refusal
    for symbol in symbols:
        info = db.symbol_info(engine, symbol)
        if info and info["adjustment"] not in (None, adjustment):
            raise AlpacaError(
                f"{symbol} is stored with adjustment {info['adjustment']}; mixing it with "
                f"{adjustment} bars would break the series (delete its bars first)"
            )
    plans = {s: plan_chunks(s, start, end) for s in symbols}
    step = _progress(sum(len(p) for p in plans.values())) if progress else lambda _label: None
    reports = []
    for symbol, chunks in plans.items():
        report = SymbolReport(symbol)
        for chunk in chunks:
            label = f"{symbol} {chunk.first_day:%Y-%m-%d}..{chunk.last_day:%Y-%m-%d}"
            stop = min(chunk.end, limit)
            if stop <= chunk.start:
                step(label)
                continue
            stored = _stored_ts(engine, chunk, stop)
            if stored.size and chunk.end <= now - pd.Timedelta(days=1):
                report.already_present += int(stored.size)  # committed by an earlier run
                step(label)
                continue
            try:
                frame = fetch_chunk(client, chunk, feed, adjustment, stop)
            except APIError as exc:
                if not _is_recent_sip_refusal(exc) or limit < now:
                    raise AlpacaError(f"Alpaca refused {label}: {_api_message(exc)}") from exc
                limit = now - RECENT_SIP
                say(
                    f"note: the plan refuses SIP data of the last 15 minutes; "
                    f"end clamped to {limit:%Y-%m-%d %H:%M} UTC"
                )
                stop = min(chunk.end, limit)
                frame = fetch_chunk(client, chunk, feed, adjustment, stop)
            with engine.begin() as conn:
                added = db.save_bars(engine, symbol, frame, conn=conn)
                db.save_symbol(
                    conn,
                    symbol,
                    exchange=market.EXCHANGE,
                    tick=TICK,
                    source="alpaca",
                    feed=feed or "auto",
                    adjustment=adjustment,
                )
            report.added += added
            report.already_present += len(frame) - added
            step(label)
        if chunks:
            lo, hi = chunks[0].start, chunks[-1].end - pd.Timedelta(seconds=1)
            stored = db.load_bars(engine, symbol, lo, hi).index.as_unit("s").asi8
            report.days, _, report.minutes_missing, _ = measure(stored, market.EXCHANGE, lo, hi)
        reports.append(report)
    return reports


def _api_message(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    try:
        text = exc.message  # type: ignore[attr-defined]  # JSON body {"message": ...}
    except (ValueError, KeyError, TypeError):
        text = str(exc).strip() or "no message"
    return f"HTTP {status}: {text}" if status else str(text)
