"""How a page finds the service: the one the app installed on its Flask server."""

from __future__ import annotations

from flask import current_app

from ntree.service import SERVICE_KEY, ReplayService


def service() -> ReplayService:
    """Return the running app's service (pages are clients of it, never of the HTTP API)."""
    return current_app.extensions[SERVICE_KEY]
