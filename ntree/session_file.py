"""One session as one JSON file (an edge): export it, import it on another machine, re-run it.

The file holds the session's row, every event exactly as stored (canonical JSON payloads),
its trades, every version of its journal, and the 1-minute bars its log plays on (warm-up
history + ``[t_start, t_end)``) with their fingerprint, so ``ntree replay-check`` passes
on a database that had none of them. Import writes the bars it lacks, refuses when bars
already stored there differ, and writes the rest in one transaction.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ntree import db, market
from ntree.engine import SessionConfig
from ntree.engine.session import data_fingerprint
from ntree.runner import history_start, load_session_bars

FORMAT = "ntree-session"
FORMAT_VERSION = 1
BAR_COLUMNS = ("ts", "open", "high", "low", "close", "volume")
EVENT_KEYS = ("seq", "ts_exec", "ts_market", "event_type", "payload_json")


class SessionFileError(RuntimeError):
    """The file is not an ntree session, or it conflicts with what the database holds."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _rows(conn: sa.Connection, table: sa.Table, session_id: str, *order: str) -> list[dict]:
    q = sa.select(table).where(table.c.session_id == session_id)
    q = q.order_by(*(table.c[c] for c in order))
    return [dict(r) for r in conn.execute(q).mappings()]


def export_session(engine: sa.Engine, session_id: str) -> dict[str, Any] | None:
    """Return the whole session as a JSON-ready dict, or None for an unknown id."""
    with engine.connect() as conn:
        rows = _rows(conn, db.replay_sessions, session_id, "session_id")
        if not rows:
            return None
        events = _rows(conn, db.replay_events, session_id, "seq")
        trades = _rows(conn, db.replay_trades, session_id, "trade_id")
        journal = _rows(conn, db.journal_entries, session_id, "id")
    if not events:
        return None
    config = SessionConfig.from_params(json.loads(events[0]["payload_json"])["params"])
    bars = load_session_bars(engine, config)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "session": {k: v for k, v in rows[0].items()},
        "events": [{k: e[k] for k in EVENT_KEYS} for e in events],
        "trades": [{k: v for k, v in t.items() if k != "session_id"} for t in trades],
        "journal": [{k: v for k, v in j.items() if k not in ("id", "session_id")} for j in journal],
        "bars": {
            "symbol": config.symbol,
            "timeframe_s": 60,
            "from": history_start(
                pd.Timestamp(config.t_start), config.context_sessions, market.code(config.exchange)
            ).isoformat(),
            "to": pd.Timestamp(config.t_end).isoformat(),
            "fingerprint": data_fingerprint(bars),
            "columns": list(BAR_COLUMNS),
            "rows": _bar_rows(bars),
        },
    }


def _bar_rows(bars: pd.DataFrame) -> list[list]:
    ts = bars.index.as_unit("s").asi8.tolist()
    cols = [bars[c].to_numpy(float).tolist() for c in ("open", "high", "low", "close")]
    vol = bars["volume"].astype("int64").tolist()
    return [list(r) for r in zip(ts, *cols, vol, strict=True)]


def _bars_frame(rows: list[list]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(BAR_COLUMNS))
    index = pd.DatetimeIndex(pd.to_datetime(df.pop("ts"), unit="s", utc=True), name="ts")
    df.index = index
    df[["open", "high", "low", "close"]] = df[["open", "high", "low", "close"]].astype(float)
    df["volume"] = df["volume"].astype("int64")
    return df


