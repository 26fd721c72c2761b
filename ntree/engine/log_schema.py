"""The log schema: one typed payload definition per event type (log format 2).

:data:`EVENT_PAYLOADS` maps every :class:`~ntree.engine.events.EventType` to the TypedDict
its payload obeys: required keys are always there, ``NotRequired`` ones only when set (a
payload holds what is set and nothing implied). The README's event table and the OpenAPI
event schemas are built from these definitions, and a test checks every event of a rich
scripted session against them. An event a command produced carries it as ``cmd``
(:class:`CommandRecord`), whose ``args`` are that command's fields
(:mod:`ntree.engine.commands`).
"""

# No ``from __future__ import annotations`` here: Python 3.11 reads ``NotRequired`` only in
# evaluated annotations (as strings, every key would count as required).

from typing import Any, Literal, NotRequired, TypedDict

from ntree.engine.commands import BracketSpec
from ntree.engine.events import EventType

SideName = Literal["BUY", "SELL"]
OrderRole = Literal["entry", "tp", "sl", "flatten"]


class CommandRecord(TypedDict):
    """The command an event records: its op and the arguments given (see the commands)."""

    op: str
    args: dict[str, Any]


class SessionParams(TypedDict):
    """Everything that defines the session's results (its SessionConfig), as JSON."""

    session_id: str
    symbol: str
    disp_tf: str
    t_start: str
    t_end: str
    seed: int
    edit_on_disp_boundary: bool
    speed: float
    tick: float
    initial_cash: float
    commission_per_share: float
    limit_fill_ticks_worse: int
    market_slippage_ticks: int
    latency_bars: int
    direction_lock: bool
    parent_session_id: str | None
    forked_at: str | None
    blind: NotRequired[bool]  # present (true) only for a blind session, with its anchors
    blind_price_anchor: NotRequired[float]
    blind_volume_anchor: NotRequired[float]
    context_sessions: NotRequired[int]  # sessions of history; absent: the old 3
    leverage: NotRequired[float]


class OrderRecord(TypedDict):
    """An order as the log records it: the fields that are set (its status is the event)."""

    order_id: int
    side: SideName
    type: Literal["LIMIT", "STOP", "MARKET"]
    qty: int
    role: OrderRole
    price: NotRequired[float]
    tag: NotRequired[str]
    oco_group: NotRequired[str]
    bracket: NotRequired[BracketSpec]
    parent_id: NotRequired[int]
    mods_count: NotRequired[int]


class Summary(TypedDict):
    """The session's metrics."""

    pnl: float
    max_dd: float
    num_trades: int
    win_rate: float | None
    avg_r: float | None


class SessionStartPayload(TypedDict):
    """The session's parameters, the fingerprint of its bars and how many there are."""

    log_format: int
    params: SessionParams
    data_fingerprint: str
    history_bars: int
    session_bars: int


class OrderPlacedPayload(TypedDict):
    """An order now working (``cmd`` when a command placed it, not a bracket exit)."""

    order: OrderRecord
    cmd: NotRequired[CommandRecord]


class OrderModifiedPayload(TypedDict):
    """An order's new price/qty (``reason`` follow_position: an exit resized)."""

    order: OrderRecord
    cmd: NotRequired[CommandRecord]
    reason: NotRequired[Literal["follow_position"]]


class OrderCanceledPayload(TypedDict):
    """An order no longer working, and why (user, cancel_all, oco, replaced, flatten, ...)."""

    order_id: int
    reason: str
    cmd: NotRequired[CommandRecord]


class OrdersReplacedPayload(TypedDict):
    """The ids canceled and the new ids, in the order of ``cmd.args.orders``."""

    cmd: CommandRecord
    canceled: list[int]
    order_ids: list[int]


class OrderRejectedPayload(TypedDict):
    """A refused command: its engine code and reason (``cmd_text`` when JSON can't hold it)."""

    code: str
    reason: str
    cmd: NotRequired[CommandRecord]
    cmd_text: NotRequired[str]


class FillPayload(TypedDict):
    """An execution and the position after it (order_id null: the session-end flatten)."""

    order_id: int | None
    side: SideName
    qty: int
    price: float
    role: Literal["entry", "tp", "sl", "flatten", "session_end"]
    position_qty: int
    avg_price: float
    realized_pnl: float


