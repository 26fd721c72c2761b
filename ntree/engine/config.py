"""A session's settings: :class:`SessionConfig` and the checks its values must pass."""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import pandas as pd

from ntree.engine.errors import EngineError
from ntree.engine.events import iso_utc
from ntree.engine.fills import FILL_MODEL_KNOBS, FillModel
from ntree.engine.ticks import disp_tf_label, parse_disp_tf

MAX_SPEED = 10_000  # display bars per minute: pacing only, it never changes results
MAX_LEVERAGE = 100
#: The leverage a new session gets from the service (US intraday: 4x equity).
DEFAULT_LEVERAGE = 4


@dataclass(frozen=True)
class SessionConfig:
    """Everything that defines a session's results. Speed is pacing only and changes nothing.

    The fill model's knobs stay flat fields (every stored log's SESSION_START records them
    so); :attr:`fill_model` gathers them into the one value the broker applies.
    """

    session_id: str
    symbol: str
    disp_tf: int
    t_start: pd.Timestamp
    t_end: pd.Timestamp
    seed: int = 0
    edit_on_disp_boundary: bool = True
    speed: float = 1.0
    tick: float = 0.01
    initial_cash: float = 100_000.0
    commission_per_share: float = 0.0
    limit_fill_ticks_worse: int = 0
    market_slippage_ticks: int = 0
    latency_bars: int = 0
    direction_lock: bool = True
    parent_session_id: str | None = None
    forked_at: str | None = None
    #: Blind replay (presentation only, see ``ntree/blind.py``): the cockpit shows rebased
    #: prices and "Day N" times; the anchors are the real first open and mean 1m volume.
    #: Recorded only when on, so every log from before it re-runs unchanged.
    blind: bool = False
    blind_price_anchor: float | None = None
    blind_volume_anchor: float | None = None
    #: Trading sessions of history before ``t_start`` (context and indicator warm-up); None,
    #: as every log written before this setting holds, means the runner's old 3 sessions.
    #: Recorded only when set, so those logs re-run byte for byte.
    context_sessions: int | None = None
    #: The exchange calendar the symbol trades on; None is XNYS (and is not recorded, so
    #: every log written before there was a choice re-runs unchanged).
    exchange: str | None = None
    #: Buying power is equity x leverage; None (every log before it existed) sets no limit.
    leverage: float | None = None

    @property
    def fill_model(self) -> FillModel:
        """Return the fill model these settings define."""
        return FillModel(**{name: getattr(self, name) for name in (*FILL_MODEL_KNOBS, "tick")})

    def to_params(self) -> dict:
        """Return the JSON-ready form recorded in SESSION_START."""
        d = asdict(self)
        d["t_start"] = iso_utc(pd.Timestamp(self.t_start).value)
        d["t_end"] = iso_utc(pd.Timestamp(self.t_end).value)
        d["disp_tf"] = disp_tf_label(self.disp_tf)
        for name in _OPTIONAL_PARAMS:  # recorded only when set: older logs re-run unchanged
            if d[name] is None:
                del d[name]
        if not self.blind:
            for name in _BLIND_FIELDS:
                del d[name]
        return d

    @classmethod
    def from_params(cls, params: dict) -> SessionConfig:
        """Return the config a SESSION_START's params record."""
        d = dict(params)
        d["t_start"] = pd.Timestamp(d["t_start"])
        d["t_end"] = pd.Timestamp(d["t_end"])
        d["disp_tf"] = parse_disp_tf(d["disp_tf"])
        return cls(**d)


_BLIND_FIELDS = ("blind", "blind_price_anchor", "blind_volume_anchor")
#: Settings newer than the first logs: None (absent from those logs) keeps the old behaviour.
_OPTIONAL_PARAMS = ("context_sessions", "exchange", "leverage")

#: The fill model's defaults, the v1 "perfect fill" (read from SessionConfig, not restated).
FILL_MODEL_DEFAULTS = {
    f.name: f.default for f in fields(SessionConfig) if f.name in FILL_MODEL_KNOBS
}

