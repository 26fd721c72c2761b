"""How a page finds the service: the one the app installed on its Flask server."""

from __future__ import annotations

from flask import current_app

from ntree.service import SERVICE_KEY, ReplayService
from ntree.ui.blind import CockpitService

_COCKPIT_KEY = "ntree.cockpit"


def service() -> ReplayService:
    """Return the running app's service (pages are clients of it, never of the HTTP API)."""
    return current_app.extensions[SERVICE_KEY]


def cockpit_service() -> CockpitService:
    """Return the service as the cockpit shows it: blind sessions masked (one per app)."""
    ext = current_app.extensions
    if _COCKPIT_KEY not in ext:
        ext[_COCKPIT_KEY] = CockpitService(ext[SERVICE_KEY])
    return ext[_COCKPIT_KEY]
