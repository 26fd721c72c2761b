"""Reading a session back: its event log and pages of it, its trades, the review chart and
replay-check (the mixin :class:`ReviewMethods` of :class:`~ntree.service.ReplayService`)."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from ntree import db
from ntree.engine import EngineError, SessionConfig
from ntree.runner import CheckResult, load_session_bars, start_session
from ntree.runner import replay_check as runner_replay_check
from ntree.service.base import ServiceBase
from ntree.service.errors import ServiceError, from_engine
from ntree.service.requests import MAX_CANDLES, req_int, req_str

_FILL_KEYS = ("order_id", "side", "qty", "price", "role")


class ReviewMethods(ServiceBase):
    """The read side of a stored session: events, trades, review chart, replay-check."""

    def event_log(self, session_id: str, since: int | None = None) -> list[dict]:
        """Return a session's logged events after id ``since`` (all by default)."""
        self._known(session_id)
        return [e.to_dict() for e in self.store.load_events(session_id, since=since)]

    def events(self, body: dict) -> dict:
        """Answer an events request: ``{session_id, since?}`` -> ``{session_id, events}``."""
        sid = req_str(body, "session_id")
        since = req_int(body, "since", required=False, minimum=0)
        return {"session_id": sid, "events": self.event_log(sid, since)}

    def event_page(
        self,
        session_id: str,
        *,
        types: list[str] | None = None,
        page: int = 0,
        page_size: int = 200,
    ) -> dict:
        """Return one page of a session's event log, oldest first (only ``types`` when
        given): ``{events, total, page, page_size, counts}``; ``counts`` has every type's
        count in the whole log, ``total`` those the filter keeps."""
        self._known(session_id)
        page = req_int({"page": page}, "page", minimum=0)
        page_size = req_int({"page_size": page_size}, "page_size", minimum=1, maximum=1_000)
        events, counts = self.store.event_page(
            session_id, list(types or []), page * page_size, page_size
        )
        total = sum(n for kind, n in counts.items() if not types or kind in types)
        return {
            "events": [e.to_dict() for e in events],
            "total": total,
            "page": page,
            "page_size": page_size,
            "counts": counts,
        }

    def trade_list(self, body: dict) -> dict:
        """Answer a trades request: ``{session_id}`` -> ``{session_id, trades}`` (see
        :meth:`trades`)."""
        sid = req_str(body, "session_id")
        return {"session_id": sid, "trades": self.trades(sid)}

    def trade_page(
        self,
        session_id: str,
        *,
        page: int = 0,
        page_size: int = 50,
        exit_from: str | None = None,
        newest_first: bool = False,
    ) -> dict:
        """Return one page of a session's trades by id (the newest first when asked):
        ``{trades, total, page, page_size}``; with ``exit_from`` (ISO UTC) only those open or
        closed at or after it. The open trade carries its excursions so far (see :meth:`trades`)."""
        self._known(session_id)
        page = req_int({"page": page}, "page", minimum=0)
        page_size = req_int({"page_size": page_size}, "page_size", minimum=1, maximum=1_000)
        rows, total = self.store.trade_page(
            session_id, page * page_size, page_size, exit_from=exit_from, newest_first=newest_first
        )
        live = [k for k, r in enumerate(rows) if r["status"] == "open"]
        if live and self.cache.contains(session_id):
            with self._open(session_id, write=False) as s:
                mae, mfe = s.portfolio.open_excursions()
            rows[live[0]] = {**rows[live[0]], "mae": round(mae, 6), "mfe": round(mfe, 6)}
        return {"trades": rows, "total": total, "page": page, "page_size": page_size}

    def trades(self, session_id: str) -> list[dict]:
        """Return a session's trades as stored: the closed ones (``"status": "closed"``) and
        the open one, if any (``"status": "open"``, no exit; its excursions so far when the
        session is live in the cache)."""
        self._known(session_id)
        rows = self.store.trades(session_id)
        if rows and rows[-1]["status"] == "open" and self.cache.contains(session_id):
            with self._open(session_id, write=False) as s:
                mae, mfe = s.portfolio.open_excursions()
            rows[-1] = {**rows[-1], "mae": round(mae, 6), "mfe": round(mfe, 6)}
        return rows

    def review_chart(self, session_id: str, n: int = MAX_CANDLES) -> dict:
        """Return what the review chart draws, read without re-running the log:
        ``{disp_tf, candles, fills, bars_played}`` -- the last ``n`` display candles up to
        the session's cursor (with indicators; a forming one last), the fills at or after
        the first of them, and how many display bars the session completed in all.

        Candles depend only on the bars, the display frame and the cursor, so a session
        that never switched frames is drawn from an unplayed copy moved to its last
        event's bar (a 100,000-event log reads in milliseconds, a rebuild takes seconds);
        one that switched frames is opened as the cockpit opens it."""
        self._known(session_id)
        n = req_int({"n": n}, "n", minimum=1, maximum=MAX_CANDLES)
        store = self.store
        start, _ = store.event_page(session_id, ["SESSION_START"], 0, 1, counts=False)
        switched, _ = store.event_page(session_id, ["DISP_TF_CHANGE"], 0, 1, counts=False)
        if switched or not start:
            with self._open(session_id, write=False) as s:
                return self._review_view(session_id, s, n)
        config = SessionConfig.from_params(start[0].payload["params"])
        try:
            s = start_session(config, load_session_bars(self.db_engine, config))
        except EngineError as exc:  # its bars were deleted since it was played
            raise ServiceError(
                "data_changed", f"session {session_id!r} cannot re-run: {exc}", "session_id"
            ) from exc
        s.clock.move(self._logged_cursor(session_id, s.clock))
        return self._review_view(session_id, s, n)

    def _logged_cursor(self, session_id: str, clock) -> int:
        """Return the 1m index the cursor stands at after the log: an event is logged at the
        cursor (a fill at its bar) and a STEP before it moves, so the later of the last
        event's bar and the last step's target."""
        newest = {"newest_first": True, "counts": False}
        last, _ = self.store.event_page(session_id, None, 0, 1, **newest)
        at = int(clock.ts.searchsorted(last[0].ts_exec))
        step, _ = self.store.event_page(session_id, ["STEP"], 0, 1, **newest)
        if not step:
            return at
        clock.move(int(clock.ts.searchsorted(step[0].ts_exec)))
        return max(at, clock.step_target(step[0].payload["cmd"]["args"]))

    def _review_view(self, session_id: str, s, n: int) -> dict:
        candles = s.candles(n=n)
        fills = _logged_fills(self.db_engine, session_id, candles[0]["ts"] if candles else None)
        played = s.disp_index - int(s.codes[s.clock.i_start])
        return {
            "disp_tf": s.state()["disp_tf"],
            "candles": candles,
            "fills": fills,
            "bars_played": played,
        }

    def replay_check(self, session_id: str) -> CheckResult:
        """Re-run a stored session from its log and compare every event (``ntree
        replay-check``); the cached session's new events are saved first."""
        self._known(session_id)
        self._save_cached(session_id)
        try:
            return runner_replay_check(self.db_engine, session_id)
        except EngineError as exc:
            raise from_engine(exc) from exc


def _logged_fills(db_engine: sa.Engine, session_id: str, ts_from: str | None) -> list[dict]:
    """Return the session's fills at or after ``ts_from`` (ISO; all when None) from its log,
    in the state's form (the times stay text: a chart of thousands of fills pays for
    nothing else)."""
    t = db.replay_events
    where = [t.c.session_id == session_id, t.c.event_type == "FILL"]
    if ts_from is not None:  # ISO 8601 UTC text of one width: it sorts as time does
        where.append(t.c.ts_exec >= ts_from)
    q = sa.select(t.c.ts_exec, t.c.payload_json).where(*where).order_by(t.c.seq)
    with db_engine.connect() as conn:
        rows = conn.execute(q).all()
    out = []
    for ts, payload in rows:
        p = orjson.loads(payload)
        out.append({"ts_exec": ts, **{k: p[k] for k in _FILL_KEYS}})
    return out
