"""The engine's errors: a refused command names its code, and the field at fault."""

from __future__ import annotations


class EngineError(ValueError):
    """A command the engine refused. The session's state is untouched."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field  # the setting or argument at fault, when it is one

    def __reduce__(self) -> tuple:
        # Whole across processes (a bot's worker raises it in the parent): pickle's default
        # would call the class with the message alone.
        return (type(self), (self.code, self.message, self.field))


class DataChangedError(EngineError):
    """The stored bars differ from those the session was played on."""
