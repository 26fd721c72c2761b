"""The Coach as a service answer: select stored sessions by filters, read each once, report.

:func:`coach` is what ``GET /replay/coach`` and the Coach page both call. It picks the
sessions the filters name, builds one :class:`~ntree.engine.coach.SessionBundle` per session
(trades, event log, display candles built from its bars) and returns
:func:`~ntree.engine.coach.coach_report` with the filters echoed. A bundle is rebuilt only
when its session's log grew: :class:`BundleCache` keys it by (session id, last event seq).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ntree import db
from ntree.engine import EngineError
from ntree.engine.aggregate import aggregate
from ntree.engine.clock import data_fingerprint
from ntree.engine.coach import TIME_BUCKET_MIN, UNTAGGED, SessionBundle, coach_report
from ntree.engine.config import SessionConfig
from ntree.engine.events import Event, EventType
from ntree.engine.indicators import add_indicators
from ntree.engine.regime import UNKNOWN
from ntree.engine.sensitivity import fill_sensitivity, total_sensitivity
from ntree.market import DISP_TFS, EXCHANGE_TZ, sessions
from ntree.runner import load_session_bars, restore_session, session_bounds
from ntree.service.errors import ServiceError

#: Who played a session when its row does not say (every session until sessions get a player).
HUMAN = "human"
#: Fill sensitivity re-runs each session five times: at most this many sessions per answer.
MAX_SENSITIVITY_SESSIONS = 20
#: Bundles (one per session and log length) kept in memory.
BUNDLE_CACHE_SIZE = 256
#: What the filters the service takes but cannot apply yet do.
TAG_NOTE = "tag is accepted but not applied yet: sessions have no tags until the journal lands"
_CANDLE_COLUMNS = ("high", "low", "atr14", "ch_lower", "ch_upper", "ch_slope")
_TRUE = {"1", "true", "yes", "on"}
#: A bucket gets a Drill button from this many trades on, when its expectancy is negative.
DRILL_MIN_TRADES = 5
#: The buckets that get Drill buttons: kind -> (report key, the trade row field it groups).
DRILL_KINDS = {
    "regime": ("by_regime", "regime"),
    "hour": ("by_hour", "time_bucket"),
    "setup": ("by_setup", "setup"),
}


def player_of(row: Mapping[str, Any]) -> str:
    """Return who played a session (``human`` or a bot's name)."""
    return row.get("player") or HUMAN


@dataclass(frozen=True)
class CoachFilters:
    """The Coach's filters, checked; ``None`` or empty means "any"."""

    session_id: tuple[str, ...] = ()
    symbol: str | None = None
    player: str | None = None
    setup: str | None = None
    tag: str | None = None
    t_from: pd.Timestamp | None = None
    t_to: pd.Timestamp | None = None
    disp_tf: str | None = None
    sensitivity: bool = False
    raw_from: str | None = None
    raw_to: str | None = None

    def echo(self) -> dict:
        """Return the filters as the answer echoes them (JSON-ready)."""
        return {
            "session_id": list(self.session_id),
            "symbol": self.symbol,
            "player": self.player,
            "setup": self.setup,
            "tag": self.tag,
            "from": self.raw_from,
            "to": self.raw_to,
            "disp_tf": self.disp_tf,
            "sensitivity": self.sensitivity,
        }


def _text(filters: Mapping[str, Any], name: str) -> str | None:
    value = filters.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple):  # a query parameter given twice: the last one counts
        return _text({name: value[-1]}, name) if value else None
    if not isinstance(value, str):
        raise ServiceError("bad_type", f"field {name!r} must be text, got {value!r}", name)
    return value.strip() or None


def _ids(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in items):
        raise ServiceError("bad_type", "session_id must be text (repeatable)", "session_id")
    return tuple(dict.fromkeys(v.strip() for v in items if v.strip()))


def parse_day_edge(text: str | None, name: str, *, end: bool) -> pd.Timestamp | None:
    """Parse a ``from``/``to`` filter: a bare date is the whole New York day (``to`` runs to
    its end); a time without an offset is New York time. Raise ``bad_time``."""
    if text is None:
        return None
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise ServiceError("bad_time", f"{name} is not an ISO 8601 date or time: {text!r}", name)
    if ts.tzinfo is None:
        ts = ts.tz_localize(EXCHANGE_TZ)
    if end and len(text) == 10:  # a bare date: up to the end of that day
        ts = ts + pd.Timedelta(days=1)
    return ts.tz_convert("UTC")


