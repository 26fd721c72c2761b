"""The REST contract as data (no Flask): the routes, from the command registry, and the
HTTP status of every refusal code. :mod:`ntree.api` serves it, :mod:`ntree.openapi`
describes it."""

from __future__ import annotations

from ntree.engine.commands import COMMANDS

#: The REST paths (under /replay/) that are not the command's op.
ROUTE_EXCEPTIONS = {
    "place": "order/place",
    "cancel": "order/cancel",
    "modify": "order/modify",
    "replace_orders": "order/replace",
    "set_bracket": "bracket",
}
#: Path under /replay/ -> command op, for every command.
COMMAND_ROUTES = {ROUTE_EXCEPTIONS.get(op, op): op for op in COMMANDS}
#: Every POST path under /replay/ but ``start`` -> what it runs (``rewind`` forks;
#: ``ladder/preview`` answers the orders ``place_ladder`` would lay, placing none).
POST_ROUTES = {**COMMAND_ROUTES, "rewind": "rewind", "ladder/preview": "ladder_preview"}
#: The GET paths under /replay/.
GET_ROUTES = (
    "state",
    "events",
    "candles",
    "trades",
    "sessions",
    "coach",
    "journal",
    "data/coverage",
    "openapi.json",
)
#: The POST paths under /replay/ that are not commands (each a route of its own).
OWN_POST_ROUTES = ("start", "data/delete")

#: A refusal's code -> its HTTP status (every other code is a 422: a value refused).
HTTP_STATUS = {
    "bad_json": 400,
    "bad_type": 400,
    "missing_field": 400,
    "bad_time": 400,
    "unknown_field": 400,
    "bad_host": 400,
    "unknown_session": 404,
    "unknown_order": 404,
    "unknown_trade": 404,
    "unknown_command": 404,
    "unknown_ladder": 404,
    "unknown_route": 404,
    "method_not_allowed": 405,
    "session_ended": 409,
    "not_at_boundary": 409,
    "session_exists": 409,
    "bars_differ": 409,
    "event_conflict": 409,
    "body_too_large": 413,
    "bad_content_type": 415,
    "server_error": 500,
    "read_only": 503,
    "storage_full": 503,
    "database_corrupt": 503,
    "storage_error": 503,
    "storage_busy": 503,
    "database_unavailable": 503,
}


def status_of(code: str) -> int:
    """Return the HTTP status of a refusal code."""
    return HTTP_STATUS.get(code, 422)