class StopTriggeredPayload(TypedDict):
    """A stop order reached (its fill follows)."""

    order_id: int
    stop: float
    role: OrderRole


class TargetFilledPayload(TypedDict):
    """A bracket's take-profit filled."""

    order_id: int
    price: float


class DirectionLockPayload(TypedDict):
    """An order a bar reached but the direction lock left working."""

    order_id: int
    side: SideName
    winner_order_id: int
    reason: str


class BracketSetPayload(TypedDict):
    """Exits put on the open position."""

    cmd: CommandRecord
    order_ids: list[int]
    tp: NotRequired[float]
    sl: NotRequired[float]


class BracketLegRefusedPayload(TypedDict):
    """A bracket leg not placed: at or through the fill of its parent (format 3)."""

    order_id: int
    role: Literal["tp", "sl"]
    price: float
    fill_price: float
    code: Literal["bracket_through_fill"]
    reason: str


class OrdersLinkedPayload(TypedDict):
    """Working orders linked one-cancels-other (``order_ids``: every member of the group)."""

    cmd: CommandRecord
    oco_group: str
    order_ids: list[int]


class LadderOrder(TypedDict):
    """One limit of a ladder."""

    side: SideName
    qty: int
    price: float


class LadderPlacedPayload(TypedDict):
    """A ladder laid: the ids of its orders (in the order of ``orders``) and those of the
    ladder it replaced."""

    cmd: CommandRecord
    ladder_id: str
    canceled: list[int]
    order_ids: list[int]
    orders: list[LadderOrder]


class LadderCanceledPayload(TypedDict):
    """A ladder's working orders canceled."""

    cmd: CommandRecord
    ladder_id: str
    order_ids: list[int]


class FlattenPayload(TypedDict):
    """Close the position (user: at the next open; session_end: at ``price``)."""

    qty: int
    reason: Literal["user", "session_end"]
    cmd: NotRequired[CommandRecord]
    price: NotRequired[float]


class CommandPayload(TypedDict):
    """The command alone: a step, a pacing change, a frame switch, a note."""

    cmd: CommandRecord


class SessionEndPayload(TypedDict):
    """Why the session ended and its final summary."""

    reason: Literal["user", "data_end"]
    summary: Summary
    cmd: NotRequired[CommandRecord]


#: Every event type's payload definition.
EVENT_PAYLOADS: dict[EventType, type] = {
    EventType.SESSION_START: SessionStartPayload,
    EventType.ORDER_PLACED: OrderPlacedPayload,
    EventType.ORDER_MODIFIED: OrderModifiedPayload,
    EventType.ORDER_CANCELED: OrderCanceledPayload,
    EventType.ORDERS_REPLACED: OrdersReplacedPayload,
    EventType.ORDER_REJECTED: OrderRejectedPayload,
    EventType.FILL: FillPayload,
    EventType.STOP_TRIGGERED: StopTriggeredPayload,
    EventType.TARGET_FILLED: TargetFilledPayload,
    EventType.DIRECTION_LOCK: DirectionLockPayload,
    EventType.BRACKET_SET: BracketSetPayload,
    EventType.BRACKET_LEG_REFUSED: BracketLegRefusedPayload,
    EventType.ORDERS_LINKED: OrdersLinkedPayload,
    EventType.LADDER_PLACED: LadderPlacedPayload,
    EventType.LADDER_CANCELED: LadderCanceledPayload,
    EventType.FLATTEN: FlattenPayload,
    EventType.STEP: CommandPayload,
    EventType.SPEED_CHANGE: CommandPayload,
    EventType.DISP_TF_CHANGE: CommandPayload,
    EventType.PAUSE: CommandPayload,
    EventType.PLAY: CommandPayload,
    EventType.NOTE: CommandPayload,
    EventType.SESSION_END: SessionEndPayload,
}


def payload_fields(payload_type: type) -> str:
    """Return a payload's keys as the README lists them: ``order_id, reason, cmd?``."""
    optional = payload_type.__optional_keys__
    return ", ".join(f"{k}?" if k in optional else k for k in payload_type.__annotations__)
