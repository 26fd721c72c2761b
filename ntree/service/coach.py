"""The Coach as a service answer: select stored sessions by filters, read each once, report.

:func:`coach` is what ``GET /replay/coach`` and the Coach page both call. It picks the
sessions the filters name, builds one :class:`~ntree.engine.coach.SessionBundle` per session
(trades, event log, display candles built from its bars) and returns
:func:`~ntree.engine.coach.coach_report` with the filters echoed. A bundle is rebuilt only
when its session's log grew or its symbol's bars changed (in any worker): :class:`BundleCache`
keys it by (session id, last event seq, :func:`data_stamps`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ntree import db, market
from ntree.engine import EngineError
from ntree.engine.aggregate import aggregate
from ntree.engine.clock import data_fingerprint
from ntree.engine.coach import (
    TIME_BUCKET_MIN,
    UNTAGGED,
    SessionBundle,
    coach_report,
    session_rows,
)
from ntree.engine.coach_compare import Window, compare_players
from ntree.engine.coach_trades import to_ns
from ntree.engine.config import SessionConfig
from ntree.engine.events import Event, EventType, iso_utc
from ntree.engine.indicators import add_indicators
from ntree.engine.regime import RANGE, TREND, UNKNOWN, regime_holds
from ntree.engine.sensitivity import fill_sensitivity, total_sensitivity
from ntree.engine.ticks import parse_disp_tf
from ntree.market import DISP_TFS, EXCHANGE_TZ, sessions
from ntree.runner import history_start, load_session_bars, restore_session, session_bounds
from ntree.service.errors import ServiceError
from ntree.sources import SqlBarSource

#: Who played a session when its row does not say (every session until sessions get a player).
HUMAN = "human"
#: Fill sensitivity re-runs each session five times: at most this many sessions per answer.
MAX_SENSITIVITY_SESSIONS = 20
#: Bundles (one per session and log length) kept in memory.
BUNDLE_CACHE_SIZE = 256
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
    player: tuple[str, ...] = ()
    compare: tuple[str, ...] = ()
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
            "player": list(self.player),
            "compare": list(self.compare),
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


def _ids(value: Any, name: str = "session_id", *, commas: bool = False) -> tuple[str, ...]:
    """Return the names of a repeatable parameter (with ``commas``, each may list several
    split by commas), stripped, blanks and repeats dropped."""
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in items):
        raise ServiceError("bad_type", f"{name} must be text (repeatable)", name)
    if commas:
        items = [part for v in items for part in v.split(",")]
    return tuple(dict.fromkeys(v.strip() for v in items if v.strip()))


def parse_day_edge(text: str | None, name: str, *, end: bool) -> pd.Timestamp | None:
    """Parse a ``from``/``to`` filter: a bare date is the whole day (``to`` runs to its end;
    :func:`_matches` reads it as each session's exchange date); a time without an offset is
    New York time. Raise ``bad_time``."""
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


def _compared(filters: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the players to compare: ``compare`` (comma separated), else ``player`` when it
    names two or more; one player alone is no comparison (``bad_compare``)."""
    named = _ids(filters.get("compare"), "compare", commas=True)
    if not named:
        players = _ids(filters.get("player"), "player", commas=True)
        return players if len(players) > 1 else ()
    if len(named) < 2:
        raise ServiceError(
            "bad_compare",
            f"compare needs two players or more, e.g. human,band-fade; got {named}",
            "compare",
        )
    return named


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
        player=_ids(filters.get("player"), "player", commas=True),
        compare=_compared(filters),
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
    if (row.get("params") or {}).get("blind") and row.get("status") == "active":
        return False  # a blind session in play: nothing about it until it ends (its reveal)
    if f.symbol is not None and row["symbol"] != f.symbol:
        return False
    if f.disp_tf is not None and row["disp_tf"] != f.disp_tf:
        return False
    players = f.compare or f.player
    if players and player_of(row) not in players:
        return False
    if f.t_from is not None or f.t_to is not None:
        start = pd.Timestamp(row["t_start"])
        start = start.tz_localize("UTC") if start.tzinfo is None else start
        # a bare date is a day of the session's own exchange (a Hong Kong morning is the
        # evening before in New York)
        day = _ny_day(start, session_tz(row))
        if f.t_from is not None and not _on_or_after(start, day, f.t_from, f.raw_from):
            return False
        if f.t_to is not None and _on_or_after(start, day, f.t_to, f.raw_to, end=True):
            return False
    return True


def session_tz(row: Mapping[str, Any]) -> str:
    """Return the time zone of a session row's exchange (recorded only when not XNYS)."""
    return market.timezone((row.get("params") or {}).get("exchange") or market.EXCHANGE)


def _on_or_after(
    start: pd.Timestamp, day: str, edge: pd.Timestamp, raw: str | None, *, end: bool = False
) -> bool:
    """Whether a session starting at ``start`` (on exchange date ``day``) is at or past a
    ``from`` edge (``end``: past a ``to`` edge, which includes its whole bare date)."""
    if raw is not None and len(raw) == 10:  # a bare date
        return day > raw if end else day >= raw
    return start >= edge


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
    """A small LRU of :class:`Loaded` sessions keyed by (session id, last event seq, the
    stamp of its symbol's bars: :func:`data_stamps`)."""

    def __init__(self, maxsize: int = BUNDLE_CACHE_SIZE) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[tuple, Any] = OrderedDict()

    def get(self, key: tuple) -> Any | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: tuple, item: Any) -> None:
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
    tz = session_tz(row)
    bundle = SessionBundle(sid, trades, candles, events, disp_tf=disp_tf, tz=tz)
    return Loaded(bundle, bars)


