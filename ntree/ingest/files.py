"""Import 1-minute bars from any vendor's CSV or Parquet file (an edge; pandas, vectorised).

The steps, each over whole columns (a million rows take a few seconds):

1. Read the file (``read_table``) and find its columns by name (``detect_columns``):
   ``timestamp``/``datetime``/``date``/``time`` (a separate ``date`` and ``time`` are joined),
   ``open``/``high``/``low``/``close``/``volume`` or ``o``/``h``/``l``/``c``/``v``, any case;
   other columns are ignored. A headerless 6- or 7-column CSV (Kibot) is read as
   ``date[,time],open,high,low,close,volume``. ``--columns date=Col,...`` overrides.
2. Read times (``parse_times``): epoch seconds, milliseconds, microseconds or nanoseconds
   (told apart by size), text with an offset, or naive text in ``tz``. ``label="close"``
   moves a bar stamped at its close (TradeStation) to its open.
3. Refuse a file whose bars are not one minute apart (``bar_seconds``).
4. Check every row (``check_rows``) and name its line: prices that are not numbers, a price
   more than a rounding error off the tick, high below max(open, close), low above
   min(open, close), negative volume, a time off the minute, a duplicate time, a bar that
   differs from the one already stored.
5. Write (``import_files``): all or nothing unless ``skip_bad``, in one transaction, prices
   rounded onto the tick (a vendor's 256.8800048828125 is stored as 256.88). Rows already
   stored and identical are counted, not written, so a re-import writes nothing.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ntree import db, market

PRICES = ("open", "high", "low", "close")
FIELDS = (*PRICES, "volume")
TIME_ALIASES = ("timestamp", "datetime", "date_time", "ts", "t")
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c"),
    "volume": ("volume", "vol", "v"),
}
#: Keys ``--columns`` accepts.
COLUMN_KEYS = ("date", "time", "timestamp", *FIELDS)
DEFAULT_TICK = 0.01
# Vendors ship float32 prices: 256.88 arrives as 256.8800048828125. Half a float32 ulp is
# 6e-8 of the price; anything further off the tick than this is a real off-tick price.
FLOAT32_REL = 1.2e-7
# Only an empty cell is missing: "n/a" or "null" in a price is reported as written.
CSV_NA = {"keep_default_na": False, "na_values": [""]}
MAX_LISTED = 20  # problems a CLI report prints before "... and N more"


class FileImportError(ValueError):
    """A whole file refused: unreadable, a column missing, bars not one minute apart."""


@dataclass(frozen=True, order=True)
class Problem:
    """One bad row: where it is (file, line or row number) and what is wrong with it."""

    source: str
    line: int
    reason: str
    unit: str = "line"  # "line" for CSV (header is line 1), "row" for Parquet

    def __str__(self) -> str:
        if self.unit == "line":
            return f"{self.source}:{self.line}: {self.reason}"
        return f"{self.source} row {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import read, wrote and refused."""

    symbol: str
    exchange: str
    tick: float
    rows_read: int = 0
    added: int = 0
    already_present: int = 0
    problems: list[Problem] = field(default_factory=list)
    written: bool = False
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None

    @property
    def bad_rows(self) -> int:
        """Return how many distinct rows have at least one problem."""
        return len({(p.source, p.line) for p in self.problems})

    def lines(self, limit: int | None = MAX_LISTED) -> list[str]:
        """Return the report as text lines: every problem (up to ``limit``), then totals."""
        shown = self.problems if limit is None else self.problems[:limit]
        out = [str(p) for p in shown]
        if len(self.problems) > len(shown):
            out.append(f"... and {len(self.problems) - len(shown)} more problems")
        span = ""
        if self.first is not None and self.last is not None:
            span = f" ({self.first:%Y-%m-%d %H:%M} .. {self.last:%Y-%m-%d %H:%M} UTC)"
        out.append(
            f"{self.symbol}: {self.rows_read} rows read, {self.added} added, "
            f"{self.already_present} already present, {self.bad_rows} bad{span}"
        )
        return out


