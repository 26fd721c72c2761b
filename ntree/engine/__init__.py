"""The pure replay engine: no Dash, Flask or SQLAlchemy in here (a test enforces it)."""

from ntree.engine.commands import COMMANDS, Command
from ntree.engine.errors import DataChangedError, EngineError
from ntree.engine.events import Event, EventType
from ntree.engine.fills import FILL_MODEL_KNOBS
from ntree.engine.session import (
    FILL_MODEL_DEFAULTS,
    MAX_SPEED,
    ReplaySession,
    SessionConfig,
    StepResult,
)

__all__ = [
    "COMMANDS",
    "Command",
    "DataChangedError",
    "EngineError",
    "Event",
    "FILL_MODEL_DEFAULTS",
    "FILL_MODEL_KNOBS",
    "MAX_SPEED",
    "EventType",
    "ReplaySession",
    "SessionConfig",
    "StepResult",
]