def parse_filters(filters: Mapping[str, Any]) -> CoachFilters:
    """Check the filters (as query parameters or a page gives them)."""
    disp_tf = _text(filters, "disp_tf")
    if disp_tf is not None and disp_tf not in DISP_TFS:
        raise ServiceError(
            "bad_tf", f"disp_tf must be one of {list(DISP_TFS)}, got {disp_tf!r}", "disp_tf"
        )
    raw_from, raw_to = _text(filters, "from"), _text(filters, "to")
    t_from = parse_day_edge(raw_from, "from", end=False)
    t_to = parse_day_edge(raw_to, "to", end=True)
    sens = filters.get("sensitivity")
    return CoachFilters(
        session_id=_ids(filters.get("session_id")),
        symbol=_text(filters, "symbol"),
        player=_text(filters, "player"),
        setup=_text(filters, "setup"),
        tag=_text(filters, "tag"),
        t_from=t_from,
        t_to=t_to,
        disp_tf=disp_tf,
        sensitivity=sens is True or str(sens).strip().lower() in _TRUE,
        raw_from=raw_from,
        raw_to=raw_to,
    )


def _matches(row: Mapping[str, Any], f: CoachFilters) -> bool:
    if f.symbol is not None and row["symbol"] != f.symbol:
        return False
    if f.disp_tf is not None and row["disp_tf"] != f.disp_tf:
        return False
    if f.player is not None and player_of(row) != f.player:
        return False
    if f.t_from is not None or f.t_to is not None:
        start = pd.Timestamp(row["t_start"])
        start = start.tz_localize("UTC") if start.tzinfo is None else start
        if f.t_from is not None and start < f.t_from:
            return False
        if f.t_to is not None and start >= f.t_to:
            return False
    return True


def select_sessions(svc: Any, f: CoachFilters) -> list[dict]:
    """Return the stored session rows the filters select (an unknown id is an error)."""
    if f.session_id:
        rows = []
        for sid in f.session_id:
            row = svc.store.get_session(sid)
            if row is None:
                raise ServiceError("unknown_session", f"unknown session: {sid!r}", "session_id")
            rows.append(row)
    else:
        rows = svc.store.list_sessions(limit=None)
    return [r for r in rows if _matches(r, f)]


def last_seqs(db_engine: sa.Engine, session_ids: Iterable[str]) -> dict[str, int]:
    """Return each session's last event seq (one query per 500 sessions)."""
    t = db.replay_events
    ids = list(session_ids)
    out: dict[str, int] = {}
    with db_engine.connect() as conn:
        for k in range(0, len(ids), 500):
            q = (
                sa.select(t.c.session_id, sa.func.max(t.c.seq))
                .where(t.c.session_id.in_(ids[k : k + 500]))
                .group_by(t.c.session_id)
            )
            out.update({sid: int(seq) for sid, seq in conn.execute(q)})
    return out


@dataclass(frozen=True)
class Loaded:
    """A session read for the Coach: its bundle and the 1m bars it was played on."""

    bundle: SessionBundle
    bars_1m: pd.DataFrame | None


class BundleCache:
    """A small LRU of :class:`Loaded` sessions keyed by (session id, last event seq)."""

    def __init__(self, maxsize: int = BUNDLE_CACHE_SIZE) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[tuple[str, int], Any] = OrderedDict()

    def get(self, key: tuple[str, int]) -> Any | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: tuple[str, int], item: Any) -> None:
        self._items[key] = item
        self._items.move_to_end(key)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def direct_candles(db_engine: sa.Engine, events: list[Event]) -> Loaded | None:
    """Return the display candles (and 1m bars) of a session built straight from its bars,
    without re-running its log; None when that is not valid: the log switched its display
    frame (the candles are then those of the last frame, which only a re-run knows), plays
    on another exchange than XNYS (its candles anchor to that exchange's hours), or does not
    begin with SESSION_START."""
    if not events or events[0].type != EventType.SESSION_START:
        return None
    if any(ev.type == EventType.DISP_TF_CHANGE for ev in events):
        return None
    start = events[0].payload
    config = SessionConfig.from_params(start["params"])
    if config.exchange is not None:
        return None
    bars = load_session_bars(db_engine, config)
    if data_fingerprint(bars) != start["data_fingerprint"]:
        raise EngineError("data_changed", "the bars differ from those the session was played on")
    # The clock builds its display frame from the same bars the same way (aggregate, then
    # indicators over every bar, history included), so these are the restored session's.
    disp = add_indicators(aggregate(bars, config.disp_tf))
    return Loaded(
        SessionBundle(
            config.session_id, (), disp.loc[:, list(_CANDLE_COLUMNS)], (), disp_tf=config.disp_tf
        ),
        bars,
    )


