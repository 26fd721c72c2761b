"""The REST API (an edge): Flask routes over :class:`ntree.service.ReplayService`.

The routes only read JSON and write JSON; the service does the work. The paths come from
the command registry (:mod:`ntree.rest`). A refusal is a :class:`~ntree.service.ServiceError`
whose code maps to a status (:data:`ntree.rest.HTTP_STATUS`): 400 for malformed JSON and
missing or wrong-typed fields, 404 for an unknown session, order or route, 409 for an ended
session or an edit between display boundaries, 413 for a body over 1 MB, 422 for a
well-typed value the market or the engine refuses.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from ntree.openapi import openapi_spec
from ntree.rest import GET_ROUTES, POST_ROUTES, status_of
from ntree.service import SERVICE_KEY, ReplayService, ServiceError

MAX_BODY_BYTES = 1_000_000  # a request body (100 orders take ~20 KB); more is refused unread

# --- Flask blueprint -------------------------------------------------------------------------

bp = Blueprint("replay_api", __name__, url_prefix="/replay")


def service() -> ReplayService:
    """Return the service of the running Flask app (installed by :func:`install`)."""
    return current_app.extensions[SERVICE_KEY]


def install(server: Flask, svc: ReplayService) -> None:
    """Attach the service and the /replay routes to a Flask server."""
    server.extensions[SERVICE_KEY] = svc
    server.register_blueprint(bp)

    @server.errorhandler(HTTPException)
    def _routing_error(exc: HTTPException):
        # Unknown paths and wrong methods under /replay answer JSON too (not Flask's HTML).
        if not request.path.startswith(bp.url_prefix + "/"):
            return exc
        return _http_error(exc)


def _json_body() -> dict:
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise ServiceError("bad_json", "request body must be valid JSON (an object)")
    if not isinstance(body, dict):
        raise ServiceError("bad_json", "request body must be a JSON object")
    return body


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
    request.max_content_length = MAX_BODY_BYTES  # only the API's (Dash's callbacks are bigger)


@bp.errorhandler(ServiceError)
def _api_error(exc: ServiceError):
    return jsonify(exc.to_dict()), status_of(exc.code)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    action = request.path.removeprefix(bp.url_prefix + "/")
    if exc.code == 405 and action not in (*POST_ROUTES, "start", *GET_ROUTES):
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
    if action in POST_ROUTES or action == "start":
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


@bp.get("/openapi.json")
def _openapi_route():
    return jsonify(openapi_spec())
