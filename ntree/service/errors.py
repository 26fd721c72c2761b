"""The service's one error: a refusal with a machine code, a message and the field at fault;
and the engine's refusals read as one."""

from __future__ import annotations

import re

from ntree.engine import EngineError


class ServiceError(Exception):
    """A refused request: machine ``code``, human ``message``, offending ``field``.

    Raised before or instead of any change; clients map the code (HTTP: to a status).
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


#: The request field an engine rejection is about, so clients can point at it.
ENGINE_FIELD = {
    "off_tick": "price",
    "bad_price": "price",
    "stop_through_market": "price",
    "bad_qty": "qty",
    "bad_side": "side",
    "bad_type": "type",
    "bad_tag": "tag",
    "bad_oco": "oco_group",
    "bad_bracket": "bracket",
    "bad_orders": "orders",
    "unknown_order": "order_id",
    "bad_tf": "disp_tf",
    "unknown_symbol": "symbol",
    "bad_range": "t_end",
    "bad_speed": "speed",
    "bad_note": "text",
    "bad_step": "disp_steps",
    "bad_rewind": "disp_bars",
    "no_position": "session_id",
    "session_ended": "session_id",
    "insufficient_buying_power": "qty",
    "unknown_ladder": "ladder_id",
    "bad_ladder": "weights",
    "no_band": "session_id",
}
_ITEM = re.compile(r"^(orders\[\d+\]): ")


def from_engine(exc: EngineError) -> ServiceError:
    """Return the engine's refusal as a service error with the request field at fault (an
    item of replace_orders: ``orders[2].price``)."""
    code = getattr(exc, "code", "rejected")
    field = getattr(exc, "field", None) or ENGINE_FIELD.get(code)
    item = _ITEM.match(str(exc))
    if item and field != "orders":
        field = f"{item[1]}.{field}" if field else item[1]
    return ServiceError(code, str(exc), field)