def load_session(svc: Any, row: Mapping[str, Any]) -> Loaded:
    """Read one session: stored trades, its log, and its display candles (none when its bars
    changed since it was played). The candles come straight from the bars unless the log
    switched display frames; then from the session restored from its log."""
    sid = row["session_id"]
    events = svc.store.load_events(sid)
    trades = [t for t in svc.store.trades(sid) if t.get("status", "closed") == "closed"]
    candles = bars = disp_tf = None
    try:
        direct = direct_candles(svc.db_engine, events)
        if direct is not None:
            candles, bars, disp_tf = direct.bundle.candles, direct.bars_1m, direct.bundle.disp_tf
        else:
            session = restore_session(svc.db_engine, sid)
            candles = session.disp.loc[:, list(_CANDLE_COLUMNS)]
            bars, disp_tf = session.bars, session.disp_tf
    except EngineError:
        pass  # e.g. its bars changed: the trades still count, without candles
    bundle = SessionBundle(sid, trades, candles, events, disp_tf=disp_tf)
    return Loaded(bundle, bars)


def _loaded(svc: Any, rows: list[dict]) -> list[Loaded]:
    cache: BundleCache = svc.coach_bundles
    seqs = last_seqs(svc.db_engine, [r["session_id"] for r in rows])
    out = []
    for row in rows:
        key = (row["session_id"], seqs.get(row["session_id"], 0))
        item = cache.get(key)
        if item is None:
            item = load_session(svc, row)
            cache.put(key, item)
        out.append(item)
    return out


def _setup_of(bundle: SessionBundle, trade: Mapping[str, Any]) -> str:
    return bundle.setups.get(int(trade["trade_id"])) or trade.get("setup") or UNTAGGED


def with_setup(bundle: SessionBundle, setup: str | None) -> SessionBundle:
    """Return the bundle with only the trades of ``setup`` (all when None)."""
    if setup is None:
        return bundle
    return replace(bundle, trades=[t for t in bundle.trades if _setup_of(bundle, t) == setup])


def sensitivity(loaded: list[Loaded]) -> dict:
    """Return each session's fill sensitivity and their sum, over the first
    :data:`MAX_SENSITIVITY_SESSIONS` sessions that can be re-run."""
    runnable = [x for x in loaded if x.bars_1m is not None and x.bundle.events]
    used = runnable[:MAX_SENSITIVITY_SESSIONS]
    by_session = {}
    for x in used:
        try:
            events = list(x.bundle.events)
            config = SessionConfig.from_params(events[0].payload["params"])
            bounds = session_bounds(config, x.bars_1m)
            by_session[x.bundle.session_id] = fill_sensitivity(events, x.bars_1m, bounds)
        except EngineError:
            continue  # its bars changed: its fills cannot be re-run
    note = f"at most {MAX_SENSITIVITY_SESSIONS} sessions are re-run"
    if len(runnable) > len(used):
        note += f": {len(used)} of the {len(runnable)} selected"
    return {
        "n_sessions": len(by_session),
        "capped": len(runnable) > len(used),
        "limit": MAX_SENSITIVITY_SESSIONS,
        "note": note,
        "by_session": by_session,
        "total": total_sensitivity(list(by_session.values())) if by_session else None,
    }


def coach(svc: Any, filters: Mapping[str, Any]) -> dict:
    """Return the Coach report of the sessions ``filters`` select, with the filters echoed,
    ``n_sessions``, and (``sensitivity`` set) the fill sensitivity of up to 20 sessions."""
    f = parse_filters(filters or {})
    rows = select_sessions(svc, f)
    loaded = _loaded(svc, rows)
    report = coach_report([with_setup(x.bundle, f.setup) for x in loaded])
    out = {**report, "filters": f.echo(), "n_sessions": len(rows), "notes": []}
    if f.tag is not None:
        out["notes"].append(TAG_NOTE)
    if f.sensitivity:
        out["sensitivity"] = sensitivity(loaded)
    return out


# --- drills from weak spots -------------------------------------------------------------------


def weak_buckets(report: Mapping[str, Any], kind: str) -> list[tuple[str, dict]]:
    """Return the ``kind`` buckets (see :data:`DRILL_KINDS`) of at least
    :data:`DRILL_MIN_TRADES` trades whose expectancy (in R, else in $) is negative."""
    out = []
    for key, stats in report[DRILL_KINDS[kind][0]].items():
        mean = stats.get("expectancy_r")
        mean = stats.get("expectancy") if mean is None else mean
        if stats["n"] >= DRILL_MIN_TRADES and mean is not None and mean < 0:
            out.append((key, stats))
    return out


