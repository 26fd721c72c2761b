"""The pure replay engine: no Dash, Flask or SQLAlchemy in here (a test enforces it)."""

from ntree.engine.commands import COMMANDS, Command
from ntree.engine.config import FILL_MODEL_DEFAULTS, MAX_SPEED, SessionConfig
from ntree.engine.errors import DataChangedError, EngineError
from ntree.engine.events import Event, EventType
from ntree.engine.fills import FILL_MODEL_KNOBS, FillModel
from ntree.engine.prepared import PreparedBars
from ntree.engine.session import ReplaySession, StepResult

__all__ = [
    "COMMANDS",
    "Command",
    "DataChangedError",
    "EngineError",
    "Event",
    "FILL_MODEL_DEFAULTS",
    "FILL_MODEL_KNOBS",
    "FillModel",
    "MAX_SPEED",
    "EventType",
    "PreparedBars",
    "ReplaySession",
    "SessionConfig",
    "StepResult",
]
