"""The REST API (an edge): Flask routes over :class:`ntree.service.ReplayService`.

The routes only read JSON and write JSON; the service does the work. The paths come from
the command registry (:mod:`ntree.rest`). A refusal is a :class:`~ntree.service.ServiceError`
whose code maps to a status (:data:`ntree.rest.HTTP_STATUS`): 400 for malformed JSON and
missing or wrong-typed fields, 404 for an unknown session, order or route, 409 for an ended
session or an edit between display boundaries, 413 for a body over 1 MB, 422 for a
well-typed value the market or the engine refuses.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from ntree.openapi import openapi_spec
from ntree.rest import GET_ROUTES, OWN_POST_ROUTES, POST_ROUTES, status_of
from ntree.service import SERVICE_KEY, ReplayService, ServiceError
from ntree.service.storage import recover, storage_fault
from ntree.store import EventConflict

MAX_BODY_BYTES = 1_000_000  # a request body (100 orders take ~20 KB); more is refused unread
MAX_DEPTH = 32  # nesting of a request body (the deepest request, replace_orders, is 4)
#: The Host names served (DNS rebinding: a page of another site must not reach this server).
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Sent with every response of the server (API and Dash pages).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}

# --- Flask blueprint -------------------------------------------------------------------------

bp = Blueprint("replay_api", __name__, url_prefix="/replay")


def service() -> ReplayService:
    """Return the service of the running Flask app (installed by :func:`install`)."""
    return current_app.extensions[SERVICE_KEY]


def allowed_hosts() -> frozenset[str]:
    """Return the Host names served: localhost, 127.0.0.1, ::1 and those listed in
    ``NTREE_ALLOWED_HOSTS`` (comma-separated; ``*`` serves any)."""
    extra = os.environ.get("NTREE_ALLOWED_HOSTS", "")
    names = (n.strip().lower().rstrip(".") for n in extra.split(","))
    return frozenset((*DEFAULT_HOSTS, *(n for n in names if n)))


def host_name(host: str) -> str:
    """Return the name of a Host header without its port (``[::1]:8050`` -> ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def install(server: Flask, svc: ReplayService) -> None:
    """Attach the service and the /replay routes to a Flask server, and guard the whole
    server: the Host allowlist and the security headers (Dash's pages too)."""
    server.extensions[SERVICE_KEY] = svc
    server.register_blueprint(bp)
    hosts = allowed_hosts()

    def _check_host() -> Response | None:
        if "*" in hosts or host_name(request.host) in hosts:
            return None
        err = ServiceError(
            "bad_host",
            f"host {request.host!r} is not served; add it to NTREE_ALLOWED_HOSTS",
            "Host",
        )
        return _error_response(err)

    # First of all before-request hooks: nothing runs for a foreign Host.
    server.before_request_funcs.setdefault(None, []).insert(0, _check_host)

    @server.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @server.errorhandler(HTTPException)
    def _routing_error(exc: HTTPException):
        # Unknown paths and wrong methods under /replay answer JSON too (not Flask's HTML).
        if not request.path.startswith(bp.url_prefix + "/"):
            return exc
        return _http_error(exc)


def _error_response(err: ServiceError) -> tuple[Response, int]:
    return jsonify(err.to_dict()), status_of(err.code)


def _json_body() -> dict:
    """Return the request's JSON object; refuse another content type (a form post from
    another origin), a body over MAX_BODY_BYTES, invalid or too deeply nested JSON."""
    if request.mimetype != "application/json":
        raise ServiceError(
            "bad_content_type",
            f"a request body must be application/json, got {request.mimetype or 'none'!r}",
        )
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ServiceError("body_too_large", f"request body over {MAX_BODY_BYTES:,} bytes")
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise ServiceError("bad_json", f"request body nested deeper than {MAX_DEPTH}") from None
    except ValueError as exc:  # not JSON, not UTF-8, an integer of thousands of digits
        raise ServiceError("bad_json", f"request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ServiceError("bad_json", "request body must be a JSON object")
    if _depth(body) > MAX_DEPTH:
        raise ServiceError("bad_json", f"request body nested deeper than {MAX_DEPTH}")
    _refuse_nul(body)
    return body


def _refuse_nul(value: Any) -> None:
    """Refuse a text with a NUL character (``\\u0000``) anywhere in a request: PostgreSQL
    cannot store one in text, and no ntree field has a use for it (``bad_type``, the field
    named as ``path.to[index]``)."""
    todo: list[tuple[Any, str]] = [(value, "")]
    while todo:
        item, where = todo.pop()
        if isinstance(item, dict):
            for key, v in item.items():
                name = f"{where}.{key}" if where else str(key)
                if "\x00" in str(key):
                    raise _nul(name)
                todo.append((v, name))
        elif isinstance(item, list):
            todo.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
        elif isinstance(item, str) and "\x00" in item:
            raise _nul(where)


def _nul(field: str) -> ServiceError:
    return ServiceError("bad_type", f"field {field!r} must be text without NUL characters", field)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _depth(value: Any) -> int:
    """Return how deeply lists and objects nest in ``value`` (iteratively: no recursion)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                todo.extend((v, depth + 1) for v in item)
    return deepest


def _query_body(*int_fields: str) -> dict:
    body: dict[str, Any] = dict(request.args.items())
    for name in int_fields:
        if name in body:
            try:
                body[name] = int(body[name])
            except ValueError as exc:
                raise ServiceError(
                    "bad_type", f"field {name!r} must be an integer, got {body[name]!r}", name
                ) from exc
    return body


@bp.before_request
def _limit_body() -> None:
    # Only the API's (Dash's callbacks are bigger). One byte more than allowed is read, so
    # a chunked body (no Content-Length, cut at the limit) shows it is over: 413, not 400.
    request.max_content_length = MAX_BODY_BYTES + 1
    _refuse_nul(request.args.to_dict())  # a query's %00 as well


@bp.errorhandler(ServiceError)
def _api_error(exc: ServiceError):
    return jsonify(exc.to_dict()), status_of(exc.code)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    action = request.path.removeprefix(bp.url_prefix + "/")
    if exc.code == 405 and action not in (*POST_ROUTES, *OWN_POST_ROUTES, *GET_ROUTES):
        err = _unknown_route()  # e.g. a PUT on no route at all (it matched the catch-alls)
    elif exc.code == 405:
        err = ServiceError(
            "method_not_allowed", f"{request.method} is not allowed on {request.path}"
        )
    elif exc.code == 413:
        err = ServiceError("body_too_large", f"request body over {MAX_BODY_BYTES:,} bytes")
    else:
        err = ServiceError("http_error", exc.description or exc.name)
        return jsonify(err.to_dict()), exc.code or 400
    return jsonify(err.to_dict()), status_of(err.code)


def _unknown_route() -> ServiceError:
    return ServiceError("unknown_route", f"no such endpoint: {request.method} {request.path}")


@bp.errorhandler(EventConflict)
def _event_conflict(exc: EventConflict):
    # The log moved under the session (another writer, or it is gone): nothing was written;
    # the next access rebuilds the session from its log.
    if "not stored" in str(exc):
        err = ServiceError("unknown_session", f"session no longer stored: {exc}", "session_id")
    else:
        err = ServiceError("event_conflict", f"{exc}; try again", "session_id")
    return _error_response(err)


@bp.errorhandler(sa.exc.DBAPIError)
@bp.errorhandler(sqlite3.Error)
def _storage_error(exc: Exception):
    err = storage_fault(exc, service().db_engine)
    current_app.logger.error("storage fault on %s: %s", request.path, err.message)
    recover(service().db_engine)  # no connection opened on the faulty file lingers
    return _error_response(err)


@bp.errorhandler(Exception)
def _server_error(exc: Exception):
    current_app.logger.exception("replay API error")
    err = ServiceError("server_error", f"internal error: {type(exc).__name__}")
    return jsonify(err.to_dict()), status_of(err.code)


@bp.post("/start")
def _start_route():
    return jsonify(service().start(_json_body()))


@bp.post("/<path:action>")
def _command_route(action: str):
    name = POST_ROUTES.get(action)  # a command's op (or rewind), from the registry
    if name is None and action in GET_ROUTES:
        raise ServiceError("method_not_allowed", f"POST is not allowed on /replay/{action}")
    if name is None:
        raise _unknown_route()
    return jsonify(service().command(name, _json_body()))


@bp.get("/<path:action>")
def _unknown_get_route(action: str):
    # In the app, Dash serves its page for any other GET path: without this, a typo in an
    # endpoint's name would answer 200 with HTML instead of saying what was wrong.
    if action in POST_ROUTES or action in OWN_POST_ROUTES:
        raise ServiceError("method_not_allowed", f"GET is not allowed on /replay/{action}")
    raise _unknown_route()


@bp.get("/state")
def _state_route():
    return jsonify(service().state(_query_body()))


@bp.get("/events")
def _events_route():
    return jsonify(service().events(_query_body("since")))


@bp.get("/candles")
def _candles_route():
    return jsonify(service().candles(_query_body("n")))


@bp.get("/trades")
def _trades_route():
    return jsonify(service().trade_list(_query_body()))


@bp.get("/sessions")
def _sessions_route():
    return jsonify({"sessions": service().list_sessions()})


@bp.get("/coach")
def _coach_route():
    filters: dict[str, Any] = request.args.to_dict()
    filters["session_id"] = request.args.getlist("session_id")  # repeatable
    filters["player"] = request.args.getlist("player")  # repeatable
    return jsonify(service().coach(filters))


@bp.get("/openapi.json")
def _openapi_route():
    return jsonify(openapi_spec())


# --- the film room: the journal (read with GET, a new version with POST) ----------------------


@bp.get("/journal")
def _journal_read_route():
    body = _query_body()
    if "session_id" not in body:
        raise ServiceError("missing_field", "missing field 'session_id'", "session_id")
    history = body.get("history", "").lower() in ("1", "true", "yes")
    return jsonify(service().journal(body["session_id"], history=history))


@bp.post("/journal")
def _journal_write_route():
    return jsonify(service().add_journal(_json_body()))


# --- the bar store: coverage, and deleting a symbol's bars ----------------------------------


@bp.get("/data/coverage")
def _data_coverage_route():
    body = _query_body()
    days = body.pop("days", "").lower() in ("1", "true", "yes")
    unknown = sorted(set(body) - {"symbol"})
    if unknown:
        raise ServiceError("unknown_field", f"unknown query field {unknown[0]!r}", unknown[0])
    return jsonify(service().data_coverage(body.get("symbol"), days=days))


@bp.post("/data/delete")
def _data_delete_route():
    return jsonify(service().data_delete(_json_body()))
