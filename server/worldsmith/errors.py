"""Errors every layer raises; the api layer maps them to gRPC status codes with details."""

from __future__ import annotations


class WorldsmithError(Exception):
    """Base of the errors a caller may see. `code` names the gRPC status."""

    code = "UNKNOWN"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidArgument(WorldsmithError):
    """The caller sent a bad field. `field` is its path, e.g. "character.actions[1].name"."""

    code = "INVALID_ARGUMENT"

    def __init__(self, field: str, description: str):
        super().__init__(f"{field}: {description}")
        self.violations = [(field, description)]

    @classmethod
    def many(cls, violations: list[tuple[str, str]]) -> "InvalidArgument":
        error = cls(*violations[0])
        error.violations = list(violations)
        error.message = "; ".join(f"{f}: {d}" for f, d in violations)
        error.args = (error.message,)
        return error


class NotFound(WorldsmithError):
    code = "NOT_FOUND"


class AlreadyExists(WorldsmithError):
    code = "ALREADY_EXISTS"


class FailedPrecondition(WorldsmithError):
    code = "FAILED_PRECONDITION"


class ResourceExhausted(WorldsmithError):
    """A lane is full. `retry_after_s` tells the caller when to try again."""

    code = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after_s: float = 1.0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(WorldsmithError):
    """The service cannot serve now (its model is not loaded, the server is stopping)."""

    code = "UNAVAILABLE"


class DeadlineExceeded(WorldsmithError):
    code = "DEADLINE_EXCEEDED"


class Cancelled(WorldsmithError):
    code = "CANCELLED"

    def __init__(self, message: str = "the call was cancelled"):
        super().__init__(message)


class PermissionDenied(WorldsmithError):
    code = "PERMISSION_DENIED"


class Unauthenticated(WorldsmithError):
    code = "UNAUTHENTICATED"