@dataclass
class _Frame:
    """One file's rows after reading: raw columns, their line numbers, how to name them."""

    source: str
    raw: pd.DataFrame
    line: np.ndarray
    unit: str


def _norm(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


def read_table(source: str | Path, data: bytes | None = None) -> _Frame:
    """Read a CSV or Parquet file (from ``data`` when given, e.g. an upload) as raw columns."""
    name = Path(source).name
    handle: object = io.BytesIO(data) if data is not None else source
    try:
        if name.lower().endswith((".parquet", ".pq")):
            raw = pd.read_parquet(handle)
            return _Frame(name, raw, np.arange(1, len(raw) + 1), "row")
        # Blank lines kept (as empty rows) so that row i is always line i + 2.
        raw = pd.read_csv(handle, skip_blank_lines=False, **CSV_NA)
        if _headerless(raw):
            if data is not None:
                handle = io.BytesIO(data)
            raw = pd.read_csv(handle, header=None, skip_blank_lines=False, **CSV_NA)
            names = ["date", "time", *FIELDS] if raw.shape[1] == 7 else ["date", *FIELDS]
            raw.columns = names
            return _Frame(name, raw, np.arange(1, len(raw) + 1), "line")
    except FileNotFoundError as exc:
        raise FileImportError(f"{name}: no such file") from exc
    except (OSError, ValueError, pd.errors.ParserError, ImportError) as exc:
        raise FileImportError(f"{name}: cannot read it as CSV or Parquet: {exc}") from exc
    return _Frame(name, raw, np.arange(2, len(raw) + 2), "line")


def _headerless(raw: pd.DataFrame) -> bool:
    """Return True when the first line looks like data (a date and numbers), not names."""
    names = [_norm(c) for c in raw.columns]
    known = {*TIME_ALIASES, "date", "time", *(a for al in FIELD_ALIASES.values() for a in al)}
    if raw.shape[1] not in (6, 7) or any(n in known for n in names):
        return False
    try:
        float(names[-1])
        pd.Timestamp(str(raw.columns[0]))
    except ValueError:
        return False
    return True


def detect_columns(frame: _Frame, columns: dict[str, str] | None = None) -> dict[str, str]:
    """Map ``date``/``time``/``timestamp`` and each OHLCV field to a column of the file."""
    by_norm = {_norm(c): str(c) for c in frame.raw.columns}
    found: dict[str, str] = {}
    for key, col in (columns or {}).items():
        if key not in COLUMN_KEYS:
            raise FileImportError(f"--columns: unknown key {key!r} (use {', '.join(COLUMN_KEYS)})")
        if col not in frame.raw.columns and _norm(col) not in by_norm:
            raise FileImportError(f"{frame.source}: no column {col!r} (it has {_listing(frame)})")
        found[key] = col if col in frame.raw.columns else by_norm[_norm(col)]
    for key, aliases in FIELD_ALIASES.items():
        if key not in found:
            hit = next((by_norm[a] for a in aliases if a in by_norm), None)
            if hit is None:
                raise FileImportError(f"{frame.source}: no {key} column (it has {_listing(frame)})")
            found[key] = hit
    if not {"timestamp", "date", "time"} & found.keys():
        hit = next((by_norm[a] for a in TIME_ALIASES if a in by_norm), None)
        if hit is not None:
            found["timestamp"] = hit
        else:
            for key in ("date", "time"):
                if key in by_norm:
                    found[key] = by_norm[key]
    if not {"timestamp", "date", "time"} & found.keys():
        raise FileImportError(f"{frame.source}: no time column (it has {_listing(frame)})")
    return found


def _listing(frame: _Frame) -> str:
    return ", ".join(str(c) for c in frame.raw.columns) or "no columns"


def parse_times(
    frame: _Frame, cols: dict[str, str], tz: str, label: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (epoch ns as int64, unreadable mask, ambiguous-local-time mask) per row."""
    raw = frame.raw
    if "timestamp" in cols:
        text = raw[cols["timestamp"]]
    elif "date" in cols and "time" in cols:
        text = raw[cols["date"]].astype(str) + " " + raw[cols["time"]].astype(str)
    else:
        text = raw[cols.get("date") or cols["time"]]
    ambiguous = np.zeros(len(raw), dtype=bool)
    if pd.api.types.is_numeric_dtype(text.dtype):
        values = text.to_numpy(float)
        unreadable = ~np.isfinite(values)
        ns = _epoch_ns(values, unreadable)
    else:
        parsed = _to_datetime(text)
        unreadable = parsed.isna().to_numpy()
        if parsed.dt.tz is None:
            local = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
            ambiguous = local.isna().to_numpy() & ~unreadable
            parsed = local
        utc = parsed.dt.tz_convert("UTC").dt.as_unit("ns")
        ns = utc.to_numpy("datetime64[ns]").view(np.int64)
    bad = unreadable | ambiguous
    ns = np.where(bad, 0, ns)
    if label == "close":
        ns = ns - 60 * 1_000_000_000
    return ns, unreadable, ambiguous


def _to_datetime(text: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(text, errors="coerce")
    except ValueError:  # offsets that change (DST) within the file: read each to UTC
        return pd.to_datetime(text, errors="coerce", utc=True)


def _epoch_ns(values: np.ndarray, unreadable: np.ndarray) -> np.ndarray:
    """Return epoch values as ns, the unit told apart by size (s, ms, us or ns)."""
    good = values[~unreadable]
    size = float(np.median(np.abs(good))) if good.size else 0.0
    factor = 1e9 if size < 1e11 else 1e6 if size < 1e14 else 1e3 if size < 1e17 else 1.0
    out = np.zeros(values.shape, dtype=np.int64)
    # Whole seconds/ms stay exact: multiply as integers when the values are integral.
    if np.all(good == np.floor(good)):
        out[~unreadable] = good.astype(np.int64) * np.int64(factor)
    else:
        out[~unreadable] = np.round(good * factor).astype(np.int64)
    return out


def bar_seconds(ts_s: np.ndarray) -> int | None:
    """Return the most common gap between consecutive distinct times, or None (< 2 times)."""
    unique = np.unique(ts_s)
    if unique.size < 2:
        return None
    gaps = np.diff(unique)
    values, counts = np.unique(gaps, return_counts=True)
    return int(values[np.argmax(counts)])


def _describe_gap(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day" + ("s" if seconds != 86400 else "")
    if seconds % 60 == 0:
        return f"{seconds // 60}-minute"
    return f"{seconds}-second"


def _tick_digits(tick: float) -> int:
    return max(0, -math.floor(math.log10(tick)) + (0 if math.log10(tick).is_integer() else 1))


def on_tick(prices: np.ndarray, tick: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (prices rounded onto the tick, mask of prices further off it than float noise)."""
    steps = np.round(prices / tick)
    rounded = np.round(steps * tick, _tick_digits(tick) + 2)
    off = np.abs(prices - rounded) > (tick * 1e-3 + np.abs(prices) * FLOAT32_REL)
    return rounded, off


def _not_a_number(key: str, value: object) -> str:
    if pd.isna(value):
        return f"{key} is missing"
    return f"{key} is not a number: {str(value)!r}"


def _fmt(x: float) -> str:
    return f"{x:.10g}"


def check_rows(
    frame: _Frame, cols: dict[str, str], *, tz: str, label: str, tick: float
) -> tuple[pd.DataFrame, list[Problem]]:
    """Return the file's rows (ts seconds, OHLCV on the tick, line, ok) and their problems.

    Raises FileImportError when the file's bars are not one minute apart.
    """
    raw = frame.raw
    problems: list[Problem] = []

    def flag(mask: np.ndarray, reason: str | Callable[[int], str]) -> None:
        # Reasons are worded only for the flagged rows: a clean million-row file words none.
        problems.extend(
            Problem(
                frame.source,
                int(frame.line[i]),
                reason if isinstance(reason, str) else reason(i),
                frame.unit,
            )
            for i in np.flatnonzero(mask)
        )

    ns, unreadable, ambiguous = parse_times(frame, cols, tz, label)
    flag(unreadable, "time is missing or not readable")
    flag(ambiguous, f"local time is ambiguous or does not exist in {tz} (a DST change)")
    timed = ~(unreadable | ambiguous)
    off_minute = timed & (ns % 60_000_000_000 != 0)
    flag(off_minute, "time is not on the minute")
    ts_s = ns // 1_000_000_000

    gap = bar_seconds(ts_s[timed & ~off_minute])
    if gap is not None and gap != 60:
        raise FileImportError(
            f"{frame.source}: these look like {_describe_gap(gap)} bars (most rows are "
            f"{gap} s apart); ntree imports 1-minute bars only"
        )

    out = pd.DataFrame({"ts": ts_s, "line": frame.line})
    bad = unreadable | ambiguous | off_minute
    unpriced = np.zeros(len(raw), dtype=bool)
    for key in FIELDS:
        col = raw[cols[key]]
        values = pd.to_numeric(col, errors="coerce").to_numpy(float)
        nan = ~np.isfinite(values)
        flag(nan, lambda i, col=col, key=key: _not_a_number(key, col.iloc[i]))
        bad |= nan
        if key == "volume":
            negative = values < 0
            flag(negative, lambda i, v=values: f"volume is negative: {_fmt(v[i])}")
            bad |= negative
            out[key] = np.where(nan, 0, np.round(values)).astype(np.int64)
        else:
            rounded, off = on_tick(np.where(nan, 0.0, values), tick)
            off &= ~nan
            flag(off, lambda i, v=values, k=key: f"{k} {_fmt(v[i])} is not on the {tick:g} tick")
            bad |= off
            out[key] = rounded
            unpriced |= nan
    body_hi = np.maximum(out["open"].to_numpy(), out["close"].to_numpy())
    body_lo = np.minimum(out["open"].to_numpy(), out["close"].to_numpy())
    high, low = out["high"].to_numpy(), out["low"].to_numpy()
    priced = ~unpriced
    high_bad = priced & (high < body_hi)
    low_bad = priced & (low > body_lo)
    flag(high_bad, lambda i: f"high {_fmt(high[i])} is below max(open, close) {_fmt(body_hi[i])}")
    flag(low_bad, lambda i: f"low {_fmt(low[i])} is above min(open, close) {_fmt(body_lo[i])}")
    out["ok"] = ~(bad | high_bad | low_bad)
    out["timed"] = timed & ~off_minute
    out["source"] = frame.source
    out["unit"] = frame.unit
    return out, problems


def import_files(
    engine: sa.Engine,
    sources: Sequence[str | Path | tuple[str, bytes]],
    symbol: str,
    *,
    tz: str = "America/New_York",
    label: str = "open",
    columns: dict[str, str] | None = None,
    exchange: str | None = None,
    tick: float | None = None,
    skip_bad: bool = False,
) -> ImportReport:
    """Check and store the 1m bars of ``sources`` (paths, or (name, bytes) uploads) as ``symbol``.

    All or nothing unless ``skip_bad``; one transaction; rows already stored and identical
    are counted in ``already_present`` and not written again. Raises FileImportError when a
    file is refused whole (unreadable, a column missing, not 1-minute bars, a bad option).
    """
    if label not in ("open", "close"):
        raise FileImportError(f"--label must be open or close, not {label!r}")
    try:
        pd.Timestamp("2024-01-02").tz_localize(tz)
    except Exception as exc:  # zoneinfo and pytz raise different types for an unknown zone
        raise FileImportError(f"--tz: unknown time zone {tz!r}") from exc
    stored = db.symbol_info(engine, symbol)
    exchange = (exchange or (stored or {}).get("exchange") or market.EXCHANGE).upper()
    try:
        market.calendar(exchange)
    except ValueError as exc:
        raise FileImportError(f"--exchange: {exc}") from exc
    if stored is not None and stored["exchange"] != exchange:
        raise FileImportError(
            f"{symbol} is stored on {stored['exchange']}; --exchange {exchange} disagrees"
        )
    tick = float(tick or (stored or {}).get("tick") or DEFAULT_TICK)
    if not tick > 0:
        raise FileImportError(f"--tick must be positive, not {tick}")
    report = ImportReport(symbol=symbol, exchange=exchange, tick=tick)

    parts: list[pd.DataFrame] = []
    for src in sources:
        frame = read_table(*src) if isinstance(src, tuple) else read_table(src)
        cols = detect_columns(frame, columns)
        rows, problems = check_rows(frame, cols, tz=tz, label=label, tick=tick)
        parts.append(rows)
        report.problems.extend(problems)
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    report.rows_read = len(rows)
    if rows.empty:
        return report

    _check_duplicates(rows, report)
    present = _check_stored(engine, symbol, rows, report)
    report.problems.sort(key=lambda p: (p.source, p.line, p.reason))

    good = rows[rows["ok"].to_numpy() & ~present]
    report.already_present = int((rows["ok"].to_numpy() & present).sum())
    if report.problems and not skip_bad:
        return report
    index = pd.DatetimeIndex(pd.to_datetime(good["ts"].to_numpy(), unit="s", utc=True), name="ts")
    frame = good.set_index(index)
    with engine.begin() as conn:
        report.added = db.save_bars(engine, symbol, frame, conn=conn)
        if report.added or stored is None:
            db.save_symbol(conn, symbol, exchange=exchange, tick=tick, source="file")
    report.written = True
    ok_ts = rows.loc[rows["ok"], "ts"]
    if not ok_ts.empty:
        report.first = pd.Timestamp(int(ok_ts.min()), unit="s", tz="UTC")
        report.last = pd.Timestamp(int(ok_ts.max()), unit="s", tz="UTC")
    return report


def _check_duplicates(rows: pd.DataFrame, report: ImportReport) -> None:
    """Flag every later row with a time already seen (in any of the files)."""
    timed = rows[rows["timed"]]
    dup = timed["ts"].duplicated(keep="first")
    if not dup.any():
        return
    first = timed.drop_duplicates("ts", keep="first").set_index("ts")
    for idx in dup[dup].index:
        ts = rows.at[idx, "ts"]
        src, line = first.at[ts, "source"], first.at[ts, "line"]
        report.problems.append(
            Problem(
                rows.at[idx, "source"],
                int(rows.at[idx, "line"]),
                f"duplicate time {pd.Timestamp(int(ts), unit='s', tz='UTC'):%Y-%m-%d %H:%M} UTC "
                f"(first at {src}:{line})",
                rows.at[idx, "unit"],
            )
        )
    rows.loc[dup[dup].index, "ok"] = False


def _check_stored(
    engine: sa.Engine, symbol: str, rows: pd.DataFrame, report: ImportReport
) -> np.ndarray:
    """Return a mask of rows already stored identically; flag rows that differ from storage."""
    ok = rows["ok"].to_numpy()
    if not ok.any():
        return np.zeros(len(rows), dtype=bool)
    lo, hi = int(rows.loc[ok, "ts"].min()), int(rows.loc[ok, "ts"].max())
    start, end = (pd.Timestamp(t, unit="s", tz="UTC") for t in (lo, hi + 60))
    stored = db.load_bars(engine, symbol, start, end)
    if stored.empty:
        return np.zeros(len(rows), dtype=bool)
    stored_ts = stored.index.as_unit("s").asi8
    pos = np.searchsorted(stored_ts, rows["ts"].to_numpy())
    pos = np.clip(pos, 0, len(stored_ts) - 1)
    hit = ok & (stored_ts[pos] == rows["ts"].to_numpy())
    same = hit.copy()
    for key in FIELDS:
        same &= stored[key].to_numpy()[pos] == rows[key].to_numpy()
    differs = hit & ~same
    for i in np.flatnonzero(differs):
        ts = pd.Timestamp(int(rows.at[i, "ts"]), unit="s", tz="UTC")
        report.problems.append(
            Problem(
                rows.at[i, "source"],
                int(rows.at[i, "line"]),
                f"differs from the bar already stored for {symbol} at {ts:%Y-%m-%d %H:%M} UTC",
                rows.at[i, "unit"],
            )
        )
    rows.loc[differs, "ok"] = False
    return same
