"""Commands: the one definition of every instruction a trader or a bot gives a session.

A command is an immutable record named in the imperative (:class:`Place`, :class:`Cancel`,
...). Its fields are the arguments it takes, with the types a client must send; the engine
alone checks their *values* (an off-tick price, a side that is not BUY or SELL) and logs a
refusal as ORDER_REJECTED. :data:`COMMANDS` maps each log ``op`` to its type: the HTTP API,
the script runner, the cockpit, the bot environment and the re-run from the log all build
commands through it, so nothing ever calls an engine method named by stored data.

``cmd.args()`` is what the log records under ``payload.cmd.args``: only the fields given.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import ClassVar, Literal, TypedDict

from ntree.engine.errors import EngineError

#: The most one request may ask (the service refuses more; the engine does not, so logs a
#: script wrote with bigger ladders or longer notes keep re-running identically).
MAX_STEPS = 10_000  # display or 1m bars one step request moves
MAX_ORDERS = 100  # orders in one replace_orders
MAX_NOTE = 2_000  # characters of a note

Side = Literal["BUY", "SELL"]
#: STOP_MARKET is another name for STOP (a stop order fills at the market once triggered).
OrderTypeName = Literal["LIMIT", "STOP", "MARKET", "STOP_MARKET"]


class BracketSpec(TypedDict, total=False):
    """Exits an order opens when it fills: a take-profit limit and/or a stop-loss stop.

    Each leg is one of: an absolute price (``tp``, ``sl``: checked against the fill; a leg
    at or through it is not placed), an offset from the fill in price points (``tp_offset``,
    ``sl_offset``) or in ticks (``tp_ticks``, ``sl_ticks``), placed from the actual fill
    price and rounded to the tick grid toward it (offsets: log format 3)."""

    tp: float
    sl: float
    tp_offset: float
    sl_offset: float
    tp_ticks: int
    sl_ticks: int


class OrderSpec(TypedDict, total=False):
    """One order of :class:`ReplaceOrders`: :class:`Place`'s arguments."""

    side: Side
    type: OrderTypeName
    qty: int
    price: float
    tag: str
    oco_group: str
    bracket: BracketSpec


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every command: ``op`` is its name in the log and in :data:`COMMANDS`."""

    op: ClassVar[str]

    def args(self) -> dict:
        """Return the arguments given (fields that are not None), as the log records them."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value
        return out

    def to_log(self) -> dict:
        """Return the command as the log's ``payload.cmd``: ``{op, args}``."""
        return {"op": self.op, "args": self.args()}


@dataclass(frozen=True, slots=True)
class Step(Command):
    """Advance ``disp_steps`` display bars (default 1) or ``exec_steps`` 1-minute bars."""

    op: ClassVar[str] = "step"
    disp_steps: int | None = None
    exec_steps: int | None = None


@dataclass(frozen=True, slots=True)
class Place(Command):
    """Place an order, live from the next 1-minute bar (a price for LIMIT and STOP only)."""

    op: ClassVar[str] = "place"
    side: Side
    type: OrderTypeName
    qty: int
    price: float | None = None
    tag: str | None = None
    oco_group: str | None = None
    bracket: BracketSpec | None = None


@dataclass(frozen=True, slots=True)
class Cancel(Command):
    """Cancel a working order."""

    op: ClassVar[str] = "cancel"
    order_id: int


@dataclass(frozen=True, slots=True)
class CancelAll(Command):
    """Cancel every working order."""

    op: ClassVar[str] = "cancel_all"


@dataclass(frozen=True, slots=True)
class Modify(Command):
    """Change a working order's price and/or qty (same id)."""

    op: ClassVar[str] = "modify"
    order_id: int
    price: float | None = None
    qty: int | None = None


@dataclass(frozen=True, slots=True)
class ReplaceOrders(Command):
    """Cancel every working order and place these, all or nothing, as one event."""

    op: ClassVar[str] = "replace_orders"
    orders: list[OrderSpec]


@dataclass(frozen=True, slots=True)
class Flatten(Command):
    """Cancel every working order and close the position at the next 1-minute open."""

    op: ClassVar[str] = "flatten"


@dataclass(frozen=True, slots=True)
class SetBracket(Command):
    """Put a take-profit and/or stop-loss (an OCO pair) on the open position.

    Each leg is an absolute price (``tp``, ``sl``) or an offset from the position's average
    price in price points (``tp_offset``, ``sl_offset``) or ticks (``tp_ticks``, ``sl_ticks``);
    either way checked against the market: a leg that would fill at once is refused."""

    op: ClassVar[str] = "set_bracket"
    tp: float | None = None
    sl: float | None = None
    tp_offset: float | None = None
    sl_offset: float | None = None
    tp_ticks: int | None = None
    sl_ticks: int | None = None


