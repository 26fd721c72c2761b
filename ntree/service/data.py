"""The bar store as a service answer: coverage per symbol, file import, deleting a symbol.

The Data page, ``ntree data delete`` and ``POST /replay/data/delete`` all come here; the
import is :func:`ntree.ingest.files.import_files`, the same code as ``ntree data import``,
and the coverage :func:`ntree.ingest.coverage.coverage_by_day`, the same as ``ntree data
coverage``. :class:`DataMethods` puts these on :class:`~ntree.service.ReplayService`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ntree import db
from ntree.cache import SessionCache
from ntree.ingest.coverage import coverage_by_day
from ntree.ingest.files import FileImportError, import_files
from ntree.service import coach as coach_service
from ntree.service.errors import ServiceError
from ntree.store import SessionStore

#: The most an upload on the Data page may hold, all its files together (a base64 copy
#: travels in the browser's request; bigger files go through ``ntree data import``).
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: Problems an import answer lists (its totals count them all).
MAX_PROBLEMS = 200
#: A symbol as the ``bars`` table stores it (String(16)): letters, digits and . - _ ^ /.
SYMBOL_RE = re.compile(r"^[A-Z0-9][A-Z0-9._\-^/]{0,15}$")
DELETE_FIELDS = ("symbol",)
#: An import option's CLI flag -> its name on the Data page (refusals name the option).
OPTION_LABELS = {"tz": "time zone", "label": "bar time", "exchange": "exchange"}


def check_symbol(value: Any, field: str = "symbol") -> str:
    """Return the symbol upper-cased, or refuse it (``missing_field``, ``bad_type``,
    ``bad_symbol``)."""
    if value is None:
        raise ServiceError("missing_field", f"missing required field {field!r}", field)
    if not isinstance(value, str):
        raise ServiceError("bad_type", f"field {field!r} must be a string", field)
    symbol = value.strip().upper()
    if not SYMBOL_RE.match(symbol):
        raise ServiceError(
            "bad_symbol",
            f"{field} must be 1-16 letters, digits or . - _ ^ /, got {value[:40]!r}",
            field,
        )
    return symbol


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def symbol_coverage(
    engine: sa.Engine, store: SessionStore, symbol: str, *, days: bool = False
) -> dict:
    """Return one symbol's coverage row (JSON-ready): its metadata, first and last bar,
    trading days, regular-session minutes missing, open days with no data, the sessions
    played on it; with ``days``, every session day's minutes ``expected`` and ``present``."""
    cov, table = coverage_by_day(engine, symbol)
    info = db.symbol_info(engine, symbol) or {}
    row = {
        "symbol": symbol,
        "exchange": cov.exchange,
        "tick": info.get("tick"),
        "source": info.get("source"),
        "feed": info.get("feed"),
        "adjustment": info.get("adjustment"),
        "first": _iso(cov.first),
        "last": _iso(cov.last),
        "bars": cov.bars,
        "trading_days": cov.trading_days,
        "days_with_data": cov.days_with_data,
        "minutes_missing": cov.minutes_missing,
        "days_without_data": list(cov.days_without_data),
        "sessions": len(store.session_ids_on(symbol)),
    }
    if days:
        row["days"] = [
            {"date": f"{day:%Y-%m-%d}", "expected": int(r.expected), "present": int(r.present)}
            for day, r in table.iterrows()
        ]
    return row


def rerun_warning(sessions: int) -> str:
    """Say what deleting a symbol's bars does to the ``sessions`` played on them."""
    if sessions == 0:
        return "no session was played on them"
    if sessions == 1:
        return (
            "1 session was played on them: it can no longer re-run (review, replay-check, rewind)"
        )
    return (
        f"{sessions} sessions were played on them: they can no longer re-run "
        "(review, replay-check, rewind)"
    )


def delete_plan(engine: sa.Engine, store: SessionStore, symbol: Any) -> dict:
    """Return what deleting ``symbol``'s bars would do: ``{symbol, bars, sessions}``
    (``sessions``: how many sessions were played on them and could no longer re-run).
    Refuse a symbol with no bars stored (``unknown_symbol``)."""
    symbol = check_symbol(symbol)
    bars = db.count_bars(engine, symbol)
    if bars == 0:
        raise ServiceError("unknown_symbol", f"no bars stored for {symbol}", "symbol")
    return {"symbol": symbol, "bars": bars, "sessions": len(store.session_ids_on(symbol))}


