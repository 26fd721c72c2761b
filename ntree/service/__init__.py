"""The service core: sessions for every client, with neither Flask nor Dash."""

from ntree.service.core import FILL_EVENTS, ReplayService
from ntree.service.errors import ServiceError

#: Where a Flask server holds its service (``server.extensions[SERVICE_KEY]``): the HTTP
#: routes and the Dash pages, two clients, find the same one there.
SERVICE_KEY = "ntree"

__all__ = ["FILL_EVENTS", "SERVICE_KEY", "ReplayService", "ServiceError"]