def _ny_day(ts: object) -> str:
    stamp = pd.Timestamp(ts)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d")


def played_days(rows: Iterable[Mapping[str, Any]]) -> set[str]:
    """Return every New York date (``YYYY-MM-DD``) some session of ``rows`` spans."""
    days: set[str] = set()
    for row in rows:
        first, last = _ny_day(row["t_start"]), _ny_day(row["t_end"])
        days.update(d.strftime("%Y-%m-%d") for d in pd.date_range(first, last, freq="D"))
    return days


def drill_window(
    trading_days: pd.DataFrame,
    played: set[str],
    start_hhmm: str,
    data_last: pd.Timestamp,
    minutes: int = TIME_BUCKET_MIN,
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Pick the window of a drill: ``minutes`` from ``start_hhmm`` New York time on the most
    recent trading day not in ``played`` whose session holds the whole window and whose bars
    reach its end; None when no day is left.

    ``trading_days``: one row per trading day (index: the day, oldest first) with its UTC
    ``open`` and ``close``, as :func:`ntree.market.sessions` returns them. The newest day
    goes first: it has warm-up history before it, and it is the market most like today's.
    """
    hours, mins = (int(x) for x in start_hhmm.split(":"))
    for day, edges in trading_days.iloc[::-1].iterrows():
        name = pd.Timestamp(day).strftime("%Y-%m-%d")
        if name in played:
            continue
        local = pd.Timestamp(f"{name} {hours:02d}:{mins:02d}").tz_localize(EXCHANGE_TZ)
        start = local.tz_convert("UTC")
        end = start + pd.Timedelta(minutes=minutes)
        if start < edges["open"] or end > edges["close"] or end > data_last + pd.Timedelta("1min"):
            continue  # before the open, past a half day's close, or past the stored bars
        return start, end
    return None


def _most_common(values: Iterable[str]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return min(counts, key=lambda v: (-counts[v], v))  # ties: the first in sort order


def drill_plan(
    report: Mapping[str, Any], kind: str, key: str, rows: Iterable[Mapping[str, Any]]
) -> dict:
    """Return what a drill of bucket ``key`` of ``kind`` plays: the symbol and display frame
    most of the bucket's trades were played on and the time bucket (``HH:MM``, New York) it
    starts at: the bucket itself for ``hour``, else the one most of its trades entered in."""
    if kind not in DRILL_KINDS:
        raise ServiceError("bad_drill", f"kind must be one of {list(DRILL_KINDS)}", "kind")
    field = DRILL_KINDS[kind][1]
    trades = [t for t in report["trades"] if (t.get(field) or UNKNOWN) == key]
    if not trades:
        raise ServiceError("bad_drill", f"no trade of the selection is in {kind} {key!r}", "key")
    by_id = {r["session_id"]: r for r in rows}
    played = [by_id[t["session_id"]] for t in trades if t["session_id"] in by_id]
    if not played:  # its sessions were deleted since the report was drawn
        raise ServiceError("bad_drill", f"the sessions of {kind} {key!r} are gone", "key")
    return {
        "symbol": _most_common(r["symbol"] for r in played),
        "disp_tf": _most_common(r["disp_tf"] for r in played),
        "start": key if kind == "hour" else _most_common(t["time_bucket"] for t in trades),
    }


def start_drill(svc: Any, kind: str, key: str, filters: Mapping[str, Any]) -> dict:
    """Start a drill of a weak bucket of the Coach report of ``filters``: a new session on a
    day of the same symbol no session has played yet, for the time bucket the losses were in.
    Return the new session's state; raise ``no_drill_window`` when every day was played."""
    report = coach(svc, filters)
    rows = svc.store.list_sessions(limit=None)
    plan = drill_plan(report, kind, key, rows)
    symbol = plan["symbol"]
    data = svc.data_range(symbol)
    if data is None:
        raise ServiceError("unknown_symbol", f"no bars for symbol {symbol!r}", "symbol")
    first, last = data
    days = sessions(_ny_day(first), _ny_day(last))
    done = played_days(r for r in rows if r["symbol"] == symbol)
    window = drill_window(days, done, plan["start"], last)
    if window is None:
        raise ServiceError(
            "no_drill_window",
            f"every {symbol} trading day with bars at {plan['start']} has been played",
            "key",
        )
    t_start, t_end = window
    body = {
        "symbol": symbol,
        "t_start": t_start.isoformat(),
        "t_end": t_end.isoformat(),
        "disp_tf": plan["disp_tf"],
    }
    return svc.start(body)
