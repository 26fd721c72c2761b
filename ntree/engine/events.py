"""Events: immutable, past-tense records of everything that happened in a session.

An event is written once and never changed. Its payload serialises to canonical JSON
(sorted keys, no spaces), so the same session gives the same log byte for byte. An event
that a trader's (or bot's) command produced carries the command under ``payload["cmd"]``;
re-running a session re-issues exactly those commands and must regenerate every event.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple


class EventType(StrEnum):
    SESSION_START = "SESSION_START"
    ORDER_PLACED = "ORDER_PLACED"
    ORDER_MODIFIED = "ORDER_MODIFIED"
    ORDER_CANCELED = "ORDER_CANCELED"
    ORDER_REJECTED = "ORDER_REJECTED"
    FILL = "FILL"
    STOP_TRIGGERED = "STOP_TRIGGERED"
    TARGET_FILLED = "TARGET_FILLED"
    DIRECTION_LOCK = "DIRECTION_LOCK"
    BRACKET_SET = "BRACKET_SET"
    FLATTEN = "FLATTEN"
    STEP = "STEP"
    SPEED_CHANGE = "SPEED_CHANGE"
    DISP_TF_CHANGE = "DISP_TF_CHANGE"
    PAUSE = "PAUSE"
    PLAY = "PLAY"
    NOTE = "NOTE"
    SESSION_END = "SESSION_END"


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False)


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` to canonical JSON: sorted keys, compact separators."""
    return _CANONICAL.encode(obj)


@lru_cache(maxsize=16384)  # events of one bar share their times; formatting is the cost
def iso_utc(ts_ns: int | None) -> str | None:
    """Format an epoch-nanosecond UTC time as ISO 8601 (``2024-07-01T13:30:00Z``)."""
    if ts_ns is None:
        return None
    return datetime.fromtimestamp(ts_ns // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str | None) -> int | None:
    """Parse an ISO 8601 UTC time written by :func:`iso_utc` back to epoch nanoseconds."""
    if text is None:
        return None
    dt = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1_000_000_000


class Event(NamedTuple):
    """One entry of a session's append-only log. ``seq`` increases from 1 per session.

    Immutable (a named tuple: as light as a record can be in the hot loop).
    """

    seq: int
    ts_exec: int | None
    ts_market: int | None
    type: str
    payload: dict

    def payload_json(self) -> str:
        return canonical_json(self.payload)

    def to_dict(self) -> dict:
        """Return the API form: ``{id, ts_exec, ts_market, type, payload}``."""
        return {
            "id": self.seq,
            "ts_exec": iso_utc(self.ts_exec),
            "ts_market": iso_utc(self.ts_market),
            "type": self.type,
            "payload": self.payload,
        }

    def line(self) -> str:
        """Return the canonical one-line form of the event (what hashes and re-runs compare)."""
        ts_exec, ts_market = iso_utc(self.ts_exec) or "", iso_utc(self.ts_market) or ""
        return f"{self.seq}|{ts_exec}|{ts_market}|{self.type}|{_CANONICAL.encode(self.payload)}"

    @classmethod
    def from_record(
        cls, seq: int, ts_exec: str | None, ts_market: str | None, type_: str, payload_json: str
    ) -> Event:
        """Rebuild an event from its stored columns."""
        return cls(
            seq, parse_iso_utc(ts_exec), parse_iso_utc(ts_market), type_, json.loads(payload_json)
        )


def log_hash(events: list[Event]) -> str:
    """Return the SHA-256 of the canonical lines of ``events``."""
    h = hashlib.sha256()
    for ev in events:
        h.update(ev.line().encode())
        h.update(b"\n")
    return h.hexdigest()
