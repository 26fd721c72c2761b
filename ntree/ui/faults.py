"""Failures the cockpit shows: a storage fault in a page callback answers a 503 JSON code
(as the API does), so the page's banner (``assets/cockpit_playback.js``) can say what broke;
the health check the page polls while it waits for the server to answer again.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify

from ntree.rest import status_of
from ntree.service.storage import STORAGE_ERRORS, recover, storage_fault
from ntree.ui.service import service

#: What the banner says for each storage code (the API's 503 codes), in plain words.
FAULT_TEXT = {
    "storage_full": "The database's disk is full: nothing more can be saved.",
    "read_only": "The database is read-only: nothing can be saved.",
    "database_corrupt": "The database file is corrupt: sessions cannot be read or saved.",
    "storage_error": "The database's disk failed to read or write.",
    "storage_busy": "The database is busy.",
}


def fault_response(exc: Exception) -> tuple[Response, int]:
    """Return the JSON 503 of a storage fault raised in a page callback (code, message)."""
    svc = service()
    err = storage_fault(exc, svc.db_engine)
    current_app.logger.error("storage fault in a page callback: %s", err.message)
    recover(svc.db_engine)  # the next request opens the database afresh
    body = err.to_dict()  # the API's shape: {"error": {code, message, field}}, and plain words
    body["error"]["plain"] = FAULT_TEXT.get(err.code, err.message)
    return jsonify(body), status_of(err.code)


def install(server: Flask) -> None:
    """Answer storage faults of the page callbacks as 503 JSON (the API has its own)."""
    for error in STORAGE_ERRORS:
        server.register_error_handler(error, fault_response)


def health(session_id: str | None) -> dict:
    """Read the session's row (one primary-key read: a storage fault raises, and answers
    503); without a session, that the server answers is all there is to know."""
    if session_id:
        service().get_session(session_id)
    return {"ok": True}
