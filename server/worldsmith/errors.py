"""Errors every layer raises; the api layer maps them to gRPC status codes with details."""

from __future__ import annotations


class WorldsmithError(Exception):
    """Base of the errors a caller may see. `code` names the gRPC status."""

    code = "UNKNOWN"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


MAX_REPORTED_VIOLATIONS = 20     # field violations sent back; one more says how many were left out
MAX_VIOLATIONS_IN_MESSAGE = 3    # the status message names the first few; the details carry the rest
MAX_FIELD_CHARS = 160
MAX_DESCRIPTION_CHARS = 160      # together these keep the status well under grpc's 8 KB trailer budget


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


class InvalidArgument(WorldsmithError):
    """The caller sent a bad field. `field` is its path, e.g. "character.actions[1].name"."""

    code = "INVALID_ARGUMENT"

    def __init__(self, field: str, description: str):
        field, description = _shorten(field, MAX_FIELD_CHARS), _shorten(description, MAX_DESCRIPTION_CHARS)
        super().__init__(f"{field}: {description}")
        self.violations = [(field, description)]

    @classmethod
    def many(cls, violations: list[tuple[str, str]]) -> "InvalidArgument":
        """One error for many violations: the first MAX_REPORTED_VIOLATIONS, then one saying how many more."""
        reported = [cls(field, description).violations[0] for field, description in violations[:MAX_REPORTED_VIOLATIONS]]
        left_out = len(violations) - len(reported)
        if left_out:
            reported.append((violations[MAX_REPORTED_VIOLATIONS][0], f"and {left_out} more problems not listed; fix these and send it again"))
        error = cls(*reported[0])
        error.violations = reported
        named = "; ".join(f"{f}: {d}" for f, d in reported[:MAX_VIOLATIONS_IN_MESSAGE])
        rest = len(reported) - MAX_VIOLATIONS_IN_MESSAGE
        error.message = named + (f"; and {rest} more in the BadRequest details" if rest > 0 else "")
        error.args = (error.message,)
        return error


class NotFound(WorldsmithError):
    code = "NOT_FOUND"


class AlreadyExists(WorldsmithError):
    code = "ALREADY_EXISTS"


class ResourceExhausted(WorldsmithError):
    """A lane is full. `retry_after_s` tells the caller when to try again."""

    code = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after_s: float = 1.0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class FailedPrecondition(WorldsmithError):
    """The server is not set up for what was asked (speech of a server with no speech model); retrying will not help."""

    code = "FAILED_PRECONDITION"


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
