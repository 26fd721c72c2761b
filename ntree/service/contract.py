"""The commands' request contract, derived from their definitions (no HTTP, no Dash).

A command request is a JSON object: ``session_id`` plus the fields of the command's
dataclass (:mod:`ntree.engine.commands`), typed as its hints say. :func:`parse_command`
checks the shape and the types only (``missing_field``, ``bad_type``); the engine judges
every value. The REST routes (:mod:`ntree.rest`) and the OpenAPI document
(:mod:`ntree.openapi`) are derived from the same definitions.
"""

from __future__ import annotations

from ntree.engine.commands import (
    COMMANDS,
    MAX_NOTE,
    MAX_ORDERS,
    MAX_STEPS,
    Command,
    Note,
    Place,
    ReplaceOrders,
    Step,
)
from ntree.service.errors import ServiceError
from ntree.service.shapes import hints, parse, required_keys

#: The answer's extra field for a command that returns something.
RESULT_KEYS = {
    "place": "order_id",
    "replace_orders": "order_ids",
    "cancel_all": "canceled",
    "link_oco": "oco_group",
    "place_ladder": "order_ids",
    "cancel_ladder": "canceled",
}
#: The longest ``tag`` / ``oco_group`` one request may set (a request limit, see _check_size).
MAX_LABEL_CHARS = 64


def check_fields(body: dict, known) -> None:
    """Refuse a body field that is not one of ``known`` (``unknown_field``, naming it): a
    typo such as ``brakcet`` must not place an order without its bracket."""
    for name in body:
        if name not in known:
            raise ServiceError(
                "unknown_field", f"no field {name!r}; the fields are {sorted(known)}", name
            )


def parse_command(op: str, body: dict) -> Command:
    """Build the command ``op`` from a request body: its fields, typed by the definition
    (``None`` counts as not given; other fields of the body are not the command's)."""
    cls = COMMANDS.get(op)
    if cls is None:
        raise ServiceError(
            "unknown_command", f"unknown command {op!r}; commands: {sorted(COMMANDS)}"
        )
    required = required_keys(cls)
    check_fields(body, {"session_id", *hints(cls)})
    args = {}
    for name, tp in hints(cls).items():
        value = body.get(name)
        if value is None:
            if name in required:
                raise ServiceError("missing_field", f"missing required field {name!r}", name)
            continue
        args[name] = parse(tp, value, name)
    command = cls(**args)
    _check_size(command)
    return command


def _check_size(command: Command) -> None:
    """Refuse a command bigger than one request may be.

    These are request sizes, not command values, so they stay at the service's edge: in the
    engine they would refuse what stored logs hold (a script may re-lay 200 orders or write a
    long note) and those sessions would no longer re-run identically."""
    if isinstance(command, Step):
        for name in ("disp_steps", "exec_steps"):
            n = getattr(command, name)
            if n is not None and n > MAX_STEPS:
                raise ServiceError(
                    "bad_step", f"{name} must be at most {MAX_STEPS:,} per request, got {n}", name
                )
    elif isinstance(command, ReplaceOrders) and len(command.orders) > MAX_ORDERS:
        raise ServiceError(
            "bad_orders",
            f"at most {MAX_ORDERS} orders at once, got {len(command.orders)}",
            "orders",
        )
    elif isinstance(command, Note) and len(command.text) > MAX_NOTE:
        raise ServiceError("too_long", f"a note is at most {MAX_NOTE:,} characters", "text")
    ladder_id = getattr(command, "ladder_id", None)
    if isinstance(ladder_id, str) and len(ladder_id) > MAX_LABEL_CHARS:
        raise ServiceError(
            "too_long", f"ladder_id must be at most {MAX_LABEL_CHARS} characters", "ladder_id"
        )
    if isinstance(command, Place):
        _check_labels(command.tag, command.oco_group, "")
    elif isinstance(command, ReplaceOrders):
        for n, spec in enumerate(command.orders):
            _check_labels(spec.get("tag"), spec.get("oco_group"), f"orders[{n}].")


def _check_labels(tag: object, oco_group: object, prefix: str) -> None:
    for name, value in (("tag", tag), ("oco_group", oco_group)):
        if isinstance(value, str) and len(value) > MAX_LABEL_CHARS:
            raise ServiceError(
                "too_long",
                f"{name} must be at most {MAX_LABEL_CHARS} characters, got {len(value):,}",
                prefix + name,
            )