def delete_symbol(
    engine: sa.Engine, store: SessionStore, symbol: Any, cache: SessionCache | None = None
) -> dict:
    """Delete every bar of ``symbol`` and its metadata; forget the cached snapshots of the
    sessions played on it (they can no longer re-run: their rows and logs stay).
    Return ``{symbol, bars_deleted, sessions}``."""
    plan = delete_plan(engine, store, symbol)
    deleted = db.delete_symbol(engine, plan["symbol"])
    if cache is not None:
        for sid in store.session_ids_on(plan["symbol"]):
            cache.evict(sid)
    return {"symbol": plan["symbol"], "bars_deleted": deleted, "sessions": plan["sessions"]}


def import_upload(
    engine: sa.Engine,
    files: Sequence[tuple[str, bytes]],
    symbol: Any,
    *,
    tz: str = "America/New_York",
    label: str = "open",
    exchange: str | None = None,
    skip_bad: bool = False,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> dict:
    """Check and store uploaded files (``(name, bytes)``) as ``symbol`` with the same code
    as ``ntree data import``; return its report (JSON-ready). Refuse no file, more than
    ``max_bytes`` in all (``file_too_large``) and a file refused whole (``bad_file``)."""
    symbol = check_symbol(symbol)
    if not files:
        raise ServiceError("missing_field", "choose a CSV or Parquet file first", "file")
    size = sum(len(data) for _name, data in files)
    if size > max_bytes:
        names = ", ".join(name for name, _data in files)
        raise ServiceError(
            "file_too_large",
            f"{names}: {size / 1024 / 1024:.1f} MB; the Data page takes up to "
            f"{max_bytes / 1024 / 1024:.0f} MB (use ntree data import for bigger files)",
            "file",
        )
    exchange = (exchange or "").strip() or None
    try:
        report = import_files(
            engine,
            list(files),
            symbol,
            tz=(tz or "").strip() or "America/New_York",
            label=label,
            exchange=exchange,
            skip_bad=skip_bad,
        )
    except FileImportError as exc:
        message, field = str(exc), "file"
        for name, label in OPTION_LABELS.items():  # the CLI's flag names, as the page says them
            if message.startswith(f"--{name}"):
                message, field = label + message.removeprefix(f"--{name}"), name
        raise ServiceError("bad_file", message, field) from None
    return {
        "symbol": report.symbol,
        "exchange": report.exchange,
        "tick": report.tick,
        "rows_read": report.rows_read,
        "added": report.added,
        "already_present": report.already_present,
        "bad_rows": report.bad_rows,
        "problems": [str(p) for p in report.problems[:MAX_PROBLEMS]],
        "problems_total": len(report.problems),
        "written": report.written,
        "first": _iso(report.first),
        "last": _iso(report.last),
        "summary": report.lines(limit=0)[-1],
    }


class DataMethods:
    """The bar-store methods of :class:`~ntree.service.ReplayService` (a mixin: it uses the
    service's ``db_engine``, ``store``, ``cache`` and ``coach_bundles``)."""

    db_engine: sa.Engine
    store: SessionStore
    cache: SessionCache
    coach_bundles: coach_service.BundleCache

    def data_coverage(self, symbol: Any = None, *, days: bool = False) -> dict:
        """Return ``{symbols: [row, ...]}``: the coverage row of every stored symbol (or of
        ``symbol`` alone: ``unknown_symbol`` when it has no bars); see
        :func:`symbol_coverage`."""
        if symbol is None:
            names = db.symbols(self.db_engine)
        else:
            names = [delete_plan(self.db_engine, self.store, symbol)["symbol"]]
        rows = [symbol_coverage(self.db_engine, self.store, s, days=days) for s in names]
        return {"symbols": rows}

    def data_delete_plan(self, symbol: Any) -> dict:
        """Return what deleting the symbol's bars would do (see :func:`delete_plan`)."""
        return delete_plan(self.db_engine, self.store, symbol)

    def data_delete(self, body: dict) -> dict:
        """Answer a delete request ``{symbol}``: delete its bars (see :func:`delete_symbol`)."""
        unknown = sorted(set(body) - set(DELETE_FIELDS))
        if unknown:
            raise ServiceError(
                "unknown_field",
                f"unknown field {unknown[0]!r}; have {list(DELETE_FIELDS)}",
                unknown[0],
            )
        done = delete_symbol(self.db_engine, self.store, body.get("symbol"), self.cache)
        self.coach_bundles = coach_service.BundleCache()  # its candles came from those bars
        return done

    def data_import(
        self,
        files: Sequence[tuple[str, bytes]],
        symbol: Any,
        *,
        tz: str = "America/New_York",
        label: str = "open",
        exchange: str | None = None,
        skip_bad: bool = False,
    ) -> dict:
        """Import uploaded files as ``symbol`` (see :func:`import_upload`)."""
        report = import_upload(
            self.db_engine, files, symbol, tz=tz, label=label, exchange=exchange, skip_bad=skip_bad
        )
        if report["added"]:
            self.coach_bundles = coach_service.BundleCache()
        return report
