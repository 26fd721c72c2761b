"""The service's one error: a refusal with a machine code, a message and the field at fault."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused request: machine ``code``, human ``message``, offending ``field``.

    Raised before or instead of any change; clients map the code (HTTP: to a status).
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}