#: The fill model's knobs and the session's settings, with what each must be.
_WHOLE_SETTINGS = {  # name: the largest value (the log holds 64-bit integers)
    "limit_fill_ticks_worse": 10_000,
    "market_slippage_ticks": 10_000,
    "latency_bars": 10_000,
    "seed": 2**63 - 1,
}
MAX_CONTEXT_SESSIONS = 400  # about 1.6 years of history: more would only cost memory
_SWITCHES = ("direction_lock", "edit_on_disp_boundary")
_AMOUNTS = {  # name: (zero allowed, the largest value)
    "tick": (False, 1_000),
    "initial_cash": (False, 10**15),
    "commission_per_share": (True, 1_000),
}


def checked_config(config: SessionConfig) -> SessionConfig:
    """Return ``config`` with its times in UTC and its settings checked (or raise)."""
    t_start = pd.Timestamp(config.t_start)
    t_end = pd.Timestamp(config.t_end)
    if t_start.tzinfo is None or t_end.tzinfo is None:
        raise EngineError("bad_time", "t_start and t_end must be timezone-aware (UTC)")
    if t_start >= t_end:
        raise EngineError("bad_range", f"t_start {t_start} must be before t_end {t_end}")
    exchange = config.exchange
    if exchange is not None and (not isinstance(exchange, str) or not exchange.strip()):
        raise EngineError(
            "bad_param", f"exchange must be a calendar code, got {exchange!r}", "exchange"
        )
    return replace(
        config,
        disp_tf=parse_disp_tf(config.disp_tf),
        t_start=t_start.tz_convert("UTC"),
        t_end=t_end.tz_convert("UTC"),
        **checked_settings(config),
    )


def checked_settings(config: SessionConfig) -> dict:
    """Return the config's knobs and settings as plain values, or raise ``bad_param``: a
    knob out of range would otherwise be read silently (``direction_lock="no"`` is truthy)."""
    out: dict = {}
    for name, top in _WHOLE_SETTINGS.items():
        out[name] = _whole(getattr(config, name), name, top)
    if config.context_sessions is not None:
        out["context_sessions"] = _whole(
            config.context_sessions, "context_sessions", MAX_CONTEXT_SESSIONS
        )
    for name in _SWITCHES:
        value = getattr(config, name)
        if not isinstance(value, bool | np.bool_):
            raise EngineError("bad_param", f"{name} must be true or false, got {value!r}", name)
        out[name] = bool(value)
    for name, (zero_ok, top) in _AMOUNTS.items():
        out[name] = _amount(getattr(config, name), name, zero_ok, top)
    speed = config.speed
    if isinstance(speed, bool) or not isinstance(speed, numbers.Real) or not 0 < speed <= MAX_SPEED:
        raise EngineError(
            "bad_param", f"speed must be a number in (0, {MAX_SPEED}], got {speed!r}", "speed"
        )
    out["speed"] = _plain_number(speed)
    if config.leverage is not None:
        out["leverage"] = _amount(config.leverage, "leverage", False, MAX_LEVERAGE)
    out.update(_checked_blind(config))
    return out


def _checked_blind(config: SessionConfig) -> dict:
    """Return the blind settings checked: a switch, and when on two positive anchors."""
    if not isinstance(config.blind, bool | np.bool_):
        raise EngineError(
            "bad_param", f"blind must be true or false, got {config.blind!r}", "blind"
        )
    if not config.blind:
        return {"blind": False, "blind_price_anchor": None, "blind_volume_anchor": None}
    out: dict = {"blind": True}
    for name in _BLIND_FIELDS[1:]:
        out[name] = _amount(getattr(config, name), name, False, 10**15)
    return out


def _whole(value: object, name: str, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value <= top:
        raise EngineError(
            "bad_param", f"{name} must be a whole number in 0..{top}, got {value!r}", name
        )
    return int(value)


def _amount(value: object, name: str, zero_ok: bool, top: float) -> int | float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (0 <= value <= top if zero_ok else 0 < value <= top)  # also refuses NaN
    ):
        bounds = f"[0, {top:,}]" if zero_ok else f"(0, {top:,}]"
        raise EngineError("bad_param", f"{name} must be a number in {bounds}, got {value!r}", name)
    return _plain_number(value)


def _plain_number(value: numbers.Real) -> int | float:
    """Return an int or float as it is (the log records it as given), anything else as float."""
    return value if value.__class__ in (int, float) else float(value)
