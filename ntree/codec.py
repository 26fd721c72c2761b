"""The canonical text of events: what the log stores, hashes and compares.

The engine makes :class:`~ntree.engine.events.Event` records and never serialises them;
this edge module gives each one its single canonical form, so the same session yields the
same log byte for byte:

- a payload is UTF-8 JSON with sorted keys and no spaces (orjson, about 8x faster than the
  standard library's encoder, which matters at hundreds of thousands of events a second);
- an event's *line* is ``seq|ts_exec|ts_market|type|payload``, times in ISO 8601 UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from ntree.engine.events import Event, iso_utc, parse_iso_utc

_SORTED = orjson.OPT_SORT_KEYS
_dumps = orjson.dumps


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` to canonical JSON: sorted keys, compact, UTF-8."""
    return _dumps(obj, option=_SORTED).decode()


def event_line(ev: Event) -> str:
    """Return the canonical one-line form of an event (what hashes and re-runs compare)."""
    payload = _dumps(ev.payload, option=_SORTED).decode()
    return f"{ev.seq}|{iso_utc(ev.ts_exec) or ''}|{iso_utc(ev.ts_market) or ''}|{ev.type}|{payload}"


def log_hash(events: Iterable[Event]) -> str:
    """Return the SHA-256 of the canonical lines of ``events``, one per line."""
    h = hashlib.sha256()
    for ev in events:
        h.update(event_line(ev).encode())
        h.update(b"\n")
    return h.hexdigest()


EVENT_COLUMNS = ("session_id", "seq", "ts_exec", "ts_market", "event_type", "payload_json")


def event_tuple(session_id: str, ev: Event) -> tuple:
    """Return the ``replay_events`` row of an event, its values in :data:`EVENT_COLUMNS` order."""
    return (
        session_id,
        ev.seq,
        iso_utc(ev.ts_exec),
        iso_utc(ev.ts_market),
        str(ev.type),
        _dumps(ev.payload, option=_SORTED).decode(),
    )


def event_row(session_id: str, ev: Event) -> dict:
    """Return the ``replay_events`` row of an event as a dict."""
    return dict(zip(EVENT_COLUMNS, event_tuple(session_id, ev), strict=True))


def event_from_record(
    seq: int, ts_exec: str | None, ts_market: str | None, type_: str, payload_json: str
) -> Event:
    """Rebuild an event from its stored columns."""
    return Event(
        seq, parse_iso_utc(ts_exec), parse_iso_utc(ts_market), type_, orjson.loads(payload_json)
    )
