"""Maps worldsmith errors to gRPC status codes with google.rpc details (BadRequest, RetryInfo)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from worldsmith.errors import InvalidArgument, ResourceExhausted, WorldsmithError

DETAILS_KEY = "grpc-status-details-bin"


def to_status(error: BaseException, request_id: str) -> tuple[grpc.StatusCode, status_pb2.Status]:
    """The gRPC code and the google.rpc.Status (with details) for any exception.
    Anything that is not a WorldsmithError is a server bug: INTERNAL, with the request id."""
    if not isinstance(error, WorldsmithError):
        message = f"internal error (request id {request_id}); the server log has the details"
        return grpc.StatusCode.INTERNAL, status_pb2.Status(code=code_pb2.INTERNAL, message=message)
    code = grpc.StatusCode[error.code]
    status = status_pb2.Status(code=code.value[0], message=error.message)
    if isinstance(error, InvalidArgument):
        detail = error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
            for field, description in error.violations
        ])
        _pack(status, detail)
    if isinstance(error, ResourceExhausted):
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(int(error.retry_after_s * 1000))
        _pack(status, error_details_pb2.RetryInfo(retry_delay=delay))
    return code, status


def _pack(status: status_pb2.Status, detail) -> None:
    packed = any_pb2.Any()
    packed.Pack(detail)
    status.details.append(packed)


async def abort(context: grpc.aio.ServicerContext, error: BaseException, request_id: str) -> None:
    code, status = to_status(error, request_id)
    await context.abort(code, status.message, trailing_metadata=((DETAILS_KEY, status.SerializeToString()),))