@dataclass(frozen=True, slots=True)
class LinkOco(Command):
    """Link two working orders one-cancels-other: when one fills, the other is canceled
    (with every order already in either's OCO group)."""

    op: ClassVar[str] = "link_oco"
    order_ids: list[int]


LadderSide = Literal["BUY", "SELL", "BOTH"]


@dataclass(frozen=True, slots=True)
class PlaceLadder(Command):
    """Lay a weighted ladder of limits outside the channel: ``levels`` buys at
    lower - i x step_atr x ATR and sells at upper + i x step_atr x ATR (i = 1..levels, the
    last completed bar's Keltner bands and ATR14), each side's ``qty`` split by ``weights``
    (default 1, 2, 3, ...) in whole shares. Orders are tagged ``ladder_id``; a ladder laid
    again under the same id replaces the old one, as one event."""

    op: ClassVar[str] = "place_ladder"
    qty: int
    levels: int | None = None
    step_atr: float | None = None
    weights: list[float] | None = None
    side: LadderSide | None = None
    ladder_id: str | None = None


@dataclass(frozen=True, slots=True)
class CancelLadder(Command):
    """Cancel every working order of a ladder (its ``ladder_id`` tag), as one event."""

    op: ClassVar[str] = "cancel_ladder"
    ladder_id: str | None = None


@dataclass(frozen=True, slots=True)
class Pause(Command):
    """Pause the replay (pacing only)."""

    op: ClassVar[str] = "pause"


@dataclass(frozen=True, slots=True)
class Play(Command):
    """Play the replay (pacing only)."""

    op: ClassVar[str] = "play"


@dataclass(frozen=True, slots=True)
class SetSpeed(Command):
    """Set the pacing in display bars per minute; it never changes results."""

    op: ClassVar[str] = "set_speed"
    speed: float


@dataclass(frozen=True, slots=True)
class Note(Command):
    """Write a note into the log."""

    op: ClassVar[str] = "note"
    text: str


@dataclass(frozen=True, slots=True)
class SetDispTf(Command):
    """Switch the display timeframe (5m, 10m, 15m, 30m, 1h) at a boundary both share."""

    op: ClassVar[str] = "set_disp_tf"
    disp_tf: str


@dataclass(frozen=True, slots=True)
class End(Command):
    """End the session now: flatten at the last 1-minute close and write the summary."""

    op: ClassVar[str] = "end"


#: Every command, by its log ``op``: the one registry clients and the re-run build from.
COMMANDS: dict[str, type[Command]] = {
    cls.op: cls
    for cls in (
        Step,
        Place,
        Cancel,
        CancelAll,
        Modify,
        ReplaceOrders,
        Flatten,
        SetBracket,
        LinkOco,
        PlaceLadder,
        CancelLadder,
        Pause,
        Play,
        SetSpeed,
        Note,
        SetDispTf,
        End,
    )
}


def command_from(op: object, args: object, *, code: str, where: str) -> Command:
    """Build the command ``op`` with ``args`` through :data:`COMMANDS`, or raise ``code``
    naming ``where`` (an event, a script action) for an unknown op or argument."""
    cls = COMMANDS.get(op) if isinstance(op, str) else None
    if cls is None:
        raise EngineError(code, f"{where}: unknown command {op!r}; commands: {sorted(COMMANDS)}")
    if not isinstance(args, dict):
        raise EngineError(code, f"{where}: the arguments of {op!r} must be an object")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(args) - names)
    if unknown:
        raise EngineError(
            code, f"{where}: {op!r} takes no {unknown}; its arguments are {sorted(names)}"
        )
    missing = sorted(f.name for f in fields(cls) if f.name not in args and f.default is MISSING)
    if missing:
        raise EngineError(code, f"{where}: {op!r} needs {missing}")
    return cls(**args)


def command_from_log(cmd: object, seq: int) -> Command:
    """Return the command an event's ``payload.cmd`` records, or raise ``bad_log``."""
    if not isinstance(cmd, dict) or "op" not in cmd:
        raise EngineError("bad_log", f"event {seq}: payload.cmd must be {{op, args}}")
    return command_from(cmd["op"], cmd.get("args", {}), code="bad_log", where=f"event {seq}")