def data_stamps(db_engine: sa.Engine, symbols: Iterable[str]) -> dict[str, tuple]:
    """Return, per symbol, what changes whenever its stored bars do: its metadata row's
    ``updated_at`` (every import and backfill writes it; a delete drops the row) and its first
    and last bar (a delete leaves none). Bars are only ever added (an import skips the rows
    already stored) or deleted whole (the Data page, ``ntree data delete``), so equal stamps
    mean the same bars: another worker's delete or import shows here on the next answer."""
    names = sorted(set(symbols))
    t = db.symbol_meta
    with db_engine.connect() as conn:
        q = sa.select(t.c.symbol, t.c.updated_at).where(t.c.symbol.in_(names))
        updated = dict(conn.execute(q).all())
    return {s: (updated.get(s), db.bar_range(db_engine, s)) for s in names}


def _loaded(svc: Any, rows: list[dict]) -> list[Loaded]:
    cache: BundleCache = svc.coach_bundles
    seqs = last_seqs(svc.db_engine, [r["session_id"] for r in rows])
    stamps = data_stamps(svc.db_engine, (r["symbol"] for r in rows))
    out = []
    for row in rows:
        # the log's length and the bars' stamp: a session's candles come from its bars
        key = (row["session_id"], seqs.get(row["session_id"], 0), stamps[row["symbol"]])
        item = cache.get(key)
        if item is None:
            item = load_session(svc, row)
            cache.put(key, item)
        out.append(item)
    return out


@dataclass(frozen=True)
class Marks:
    """What the trader wrote about one session: tags on the whole session (History's and its
    session note's) and, by trade id, each trade note's tags and setup."""

    session_tags: frozenset[str] = frozenset()
    trade_tags: Mapping[int, frozenset[str]] = field(default_factory=dict)
    setups: Mapping[int, str] = field(default_factory=dict)


def _folded(tags: Iterable[str]) -> frozenset[str]:
    return frozenset(t.strip().casefold() for t in tags if t and t.strip())