def import_session(engine: sa.Engine, doc: dict[str, Any]) -> dict[str, Any]:
    """Write an exported session into ``engine``'s database; return what was written.

    Raise SessionFileError: ``bad_file`` (not an ntree session file), ``session_exists``
    (that id is already stored), ``bars_differ`` (the database holds other bars for the
    session's minutes: it would not re-run there).
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SessionFileError("bad_file", "not an ntree session file (format != ntree-session)")
    if doc.get("format_version") != FORMAT_VERSION:
        raise SessionFileError(
            "bad_file", f"session file version {doc.get('format_version')} is not supported"
        )
    try:
        row, events, spec = dict(doc["session"]), doc["events"], doc["bars"]
        sid, symbol = row["session_id"], spec["symbol"]
        bars = _bars_frame(spec["rows"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SessionFileError("bad_file", f"session file is incomplete: {exc}") from None
    if not events:
        raise SessionFileError("bad_file", f"session {sid} has no events")
    if data_fingerprint(bars) != spec.get("fingerprint"):
        raise SessionFileError("bad_file", "the file's bars do not match their fingerprint")
    s = db.replay_sessions
    with engine.connect() as conn:
        if conn.execute(sa.select(s.c.session_id).where(s.c.session_id == sid)).first():
            raise SessionFileError("session_exists", f"session {sid} is already stored here")
    stored = db.load_bars(engine, symbol, pd.Timestamp(spec["from"]), pd.Timestamp(spec["to"]))
    missing = _check_bars(symbol, bars, stored)
    with engine.begin() as conn:
        if len(missing):
            conn.execute(
                db.bars.insert(),
                [
                    {"symbol": symbol, "timeframe_s": 60, **dict(zip(BAR_COLUMNS, r, strict=True))}
                    for r in _bar_rows(missing)
                ],
            )
        conn.execute(s.insert(), [{c.name: row.get(c.name) for c in s.columns if c.name in row}])
        conn.execute(
            db.replay_events.insert(),
            [{"session_id": sid, **{k: e[k] for k in EVENT_KEYS}} for e in events],
        )
        if doc.get("trades"):
            conn.execute(
                db.replay_trades.insert(), [{**t, "session_id": sid} for t in doc["trades"]]
            )
        if doc.get("journal"):
            conn.execute(
                db.journal_entries.insert(), [{**j, "session_id": sid} for j in doc["journal"]]
            )
    return {"session_id": sid, "events": len(events), "bars_written": len(missing)}


def _check_bars(symbol: str, bars: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """Return the file's bars the database lacks; raise ``bars_differ`` when a stored bar in
    the session's range is not the file's (other prices, or a minute the file lacks)."""
    extra = stored.index.difference(bars.index)
    if len(extra):
        raise SessionFileError(
            "bars_differ",
            f"the database holds {symbol} bars the session did not play on "
            f"(first at {extra[0].isoformat()}); it would not re-run identically here",
        )
    common = bars.loc[stored.index]
    differ = (common != stored[common.columns]).any(axis=1)
    if differ.any():
        first = differ[differ].index[0]
        raise SessionFileError(
            "bars_differ",
            f"the database's {symbol} bar at {first.isoformat()} differs from the file's "
            f"({int(differ.sum())} bars differ); it would not re-run identically here",
        )
    return bars.loc[bars.index.difference(stored.index)]


def export_csv(engine: sa.Engine, session_id: str) -> dict[str, str] | None:
    """Return the session's events and trades as CSV text (``events_csv``, ``trades_csv``)."""
    doc = export_session_rows(engine, session_id)
    if doc is None:
        return None
    events, trades = doc
    return {
        "events_csv": _csv(pd.DataFrame(events, columns=list(EVENT_KEYS))),
        "trades_csv": _csv(
            pd.DataFrame(trades, columns=[c.name for c in db.replay_trades.columns])
        ),
    }


def export_session_rows(engine: sa.Engine, session_id: str) -> tuple[list, list] | None:
    """Return the session's stored events and trades, or None for an unknown id."""
    with engine.connect() as conn:
        if not _rows(conn, db.replay_sessions, session_id, "session_id"):
            return None
        events = [
            {k: e[k] for k in EVENT_KEYS} for e in _rows(conn, db.replay_events, session_id, "seq")
        ]
        trades = _rows(conn, db.replay_trades, session_id, "trade_id")
    return events, trades


def _csv(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue()