def session_marks(svc: Any, rows: Sequence[Mapping[str, Any]]) -> dict[str, Marks]:
    """Return the :class:`Marks` of each session row, from its tags and the latest version of
    each journal note (one query per 500 sessions). Tags are compared case-folded."""
    notes = svc.journal_store.latest_by_session([r["session_id"] for r in rows])
    out = {}
    for row in rows:
        sid = row["session_id"]
        tags = set(_folded(row.get("tags") or []))
        trade_tags: dict[int, frozenset[str]] = {}
        setups: dict[int, str] = {}
        for note in notes.get(sid, []):
            if note["trade_id"] is None:
                tags |= _folded(note["tags"])
                continue
            trade_tags[int(note["trade_id"])] = _folded(note["tags"])
            if note["setup"]:
                setups[int(note["trade_id"])] = note["setup"]
        out[sid] = Marks(frozenset(tags), trade_tags, setups)
    return out


def known_tags(svc: Any, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return the tags the ``tag`` filter can pick: those of the sessions ``rows`` (History)
    and of every journal note, sorted case-insensitively, one spelling per tag."""
    tags = {t for r in rows for t in r.get("tags") or []} | svc.journal_store.tags()
    by_fold: dict[str, str] = {}
    for t in sorted(tags):
        by_fold.setdefault(t.casefold(), t)
    return sorted(by_fold.values(), key=str.casefold)


def with_marks(bundle: SessionBundle, marks: Marks | None) -> SessionBundle:
    """Return the bundle with the journal's setups of its trades."""
    return bundle if marks is None or not marks.setups else replace(bundle, setups=marks.setups)


def with_tag(bundle: SessionBundle, marks: Marks | None, tag: str | None) -> SessionBundle | None:
    """Return the bundle as the ``tag`` filter keeps it: whole when the session carries the tag
    (History or its session note), else only the trades whose note does; None when nothing
    of it carries the tag. ``tag`` None keeps every bundle whole."""
    if tag is None:
        return bundle
    want = tag.strip().casefold()
    marks = marks or Marks()
    if want in marks.session_tags:
        return bundle
    kept = [t for t in bundle.trades if want in marks.trade_tags.get(int(t["trade_id"]), ())]
    return replace(bundle, trades=kept) if kept else None


def _setup_of(bundle: SessionBundle, trade: Mapping[str, Any]) -> str:
    return bundle.setups.get(int(trade["trade_id"])) or trade.get("setup") or UNTAGGED


def with_setup(bundle: SessionBundle, setup: str | None) -> SessionBundle:
    """Return the bundle with only the trades of ``setup`` (all when None)."""
    if setup is None:
        return bundle
    return replace(bundle, trades=[t for t in bundle.trades if _setup_of(bundle, t) == setup])


def window_of(row: Mapping[str, Any]) -> Window:
    """Return the window a session row played (times as ISO UTC, so spellings agree)."""
    return Window(
        row["symbol"], iso_utc(to_ns(row["t_start"])), iso_utc(to_ns(row["t_end"])), row["disp_tf"]
    )


def compare(
    rows: Sequence[Mapping[str, Any]], bundles: Sequence[SessionBundle], players: Sequence[str]
) -> dict:
    """Return :func:`~ntree.engine.coach_compare.compare_players` of ``players`` over the
    sessions ``rows`` (``bundles``: theirs, filtered, in the same order)."""
    played: dict[Window, dict[str, list]] = {}
    for row, bundle in zip(rows, bundles, strict=True):
        by_player = played.setdefault(window_of(row), {})
        by_player.setdefault(player_of(row), []).append(session_rows(bundle))
    return compare_players(played, players)


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
    ``n_sessions``, (``sensitivity`` set) the fill sensitivity of up to 20 sessions and
    (``compare``, or ``player`` twice or more) the players side by side on shared windows."""
    f = parse_filters(filters or {})
    rows = select_sessions(svc, f)
    loaded = _loaded(svc, rows)
    marks = session_marks(svc, rows)
    kept_rows, kept, bundles = [], [], []
    for row, item in zip(rows, loaded, strict=True):
        mark = marks.get(row["session_id"])
        bundle = with_tag(with_marks(item.bundle, mark), mark, f.tag)
        if bundle is None:
            continue  # nothing of this session carries the tag
        kept_rows.append(row)
        kept.append(item)
        bundles.append(with_setup(bundle, f.setup))
    report = coach_report(bundles)
    out = {**report, "filters": f.echo(), "n_sessions": len(kept_rows), "notes": []}
    if f.sensitivity:
        out["sensitivity"] = sensitivity(kept)
    if f.compare:
        out["compare"] = compare(kept_rows, bundles, f.compare)
    return out


# --- drills from weak spots -------------------------------------------------------------------


def bucket_mean(stats: Mapping[str, Any]) -> tuple[float | None, str]:
    """Return a bucket's mean result and its unit: in R when at least half its trades have
    an R (a stop at entry), else in $ (every trade has a PnL)."""
    n, n_r = stats["n"], stats.get("n_r", stats["n"])
    if stats.get("expectancy_r") is not None and 2 * n_r >= n:
        return stats["expectancy_r"], "R"
    return stats.get("expectancy"), "$"


def weak_buckets(report: Mapping[str, Any], kind: str) -> list[tuple[str, dict]]:
    """Return the ``kind`` buckets (see :data:`DRILL_KINDS`) of at least
    :data:`DRILL_MIN_TRADES` trades whose mean result (:func:`bucket_mean`) is negative; the
    ``unknown`` regime (the indicators' warm-up) is no kind of market to drill."""
    out = []
    for key, stats in report[DRILL_KINDS[kind][0]].items():
        if kind == "regime" and key == UNKNOWN:
            continue
        mean, _ = bucket_mean(stats)
        if stats["n"] >= DRILL_MIN_TRADES and mean is not None and mean < 0:
            out.append((key, stats))
    return out


def _ny_day(ts: object, tz: str = EXCHANGE_TZ) -> str:
    """Return the date of ``ts`` in ``tz`` (New York's unless given) as ``YYYY-MM-DD``."""
    stamp = pd.Timestamp(ts)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(tz).strftime("%Y-%m-%d")


def played_days(rows: Iterable[Mapping[str, Any]], tz: str = EXCHANGE_TZ) -> set[str]:
    """Return every date (``YYYY-MM-DD``, in the exchange's zone ``tz``) some session of
    ``rows`` spans."""
    days: set[str] = set()
    for row in rows:
        first, last = _ny_day(row["t_start"], tz), _ny_day(row["t_end"], tz)
        days.update(d.strftime("%Y-%m-%d") for d in pd.date_range(first, last, freq="D"))
    return days


def drill_window(
    trading_days: pd.DataFrame,
    played: set[str],
    start_hhmm: str,
    data_last: pd.Timestamp,
    minutes: int = TIME_BUCKET_MIN,
    accept: Callable[[pd.Timestamp, pd.Timestamp], bool] | None = None,
    tz: str = EXCHANGE_TZ,
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Pick the window of a drill: ``minutes`` from ``start_hhmm`` exchange time (``tz``,
    New York's unless given) on the most
    recent trading day not in ``played`` whose session holds the whole window, whose bars
    reach its end and (``accept`` given) that ``accept(start, end)`` takes; None when no day
    is left.

    ``trading_days``: one row per trading day (index: the day, oldest first) with its UTC
    ``open`` and ``close``, as :func:`ntree.market.sessions` returns them. The newest day
    goes first: it has warm-up history before it, and it is the market most like today's.
    """
    hours, mins = (int(x) for x in start_hhmm.split(":"))
    for day, edges in trading_days.iloc[::-1].iterrows():
        name = pd.Timestamp(day).strftime("%Y-%m-%d")
        if name in played:
            continue
        local = pd.Timestamp(f"{name} {hours:02d}:{mins:02d}").tz_localize(tz)
        start = local.tz_convert("UTC")
        end = start + pd.Timedelta(minutes=minutes)
        if start < edges["open"] or end > edges["close"] or end > data_last + pd.Timedelta("1min"):
            continue  # before the open, past a half day's close, or past the stored bars
        if accept is not None and not accept(start, end):
            continue
        return start, end
    return None


def drill_starts(first: str, minutes: int = TIME_BUCKET_MIN) -> list[str]:
    """Return the New York bucket starts a regime drill tries: ``first``, then every other
    bucket of the regular session (09:30 to the last before 16:00), nearest first."""
    hours, mins = (int(x) for x in first.split(":"))
    at = hours * 60 + mins
    others = [m for m in range(9 * 60 + 30, 16 * 60, minutes) if m != at]
    others.sort(key=lambda m: (abs(m - at), m))
    return [first] + [f"{m // 60:02d}:{m % 60:02d}" for m in others]


class RegimeCheck:
    """Whether a window of ``symbol`` is of ``regime`` (:func:`regime_holds`), from the
    display candles a session on it would build: the day's bars from its warm-up history on,
    aggregated to ``disp_tf`` with the indicators (causal, so the bars after the window change
    nothing). Each day's candles are built once."""

    def __init__(
        self,
        db_engine: sa.Engine,
        symbol: str,
        disp_tf: str,
        regime: str,
        tz: str = EXCHANGE_TZ,
    ) -> None:
        self.source = SqlBarSource(db_engine)
        self.symbol, self.tf, self.regime, self.tz = symbol, parse_disp_tf(disp_tf), regime, tz
        self._days: dict[str, pd.DataFrame] = {}

    def candles(self, start: pd.Timestamp) -> pd.DataFrame:
        """Return the display candles of the exchange day of ``start`` (with its history)."""
        day = _ny_day(start, self.tz)
        if day not in self._days:
            day_end = pd.Timestamp(day).tz_localize(self.tz) + pd.Timedelta(days=1)
            bars = self.source.load(self.symbol, history_start(start), day_end.tz_convert("UTC"))
            self._days[day] = add_indicators(aggregate(bars, self.tf))
        return self._days[day]

    def __call__(self, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        return regime_holds(self.candles(start), start.value, end.value, self.regime)


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
    day of the same symbol no session has played yet, for the time bucket the losses were in;
    for a regime bucket, on a window where the regime rule holds (:class:`RegimeCheck`), at
    that time when a day allows, else at the nearest time that does. Return the new session's
    state; raise ``no_drill_window`` when no day is left."""
    report = coach(svc, filters)
    rows = svc.store.list_sessions(limit=None)
    plan = drill_plan(report, kind, key, rows)
    symbol = plan["symbol"]
    data = svc.data_range(symbol)
    if data is None:
        raise ServiceError("unknown_symbol", f"no bars for symbol {symbol!r}", "symbol")
    first, last = data
    exchange = svc.exchange(symbol)
    tz = market.timezone(exchange)  # the buckets are the sessions' exchange time
    days = sessions(_ny_day(first, tz), _ny_day(last, tz), exchange)
    done = played_days((r for r in rows if r["symbol"] == symbol), tz)
    if kind == "regime" and key in (
        TREND,
        RANGE,
    ):  # a day and time where the regime rule holds, the losses' time first
        check = RegimeCheck(svc.db_engine, symbol, plan["disp_tf"], key, tz)
        window = None
        for start in drill_starts(plan["start"]):
            window = drill_window(days, done, start, last, accept=check, tz=tz)
            if window is not None:
                break
        missing = f"no {symbol} trading day left unplayed whose bars are {key} at any time"
    else:
        window = drill_window(days, done, plan["start"], last, tz=tz)
        missing = f"every {symbol} trading day with bars at {plan['start']} has been played"
    if window is None:
        raise ServiceError("no_drill_window", missing, "key")
    t_start, t_end = window
    body = {
        "symbol": symbol,
        "t_start": t_start.isoformat(),
        "t_end": t_end.isoformat(),
        "disp_tf": plan["disp_tf"],
    }
    return svc.start(body)
